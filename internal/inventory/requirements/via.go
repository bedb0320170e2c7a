package requirements

import (
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// viaBlock follows pip-compile's "# via" annotations of the last
// requirement, either inline ("pkg==1.0  # via a, b") or as comment lines
// after it:
//
//	idna==3.4
//	    # via
//	    #   anyio
//	    #   requests
//
// When every source it names is another package, the requirement is there
// only because something else needs it: it is transitive. A source such as
// "-r requirements.in", "-c constraints.txt" or "myproject (pyproject.toml)"
// means the project asked for it.
type viaBlock struct {
	active  bool // a requirement is waiting for its annotation
	open    bool // inside a "# via" block
	target  int  // index of the requirement in the package list
	sources []string
}

// start begins watching the requirement at index i, whose own line carried
// comment.
func (b *viaBlock) start(i int, comment string, pkgs []inventory.Package) {
	*b = viaBlock{active: true, target: i}
	if t := strings.TrimSpace(comment); t == "via" || strings.HasPrefix(t, "via ") {
		b.comment(comment, pkgs)
	}
}

// comment takes the text after "#" of a comment-only line (empty for a
// blank line).
func (b *viaBlock) comment(comment string, pkgs []inventory.Package) {
	if !b.active {
		return
	}
	t := strings.TrimSpace(comment)
	switch {
	case t == "via" || strings.HasPrefix(t, "via "):
		b.open = true
		b.add(t[len("via"):])
	case b.open && t != "" && (strings.HasPrefix(comment, "  ") || strings.HasPrefix(comment, "\t")):
		b.add(t)
	default:
		b.finish(pkgs)
	}
}

func (b *viaBlock) add(list string) {
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			b.sources = append(b.sources, s)
		}
	}
}

// finish closes the annotation of the watched requirement.
func (b *viaBlock) finish(pkgs []inventory.Package) {
	if b.active && len(b.sources) > 0 {
		transitive := true
		for _, s := range b.sources {
			if !validName(s) {
				transitive = false
				break
			}
		}
		if transitive {
			pkgs[b.target].Relation = inventory.RelationTransitive
		}
	}
	*b = viaBlock{}
}
