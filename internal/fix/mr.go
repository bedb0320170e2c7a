package fix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/airlock-sec/airlock/internal/registry"
)

// Marker is the hidden marker in the description of every merge request
// airlock opens for a plan, so that later runs find it.
const Marker = "<!-- airlock:fix -->"

// Branch is the source branch of a plan's merge request:
// airlock/fix/<ecosystem>-<package> (the ecosystem's configuration key, the
// package with characters git refuses or that nest refs turned into "-"),
// followed by the manifest's directory when it is not the root;
// airlock/fix/project for a plan of the whole project.
func (p *Plan) Branch() string {
	if p.Key == "project" || len(p.Changes) != 1 {
		return "airlock/fix/project"
	}
	c := p.Changes[0]
	eco := registry.KeyOf(c.Ecosystem)
	if eco == "" {
		eco = strings.ToLower(c.Ecosystem)
	}
	b := "airlock/fix/" + refSafe(eco+"-"+c.Name)
	if d := path.Dir(c.Manifest); d != "." && d != "" {
		b += "-" + refSafe(d)
	}
	return b
}

// refSafe keeps letters, digits, "." "_" "-" and turns runs of anything
// else into one "-", without a leading or trailing "-" or ".", and no "..".
func refSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.TrimPrefix(s, "@") {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = r == '-'
		b.WriteRune(r)
	}
	out := b.String()
	for strings.Contains(out, "..") {
		out = strings.ReplaceAll(out, "..", ".")
	}
	return strings.Trim(out, "-.")
}

// Digest identifies the plan's edits: the same files with the same
// content give the same digest.
func (p *Plan) Digest() string {
	h := sha256.New()
	for _, e := range p.Edits {
		fmt.Fprintf(h, "%s\x00%d\x00", e.Path, len(e.New))
		h.Write(e.New)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Description is the plan's merge request text (GitLab Markdown): each
// package from → to with how and why (the change's reason: the target
// chosen, and for a transitive package whether it comes through its
// parent or the override, and why), each vulnerability (id, aliases, severity,
// summary), what is left by hand, the tools' output, and Marker.
func (p *Plan) Description() string {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	b.WriteString("airlock upgrades vulnerable dependencies to releases the site's mirror serves.\n\n")
	b.WriteString("| package | file | from | to | how |\n|---|---|---|---|---|\n")
	for _, c := range p.Changes {
		how := string(c.Method)
		switch {
		case c.Method == MethodOverride:
			how = c.Override
		case c.Method == MethodParent && c.Parent != nil:
			how = "through " + c.Parent.Name + " " + c.ParentTo
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", mdCell(c.Name), mdCell(c.Manifest), mdCell(c.From), mdCell(c.To), mdCell(how))
	}
	b.WriteString("\n### Why these versions\n\n")
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "- `%s`: %s\n", c.Name, strings.ReplaceAll(c.Reason, "\n", " "))
	}
	b.WriteString("\n### Vulnerabilities fixed\n\n| id | aliases | severity | summary |\n|---|---|---|---|\n")
	for _, c := range p.Changes {
		for _, v := range c.Vulnerabilities {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(v.ID), mdCell(strings.Join(v.Aliases, ", ")), v.Severity, mdCell(v.Summary))
		}
	}
	if len(p.Manual) > 0 {
		b.WriteString("\n### Left to do by hand\n\n")
		for _, m := range p.Manual {
			fmt.Fprintf(&b, "- %s\n", m)
		}
	}
	if p.ToolOutput != "" {
		out := p.ToolOutput
		if len(out) > 20000 {
			out = out[:20000] + "\n… (cut)"
		}
		fence := "```"
		for strings.Contains(out, fence) {
			fence += "`"
		}
		fmt.Fprintf(&b, "\n<details><summary>Lockfile tools' output</summary>\n\n%s\n%s\n%s\n\n</details>\n", fence, strings.TrimRight(out, "\n"), fence)
	}
	return b.String()
}

// mdCell makes text safe in a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", "").Replace(s)
}
