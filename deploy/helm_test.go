// Package deploy holds the tests of airlock's deployment files: the Helm
// chart (deploy/helm/airlock), the Dockerfile, the systemd unit and the
// GitLab CI template. It has no code of its own, so the Kubernetes and Helm
// modules it imports never reach the airlock binary.
package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

const chartDir = "helm/airlock"

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load the chart: %v", err)
	}
	return c
}

// render renders the chart as 'helm install' (or upgrade) would with vals
// over values.yaml, schema validation included. It returns the rendered
// templates by name, NOTES.txt included, empty ones left out.
func render(t *testing.T, c *chart.Chart, vals map[string]any, upgrade bool) (map[string]string, error) {
	t.Helper()
	opts := common.ReleaseOptions{Name: "airlock", Namespace: "security", Revision: 1, IsInstall: !upgrade, IsUpgrade: upgrade}
	if upgrade {
		opts.Revision = 2
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(c, vals, opts, nil, false)
	if err != nil {
		return nil, err
	}
	out, err := engine.Engine{Strict: true}.RenderWithContext(context.Background(), c, top)
	if err != nil {
		return nil, err
	}
	for name, text := range out {
		if strings.TrimSpace(text) == "" || strings.HasPrefix(filepath.Base(name), "_") {
			delete(out, name)
		}
	}
	return out, nil
}

// combination is one documented set of values: values.yaml alone, or a
// file of ci/ over it.
type combination struct {
	name string
	vals map[string]any
}

func combinations(t *testing.T) []combination {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("want the documented combinations in %s/ci, found %v (%v)", chartDir, files, err)
	}
	out := []combination{{name: "default", vals: map[string]any{}}}
	for _, f := range files {
		vals, err := common.ReadValuesFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, combination{name: strings.TrimSuffix(filepath.Base(f), "-values.yaml"), vals: vals})
	}
	return out
}

// objects is a rendered chart decoded: every object strictly into its
// k8s.io/api type.
type objects struct {
	deployments map[string]*appsv1.Deployment
	jobs        map[string]*batchv1.Job
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	services    map[string]*corev1.Service
	secrets     map[string]*corev1.Secret
	configMaps  map[string]*corev1.ConfigMap
	pvcs        map[string]*corev1.PersistentVolumeClaim
	accounts    map[string]*corev1.ServiceAccount
	ingresses   map[string]*networkingv1.Ingress
	notes       string
	files       map[string]string // manifest file name → text
}

var docSep = regexp.MustCompile(`(?m)^---\s*$`)

func decode(t *testing.T, rendered map[string]string) *objects {
	t.Helper()
	o := &objects{
		deployments: map[string]*appsv1.Deployment{}, jobs: map[string]*batchv1.Job{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, services: map[string]*corev1.Service{},
		secrets: map[string]*corev1.Secret{}, configMaps: map[string]*corev1.ConfigMap{},
		pvcs: map[string]*corev1.PersistentVolumeClaim{}, accounts: map[string]*corev1.ServiceAccount{},
		ingresses: map[string]*networkingv1.Ingress{}, files: map[string]string{},
	}
	for name, text := range rendered {
		if strings.HasSuffix(name, "NOTES.txt") {
			o.notes = text
			continue
		}
		o.files[name] = text
		for i, doc := range docSep.Split(text, -1) {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
				continue
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Errorf("%s document %d is not YAML: %v\n%s", name, i+1, err, doc)
				continue
			}
			var into any
			key := head.Metadata.Name
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				v := &appsv1.Deployment{}
				o.deployments[key], into = v, v
			case "batch/v1 Job":
				v := &batchv1.Job{}
				o.jobs[key], into = v, v
			case "autoscaling/v2 HorizontalPodAutoscaler":
				v := &autoscalingv2.HorizontalPodAutoscaler{}
				o.hpas[key], into = v, v
			case "v1 Service":
				v := &corev1.Service{}
				o.services[key], into = v, v
			case "v1 Secret":
				v := &corev1.Secret{}
				o.secrets[key], into = v, v
			case "v1 ConfigMap":
				v := &corev1.ConfigMap{}
				o.configMaps[key], into = v, v
			case "v1 PersistentVolumeClaim":
				v := &corev1.PersistentVolumeClaim{}
				o.pvcs[key], into = v, v
			case "v1 ServiceAccount":
				v := &corev1.ServiceAccount{}
				o.accounts[key], into = v, v
			case "networking.k8s.io/v1 Ingress":
				v := &networkingv1.Ingress{}
				o.ingresses[key], into = v, v
			default:
				t.Errorf("%s: unexpected object %s %s %q", name, head.APIVersion, head.Kind, key)
				continue
			}
			if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
				t.Errorf("%s: %s %q does not decode strictly: %v", name, head.Kind, key, err)
			}
		}
	}
	return o
}

// pod is a workload's pod template with the name of its component.
type pod struct {
	owner string
	app   string
	spec  corev1.PodSpec
}

func (o *objects) pods() []pod {
	var out []pod
	for name, d := range o.deployments {
		out = append(out, pod{"Deployment " + name, d.Spec.Template.Labels["app"], d.Spec.Template.Spec})
	}
	for name, j := range o.jobs {
		out = append(out, pod{"Job " + name, j.Spec.Template.Labels["app"], j.Spec.Template.Spec})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].owner < out[j].owner })
	return out
}

func env(c corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

func value(vals map[string]any, path string) any {
	var cur any = vals
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func str(vals map[string]any, path string) string {
	s, _ := value(vals, path).(string)
	return s
}

// checkPods holds every workload of every combination to the hardening
// the issue names, and checks that what a pod refers to exists.
func checkPods(t *testing.T, o *objects, vals map[string]any) {
	t.Helper()
	for _, p := range o.pods() {
		where := p.owner
		if !regexp.MustCompile(`^airlock-(server|worker|agent|migrate)$`).MatchString(p.app) {
			t.Errorf("%s: pod label app=%q, want airlock-<component>", where, p.app)
		}
		s := p.spec
		if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken {
			t.Errorf("%s: the service account token is mounted; airlock never calls the Kubernetes API", where)
		}
		psc := s.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: pod security context must set runAsNonRoot and seccomp RuntimeDefault: %+v", where, psc)
		}
		volumes := map[string]corev1.Volume{}
		for _, v := range s.Volumes {
			volumes[v.Name] = v
			if v.ConfigMap != nil && o.configMaps[v.ConfigMap.Name] == nil {
				t.Errorf("%s: volume %s names ConfigMap %q, which the chart does not render", where, v.Name, v.ConfigMap.Name)
			}
			if v.PersistentVolumeClaim != nil && o.pvcs[v.PersistentVolumeClaim.ClaimName] == nil && v.PersistentVolumeClaim.ClaimName != str(vals, "persistence.existingClaim") {
				t.Errorf("%s: volume %s names claim %q, which is neither rendered nor persistence.existingClaim", where, v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
		all := append(append([]corev1.Container{}, s.InitContainers...), s.Containers...)
		for _, c := range all {
			cw := where + " container " + c.Name
			sc := c.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged == nil || *sc.Privileged ||
				sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 ||
				sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: security context must be non-root, read-only root, no privilege escalation, drop ALL, seccomp RuntimeDefault: %+v", cw, sc)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[r]; !ok {
					t.Errorf("%s: no %s request", cw, r)
				}
				if _, ok := c.Resources.Limits[r]; !ok {
					t.Errorf("%s: no %s limit", cw, r)
				}
			}
			if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image, ":") && !strings.Contains(c.Image, "@") {
				t.Errorf("%s: image %q has no fixed tag or digest", cw, c.Image)
			}
			mounted := map[string]string{}
			for _, m := range c.VolumeMounts {
				if _, ok := volumes[m.Name]; !ok {
					t.Errorf("%s: mounts volume %q, which the pod does not have", cw, m.Name)
				}
				mounted[m.MountPath] = m.Name
			}
			if mounted["/tmp"] == "" {
				t.Errorf("%s: /tmp is not writable (read-only root filesystem and no volume there)", cw)
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil && o.secrets[r.Name] == nil && !isExisting(vals, r.Name) {
					t.Errorf("%s: %s reads Secret %q, which is neither rendered nor an existingSecret of the values", cw, e.Name, r.Name)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && o.configMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom ConfigMap %q is not rendered", cw, ef.ConfigMapRef.Name)
				}
			}
			// proxy.* and customCaCert reach every container.
			for path, names := range map[string][]string{
				"proxy.httpProxy": {"HTTP_PROXY", "http_proxy"}, "proxy.httpsProxy": {"HTTPS_PROXY", "https_proxy"}, "proxy.noProxy": {"NO_PROXY", "no_proxy"},
			} {
				want := str(vals, path)
				for _, n := range names {
					if e, _ := env(c, n); e.Value != want {
						t.Errorf("%s: %s=%q, want %q (%s)", cw, n, e.Value, want, path)
					}
				}
			}
			if str(vals, "customCaCert") != "" {
				if e, _ := env(c, "SSL_CERT_FILE"); e.Value != "/etc/ssl/certs/ca-certificates.crt" {
					t.Errorf("%s: SSL_CERT_FILE=%q with customCaCert", cw, e.Value)
				}
				if c.Name != "ca-bundle" && mounted["/etc/ssl/certs"] != "ca-bundle" {
					t.Errorf("%s: the CA bundle is not mounted at /etc/ssl/certs", cw)
				}
			}
		}
		if str(vals, "customCaCert") != "" && (len(s.InitContainers) == 0 || s.InitContainers[0].Name != "ca-bundle") {
			t.Errorf("%s: with customCaCert the first init container must build the CA bundle", where)
		}
	}
}

func isExisting(vals map[string]any, name string) bool {
	for _, p := range []string{"database.existingSecret", "secretKey.existingSecret", "agent.existingSecret", "adminToken.existingSecret"} {
		if name != "" && str(vals, p) == name {
			return true
		}
	}
	return false
}

// TestChartCombinations renders the chart with its default values and
// with each documented combination (ci/*-values.yaml), decodes every
// object strictly into its Kubernetes type and checks what each
// combination promises.
func TestChartCombinations(t *testing.T) {
	c := loadChart(t)
	for _, cb := range combinations(t) {
		t.Run(cb.name, func(t *testing.T) {
			for _, upgrade := range []bool{false, true} {
				out, err := render(t, c, cb.vals, upgrade)
				if err != nil {
					t.Fatalf("render: %v", err)
				}
				o := decode(t, out)
				checkPods(t, o, cb.vals)
				checkCombination(t, cb, o)
			}
		})
	}
}

func checkCombination(t *testing.T, cb combination, o *objects) {
	t.Helper()
	vals := cb.vals
	server := o.deployments["airlock-server"]
	serverOn := value(vals, "server.enabled") != false
	pg := str(vals, "database.url") != "" || str(vals, "database.existingSecret") != ""
	if serverOn != (server != nil) {
		t.Fatalf("server.enabled=%v but the server Deployment rendered: %v", serverOn, server != nil)
	}
	if server != nil {
		ct := server.Spec.Template.Spec.Containers[0]
		if ct.Args[0] != "serve" {
			t.Errorf("server args %v", ct.Args)
		}
		if ct.LivenessProbe == nil || ct.LivenessProbe.HTTPGet == nil || ct.LivenessProbe.HTTPGet.Path != "/healthz" ||
			ct.ReadinessProbe == nil || ct.ReadinessProbe.HTTPGet == nil || ct.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("server probes: liveness %+v readiness %+v, want /healthz and /readyz", ct.LivenessProbe, ct.ReadinessProbe)
		}
		if _, ok := env(ct, "AIRLOCK_SECRET_KEY"); !ok {
			t.Error("the server has no AIRLOCK_SECRET_KEY")
		}
		if e, ok := env(ct, "AIRLOCK_DATABASE_URL"); ok != pg || (pg && e.ValueFrom == nil) {
			t.Errorf("AIRLOCK_DATABASE_URL set=%v (from a Secret: %v), PostgreSQL=%v", ok, ok && e.ValueFrom != nil, pg)
		}
		if svc := o.services["airlock-server"]; svc == nil || svc.Spec.Selector["app"] != "airlock-server" {
			t.Errorf("the server Service does not select app=airlock-server: %+v", svc)
		}
		if !pg {
			if server.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType || *server.Spec.Replicas != 1 {
				t.Errorf("SQLite mode: strategy %q, replicas %d, want Recreate and 1", server.Spec.Strategy.Type, *server.Spec.Replicas)
			}
			claim := "airlock-data"
			if c := str(vals, "persistence.existingClaim"); c != "" {
				claim = c
			} else if o.pvcs[claim] == nil {
				t.Error("SQLite mode without a volume")
			}
			var data *corev1.Volume
			for i, v := range server.Spec.Template.Spec.Volumes {
				if v.Name == "data" {
					data = &server.Spec.Template.Spec.Volumes[i]
				}
			}
			if data == nil || data.PersistentVolumeClaim == nil || data.PersistentVolumeClaim.ClaimName != claim {
				t.Errorf("SQLite mode: the data volume is not the claim %q: %+v", claim, data)
			}
		}
		if !strings.Contains(o.notes, "kubectl -n security logs deploy/airlock-server | grep -A2 'first admin API token'") && str(vals, "adminToken.existingSecret") == "" {
			t.Errorf("NOTES.txt does not say how to read the first admin token:\n%s", o.notes)
		}
	}
	if pg {
		job := o.jobs["airlock-migrate"]
		if job == nil {
			t.Fatal("PostgreSQL without the migrations hook Job")
		}
		if job.Annotations["helm.sh/hook"] != "pre-upgrade" || strings.Join(job.Spec.Template.Spec.Containers[0].Args, " ") != "migrate" {
			t.Errorf("migrations Job: hook %q args %v, want pre-upgrade and migrate", job.Annotations["helm.sh/hook"], job.Spec.Template.Spec.Containers[0].Args)
		}
		if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("migrations Job restart policy %q", job.Spec.Template.Spec.RestartPolicy)
		}
		if len(o.pvcs) != 0 {
			t.Errorf("PostgreSQL mode renders volumes: %v", o.pvcs)
		}
	} else if len(o.jobs) != 0 {
		t.Errorf("SQLite mode renders Jobs (the server migrates at start): %v", o.jobs)
	}
	worker := o.deployments["airlock-worker"]
	if (value(vals, "worker.enabled") == true) != (worker != nil) {
		t.Errorf("worker.enabled=%v, worker Deployment rendered: %v", value(vals, "worker.enabled"), worker != nil)
	}
	if worker != nil {
		if worker.Spec.Template.Spec.Containers[0].Args[0] != "worker" {
			t.Errorf("worker args %v", worker.Spec.Template.Spec.Containers[0].Args)
		}
		hpa := o.hpas["airlock-worker"]
		if auto := value(vals, "worker.autoscaling.enabled") == true; auto != (hpa != nil) || auto && worker.Spec.Replicas != nil {
			t.Errorf("worker.autoscaling.enabled=%v: HPA rendered %v, fixed replicas %v", auto, hpa != nil, worker.Spec.Replicas)
		}
		if hpa != nil && (hpa.Spec.ScaleTargetRef.Name != "airlock-worker" || hpa.Spec.ScaleTargetRef.Kind != "Deployment") {
			t.Errorf("the HPA scales %+v", hpa.Spec.ScaleTargetRef)
		}
	}
	if urls, _ := value(vals, "vulnData.syncUrls").([]any); len(urls) > 0 {
		for _, d := range []*appsv1.Deployment{server, worker} {
			if d == nil {
				continue
			}
			var sync *corev1.Container
			for i, c := range d.Spec.Template.Spec.InitContainers {
				if c.Name == "db-sync" {
					sync = &d.Spec.Template.Spec.InitContainers[i]
				}
			}
			if sync == nil || len(sync.Args) != 2+len(urls) || sync.Args[0] != "db" || sync.Args[1] != "sync" {
				t.Errorf("%s: vulnData.syncUrls without an 'airlock db sync' init container: %+v", d.Name, sync)
			} else if e, _ := env(*sync, "AIRLOCK_DB"); e.Value != "/var/lib/airlock/vulndb.sqlite" {
				t.Errorf("%s: db sync writes %q, not the database the scans read", d.Name, e.Value)
			}
		}
	}
	agent := o.deployments["airlock-agent"]
	if (value(vals, "agent.enabled") == true) != (agent != nil) {
		t.Errorf("agent.enabled=%v, agent Deployment rendered: %v", value(vals, "agent.enabled"), agent != nil)
	}
	if agent != nil {
		ct := agent.Spec.Template.Spec.Containers[0]
		want := []string{"agent", "--server", str(vals, "agent.serverUrl"), "--gitlab-url", str(vals, "agent.gitlabUrl")}
		if strings.Join(ct.Args, " ") != strings.Join(want, " ") {
			t.Errorf("agent args %q, want %q", ct.Args, want)
		}
		if e, ok := env(ct, "AIRLOCK_AGENT_KEY"); !ok || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			t.Error("the agent's key does not come from a Secret")
		}
		if agent.Spec.Selector.MatchLabels["app"] != "airlock-agent" {
			t.Errorf("kubectl get pods -l app=airlock-agent would not find the agent: %v", agent.Spec.Selector.MatchLabels)
		}
		if !strings.Contains(o.notes, "kubectl -n security get pods -l app=airlock-agent") {
			t.Errorf("NOTES.txt does not show how to find the agent:\n%s", o.notes)
		}
	}
	if value(vals, "ingress.enabled") == true {
		in := o.ingresses["airlock"]
		tls := value(vals, "ingress.tls.enabled") != false
		if in == nil || in.Spec.Rules[0].Host != str(vals, "ingress.host") || tls != (len(in.Spec.TLS) == 1) ||
			tls && (in.Spec.TLS[0].SecretName != str(vals, "ingress.tls.secretName") || in.Spec.TLS[0].Hosts[0] != str(vals, "ingress.host")) {
			t.Errorf("ingress (TLS %v): %+v", tls, in)
		}
		want := str(vals, "config.publicUrl")
		if want == "" {
			want = map[bool]string{true: "https", false: "http"}[tls] + "://" + str(vals, "ingress.host")
		}
		cm := o.configMaps["airlock-config"]
		if cm == nil || cm.Data["AIRLOCK_PUBLIC_URL"] != want {
			t.Errorf("AIRLOCK_PUBLIC_URL is not %s: %v", want, cm)
		}
	}
	if ca := str(vals, "customCaCert"); ca != "" {
		cm := o.configMaps["airlock-ca"]
		if cm == nil || !strings.HasPrefix(cm.Data["ca.crt"], "-----BEGIN CERTIFICATE-----") {
			t.Errorf("customCaCert is not decoded into the CA ConfigMap: %v", cm)
		}
	}
	if str(vals, "database.url") != "" {
		for name, text := range o.files {
			if strings.Contains(text, str(vals, "database.url")) {
				t.Errorf("%s holds the database URL in clear text (it belongs in a Secret's data)", name)
			}
		}
	}
}

// TestChartSecretKey: the chart generates a key in the keyring's format
// when none is given, and uses the one given otherwise.
func TestChartSecretKey(t *testing.T) {
	c := loadChart(t)
	out, err := render(t, c, map[string]any{}, false)
	if err != nil {
		t.Fatal(err)
	}
	s := decode(t, out).secrets["airlock-secret-key"]
	if s == nil || len(s.Data["secret-key"]) != 44 || s.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Fatalf("generated key Secret: %+v", s)
	}
	out, err = render(t, c, map[string]any{"secretKey": map[string]any{"value": "k1", "previous": "k0,kx"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	s = decode(t, out).secrets["airlock-secret-key"]
	if s == nil || string(s.Data["secret-key"]) != "k1" || string(s.Data["previous-keys"]) != "k0,kx" {
		t.Fatalf("given key Secret: %+v", s)
	}
}

// TestChartRefusesBadValues: a combination that cannot work, or a value
// that is misspelt or malformed, stops the install with the value named.
func TestChartRefusesBadValues(t *testing.T) {
	c := loadChart(t)
	cases := []struct {
		name string
		vals string
		want string
	}{
		{"worker on SQLite", "worker: {enabled: true}", "worker.enabled needs PostgreSQL"},
		{"two servers on SQLite", "server: {replicas: 2}", "server.replicas > 1 needs PostgreSQL"},
		{"agent without key", "agent: {enabled: true, serverUrl: 'https://a.example'}", "agent.key or agent.existingSecret"},
		{"agent without server", "agent: {enabled: true, key: k}", "agent.serverUrl"},
		{"both database forms", "database: {url: 'postgres://h/db', existingSecret: s}", "database: give url or existingSecret, not both"},
		{"CA not PEM", "customCaCert: bm90IGEgY2VydGlmaWNhdGU=", "customCaCert: not a PEM certificate"},
		{"ingress without host", "ingress: {enabled: true}", "ingress.host"},
		{"ingress TLS without secret", "ingress: {enabled: true, host: a.example}", "ingress.tls.secretName"},
		{"misspelt proxy key", "proxy: {httpsproxy: 'http://p:3128'}", "httpsproxy"},
		{"unknown section", "gitproxy: {enabled: true}", "gitproxy"},
		{"MySQL URL", "database: {url: 'mysql://h/db'}", "/database/url"},
		{"proxy without scheme", "proxy: {httpsProxy: 'proxy:3128'}", "httpsProxy"},
		{"fail-on word", "config: {failOn: severe}", "failOn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals, err := common.ReadValues([]byte(tc.vals))
			if err != nil {
				t.Fatal(err)
			}
			_, err = render(t, c, vals, false)
			if err == nil {
				t.Fatalf("%s rendered; want an error naming %q", tc.vals, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

// writeRendered writes each combination's manifests as files under dir,
// for airlock's own IaC scan.
func writeRendered(t *testing.T, dir string) int {
	t.Helper()
	c := loadChart(t)
	n := 0
	for _, cb := range combinations(t) {
		out, err := render(t, c, cb.vals, true)
		if err != nil {
			t.Fatalf("%s: %v", cb.name, err)
		}
		for name, text := range out {
			if strings.HasSuffix(name, "NOTES.txt") {
				continue
			}
			p := filepath.Join(dir, cb.name, filepath.Base(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("# Source: %s\n%s", name, text)), 0o644); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}
