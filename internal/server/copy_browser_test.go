package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/airlock-sec/airlock/internal/store"
)

// TestUIBrowserCopyRow: in Chromium, the pages' stylesheet loads under
// their CSP (style-src 'self', no inline style), each findings row gets
// a Copy button from copy.js, and pressing it puts the row's text (its
// cells, tab-separated, without the triage form) on the clipboard: a
// paste into the row's reason field gives it back. A row htmx swaps in
// after a dismissal gets its button too.
func TestUIBrowserCopyRow(t *testing.T) {
	d := newUIDriver(t, "")
	h := newHarness(t, store.SQLite, options{})
	d.base = h.url
	_, fs := seedFindings(t, h, 3)
	f := fs[0]
	row := fmt.Sprintf("#finding-row-%d", f.ID)
	d.signIn("/findings?state=open", row+" button.copy")
	bg := get(d, "stylesheet", chromedp.Evaluate[string](`getComputedStyle(document.querySelector("header")).backgroundColor`))
	d.check("stylesheet", bg == "rgb(31, 35, 40)", "the header's background is %q: the stylesheet did not apply", bg)

	want := get(d, "row text", chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelector(%q).cells).filter(c => !c.hasAttribute("data-nocopy")).map(c => c.innerText.replace("Copy", "").replace(/\s+/g, " ").trim()).join("\t")`, row)))
	d.check("row text", strings.Contains(want, string(f.Severity)) && strings.Contains(want, f.Title) && strings.Contains(want, "go.mod") && !strings.Contains(want, "Dismiss"), "row text %q", want)
	d.run("copy",
		chromedp.Click(chromedp.CSS(row+" button.copy")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).hasAttribute("data-copied")`, row)),
	)
	copied := get(d, "copy", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).getAttribute("data-copied")`, row)))
	button := d.text("copy", row+" button.copy")
	status := d.text("copy", "#copy-status")
	d.check("copy", copied == want && button == "Copied" && strings.Contains(status, "Copied"), "copied %q (want %q), button %q, status %q", copied, want, button, status)

	// The keyboard alone reaches the button, with a visible focus, and
	// presses it.
	d.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row+" button.copy")))
	for i := 0; ; i++ {
		if i == 200 {
			d.fail("keyboard", fmt.Errorf("200 presses of Tab did not reach the row's Copy button"))
		}
		d.run("keyboard", chromedp.KeyEvent(kb.Tab))
		if get(d, "keyboard", chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, row+" button.copy"))) {
			break
		}
	}
	outline := get(d, "keyboard", chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineColor`))
	d.check("keyboard", outline == "solid rgb(154, 103, 0)", "the focused button's outline is %q", outline)
	d.run("keyboard copy",
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).getAttribute("data-copied") === %q`, row, want)),
	)

	// The clipboard holds it: paste into the reason field.
	reason := fmt.Sprintf("#reason-%d", f.ID)
	d.run("paste",
		chromedp.Click(chromedp.CSS(reason)),
		// Headless Chromium runs an editing command only when the key
		// event names it.
		chromedp.KeyEvent("v", chromedp.KeyModifiers(chromedp.ModifierCtrl), func(p *input.DispatchKeyEventParams) { p.Commands = []string{"paste"} }),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value !== ""`, reason)),
	)
	pasted := get(d, "paste", chromedp.Value(chromedp.CSS(reason)))
	// An input drops the tabs' line structure but keeps the text.
	d.check("paste", strings.ReplaceAll(pasted, "\t", " ") == strings.ReplaceAll(want, "\t", " "), "pasted %q, copied %q", pasted, want)

	// Dismiss through htmx: the new row has its Copy button.
	d.run("dismiss",
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).value = "accepted risk"`, reason)),
		chromedp.Click(chromedp.CSS(row+" button.dismiss")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).getAttribute("data-state") === "dismissed"`, row)),
		chromedp.WaitVisible(chromedp.CSS(row+" button.copy")),
	)

	// Enter in a wizard field runs Test Connection (the form's default
	// button), not the agent step's Create agent key.
	d.run("wizard enter",
		chromedp.Navigate(h.url+"/integrations/new"),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SendKeys(chromedp.CSS("#url"), h.gl.URL),
		chromedp.SendKeys(chromedp.CSS("#agent_pool"), "dc9"),
		chromedp.SendKeys(chromedp.CSS("#url"), kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#wizard-error")),
	)
	if n := h.count(`SELECT COUNT(*) FROM agent_key`); n != 0 {
		d.fail("wizard enter", fmt.Errorf("Enter created %d agent keys", n))
	}

	// The wizard's agent pool step: the key and its commands come in
	// through htmx with their Copy buttons; the URL typed stays.
	d.run("agent key",
		chromedp.Navigate(h.url+"/integrations/new"),
		chromedp.WaitVisible(chromedp.CSS("#url")),
		chromedp.SendKeys(chromedp.CSS("#url"), h.gl.URL),
		chromedp.Click(chromedp.CSS(`input[name="route"][value="agent"]`)),
		chromedp.SendKeys(chromedp.CSS("#agent_pool"), "dc1"),
		chromedp.Click(chromedp.CSS("#create-agent-key")),
		chromedp.WaitVisible(chromedp.CSS("#agent-helm + button.copy")),
		chromedp.Click(chromedp.CSS("#agent-helm + button.copy")),
		chromedp.Poll[chromedp.Void](`document.getElementById("agent-helm").hasAttribute("data-copied")`),
	)
	helm := d.text("agent key", "#agent-helm")
	copied = get(d, "agent key", chromedp.Evaluate[string](`document.getElementById("agent-helm").getAttribute("data-copied")`))
	typed := get(d, "agent key", chromedp.Value(chromedp.CSS("#url")))
	d.check("agent key", copied == helm && strings.Contains(helm, "--set agent.key=alka_") && typed == h.gl.URL, "copied %q of %q; url %q", copied, helm, typed)
}
