package cloudformation

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

func parseSeed(t *testing.T, name string) *iac.Document {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func resource(t *testing.T, d *iac.Document, id string) (int, map[string]any) {
	t.Helper()
	for i, r := range d.Value.(map[string]any)["resources"].([]any) {
		m := r.(map[string]any)
		if m["id"] == id {
			return i, m
		}
	}
	t.Fatalf("no resource %s", id)
	return 0, nil
}

// TestResolve: short-form intrinsics read as their long form, parameter
// defaults resolved in Ref, Sub, Join, Select and FindInMap, conditions
// decided, Fn::If picked, AWS::NoValue dropping the property, resources
// whose condition is false left out, unknowns kept as functions.
func TestResolve(t *testing.T) {
	d := parseSeed(t, "template.yaml")
	_, data := resource(t, d, "Data")
	props := data["properties"].(map[string]any)
	want := map[string]any{
		"BucketName":    map[string]any{"Fn::Sub": "${Env}-data-${AWS::AccountId}"},
		"Tags":          []any{map[string]any{"Key": "env", "Value": "prod"}},
		"AccessControl": "Private",
	}
	if diff := cmp.Diff(want, props); diff != "" {
		t.Errorf("Data properties (-want +got):\n%s", diff)
	}
	if data["address"] != "AWS::S3::Bucket Data" {
		t.Errorf("address %v", data["address"])
	}
	_, sg := resource(t, d, "Sg")
	rule := sg["properties"].(map[string]any)["SecurityGroupIngress"].([]any)[0].(map[string]any)
	if rule["FromPort"] != json.Number("22") || rule["CidrIp"] != "0.0.0.0/0" {
		t.Errorf("rule %v", rule)
	}
	if g := sg["properties"].(map[string]any)["GroupDescription"]; g != "prod-sg" {
		t.Errorf("Join: %v", g)
	}
	for _, r := range d.Value.(map[string]any)["resources"].([]any) {
		if r.(map[string]any)["id"] == "Vol" {
			t.Errorf("Vol's condition NotProd is false: it is not created")
		}
	}
	_, role := resource(t, d, "Role")
	rp := role["properties"].(map[string]any)
	wantRole := map[string]any{
		"Name":  map[string]any{"Fn::GetAtt": []any{"Data", "Arn"}},
		"Path":  map[string]any{"Fn::If": []any{"Unknown", "/a/", "/b/"}},
		"Zones": map[string]any{"Fn::GetAZs": ""},
		"Imp":   map[string]any{"Fn::ImportValue": "shared-vpc"},
		"Data":  map[string]any{"Fn::Base64": "hello"},
		"Parts": []any{"a", "b"},
		"Ors":   map[string]any{"Fn::Or": []any{map[string]any{"Condition": "IsProd"}, map[string]any{"Condition": "Unknown"}}},
	}
	if diff := cmp.Diff(wantRole, rp); diff != "" {
		t.Errorf("Role properties (-want +got):\n%s", diff)
	}
	conds := d.Value.(map[string]any)["conditions"]
	if diff := cmp.Diff(map[string]any{"IsProd": true, "NotProd": false, "Both": true, "Unknown": nil}, conds); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
}

// TestLines: every attribute located at its key's line, a value from a
// parameter's default located where it is used, the resource named by
// type and logical id.
func TestLines(t *testing.T) {
	d := parseSeed(t, "template.yaml")
	i, _ := resource(t, d, "Sg")
	for _, c := range []struct {
		path     []any
		line     int
		resource string
	}{
		{[]any{"resources", i}, 28, "AWS::EC2::SecurityGroup Sg"},
		{[]any{"resources", i, "type"}, 29, "AWS::EC2::SecurityGroup Sg"},
		{[]any{"resources", i, "properties", "SecurityGroupIngress", 0, "FromPort"}, 34, "AWS::EC2::SecurityGroup Sg"},
		{[]any{"resources", i, "properties", "SecurityGroupIngress", 0, "CidrIp"}, 36, "AWS::EC2::SecurityGroup Sg"},
		{[]any{"resources", i, "properties", "Missing"}, 30, "AWS::EC2::SecurityGroup Sg"},
	} {
		n := d.Locate(c.path)
		if n.Start != c.line || n.Resource != c.resource || n.Path != "template.yaml" {
			t.Errorf("%v: %+v, want line %d %s", c.path, n, c.line, c.resource)
		}
	}
	j := parseSeed(t, "template.json")
	k, site := resource(t, j, "Site")
	p := site["properties"].(map[string]any)
	if p["AccessControl"] != "PublicRead" || p["BucketName"] != "x-site" {
		t.Errorf("JSON template: %v", p)
	}
	if n := j.Locate([]any{"resources", k, "properties", "AccessControl"}); n.Start != 8 {
		t.Errorf("JSON AccessControl at %+v, want line 8", n)
	}
}

// TestErrors: what is not a template is an error at its line, naming
// the field; nothing panics.
func TestErrors(t *testing.T) {
	for _, c := range []struct {
		src, want string
		line      int
	}{
		{"Resources:\n  A:\n    Type: [x]\n", `field "Resources.A.Type"`, 3},
		{"Resources:\n  A: 3\n", `field "Resources.A": a mapping`, 2},
		{"Resources: [1]\n", `field "Resources": a mapping`, 1},
		{"- a\n", "a mapping with Resources", 1},
		{"Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties: [1]\n", `field "Resources.A.Properties"`, 4},
		{"a: [\n", "did not find expected node content", 1},
		{"{\"Resources\": {\n\"A\": }}", "invalid character", 2},
	} {
		_, err := Parse("t.yaml", []byte(c.src))
		var le *iac.LineError
		if err == nil || !strings.Contains(err.Error(), c.want) || !asLine(err, &le) || le.Line != c.line {
			t.Errorf("%q: %v (line %v), want %q at line %d", c.src, err, le, c.want, c.line)
		}
	}
	b, _ := os.ReadFile(filepath.Join("testdata", "seeds", "bad-alias.yaml"))
	if _, err := Parse("a.yaml", b); err == nil {
		t.Errorf("resource X is a list: want an error")
	}
}

func asLine(err error, le **iac.LineError) bool {
	x, ok := err.(*iac.LineError)
	*le = x
	return ok
}

// TestBomb: aliases expanding past iac.MaxYAMLNodes are an error, not
// hours of work.
func TestBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("Resources: {}\n")
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "YAML bomb") {
		t.Fatalf("got %v", err)
	}
}

// TestSniff: templates found by content, other YAML and JSON left alone.
func TestSniff(t *testing.T) {
	p := New()
	for _, c := range []struct {
		head string
		want bool
	}{
		{"AWSTemplateFormatVersion: '2010-09-09'\n", true},
		{"{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\"}", true},
		{"Resources:\n  B:\n    Type: AWS::S3::Bucket\n", true},
		{"{\"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}", true},
		{"{\"Resources\": [\"AWS::S3::Bucket\"]}", false},
		{"Type: AWS::S3::Bucket\n", false},
		{"{\n \"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}", true},
		{"apiVersion: v1\nkind: ConfigMap\n", false},
		{"checks:\n  example: |\n    AWSTemplateFormatVersion: 2010-09-09\n", false},
		{"Resources:\n  - name: x\n", false},
	} {
		if got := p.ContentRequired("x.yaml", []byte(c.head)); got != c.want {
			t.Errorf("%q: %v", c.head, got)
		}
	}
	if !p.MaySniff("stack.template") || p.MaySniff("main.tf") {
		t.Error("MaySniff")
	}
}

// TestParseFiles: one bad template is an error problem; the others are
// still read.
func TestParseFiles(t *testing.T) {
	docs, probs := New().Parse(context.Background(), &iac.Input{Files: []iac.File{
		{Path: "bad.yaml", Content: []byte("Resources: [1]\n")},
		{Path: "good.yaml", Content: []byte("Resources:\n  B:\n    Type: AWS::S3::Bucket\n")},
	}})
	if len(docs) != 1 || len(probs) != 1 || probs[0].Path != "bad.yaml" || probs[0].Line != 1 || !strings.Contains(probs[0].Message, "not read as a CloudFormation template") {
		t.Fatalf("docs %d, problems %+v", len(docs), probs)
	}
}

// FuzzParse: any input is a document, nothing, or an error; never a
// panic; located lines are positive.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		docs, _ := New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: "t.yaml", Content: b}}})
		for _, d := range docs {
			if _, err := json.Marshal(d.Value); err != nil {
				t.Errorf("value: %v", err)
			}
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}

// TestSelfReference: a default or mapping that refers to itself stays
// unknown instead of recursing.
func TestSelfReference(t *testing.T) {
	src := "Parameters:\n  P:\n    Type: String\n    Default: !Ref P\nMappings:\n  M:\n    a:\n      b: !FindInMap [M, a, b]\nResources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      X: !Ref P\n      Y: !FindInMap [M, a, b]\n      Z: !Sub \"${P}\"\n"
	d, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, b := resource(t, d, "B")
	p := b["properties"].(map[string]any)
	if _, ok := p["X"].(map[string]any); !ok {
		t.Errorf("X: %v", p["X"])
	}
	if _, ok := p["Z"].(map[string]any); !ok {
		t.Errorf("Z: %v", p["Z"])
	}
}

// BenchmarkParse: a template of 500 resources with intrinsics to resolve.
func BenchmarkParse(b *testing.B) {
	var s strings.Builder
	s.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Env:\n    Type: String\n    Default: prod\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&s, "  Bucket%d:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"${Env}-b%d\"\n      AccessControl: !If [IsProd, Private, PublicRead]\n      Tags:\n        - Key: n\n          Value: !Join [\"-\", [!Ref Env, x]]\n", i, i)
	}
	src := []byte(s.String())
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("t.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}
