package iacscan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-sec/airlock/internal/analyzer"
	"github.com/airlock-sec/airlock/internal/analyzer/iacscan"
	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/list"
	"github.com/airlock-sec/airlock/internal/scan"
)

// tfResources is one file's worth of Terraform: ten resources of the
// kinds real configurations hold, half of them misconfigured, using
// variables, locals, count and dynamic blocks.
func tfResources(n int) string {
	return fmt.Sprintf(`locals {
  name_%[1]d = "${var.env}-svc-%[1]d"
  ports_%[1]d = [22, 443, 8080]
}

resource "aws_s3_bucket" "data_%[1]d" {
  bucket = "${local.name_%[1]d}-data"
  acl    = %[1]d %% 2 == 0 ? "private" : "public-read"
}

resource "aws_s3_bucket_versioning" "data_%[1]d" {
  bucket = aws_s3_bucket.data_%[1]d.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_security_group" "svc_%[1]d" {
  name        = local.name_%[1]d
  description = "service %[1]d"
  dynamic "ingress" {
    for_each = local.ports_%[1]d
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr]
    }
  }
}

resource "aws_db_instance" "db_%[1]d" {
  identifier          = "${local.name_%[1]d}-db"
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  storage_encrypted   = %[1]d %% 3 != 0
  publicly_accessible = false
  backup_retention_period = 7
}

resource "aws_ebs_volume" "vol_%[1]d" {
  count             = 2
  availability_zone = "eu-west-1a"
  size              = 20
  encrypted         = count.index == 0
}

resource "aws_instance" "web_%[1]d" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"
  metadata_options {
    http_tokens = "required"
  }
  root_block_device {
    encrypted = true
  }
  tags = {
    Name = upper(local.name_%[1]d)
  }
}

resource "aws_iam_policy" "svc_%[1]d" {
  name = local.name_%[1]d
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "arn:aws:s3:::${local.name_%[1]d}-data/*" }]
  })
}

resource "aws_kms_key" "key_%[1]d" {
  description         = local.name_%[1]d
  enable_key_rotation = %[1]d %% 2 == 0
}

resource "aws_cloudwatch_log_group" "logs_%[1]d" {
  name              = "/svc/${local.name_%[1]d}"
  retention_in_days = 30
}
`, n)
}

const tfVariables = `variable "env" {
  default = "prod"
}

variable "cidr" {
  default = "10.0.0.0/8"
}
`

const benchDockerfile = `FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /app ./cmd/app

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /usr/local/bin/app
EXPOSE 8080
USER 10001
ENTRYPOINT ["/usr/local/bin/app"]
`

const benchCompose = `services:
  app:
    image: acme/app:1.4.2
    ports: ["8080:8080"]
    environment:
      DB_HOST: db
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}
    volumes:
      - data:/var/lib/postgresql/data
volumes:
  data: {}
`

// k8sObjects is one manifest file of ten Kubernetes objects, a
// service's worth: a hardened Deployment and a careless one, a
// StatefulSet, a CronJob, a Service of each type, a ConfigMap, a Role
// and its RoleBinding, and a NetworkPolicy.
func k8sObjects(n int) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-%[1]d
  namespace: svc-%[1]d
spec:
  replicas: 2
  selector:
    matchLabels: {app: api-%[1]d}
  template:
    metadata:
      labels: {app: api-%[1]d}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: api
          image: registry.example.com/api@sha256:4b4f1f3a6c2d9e0b7a8c5d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a
          ports: [{containerPort: 8080}]
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker-%[1]d
spec:
  selector:
    matchLabels: {app: worker-%[1]d}
  template:
    metadata:
      labels: {app: worker-%[1]d}
    spec:
      hostNetwork: %[2]t
      containers:
        - name: worker
          image: acme/worker:latest
          env:
            - name: DB_PASSWORD
              value: hunter2-%[1]d
          securityContext:
            privileged: %[2]t
            capabilities: {add: [NET_RAW]}
      volumes:
        - name: run
          hostPath: {path: /var/run}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db-%[1]d
  namespace: svc-%[1]d
spec:
  serviceName: db-%[1]d
  selector:
    matchLabels: {app: db-%[1]d}
  template:
    metadata:
      labels: {app: db-%[1]d}
    spec:
      containers:
        - name: postgres
          image: postgres:16.4
          securityContext:
            runAsUser: 0
          resources:
            limits: {memory: 1Gi}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup-%[1]d
  namespace: svc-%[1]d
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: backup
              image: acme/backup:2.1
              args: [--target, s3://backups-%[1]d]
---
apiVersion: v1
kind: Service
metadata:
  name: api-%[1]d
  namespace: svc-%[1]d
spec:
  selector: {app: api-%[1]d}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: debug-%[1]d
  namespace: svc-%[1]d
spec:
  type: NodePort
  selector: {app: api-%[1]d}
  ports: [{port: 9090, nodePort: 3%04[1]d}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-%[1]d
  namespace: svc-%[1]d
data:
  LOG_LEVEL: info
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader-%[1]d
  namespace: svc-%[1]d
rules:
  - apiGroups: [""]
    resources: [pods, secrets]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: reader-%[1]d
  namespace: svc-%[1]d
subjects:
  - kind: ServiceAccount
    name: api-%[1]d
roleRef:
  kind: Role
  name: reader-%[1]d
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-%[1]d
  namespace: svc-%[1]d
spec:
  podSelector: {matchLabels: {app: api-%[1]d}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {role: frontend}}}]
`, n, n%2 == 0)
}

// writeTree writes an IaC tree: roots Terraform root modules of files
// files of ten resources each, dockerfiles Dockerfiles, composes
// Compose files and manifests Kubernetes manifests of ten objects each.
func writeTree(tb testing.TB, dir string, roots, files, dockerfiles, composes, manifests int) {
	put := func(name, body string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	n := 0
	for r := 0; r < roots; r++ {
		put(fmt.Sprintf("infra/env%d/variables.tf", r), tfVariables)
		put(fmt.Sprintf("infra/env%d/terraform.tfvars", r), "env = \"prod\"\n")
		for f := 0; f < files; f++ {
			put(fmt.Sprintf("infra/env%d/svc%d.tf", r, f), tfResources(n))
			n++
		}
	}
	for i := 0; i < dockerfiles; i++ {
		put(fmt.Sprintf("services/s%d/Dockerfile", i), benchDockerfile)
	}
	for i := 0; i < composes; i++ {
		put(fmt.Sprintf("deploy/d%d/compose.yaml", i), benchCompose)
	}
	for i := 0; i < manifests; i++ {
		put(fmt.Sprintf("k8s/svc%d.yaml", i), k8sObjects(i))
	}
}

// TestWriteBenchTree writes the benchmark trees for bench/iac.sh when
// AIRLOCK_IAC_BENCH_TREE names a directory.
func TestWriteBenchTree(t *testing.T) {
	dir := os.Getenv("AIRLOCK_IAC_BENCH_TREE")
	if dir == "" {
		t.Skip("set AIRLOCK_IAC_BENCH_TREE to a directory to write the benchmark trees into")
	}
	writeTree(t, filepath.Join(dir, "small"), 1, 12, 4, 2, 0)
	writeTree(t, filepath.Join(dir, "large"), 5, 10, 20, 10, 30)
}

// BenchmarkScan is the whole iac analyzer through the engine on the
// large tree (500 Terraform resources in 50 files, 20 Dockerfiles, 10
// Compose files, 300 Kubernetes objects in 30 files) and the small one
// (12 .tf, 4 Dockerfiles, 2 Compose).
func BenchmarkScan(b *testing.B) {
	for _, c := range []struct {
		name                                           string
		roots, files, dockerfiles, composes, manifests int
	}{{"large", 5, 10, 20, 10, 30}, {"small", 1, 12, 4, 2, 0}} {
		b.Run(c.name, func(b *testing.B) {
			dir := b.TempDir()
			writeTree(b, dir, c.roots, c.files, c.dockerfiles, c.composes, c.manifests)
			a := iacscan.New(iacscan.Config{})
			for b.Loop() {
				res, err := scan.Run(context.Background(), dir, scan.Options{Analyzers: []analyzer.Analyzer{a}})
				if err != nil || len(res.Findings) == 0 {
					b.Fatal(err, len(res.Findings))
				}
			}
		})
	}
}

// BenchmarkInput is the time of each input type on the large tree: its
// parse, and the policies' evaluation of its documents, on one core.
func BenchmarkInput(b *testing.B) {
	dir := b.TempDir()
	writeTree(b, dir, 5, 10, 20, 10, 30)
	set, err := policiesBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	// Each file goes to the parser the analyzer gives it: the first
	// that claims its name, else the first that claims its content
	// (Kubernetes manifests are recognised by their content).
	byParser := map[string][]iac.File{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if p := parserFor(rel, body); p != nil {
			byParser[p.Name()] = append(byParser[p.Name()], iac.File{Path: rel, Content: body})
		}
		return nil
	})
	for _, p := range list.All() {
		files := byParser[p.Name()]
		if len(files) == 0 {
			continue
		}
		b.Run(p.Name()+"/parse", func(b *testing.B) {
			for b.Loop() {
				p.Parse(context.Background(), &iac.Input{Files: files})
			}
		})
		docs, _ := p.Parse(context.Background(), &iac.Input{Files: files})
		b.Run(p.Name()+"/evaluate", func(b *testing.B) {
			for b.Loop() {
				for _, d := range docs {
					if _, err := set.Eval(context.Background(), d); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Logf("%s: %d files, %d documents", p.Name(), len(files), len(docs))
	}
}

// parserFor is the parser the analyzer reads a file with.
func parserFor(p string, body []byte) iac.Parser {
	for _, x := range list.All() {
		if x.FileRequired(p) {
			return x
		}
	}
	head := body[:min(len(body), analyzer.SniffSize)]
	for _, x := range list.All() {
		if s, ok := x.(iac.Sniffer); ok && s.MaySniff(p) && s.ContentRequired(p, head) {
			return x
		}
	}
	return nil
}
