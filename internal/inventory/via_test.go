package inventory

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveVia(t *testing.T) {
	pkg := func(name, version string, rel Relation, parents ...Ref) Package {
		return Package{Name: name, Version: version, Relation: rel, Parents: parents, Location: Location{Path: "lock"}}
	}
	ref := func(name, version string) Ref { return Ref{Name: name, Version: version} }
	D, T, U := RelationDirect, RelationTransitive, RelationUnknown
	for _, tc := range []struct {
		name string
		pkgs []Package
		want map[string][]Ref // by name@version; packages left out have no Via
	}{{
		name: "chain",
		pkgs: []Package{
			pkg("app", "1", D),
			pkg("mid", "1", T, ref("app", "1")),
			pkg("leaf", "1", T, ref("mid", "1")),
		},
		want: map[string][]Ref{"mid@1": {ref("app", "1")}, "leaf@1": {ref("app", "1")}},
	}, {
		name: "diamond",
		pkgs: []Package{
			pkg("b", "1", D),
			pkg("a", "1", D),
			pkg("x", "1", T, ref("a", "1")),
			pkg("y", "1", T, ref("b", "1")),
			pkg("leaf", "1", T, ref("x", "1"), ref("y", "1")),
		},
		want: map[string][]Ref{"x@1": {ref("a", "1")}, "y@1": {ref("b", "1")}, "leaf@1": {ref("a", "1"), ref("b", "1")}},
	}, {
		name: "nearest first",
		pkgs: []Package{
			pkg("far", "1", D),
			pkg("near", "1", D),
			pkg("mid", "1", T, ref("far", "1")),
			pkg("leaf", "1", T, ref("mid", "1"), ref("near", "1")),
		},
		want: map[string][]Ref{"mid@1": {ref("far", "1")}, "leaf@1": {ref("near", "1"), ref("far", "1")}},
	}, {
		name: "direct above direct stops the walk",
		pkgs: []Package{
			pkg("top", "1", D),
			pkg("also", "1", D, ref("top", "1")),
			pkg("leaf", "1", T, ref("also", "1")),
		},
		want: map[string][]Ref{"leaf@1": {ref("also", "1")}},
	}, {
		name: "cycle",
		pkgs: []Package{
			pkg("app", "1", D),
			pkg("a", "1", T, ref("app", "1"), ref("b", "1")),
			pkg("b", "1", T, ref("a", "1")),
			pkg("c", "1", T, ref("c", "1"), ref("b", "1")),
		},
		want: map[string][]Ref{"a@1": {ref("app", "1")}, "b@1": {ref("app", "1")}, "c@1": {ref("app", "1")}},
	}, {
		name: "cycle without a root",
		pkgs: []Package{
			pkg("a", "1", T, ref("b", "1")),
			pkg("b", "1", T, ref("a", "1")),
		},
	}, {
		name: "unknown relations: roots are what nobody depends on",
		pkgs: []Package{
			pkg("root", "1", U),
			pkg("dep", "1", U, ref("root", "1")),
			pkg("deeper", "2", U, ref("dep", "")),
		},
		want: map[string][]Ref{"dep@1": {ref("root", "1")}, "deeper@2": {ref("root", "1")}},
	}, {
		name: "versions tell packages apart",
		pkgs: []Package{
			pkg("a", "1", D),
			pkg("a", "2", T, ref("b", "1")),
			pkg("b", "1", D),
			pkg("c", "1", T, ref("a", "2")),
		},
		want: map[string][]Ref{"a@2": {ref("b", "1")}, "c@1": {ref("b", "1")}},
	}, {
		name: "other files do not count",
		pkgs: []Package{
			{Name: "app", Version: "1", Relation: D, Location: Location{Path: "other"}},
			pkg("leaf", "1", T, ref("app", "1")),
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ResolveVia(tc.pkgs)
			got := map[string][]Ref{}
			for _, p := range tc.pkgs {
				if p.Via != nil {
					got[p.Name+"@"+p.Version] = p.Via
				}
			}
			if tc.want == nil {
				tc.want = map[string][]Ref{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Via (-want +got):\n%s", diff)
			}
		})
	}
}

// chainGraph is n packages in layers of ten: the first layer direct, each
// package of a later layer depending on two of the layer above.
func chainGraph(n int) []Package {
	pkgs := make([]Package, n)
	for i := range pkgs {
		p := Package{Name: fmt.Sprintf("p%d", i), Version: "1.0.0", Location: Location{Path: "lock"}, Relation: RelationTransitive}
		if i < 10 {
			p.Relation = RelationDirect
		} else {
			up := i/10*10 - 10
			p.Parents = []Ref{{Name: fmt.Sprintf("p%d", up+i%10), Version: "1.0.0"}, {Name: fmt.Sprintf("p%d", up+(i+1)%10), Version: "1.0.0"}}
		}
		pkgs[i] = p
	}
	return pkgs
}

func TestResolveViaLayers(t *testing.T) {
	pkgs := chainGraph(100)
	ResolveVia(pkgs)
	if got := len(pkgs[99].Via); got != 10 {
		t.Errorf("p99 reaches %d direct packages, want all 10: %v", got, pkgs[99].Via)
	}
	if want := []Ref{{"p1", "1.0.0"}, {"p2", "1.0.0"}}; !cmp.Equal(pkgs[11].Via, want) {
		t.Errorf("p11.Via = %v, want %v", pkgs[11].Via, want)
	}
}

func BenchmarkResolveVia(b *testing.B) {
	pkgs := chainGraph(10000)
	for b.Loop() {
		ResolveVia(pkgs)
	}
}

func TestLines(t *testing.T) {
	data := []byte("a\nbc\n\nd")
	l := NewLines(data)
	for _, tc := range []struct {
		off  int64
		want int
	}{{-1, 1}, {0, 1}, {1, 1}, {2, 2}, {4, 2}, {5, 3}, {6, 4}, {7, 4}, {100, 4}, {3, 2}, {0, 1}} {
		if got := l.At(tc.off); got != tc.want {
			t.Errorf("At(%d) = %d, want %d", tc.off, got, tc.want)
		}
	}
}

func TestJSONStringSpan(t *testing.T) {
	obj := []byte(`{"a": {"version": "x"}, "version" : "1.2.3", "n": "\u0031"}`)
	s, ok := JSONStringSpan(obj, 10, "version")
	if !ok || s != (Span{Start: 10 + 37, End: 10 + 42}) || string(obj[s.Start-10:s.End-10]) != "1.2.3" {
		t.Errorf("JSONStringSpan(version) = %v, %v", s, ok)
	}
	for _, key := range []string{"n", "a", "missing"} {
		if s, ok := JSONStringSpan(obj, 0, key); ok {
			t.Errorf("JSONStringSpan(%s) = %v, want none", key, s)
		}
	}
}
