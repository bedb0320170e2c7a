package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-sec/airlock/internal/registry"
)

// registryFlags collects repeated --registry ECOSYSTEM=URL flags.
type registryFlags map[string]registry.Mirror

func (r registryFlags) String() string {
	var out []string
	for k, m := range r {
		out = append(out, k+"="+m.URL)
	}
	return strings.Join(out, ",")
}

func (r registryFlags) Set(v string) error {
	k, m, err := registry.ParseFlag(v)
	if err != nil {
		return err
	}
	r[k] = m
	return nil
}

// addRegistryFlag declares --registry on a command's flags.
func addRegistryFlag(fs *flag.FlagSet) registryFlags {
	r := registryFlags{}
	fs.Var(r, "registry", "the site's package mirror for an ecosystem, ECOSYSTEM=URL, repeatable (ecosystems: "+strings.Join(registry.Keys(), ", ")+
		"; env AIRLOCK_REGISTRY_<ECOSYSTEM>; default: registries in ~/.config/airlock/config.yaml, else the mirror GOPROXY, npm's registry or PIP_INDEX_URL name; never a public default)")
	return r
}

// openRegistries resolves the CLI's mirrors: flags, environment, the user
// configuration file (configFile; empty: the default one), then the
// native tools' explicit settings.
func openRegistries(flags registryFlags, configFile string) (*registry.Set, error) {
	file, err := registry.LoadUserConfig(configFile)
	if err != nil {
		return nil, err
	}
	home, _ := os.UserHomeDir()
	cfgDir, _ := os.UserConfigDir()
	cfg, err := registry.Resolve(flags, os.Getenv, file, registry.Native(os.Getenv, home, cfgDir))
	if err != nil {
		return nil, err
	}
	// The npm mirror, wherever it was named, takes the user's .npmrc
	// credentials for it unless airlock's configuration gives some.
	return registry.New(registry.WithNPMRC(cfg, os.Getenv, home))
}

// serverRegistries resolves the server's mirrors: the environment
// (AIRLOCK_REGISTRY_<ECOSYSTEM>), the configuration file's registries
// section, then the native tools' explicit settings; responses are cached
// under the data directory unless the file says otherwise.
func serverRegistries(c serverConfig) (*registry.Set, error) {
	var file registry.Config
	if c.Registries.Kind != 0 {
		var err error
		if file, err = registry.ParseYAML(c.configFile, &c.Registries); err != nil {
			return nil, err
		}
	}
	home, _ := os.UserHomeDir()
	cfgDir, _ := os.UserConfigDir()
	cfg, err := registry.Resolve(nil, os.Getenv, file, registry.Native(os.Getenv, home, cfgDir))
	if err != nil {
		return nil, err
	}
	cfg = registry.WithNPMRC(cfg, os.Getenv, home)
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(c.DataDir, "registry-cache")
	}
	return registry.New(cfg)
}
