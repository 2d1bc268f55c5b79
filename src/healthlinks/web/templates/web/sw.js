// Healthlinks service worker: the pages that work offline (marked by the server with {{ header }}) and the
// app's static files are kept on the device; any other page, and every request while online, goes to the
// network first. Forms filled offline are kept and sent by the page itself (offline.js), never by this worker.
"use strict";
var CACHE = "healthlinks-offline-v1";
var STATIC = "{{ static|escapejs }}";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var request = e.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  var isStatic = url.pathname.indexOf(STATIC) === 0;
  if (!isStatic && request.mode !== "navigate") return;
  e.respondWith(fetch(request).then(function (response) {
    if (response.ok && (isStatic || response.headers.get("{{ header|escapejs }}"))) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (kept) { return kept || Response.error(); });
  }));
});
// Signed out: nothing of the user's stays on the device.
self.addEventListener("message", function (e) {
  if (e.data === "forget") e.waitUntil(caches.delete(CACHE));
});
