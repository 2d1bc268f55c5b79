// Render every Vega-Lite chart on the page from its JSON spec (no inline script: CSP-safe).
document.documentElement.classList.remove("no-js");  // charts can be drawn: their boxes show
(function () {
  "use strict";
  // a drawn chart's figures (the table the server wrote beside it) fold under it, one click away
  function foldFigures(el) {
    for (var n = el.nextElementSibling; n && !n.classList.contains("chart"); n = n.nextElementSibling) {
      if (n.matches("details.figures")) { n.open = false; return; }
    }
  }
  function render(root) {
    if (!window.vegaEmbed) return;
    root.querySelectorAll(".chart[data-spec]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.spec);
      if (!source) return;
      el.dataset.rendered = "1";
      var spec = JSON.parse(source.textContent);
      if (spec.data && Array.isArray(spec.data.values) && spec.data.values.length === 0) {
        el.textContent = el.dataset.empty || "No data yet.";
        el.classList.add("empty");
        return;
      }
      window.vegaEmbed(el, spec, {
        ast: true,
        expr: window.vegaInterpreter.expressionInterpreter,
        renderer: "svg",
        defaultStyle: false, // styles come from vendor/vega/vega-embed.css: the CSP forbids injected <style>
        forceActionsMenu: true, // keep the export menu folded behind its button without the injected style
        tooltip: { disableDefaultStyle: true },
        actions: { export: true, source: false, compiled: false, editor: false },
        // marks and axes stay out of the accessibility tree: the chart is named as a whole (below) and its
        // figures are in the table beside it
        config: { aria: false },
      }).then(function () {
        var name = String(el.dataset.label || (spec.title && (spec.title.text || spec.title)) || chartName);
        // One image with a name for assistive technology; Vega's per-mark roles (unnamed) are taken off, again
        // whenever Vega redraws (a resize)
        function asImage() {
          var svg = el.querySelector("svg");
          if (!svg) return;
          el.querySelectorAll(".chart-wrapper[role], svg [role], svg [aria-roledescription]").forEach(function (n) {
            n.removeAttribute("role");
            n.removeAttribute("aria-roledescription");
          });
          if (svg.getAttribute("role") !== "img") svg.setAttribute("role", "img");
          if (svg.getAttribute("aria-label") !== name) svg.setAttribute("aria-label", name);
        }
        asImage();
        foldFigures(el);
        new MutationObserver(asImage).observe(el, { subtree: true, childList: true });
        el.querySelectorAll("details > summary").forEach(function (s) { s.setAttribute("aria-label", menuName); });
      }).catch(function (err) {
        el.textContent = "Chart could not be drawn: " + err.message;
      });
    });
  }
  // The chart libraries are fetched (in order: vega, vega-lite, vega-embed, the CSP-safe interpreter) only when
  // a chart is on the page: a form or a list page weighs a few tens of KB, not a megabyte.
  var me = document.currentScript;
  var chartName = (me && me.getAttribute("data-chart-name")) || "Chart";
  var menuName = (me && me.getAttribute("data-chart-menu")) || "Save the chart";
  var libraries = ((me && me.getAttribute("data-chart-libraries")) || "").split(" ").filter(Boolean);
  var loading = null;
  function load(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }
  function withLibraries(root) {
    if (!root.querySelector(".chart[data-spec]")) return;
    if (!loading) {
      loading = libraries.reduce(function (p, src) { return p.then(function () { return load(src); }); }, Promise.resolve());
    }
    loading.then(function () { render(root); }, function (err) {
      root.querySelectorAll(".chart[data-spec]").forEach(function (el) { el.textContent = err.message; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { withLibraries(document); });
  document.addEventListener("htmx:afterSwap", function (e) { withLibraries(e.target); });
})();
// Upload progress for the import form (htmx reports XHR progress).
document.addEventListener("htmx:xhr:progress", function (e) {
  var bar = document.getElementById("upload-progress");
  if (!bar || !e.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
});
// A background task's page polls its status until it is done or failed (no inline script: CSP).
(function () {
  var box = document.querySelector("[data-task-status]");
  if (!box) return;
  var url = box.getAttribute("data-task-status");
  function set(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var bar = document.getElementById("task-progress");
        if (bar) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
        set("task-stage", s.stage);
        set("task-count", s.total ? s.done + " / " + s.total : "");
        box.setAttribute("data-status", s.status);
        if (s.status === "done" || s.status === "failed") {
          window.location.reload();  // the server renders the result, the download and "run again"
          return;
        }
        set("task-state", s.status);
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  var state = box.getAttribute("data-status");
  if (state === "queued" || state === "running") setTimeout(poll, 500);
})();
// A failed htmx request says so where its result would have appeared: a full disk (507), a server error (500),
// or no connection at all. Without this, htmx swaps nothing and the form looks as if it did nothing.
(function () {
  function target(e) {
    var sel = e.detail.elt && e.detail.elt.getAttribute("hx-target");
    return (sel && document.querySelector(sel)) || e.detail.target || e.detail.elt;
  }
  function show(e, text) {
    var box = target(e);
    var bar = document.getElementById("upload-progress");
    if (bar) bar.hidden = true;
    if (!box) return;
    var p = document.createElement("p");
    p.className = "msg error request-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.replaceChildren(p);
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    var body = type.indexOf("text/plain") === 0 ? (xhr.responseText || "").trim().slice(0, 500) : "";
    var saving = (e.detail.requestConfig && e.detail.requestConfig.verb) !== "get";
    show(e, body || ("The server could not finish this request (HTTP " + xhr.status + ")." +
      (saving ? " Imports and forms are saved whole or not at all, so nothing was saved." : "") +
      " Try again; if it fails again, tell your hub administrator."));
  });
  document.addEventListener("htmx:sendError", function (e) {
    show(e, "The request did not reach the server: no connection? Nothing was sent. Try again once you are online.");
  });
})();
// Boxes to tick found by typing (trainees, facilitators, stays): the search box shows only with JavaScript; a
// box ticked among those found joins the ticked ones, so the next search does not take it away.
(function () {
  function chosenValues(picker) {
    return Array.prototype.map.call(picker.querySelectorAll(".chosen input"), function (i) { return i.value; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".multi-picker [hidden]").forEach(function (el) { el.hidden = false; });
  });
  document.addEventListener("change", function (e) {
    var box = e.target;
    var picker = box.closest && box.closest(".multi-picker");
    if (!picker || !box.checked || !box.closest(".found")) return;
    picker.querySelector(".chosen").appendChild(box.closest("li"));
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var picker = e.target.closest && e.target.closest(".multi-picker");
    if (!picker) return;
    var chosen = chosenValues(picker);
    e.target.querySelectorAll("input").forEach(function (i) {
      if (chosen.indexOf(i.value) >= 0) i.closest("li").remove();
    });
  });
})();
// Offline, a picker does not ask the server for suggestions (what was typed is resolved when the form is sent).
document.addEventListener("htmx:beforeRequest", function (e) {
  if (!navigator.onLine && e.detail.requestConfig && e.detail.requestConfig.verb === "get") e.preventDefault();
});
