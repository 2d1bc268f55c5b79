// The survey web form: relevant/constraint from the parsed trees in data-* attributes (the same trees the server
// checks, see evaluation/expressions.py), repeat instances ("Add another"), and a draft kept in localStorage until
// the answers are sent. No inline script: this file is loaded by the form page.
(function () {
  "use strict";
  var form = document.getElementById("survey-form");
  if (!form) return;
  var key = form.dataset.draftKey;
  var FIELDS = "input, select, textarea";

  function boxFor(name, ctx) {
    var inst = ctx && ctx.closest ? ctx.closest(".instance") : null;
    var sel = '[data-name="' + name + '"]';
    return (inst && inst.querySelector(sel)) || form.querySelector(sel);
  }
  function value(name, ctx) {
    var box = boxFor(name, ctx);
    if (!box) return "";
    var out = [];
    box.querySelectorAll(FIELDS).forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.disabled) return;
      if (el.value !== "") out.push(el.value);
    });
    return out.join(" ");
  }
  function num(v) { var s = String(v).trim(); return s !== "" && !isNaN(Number(s)) ? Number(s) : null; }
  function compare(op, a, b) {
    var x = num(a), y = num(b);
    if (x === null || y === null) {
      if ((x === null) !== (y === null) && (a === "" || b === "")) return op === "!=";
      x = String(a); y = String(b);
    }
    switch (op) {
      case "=": return x === y; case "!=": return x !== y; case "<": return x < y;
      case "<=": return x <= y; case ">": return x > y; case ">=": return x >= y;
    }
    return false;
  }
  function ev(node, current, ctx, columns) {
    switch (node[0]) {
      case "lit": return node[1];
      case "col": return (columns && columns[node[1]] !== undefined) ? String(columns[node[1]]) : "";
      case "ref": return value(node[1], ctx);
      case "self": return current;
      case "or": return !!ev(node[1], current, ctx, columns) || !!ev(node[2], current, ctx, columns);
      case "and": return !!ev(node[1], current, ctx, columns) && !!ev(node[2], current, ctx, columns);
      case "cmp": return compare(node[1], ev(node[2], current, ctx, columns), ev(node[3], current, ctx, columns));
      case "fn":
        var args = node.slice(2).map(function (a) { return ev(a, current, ctx, columns); });
        if (node[1] === "selected") return String(args[0]).split(/\s+/).indexOf(String(args[1])) >= 0;
        if (node[1] === "not") return !args[0];
        if (node[1] === "count-selected") return String(args[0]).split(/\s+/).filter(Boolean).length;
        if (node[1] === "string-length") return String(args[0]).length;
        return node[1] === "true";
    }
    return true;
  }
  function refresh() {
    // cascading choices (choice_filter): only the choices the earlier answers allow are offered
    form.querySelectorAll("[data-choice-filter]").forEach(function (box) {
      var tree = JSON.parse(box.dataset.choiceFilter);
      box.querySelectorAll("input[data-columns]").forEach(function (input) {
        var ok = !!ev(tree, input.value, box, JSON.parse(input.dataset.columns));
        input.closest("label").hidden = !ok;
        input.disabled = !ok;
        if (!ok && input.checked) input.checked = false;
      });
    });
    form.querySelectorAll("[data-relevant]").forEach(function (box) {
      var on = !!ev(JSON.parse(box.dataset.relevant), "", box);
      box.hidden = !on;
      box.querySelectorAll(FIELDS).forEach(function (el) { el.disabled = !on; });
    });
    // a box inside a hidden group stays disabled even if its own expression is true
    form.querySelectorAll("[hidden] " + FIELDS.split(", ").join(", [hidden] ")).forEach(function (el) { el.disabled = true; });
    form.querySelectorAll("[data-constraint]").forEach(function (box) {
      var current = value(box.dataset.name, box), error = box.querySelector(".error");
      var ok = box.hidden || current === "" || !!ev(JSON.parse(box.dataset.constraint), current, box);
      box.classList.toggle("invalid", !ok);
      if (error) { error.hidden = ok; if (!ok) error.textContent = box.dataset.message; }
      box.querySelectorAll(FIELDS).forEach(function (el) {
        if (el.setCustomValidity) el.setCustomValidity(ok ? "" : box.dataset.message);
      });
    });
  }
  function addInstance(fieldset) {
    var path = fieldset.dataset.repeat;
    var all = fieldset.querySelectorAll(":scope > .instance");
    var n = all.length + 1;
    var clone = all[0].cloneNode(true);
    clone.dataset.index = String(n);
    clone.querySelectorAll("[name]").forEach(function (el) {
      if (el.name.indexOf(path + "/") === 0) el.name = path + "[" + n + "]" + el.name.slice(path.length);
      if (el.type === "radio" || el.type === "checkbox") el.checked = false; else el.value = "";
      el.disabled = false;
    });
    clone.querySelectorAll("[id]").forEach(function (el) { el.id = el.id + "-" + n; });
    clone.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor + "-" + n; });
    clone.querySelectorAll(".error").forEach(function (el) { el.hidden = true; });
    clone.querySelectorAll(".invalid").forEach(function (el) { el.classList.remove("invalid"); });
    var no = clone.querySelector(".instance-no");
    if (no) no.textContent = "#" + n;
    all[all.length - 1].after(clone);
    return clone;
  }
  function save() {
    var data = { __instances: {} };
    form.querySelectorAll("[data-repeat]").forEach(function (fs) {
      if (fs.tagName === "FIELDSET") data.__instances[fs.dataset.repeat] = fs.querySelectorAll(":scope > .instance").length;
    });
    form.querySelectorAll(FIELDS).forEach(function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken") return;
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) (data[el.name] = data[el.name] || []).push(el.value); }
      else if (el.value !== "") (data[el.name] = data[el.name] || []).push(el.value);
    });
    try { localStorage.setItem(key, JSON.stringify(data)); } catch (e) { /* private mode: no draft */ }
  }
  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return; }
    if (!raw) return;
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    var counts = data.__instances || {};
    form.querySelectorAll("fieldset[data-repeat]").forEach(function (fs) {
      var want = Math.min(counts[fs.dataset.repeat] || 1, 100);
      while (fs.querySelectorAll(":scope > .instance").length < want) addInstance(fs);
    });
    var restored = false;
    form.querySelectorAll(FIELDS).forEach(function (el) {
      var v = data[el.name];
      if (!el.name || el.name === "csrfmiddlewaretoken" || !v) return;
      if (el.type === "radio" || el.type === "checkbox") { el.checked = v.indexOf(el.value) >= 0; }
      else { el.value = v[0]; }
      restored = true;
    });
    var note = document.getElementById("draft-note");
    if (restored && note && !document.querySelector(".errors")) note.hidden = false;
  }
  form.querySelectorAll("button.add-instance").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var fs = form.querySelector('fieldset[data-repeat="' + button.dataset.repeat + '"]');
      if (!fs) return;
      var clone = addInstance(fs);
      refresh(); save();
      var first = clone.querySelector(FIELDS);
      if (first) first.focus();
    });
  });
  var sent = document.querySelector("[data-clear-draft]");
  if (sent) { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }
  else { restore(); }
  refresh();
  form.addEventListener("input", function () { refresh(); save(); });
  form.addEventListener("change", function () { refresh(); save(); });
  form.addEventListener("submit", function (e) {
    refresh();
    var bad = form.querySelector(".q.invalid:not([hidden])");
    if (bad) { e.preventDefault(); bad.scrollIntoView(); }
  });
})();
