package inventory

import (
	"cmp"
	"slices"
)

// ResolveVia fills Via for every package that something else pulls in: the
// nearest of the packages it is reached from, walking up Parents, that the
// project depends on itself. Those roots are the direct packages, and,
// where a file does not say which packages are direct (Relation unknown),
// the packages no other package depends on. Roots get no Via.
//
// Parents name packages of the same file (Location.Path); a parent without
// a version stands for every package of that name. Via is ordered nearest
// first, then by name and version; cycles are walked once. Each root costs
// one breadth-first walk down to the packages it pulls in.
func ResolveVia(pkgs []Package) {
	type key struct{ path, name, version string }
	byKey := make(map[key][]int, len(pkgs))
	byName := make(map[key][]int, len(pkgs))
	for i, p := range pkgs {
		k := key{p.Location.Path, p.Name, p.Version}
		byKey[k] = append(byKey[k], i)
		k.version = ""
		byName[k] = append(byName[k], i)
	}
	parents := make([][]int, len(pkgs))
	for i, p := range pkgs {
		for _, r := range p.Parents {
			k := key{p.Location.Path, r.Name, r.Version}
			if r.Version == "" {
				parents[i] = append(parents[i], byName[k]...)
			} else {
				parents[i] = append(parents[i], byKey[k]...)
			}
		}
	}
	root := func(i int) bool {
		switch pkgs[i].Relation {
		case RelationDirect:
			return true
		case RelationUnknown:
			return len(parents[i]) == 0
		}
		return false
	}

	children := make([][]int, len(pkgs))
	for i, ps := range parents {
		for _, par := range ps {
			children[par] = append(children[par], i)
		}
	}
	// Walk down from each root through the packages that are not roots:
	// the root is in the Via of every package reached, at the distance of
	// the walk. This costs one walk per root rather than one per package.
	type hit struct{ root, dist int }
	hits := make([][]hit, len(pkgs))
	seen := make([]int, len(pkgs)) // root index + 1 of the walk that last visited
	var queue []int
	for r := range pkgs {
		if !root(r) {
			continue
		}
		stamp := r + 1
		seen[r] = stamp
		queue = append(queue[:0], r)
		for dist := 1; len(queue) > 0; dist++ {
			level := len(queue)
			for _, q := range queue[:level] {
				for _, c := range children[q] {
					if seen[c] == stamp || root(c) {
						continue
					}
					seen[c] = stamp
					hits[c] = append(hits[c], hit{r, dist})
					queue = append(queue, c)
				}
			}
			queue = queue[level:]
		}
	}
	for i := range pkgs {
		pkgs[i].Via = nil
		h := hits[i]
		if len(h) == 0 {
			continue
		}
		slices.SortFunc(h, func(a, b hit) int {
			return cmp.Or(cmp.Compare(a.dist, b.dist),
				cmp.Compare(pkgs[a.root].Name, pkgs[b.root].Name),
				cmp.Compare(pkgs[a.root].Version, pkgs[b.root].Version))
		})
		via := make([]Ref, 0, len(h))
		for _, x := range h {
			r := Ref{Name: pkgs[x.root].Name, Version: pkgs[x.root].Version}
			if slices.Contains(via, r) {
				continue // the same package listed twice in the file
			}
			via = append(via, r)
		}
		pkgs[i].Via = via
	}
}
