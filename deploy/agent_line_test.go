package deploy

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/strvals"

	"github.com/airlock-sec/airlock/internal/server"
)

// shellWords splits a command line as a POSIX shell would for the
// quoting AgentHelmLine uses: words separated by spaces, single quotes
// taken literally.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var out []string
	var word strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				out = append(out, word.String())
				word.Reset()
				in = false
			}
		default:
			word.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if in {
		out = append(out, word.String())
	}
	return out
}

// TestWizardHelmLine: the helm command the connect wizard shows with a
// new agent key (server.AgentHelmLine) names this chart and values it
// has: rendered with exactly its --set values, it installs the agent
// alone, dialling the server, relaying to GitLab, with the key in its
// Secret.
func TestWizardHelmLine(t *testing.T) {
	const serverURL, gitlabURL, key = "https://airlock.example.com", "https://gitlab.corp.example", "alka_0123456789abcdefghijklmnopqrstuv"
	words := shellWords(t, server.AgentHelmLine(serverURL, gitlabURL, key))
	if len(words) < 5 || words[0] != "helm" || words[1] != "upgrade" || !slices.Contains(words, "--install") {
		t.Fatalf("not a helm upgrade --install: %q", words)
	}
	chartPath := words[4]
	if _, err := os.Stat(filepath.Join("..", chartPath, "Chart.yaml")); err != nil {
		t.Fatalf("the line names the chart %s, which is not in the repository: %v", chartPath, err)
	}
	vals := map[string]any{}
	for i, w := range words {
		if w == "--set" {
			if err := strvals.ParseInto(words[i+1], vals); err != nil {
				t.Fatalf("--set %s: %v", words[i+1], err)
			}
		}
	}
	out, err := render(t, loadChart(t), vals, true)
	if err != nil {
		t.Fatalf("the wizard's values do not render: %v", err)
	}
	o := decode(t, out)
	var agent *struct{ args []string }
	for name, d := range o.deployments {
		if app := d.Spec.Template.Labels["app"]; app != "airlock-agent" {
			t.Errorf("deployment %s (app %s) installed beside the agent", name, app)
			continue
		}
		c := d.Spec.Template.Spec.Containers[0]
		agent = &struct{ args []string }{c.Args}
		e, ok := env(c, "AIRLOCK_AGENT_KEY")
		if !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Fatalf("the agent does not read its key from a Secret: %+v", c.Env)
		}
		sec := o.secrets[e.ValueFrom.SecretKeyRef.Name]
		if sec == nil {
			t.Fatalf("no Secret %s", e.ValueFrom.SecretKeyRef.Name)
		}
		got := string(sec.Data[e.ValueFrom.SecretKeyRef.Key])
		if got == "" {
			got = sec.StringData[e.ValueFrom.SecretKeyRef.Key]
		}
		if got != key {
			t.Errorf("the Secret holds %q, want the key", got)
		}
	}
	if agent == nil {
		t.Fatal("no agent deployment")
	}
	want := []string{"agent", "--server", serverURL, "--gitlab-url", gitlabURL}
	if !slices.Equal(agent.args, want) {
		t.Errorf("agent args %q, want %q", agent.args, want)
	}
}
