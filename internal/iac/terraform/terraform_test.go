package terraform

import (
	"context"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/airlock-sec/airlock/internal/iac"
)

var dump = flag.Bool("dump", false, "print the documents")

// input reads a directory of testdata as the scan hands it over: the
// files FileRequired claims, and the tree for the rest.
func input(t testing.TB, root string) *iac.Input {
	in := &iac.Input{
		ReadFile: func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(root, filepath.FromSlash(p))) },
		ReadDir: func(p string) ([]string, error) {
			es, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(p)))
			var out []string
			for _, e := range es {
				out = append(out, e.Name())
			}
			return out, err
		},
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if New().FileRequired(rel) {
			b, err := os.ReadFile(p)
			in.Files = append(in.Files, iac.File{Path: rel, Content: b})
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func resources(d *iac.Document) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, r := range d.Value.(map[string]any)["resources"].([]any) {
		m := r.(map[string]any)
		out[m["address"].(string)] = m["values"].(map[string]any)
	}
	return out
}

// TestProject: a root module with tfvars, auto.tfvars, locals that refer
// to each other, a local module called with arguments (dynamic blocks,
// count) and a remote module named in a notice; resources inside the
// module are located in the module's file.
func TestProject(t *testing.T) {
	docs, probs := New().Parse(context.Background(), input(t, "testdata/project"))
	if len(docs) != 1 {
		t.Fatalf("%d documents, problems %+v", len(docs), probs)
	}
	d := docs[0]
	if *dump {
		b, _ := json.MarshalIndent(d.Value, "", "  ")
		t.Logf("%s", b)
	}
	rs := resources(d)
	if got := rs["aws_s3_bucket.data"]["bucket"]; got != "prod-data" {
		t.Errorf("bucket = %v, want prod-data (auto.tfvars over the default, locals in any order)", got)
	}
	if got := rs["aws_s3_bucket_versioning.data"]["bucket"]; got != "${aws_s3_bucket.data.id}" {
		t.Errorf("reference = %v", got)
	}
	sg := rs["module.net.aws_security_group.ssh"]
	want := []any{
		map[string]any{"from_port": json.Number("22"), "to_port": json.Number("22"), "protocol": "tcp", "cidr_blocks": []any{"0.0.0.0/0"}},
		map[string]any{"from_port": json.Number("3389"), "to_port": json.Number("3389"), "protocol": "tcp", "cidr_blocks": []any{"0.0.0.0/0"}},
	}
	if diff := cmp.Diff(want, sg["ingress"]); diff != "" {
		t.Errorf("dynamic ingress (-want +got):\n%s", diff)
	}
	if got := rs[`module.net.aws_instance.web[1]`]["tags"]; !cmp.Equal(got, map[string]any{"Name": "web-1"}) {
		t.Errorf("count.index: tags = %v", got)
	}
	if got := rs[`module.net.aws_instance.web[0]`]["instance_type"]; got != "T3.MICRO" {
		t.Errorf("function: %v", got)
	}
	var i int
	for i = range d.Value.(map[string]any)["resources"].([]any) {
		if d.Value.(map[string]any)["resources"].([]any)[i].(map[string]any)["address"] == "module.net.aws_security_group.ssh" {
			break
		}
	}
	for _, c := range []struct {
		path []any
		want iac.Node
	}{
		{[]any{"resources", i, "values", "ingress", 1, "cidr_blocks"}, iac.Node{Path: "modules/net/main.tf", Start: 18, End: 18, Resource: "module.net.aws_security_group.ssh"}},
		{[]any{"resources", i, "values", "description"}, iac.Node{Path: "modules/net/main.tf", Start: 9, End: 21, Resource: "module.net.aws_security_group.ssh"}},
	} {
		if diff := cmp.Diff(c.want, d.Locate(c.path)); diff != "" {
			t.Errorf("Locate(%v) (-want +got):\n%s", c.path, diff)
		}
	}
	if len(probs) != 1 || probs[0].Level != iac.LevelInfo || !strings.Contains(probs[0].Message, "terraform-aws-modules/vpc/aws") || probs[0].Line != 31 {
		t.Errorf("problems: %+v", probs)
	}
}

// TestBadInput: invalid syntax is an error at its line and the other
// files are still read; cyclic modules are an error, not a hang.
func TestBadInput(t *testing.T) {
	in := &iac.Input{Files: []iac.File{
		{Path: "a/main.tf", Content: []byte("resource \"aws_s3_bucket\" \"x\" {\n  acl = \n}\n")},
		{Path: "a/ok.tf", Content: []byte("resource \"aws_s3_bucket\" \"y\" {}\n")},
		{Path: "c1/main.tf", Content: []byte("module \"c2\" {\n  source = \"../c2\"\n}\n")},
		{Path: "c2/main.tf", Content: []byte("module \"c1\" {\n  source = \"../c1\"\n}\nresource \"aws_s3_bucket\" \"z\" {}\n")},
	}}
	files := map[string][]byte{}
	for _, f := range in.Files {
		files[f.Path] = f.Content
	}
	in.ReadFile = func(p string) ([]byte, error) {
		if b, ok := files[p]; ok {
			return b, nil
		}
		return nil, fs.ErrNotExist
	}
	in.ReadDir = func(p string) ([]string, error) {
		var out []string
		for k := range files {
			if path.Dir(k) == p {
				out = append(out, path.Base(k))
			}
		}
		return out, nil
	}
	docs, probs := New().Parse(context.Background(), in)
	var got []string
	for _, p := range probs {
		got = append(got, string(p.Level)+" "+p.Path+":"+itoa(p.Line))
	}
	want := []string{"error a/main.tf:2", "error c2/main.tf:1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n%+v", diff, probs)
	}
	var addrs []string
	for _, d := range docs {
		for a := range resources(d) {
			addrs = append(addrs, a)
		}
	}
	if diff := cmp.Diff([]string{"aws_s3_bucket.y", "module.c2.aws_s3_bucket.z"}, addrs); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestPlan: a plan's planned values, root and child modules, located at
// their lines in the JSON.
func TestPlan(t *testing.T) {
	in := input(t, "testdata/plan")
	b, err := os.ReadFile("testdata/plan/plan.json")
	if err != nil {
		t.Fatal(err)
	}
	if !New().MaySniff("plan.json") || !New().ContentRequired("plan.json", b[:200]) || New().ContentRequired("package.json", []byte(`{"name": "x"}`)) {
		t.Fatal("sniffing")
	}
	in.Files = []iac.File{{Path: "plan.json", Content: b}}
	docs, probs := New().Parse(context.Background(), in)
	if len(docs) != 1 || len(probs) != 0 {
		t.Fatalf("docs %d, problems %+v", len(docs), probs)
	}
	rs := resources(docs[0])
	if rs["module.db.aws_db_instance.main"]["publicly_accessible"] != true || rs["aws_s3_bucket.data"]["acl"] != "public-read" {
		t.Errorf("values: %+v", rs)
	}
	got := docs[0].Locate([]any{"resources", 1, "values", "storage_encrypted"})
	if diff := cmp.Diff(iac.Node{Path: "plan.json", Start: 31, End: 31, Resource: "module.db.aws_db_instance.main"}, got); diff != "" {
		t.Errorf("Locate (-want +got):\n%s", diff)
	}
	_, probs = New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: "bad.json", Content: []byte("{\"format_version\": \"1.2\",\n \"planned_values\": {]}")}}})
	if len(probs) != 1 || probs[0].Line != 2 {
		t.Errorf("broken plan: %+v", probs)
	}
}

// FuzzParse: any configuration is documents or problems, never a panic
// or a hang; located lines are positive.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/seeds/*")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasSuffix(s, ".json"))
	}
	f.Fuzz(func(t *testing.T, b []byte, isJSON bool) {
		name := "main.tf"
		if isJSON {
			name = "main.tf.json"
		}
		docs, _ := New().Parse(context.Background(), &iac.Input{Files: []iac.File{{Path: name, Content: b}, {Path: "plan.json", Content: b}}})
		for _, d := range docs {
			for k, n := range d.Index {
				if n.Start < 1 || n.End < n.Start {
					t.Errorf("%q: lines %d-%d", k, n.Start, n.End)
				}
			}
		}
	})
}
