// Render every Vega-Lite chart on the page from its JSON spec (no inline script: CSP-safe).
(function () {
  "use strict";
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
      }).catch(function (err) {
        el.textContent = "Chart could not be drawn: " + err.message;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:afterSwap", function (e) { render(e.target); });
})();
// Upload progress for the import form (htmx reports XHR progress).
document.addEventListener("htmx:xhr:progress", function (e) {
  var bar = document.getElementById("upload-progress");
  if (!bar || !e.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
});
