// airlock: the data page's bundle upload with a progress bar (docs/ui.md,
// "Uploading a bundle"). The form posts the same multipart body it posts
// without this script, through XMLHttpRequest for its upload progress
// events; the result (the page's notice, or the refusal) is shown in
// place and the data tables are refreshed. Without JavaScript, or in a
// browser without XMLHttpRequest and FormData, the form posts as usual.
(function () {
  "use strict";

  function mib(n) {
    return (n / 1048576).toFixed(1) + " MiB";
  }

  // text is what a response says: the notice or error of an HTML page,
  // else its text.
  function text(xhr) {
    var body = xhr.responseText || "";
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("text/html") === 0 && typeof DOMParser !== "undefined") {
      var doc = new DOMParser().parseFromString(body, "text/html");
      var notice = doc.querySelector("main .notice");
      if (notice) {
        return { doc: doc, message: notice.textContent.trim() };
      }
      var parts = [];
      var err = doc.querySelector("main .error");
      if (err) {
        parts.push(err.textContent.trim());
      }
      doc.querySelectorAll("main p").forEach(function (el) {
        var t = el.textContent.trim();
        if (t.indexOf("What to do:") === 0) {
          parts.push(t);
        }
      });
      return { doc: doc, message: parts.join(" ") };
    }
    return { doc: null, message: body.trim() };
  }

  function setup(form) {
    var box = document.getElementById("upload-progress");
    var bar = document.getElementById("upload-bar");
    var status = document.getElementById("upload-text");
    var result = document.getElementById("upload-result");
    var button = form.querySelector('button[type="submit"]');
    var input = form.querySelector('input[type="file"]');
    if (!box || !bar || !status || !result || !input) {
      return;
    }
    var max = Number(form.getAttribute("data-max-bytes")) || 0;

    function state(s) {
      box.hidden = false;
      box.setAttribute("data-state", s);
      form.setAttribute("aria-busy", s === "uploading" || s === "importing" ? "true" : "false");
      if (button) {
        button.disabled = s === "uploading" || s === "importing";
      }
    }

    function finish(s, message) {
      state(s);
      result.className = s === "done" ? "notice" : "error";
      result.textContent = message;
    }

    form.addEventListener("submit", function (ev) {
      var file = input.files && input.files[0];
      if (!file) {
        return; // the browser says the field is required
      }
      ev.preventDefault();
      bar.max = file.size || 1;
      bar.value = 0;
      result.textContent = "";
      result.className = "";
      if (max > 0 && file.size > max) {
        finish("failed", "The bundle is " + mib(file.size) + ", larger than this server's upload limit of " +
          form.getAttribute("data-max-text") + ": nothing was sent.");
        return;
      }
      state("uploading");
      status.textContent = "0% (0 of " + mib(file.size) + ")";
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) {
          return;
        }
        bar.max = e.total;
        bar.value = e.loaded;
        status.textContent = Math.floor((e.loaded * 100) / e.total) + "% (" + mib(e.loaded) + " of " + mib(e.total) + ")";
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = bar.max;
        state("importing");
        status.textContent = "uploaded; the server verifies and imports the bundle";
      });
      xhr.addEventListener("load", function () {
        var r = text(xhr);
        if (xhr.status === 200 && r.doc) {
          // The form's redirect: the data page, with the result as its
          // notice and the tables as they are now.
          ["data-sets", "data-bundles"].forEach(function (id) {
            var now = r.doc.getElementById(id);
            var shown = document.getElementById(id);
            if (now && shown) {
              shown.replaceWith(document.importNode(now, true));
            }
          });
          bar.value = bar.max;
          status.textContent = "100%";
          form.reset();
          finish("done", r.message || "The bundle was imported.");
          return;
        }
        finish("failed", "The upload was refused (" + xhr.status + "): " + (r.message || xhr.statusText));
      });
      xhr.addEventListener("error", function () {
        finish("failed", "The upload was interrupted: the network failed or the server closed the connection. Try again, or import the bundle with 'airlock db import' on the server.");
      });
      xhr.send(new FormData(form));
    });
  }

  var form = document.getElementById("upload-form");
  if (form && typeof XMLHttpRequest !== "undefined" && typeof FormData !== "undefined") {
    setup(form);
  }
})();
