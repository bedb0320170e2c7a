package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestServerRegistries: the server's configuration file names the mirrors
// (and the environment overrides them); responses are cached under the
// data directory.
func TestServerRegistries(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "airlock.yaml")
	os.WriteFile(file, []byte("data_dir: "+dir+"\nregistries:\n  mirrors:\n    npm: {url: \"https://verdaccio.corp/\", token: t0k}\n    pypi: {url: \"https://devpi.corp/simple\"}\n"), 0o644)
	t.Setenv("AIRLOCK_CONFIG", "")
	t.Setenv("AIRLOCK_REGISTRY_PYPI", "https://nexus.corp/repository/pypi/simple")
	t.Setenv("GOPROXY", "")
	t.Setenv("GOENV", "off")
	c, err := loadServerConfig([]string{"--config", file})
	if err != nil {
		t.Fatal(err)
	}
	set, err := serverRegistries(c)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := set.Mirror("npm"); !ok || m.URL != "https://verdaccio.corp/" || m.Token != "t0k" || m.From != file {
		t.Errorf("npm mirror %+v", m)
	}
	if m, _ := set.Mirror("PyPI"); m.URL != "https://nexus.corp/repository/pypi/simple" || m.Token != "" {
		t.Errorf("pypi mirror %+v, want the environment's", m)
	}
	if _, ok := set.Mirror("Go"); ok {
		t.Error("a Go mirror without any configured")
	}
}
