// airlock: Copy buttons (docs/ui.md, "Copying"). An element with
// data-copy holds text to copy: its own text, or, on a table row, the
// text of its cells (tab-separated, so that a paste into a spreadsheet
// keeps the columns), leaving out cells marked data-nocopy. This script
// adds a Copy button to each (into the row's data-copy-button cell, or
// after the element); the button says "Copied" for a moment, and a
// polite live region says what was copied. Without JavaScript there is
// no button and the same text is on the page to select.
(function () {
  "use strict";

  // cellText is a cell's text without the Copy button in it, a line
  // break read as a space.
  function cellText(el) {
    var c = el.cloneNode(true);
    c.querySelectorAll("button.copy").forEach(function (b) {
      b.parentNode.removeChild(b);
    });
    c.querySelectorAll("br").forEach(function (b) {
      b.parentNode.replaceChild(document.createTextNode(" "), b);
    });
    return c.textContent.replace(/\s+/g, " ").trim();
  }

  // textOf is what copying el gives.
  function textOf(el) {
    if (el.tagName === "TR") {
      var parts = [];
      Array.prototype.forEach.call(el.cells, function (c) {
        if (!c.hasAttribute("data-nocopy")) {
          parts.push(cellText(c));
        }
      });
      return parts.join("\t");
    }
    return el.textContent.trim();
  }

  // fallback copies through a selected, off-screen textarea, for
  // browsers without the asynchronous clipboard (or refused it).
  function fallback(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.setAttribute("aria-hidden", "true");
    ta.tabIndex = -1;
    ta.className = "copy-buffer";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(ta);
    return ok;
  }

  var live;
  function say(message) {
    if (!live) {
      live = document.createElement("p");
      live.id = "copy-status";
      live.className = "visually-hidden";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    live.textContent = message;
  }

  function copy(el, button) {
    var text = textOf(el);
    var label = button.getAttribute("data-label");
    function done(ok) {
      button.textContent = ok ? "Copied" : "Copy failed: select the text";
      el.setAttribute("data-copied", ok ? text : "");
      say(ok ? "Copied: " + text : "Copy failed: select the text and copy it");
      window.setTimeout(function () {
        button.textContent = label;
      }, 2000);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        done(true);
      }, function () {
        done(fallback(text));
      });
    } else {
      done(fallback(text));
    }
  }

  function add(el) {
    if (el.getAttribute("data-copy-ready") === "1") {
      return;
    }
    el.setAttribute("data-copy-ready", "1");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    var label = el.getAttribute("data-copy") || "Copy";
    button.textContent = label;
    button.setAttribute("data-label", label);
    var what = el.getAttribute("data-copy-name");
    if (what) {
      button.setAttribute("aria-label", label + " " + what);
    }
    button.addEventListener("click", function () {
      copy(el, button);
    });
    var slot = el.tagName === "TR" ? el.querySelector("[data-copy-button]") : null;
    if (slot) {
      slot.appendChild(button);
    } else {
      el.insertAdjacentElement("afterend", button);
    }
  }

  function scan(root) {
    if (root.matches && root.matches("[data-copy]")) {
      add(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-copy]").forEach(add);
    }
  }

  function start() {
    scan(document);
    // Rows htmx swaps in (triage) get their button too.
    document.body.addEventListener("htmx:load", function (e) {
      scan(e.target);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
