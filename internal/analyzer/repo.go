package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/airlock-sec/airlock/internal/policy"
	"github.com/airlock-sec/airlock/internal/secret"
	"github.com/airlock-sec/airlock/internal/source"
)

// Repository configuration files, read at the root of the scanned tree.
const (
	// GitleaksFile holds secret rules in gitleaks' format.
	GitleaksFile = ".gitleaks.toml"
	// GitleaksIgnoreFile lists secret findings to leave out, as
	// .gitleaksignore does: gitleaks fingerprints ("path:rule:line",
	// "commit:path:rule:line") or airlock fingerprints.
	GitleaksIgnoreFile = ".gitleaksignore"
)

// Bounds of repository-supplied configuration.
const (
	maxPolicySize         = 1 << 20
	maxGitleaksIgnoreSize = 4 << 20
)

// RepoConfig is the repository's own configuration: .airlock.yaml (or the
// operator's policy file), .gitleaks.toml and .gitleaksignore. It is loaded
// in one place for the CLI and the server alike, and every file is read as
// repository content: a regular file inside the tree, of bounded size (see
// source.Tree). The secret files are read on first use, so a scan that
// does not look for secrets never reads them.
type RepoConfig struct {
	// Policy is the parsed policy; nil when there is none.
	Policy *policy.Policy

	root           string
	gitleaksOnce   sync.Once
	gitleaksCfg    *secret.Config
	gitleaksErr    error
	gitleaksIgnore func() (map[string]bool, error)
}

// LoadRepoConfig reads the tree's configuration. policyFile, when not
// empty, is the operator's policy file (a host path, from a flag) and
// replaces the tree's .airlock.yaml.
func LoadRepoConfig(tree *source.Tree, root, policyFile string) (*RepoConfig, error) {
	pol, err := loadPolicy(tree, policyFile)
	if err != nil {
		return nil, err
	}
	c := &RepoConfig{Policy: pol, root: root}
	c.gitleaksIgnore = sync.OnceValues(func() (map[string]bool, error) {
		b, err := tree.ReadFile(GitleaksIgnoreFile, maxGitleaksIgnoreSize)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, fmt.Errorf("%s: %w", GitleaksIgnoreFile, source.Bare(err))
		}
		out := map[string]bool{}
		for line := range strings.Lines(string(b)) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				out[line] = true
			}
		}
		return out, nil
	})
	return c, nil
}

// Gitleaks returns the repository's secret rules (.gitleaks.toml with its
// [extend] resolved inside the repository); nil when it has none.
func (c *RepoConfig) Gitleaks() (*secret.Config, error) {
	return c.GitleaksOn(nil)
}

// GitleaksOn is Gitleaks with defaults as the rules its [extend]
// useDefault names (nil: the embedded rules). The file is read once: the
// first call's defaults hold for the scan.
func (c *RepoConfig) GitleaksOn(defaults *secret.Config) (*secret.Config, error) {
	if c == nil || c.root == "" {
		return nil, nil
	}
	c.gitleaksOnce.Do(func() {
		cfg, err := secret.LoadRepoConfigOn(c.root, GitleaksFile, defaults)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			c.gitleaksErr = fmt.Errorf("%w (give the rules with --secret-config to use another file)", err)
		default:
			c.gitleaksCfg = cfg
		}
	})
	return c.gitleaksCfg, c.gitleaksErr
}

// GitleaksIgnore returns the entries of the repository's .gitleaksignore;
// nil when it has none.
func (c *RepoConfig) GitleaksIgnore() (map[string]bool, error) {
	if c == nil || c.gitleaksIgnore == nil {
		return nil, nil
	}
	return c.gitleaksIgnore()
}

// loadPolicy reads the operator's policy file when one is named, else the
// tree's own .airlock.yaml.
func loadPolicy(tree *source.Tree, file string) (*policy.Policy, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		defer f.Close()
		return policy.Parse(file, f)
	}
	b, err := tree.ReadFile(policy.FileName, maxPolicySize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", policy.FileName, source.Bare(err))
	}
	return policy.Parse(policy.FileName, bytes.NewReader(b))
}
