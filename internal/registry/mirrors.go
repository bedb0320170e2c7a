package registry

import "sort"

// MirrorURLs are the URLs of the configured mirrors, sorted: the
// destinations this set may contact (offline mode permits exactly these).
func (s *Set) MirrorURLs() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, m := range s.cfg.Mirrors {
		out = append(out, m.URL)
	}
	sort.Strings(out)
	return out
}
