package server

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/store"
)

// The pages' accessibility checks that need no browser (docs/ui.md,
// "Accessibility"): the stylesheet's colour contrast (WCAG 2.1 AA) and a
// label for every form control of every template.

var (
	cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	cssRule    = regexp.MustCompile(`([^{}]+)\{([^{}]*)\}`)
	hexColour  = regexp.MustCompile(`#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b`)
)

// luminance is a colour's relative luminance (WCAG 2.1).
func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var l [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is the contrast ratio of two colours, 1 to 21.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

type cssDecl struct {
	selector               string
	colour, background, ol string
}

func parseCSS(css string) []cssDecl {
	css = cssComment.ReplaceAllString(css, "")
	var out []cssDecl
	for _, m := range cssRule.FindAllStringSubmatch(css, -1) {
		d := cssDecl{selector: strings.TrimSpace(m[1])}
		for decl := range strings.SplitSeq(m[2], ";") {
			prop, val, ok := strings.Cut(decl, ":")
			if !ok {
				continue
			}
			c := hexColour.FindString(val)
			if c == "" {
				continue
			}
			switch strings.TrimSpace(prop) {
			case "color":
				d.colour = c
			case "background", "background-color":
				d.background = c
			case "outline", "outline-color":
				d.ol = c
			}
		}
		out = append(out, d)
	}
	return out
}

// contrastProblems checks a stylesheet: each text colour against the
// background it is shown on (its own rule's; for a descendant selector
// such as "header a", the ancestor rule's; else the page's and every
// panel's, the rules that set a background and no colour, where the
// text can appear) at 4.5:1, each rule's background against the page's
// text colour when the rule sets none, and focus outlines at 3:1
// (WCAG 1.4.11) against the page and the panels.
func contrastProblems(css string) []string {
	decls := parseCSS(css)
	pageColour, pageBackground := "#000000", "#ffffff"
	bySelector := map[string]cssDecl{}
	var panels []string
	for _, d := range decls {
		bySelector[d.selector] = d
		if d.selector == ":root" || d.selector == "body" || d.selector == "html" {
			if d.colour != "" {
				pageColour = d.colour
			}
			if d.background != "" {
				pageBackground = d.background
			}
		} else if d.background != "" && d.colour == "" {
			panels = append(panels, d.background)
		}
	}
	var out []string
	check := func(sel, fg, bg string, min float64) {
		if r := contrast(fg, bg); r < min {
			out = append(out, fmt.Sprintf("%s: %s on %s has contrast %.2f:1, below %.1f:1", sel, fg, bg, r, min))
		}
	}
	lightAreas := append([]string{pageBackground}, panels...)
	for _, d := range decls {
		switch {
		case d.colour != "" && d.background != "":
			check(d.selector, d.colour, d.background, 4.5)
		case d.colour != "":
			ancestor, _, descendant := strings.Cut(d.selector, " ")
			if a, ok := bySelector[ancestor]; descendant && ok && a.background != "" {
				check(d.selector, d.colour, a.background, 4.5)
				break
			}
			for _, bg := range lightAreas {
				check(d.selector, d.colour, bg, 4.5)
			}
		case d.background != "":
			check(d.selector, pageColour, d.background, 4.5)
		}
		if d.ol != "" {
			for _, bg := range lightAreas {
				check(d.selector+" (outline)", d.ol, bg, 3)
			}
		}
	}
	return out
}

// TestStyleContrast: every colour pair of the pages' stylesheet meets
// WCAG 2.1 AA; the checker itself refuses a low-contrast sheet.
func TestStyleContrast(t *testing.T) {
	if n := len(parseCSS(string(styleCSS))); n < 10 {
		t.Fatalf("the stylesheet parsed into %d rules", n)
	}
	for _, p := range contrastProblems(string(styleCSS)) {
		t.Error(p)
	}
	for _, bad := range []string{
		":root { color: #1f2328; background: #fff; } p { color: #999; }",
		":root { color: #1f2328; background: #fff; } .tag { background: #57606a; }",
		":root { color: #1f2328; background: #fff; } .note { background: #ddf4ff; } a { color: #2f81f7; }",
		":root { color: #1f2328; background: #fff; } a:focus { outline: 2px solid #ffd33d; }",
	} {
		if len(contrastProblems(bad)) == 0 {
			t.Errorf("the checker passed %q", bad)
		}
	}
	if r := contrast("#000", "#fff"); math.Abs(r-21) > 0.01 {
		t.Errorf("black on white %.2f, want 21", r)
	}
}

// TestTrendChartContrast: the dashboard's SVG chart, drawn on the
// server with presentation attributes the stylesheet does not hold,
// keeps its text at 4.5:1 and its lines at 3:1 on the page's background.
func TestTrendChartContrast(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var points []store.TrendPoint
	for i := range 30 {
		points = append(points, store.TrendPoint{Day: day.AddDate(0, 0, i), Unfixed: 10 + i%7})
	}
	svg := string(trendSVG(points))
	page := ""
	for _, d := range parseCSS(string(styleCSS)) {
		if d.selector == ":root" {
			page = d.background
		}
	}
	if page == "" {
		t.Fatal("the stylesheet sets no page background")
	}
	attrs := regexp.MustCompile(`<(\w+)[^>]*\b(fill|stroke)="(#[0-9a-fA-F]{3,6})"`).FindAllStringSubmatch(svg, -1)
	if len(attrs) < 4 {
		t.Fatalf("found %d coloured elements in the chart:\n%s", len(attrs), svg)
	}
	for _, a := range attrs {
		min := 3.0
		if a[1] == "text" {
			min = 4.5
		}
		if r := contrast(a[3], page); r < min {
			t.Errorf("<%s %s=%q> on %s: contrast %.2f:1, below %.1f:1", a[1], a[2], a[3], page, r, min)
		}
	}
}

var (
	controlTag = regexp.MustCompile(`(?s)<(input|select|textarea)\b([^>]*)>`)
	attrRE     = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`\b` + name + `="([^"]*)"`)
	}
	idAttr, typeAttr = attrRE("id"), attrRE("type")
)

// unlabelled lists the form controls of a template without a label: a
// <label for> naming its id, an enclosing <label>, or aria-label(ledby).
func unlabelled(name, page string) []string {
	var out []string
	for _, m := range controlTag.FindAllStringSubmatchIndex(page, -1) {
		tag, attrs := page[m[2]:m[3]], page[m[4]:m[5]]
		if t := typeAttr.FindStringSubmatch(attrs); t != nil && (t[1] == "hidden" || t[1] == "submit" || t[1] == "button" || t[1] == "reset") {
			continue
		}
		if strings.Contains(attrs, "aria-label=") || strings.Contains(attrs, "aria-labelledby=") {
			continue
		}
		if id := idAttr.FindStringSubmatch(attrs); id != nil && strings.Contains(page, `<label for="`+id[1]+`"`) {
			continue
		}
		before := page[:m[0]]
		if open := strings.LastIndex(before, "<label"); open >= 0 && open > strings.LastIndex(before, "</label>") {
			continue
		}
		line := strings.Count(before, "\n") + 1
		out = append(out, fmt.Sprintf("%s:%d: <%s%s> has no label", name, line, tag, attrs))
	}
	return out
}

// TestEveryControlLabelled: every input, select and textarea of every
// page template has a label; the check refuses an unlabelled one.
func TestEveryControlLabelled(t *testing.T) {
	names, err := fs.Glob(uiFS, "ui/*.html")
	if err != nil || len(names) < 10 {
		t.Fatalf("templates %v: %v", names, err)
	}
	controls := 0
	for _, n := range names {
		b, err := fs.ReadFile(uiFS, n)
		if err != nil {
			t.Fatal(err)
		}
		controls += len(controlTag.FindAllString(string(b), -1))
		for _, p := range unlabelled(n, string(b)) {
			t.Error(p)
		}
	}
	if controls < 20 {
		t.Errorf("found %d controls in the templates: the pattern misses them", controls)
	}
	for _, bad := range []string{
		`<input id="q" name="q">`,
		`<label for="x">X</label> <select id="y" name="y"></select>`,
		`<label>Name</label> <textarea name="t"></textarea>`,
	} {
		if len(unlabelled("bad.html", bad)) == 0 {
			t.Errorf("the check passed %q", bad)
		}
	}
	for _, good := range []string{
		`<label for="q">Search</label> <input id="q" name="q">`,
		`<label><input type="checkbox" name="c"> Confirm</label>`,
		`<input type="hidden" name="csrf_token" value="x">`,
		`<input name="q" aria-label="Search">`,
	} {
		if p := unlabelled("good.html", good); len(p) != 0 {
			t.Errorf("the check refused %q: %v", good, p)
		}
	}
}
