// Forms that work without a connection (form[data-offline]: a stay, an outcome, survey answers). Sent while
// offline, an entry is kept on this device ("waiting to send (N)") and sent when the connection returns, with
// its idempotency key: a retry is never saved twice. An entry the server refuses keeps its errors and can be
// opened again in its form. Signed out, the device keeps nothing: the entries and the kept pages are removed.
(function () {
  "use strict";
  var STORE = "healthlinks-outbox";
  var CACHE = "healthlinks-offline-v1";
  var me = document.currentScript;
  var box = document.getElementById("outbox");
  var text = (box && box.dataset) || {};

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function keep(list) {
    try { localStorage.setItem(STORE, JSON.stringify(list)); } catch (e) { /* storage full or private mode */ }
    show();
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function freshKeys(form) {
    form.querySelectorAll("input[data-once]").forEach(function (i) { i.value = uuid(); });
  }

  if (!me || me.dataset.signedIn !== "1") {  // signed out: remove what a signed-in user left on this device
    try { localStorage.removeItem(STORE); } catch (e) { /* ignore */ }
    if (window.caches) caches.delete(CACHE);
    return;
  }
  if ("serviceWorker" in navigator && me.dataset.worker) {
    navigator.serviceWorker.register(me.dataset.worker).then(function () {
      // this form and what it needs, kept from the first visit (the worker keeps later ones itself)
      if (!document.querySelector("form[data-offline]") || !window.caches || !navigator.onLine) return;
      var urls = [location.href];
      document.querySelectorAll("link[rel=stylesheet][href], script[src]").forEach(function (el) {
        urls.push(el.href || el.src);
      });
      caches.open(CACHE).then(function (cache) { return cache.addAll(urls); }).catch(function () { /* later */ });
    }).catch(function () { /* no worker (private mode): the forms still queue while this page is open */ });
  }

  function entryFields(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") fields.push([name, value]);
    });
    return fields;
  }
  function fill(form, fields) {
    form.reset();
    form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(function (i) { i.checked = false; });
    fields.forEach(function (f) {
      form.querySelectorAll('[name="' + CSS.escape(f[0]) + '"]').forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") { if (el.value === f[1]) el.checked = true; }
        else if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.options, function (o) { if (o.value === f[1]) o.selected = true; });
        } else { el.value = f[1]; }
      });
    });
    form.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // sent while offline: kept here instead (after the form's own checks, which may stop the sending)
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !form.matches || !form.matches("form[data-offline]") || navigator.onLine) return;
    e.preventDefault();
    var fields = entryFields(form);
    var key = fields.filter(function (f) { return f[0] === "idempotency_key" || f[0] === "_uuid"; })[0];
    var list = load();
    list.push({
      id: key ? key[1] : uuid(),
      action: form.action || location.href,
      page: location.pathname,
      title: document.title.split(" · ")[0],
      at: new Date().toLocaleString(),
      fields: fields,
    });
    keep(list);
    form.reset();
    freshKeys(form);
    if (form.dataset.draftKey) {
      form.dispatchEvent(new Event("change", { bubbles: true }));
      try { localStorage.removeItem(form.dataset.draftKey); } catch (err) { /* ignore */ }
    }
    say(text.kept);
    window.scrollTo(0, 0);
  });

  var note = null;
  function say(message) { note = message || null; show(); }
  function show() {
    if (!box) return;
    var list = load();
    box.replaceChildren();
    box.hidden = !list.length && !note;
    if (note) { var p = document.createElement("p"); p.textContent = note; box.appendChild(p); }
    if (!list.length) return;
    var head = document.createElement("p");
    head.className = "outbox-count";
    head.textContent = (text.waiting || "Waiting to send ({n})").replace("{n}", list.length);
    box.appendChild(head);
    var ul = document.createElement("ul");
    list.forEach(function (entry) {
      if (!entry.errors) return;
      var li = document.createElement("li");
      li.textContent = entry.title + " · " + entry.at + " — " + (text.refused || "Not saved:") + " " + entry.errors.join(" ");
      var form = entry.page === location.pathname && document.querySelector("form[data-offline]");
      var open = document.createElement(form ? "button" : "a");
      open.className = form ? "button secondary" : "";
      open.textContent = text.edit || "Edit";
      if (form) {
        open.type = "button";
        open.addEventListener("click", function () {
          keep(load().filter(function (x) { return x.id !== entry.id; }));
          fill(form, entry.fields);
          form.scrollIntoView();
        });
      } else {
        open.href = entry.page;
      }
      li.append(" ", open);
      ul.appendChild(li);
    });
    if (ul.children.length) box.appendChild(ul);
  }

  // the page's own form, with a token valid now (the one kept with an entry may be older than a new sign-in)
  function token(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var input = doc.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    });
  }
  function errorsIn(html, status) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var found = [];
    doc.querySelectorAll(".field.invalid, .q.invalid").forEach(function (f) {
      var label = f.querySelector("label, legend");
      var error = f.querySelector(".error");
      if (error && error.textContent.trim()) {
        found.push((label ? label.textContent.replace("*", "").trim() + ": " : "") + error.textContent.trim());
      }
    });
    doc.querySelectorAll(".errors li, div.errors > :not(h2)").forEach(function (e) {
      if (!found.length && e.textContent.trim()) found.push(e.textContent.trim());
    });
    if (!found.length) found.push(status === 403 ? (text.signin || "Sign in again to send it.") : "HTTP " + status);
    return found;
  }
  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return;
    var entry = load().filter(function (x) { return !x.errors; })[0];
    if (!entry) return;
    sending = true;
    var sent = false;
    token(entry.action).then(function (csrf) {
      var body = new FormData();
      entry.fields.forEach(function (f) { body.append(f[0], f[1]); });
      return fetch(entry.action, {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
      });
    }).then(function (r) {
      var rest = load().filter(function (x) { return x.id !== entry.id; });
      if (r.ok && r.redirected) { keep(rest); sent = true; return; }
      return r.text().then(function (html) {
        entry.errors = errorsIn(html, r.status);
        keep(rest.concat([entry]));
        sent = true;
      });
    }).catch(function () { /* still no connection: kept for the next try */ }).then(function () {
      sending = false;
      if (sent) { if (!load().length) say(text.sent); flush(); }
    });
  }
  window.addEventListener("online", flush);
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-offline]").forEach(freshKeys);
    show();
    flush();
  });
})();
