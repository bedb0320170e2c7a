package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const cfnStack = `AWSTemplateFormatVersion: "2010-09-09"
Description: web tier
Parameters:
  Env:
    Type: String
    Default: prod
    AllowedValues: [dev, prod]
  AdminCidr:
    Type: String
    Default: 0.0.0.0/0
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${Env}-data-${AWS::AccountId}"
      AccessControl: !If [IsProd, PublicRead, Private]
      VersioningConfiguration:
        Status: Suspended
  WebSg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub "${Env} web"
      VpcId: !ImportValue shared-vpc
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: 443
          ToPort: 443
          CidrIp: 0.0.0.0/0
        - IpProtocol: tcp
          FromPort: 22
          ToPort: 22
          CidrIp: !Ref AdminCidr
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      StorageEncrypted: !If [IsProd, false, true]
      VPCSecurityGroups: [!GetAtt WebSg.GroupId]
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: everything
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: "*"
`

const cfnJSON = `{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Key": {
      "Type": "AWS::KMS::Key",
      "Properties": {
        "EnableKeyRotation": false
      }
    }
  }
}
`

const gitlabCI = `include:
  - local: ci/deploy.yml
  - remote: https://gitlab.example.com/templates/lint.yml

variables:
  DOCKER_TLS_CERTDIR: ""

build:
  image: docker:27.1
  services:
    - docker:27.1-dind
  script:
    - docker build -t app .
`

const gitlabInclude = `.deploy:
  image: alpine:latest

deploy:
  extends: .deploy
  variables:
    DEPLOY_PASSWORD: "prod-passw0rd-2024"
  script:
    - curl -fsSL https://get.example.com/tool | sh
    - echo "using $DEPLOY_PASSWORD"

deploy-staging:
  extends: .deploy
  script:
    - ./deploy.sh staging
`

// TestIaCCloudFormationAndGitLabCI: a realistic CloudFormation template
// (YAML with short-form intrinsics, parameter defaults and a condition
// decided from them) and a JSON one, and a .gitlab-ci.yml with a local
// include and extends, through the binary: each finding at its file and
// line, named by the resource (type and logical id; the job that writes
// it).
func TestIaCCloudFormationAndGitLabCI(t *testing.T) {
	dir := iacProject(t, map[string]string{
		"infra/stack.yaml":   cfnStack,
		"infra/key.json":     cfnJSON,
		".gitlab-ci.yml":     gitlabCI,
		"ci/deploy.yml":      gitlabInclude,
		"config/values.yaml": "Resources:\n  - cpu: 1\n",
	})
	db := filepath.Join(t.TempDir(), "none.db")
	r := airlock(t, db, "scan", "--scanners", "iac", "--format", "json", dir)
	if r.code != 3 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Findings []struct {
			ID       string
			Location struct {
				Path      string
				StartLine int `json:"start_line"`
			}
			IaC struct{ Input, Resource, Attribute string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	got := map[string]bool{}
	inheritedImage := 0
	for _, f := range rep.Findings {
		if f.ID == "GLCI003" && f.Location.Path == "ci/deploy.yml" {
			inheritedImage++
		}
		got[fmt.Sprintf("%s %s:%d %s %s", f.ID, f.Location.Path, f.Location.StartLine, f.IaC.Input, f.IaC.Resource)] = true
		if f.Location.Path == "config/values.yaml" {
			t.Errorf("a YAML file that is no template was read: %+v", f)
		}
	}
	for _, want := range []string{
		"CFN001 infra/stack.yaml:18 cloudformation AWS::S3::Bucket DataBucket",
		"CFN004 infra/stack.yaml:20 cloudformation AWS::S3::Bucket DataBucket",
		"CFN010 infra/stack.yaml:34 cloudformation AWS::EC2::SecurityGroup WebSg",
		"CFN020 infra/stack.yaml:40 cloudformation AWS::RDS::DBInstance Db",
		"CFN040 infra/stack.yaml:55 cloudformation AWS::IAM::Role AppRole",
		"CFN054 infra/key.json:7 cloudformation AWS::KMS::Key Key",
		"GLCI001 ci/deploy.yml:7 gitlabci job deploy",
		"GLCI003 ci/deploy.yml:2 gitlabci job .deploy",
		"GLCI005 ci/deploy.yml:9 gitlabci job deploy",
		"GLCI007 ci/deploy.yml:10 gitlabci job deploy",
		"GLCI006 .gitlab-ci.yml:6 gitlabci variables",
	} {
		if !got[want] {
			t.Errorf("missing %q", want)
		}
	}
	for k := range got {
		// An inherited image is reported once, on the template that sets it.
		if strings.HasPrefix(k, "CFN011 ") || strings.HasPrefix(k, "GLCI003 ci/deploy.yml:2") && !strings.HasSuffix(k, "job .deploy") {
			t.Errorf("unexpected %s", k)
		}
	}
	if inheritedImage != 1 {
		t.Errorf("the image both deploy jobs inherit from .deploy is reported %d times, want once", inheritedImage)
	}
	if t.Failed() {
		t.Logf("findings:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr+r.stdout, "https://gitlab.example.com/templates/lint.yml") {
		t.Errorf("no notice names the remote include:\n%s", r.stderr)
	}
}
