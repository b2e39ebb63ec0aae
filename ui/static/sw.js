// Truce web UI: the service worker that lets a field monitor open the
// observation form without a connection. It keeps the last copy of the
// form page it fetched and the static files (content-hashed, so a copy
// never goes stale) in the browser's Cache Storage; the form's own queue
// (observe.js) keeps the reports and sends them when the connection
// returns. Only GET requests for the form page and /static/ are answered
// here: the API, other pages and every write go to the network as they
// are. Plain ES5.
'use strict';
var CACHE = 'truce-observe-v1';
var PAGE = '/observations/new';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') { return; }
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.mode === 'navigate' && url.pathname === PAGE) {
    // The network first, so the form and its CSRF token are current; the
    // last copy when there is no connection.
    e.respondWith(fetch(req).then(function (r) {
      if (r.ok && !r.redirected) {
        var copy = r.clone();
        caches.open(CACHE).then(function (c) { c.put(PAGE, copy); });
      }
      return r;
    }, function () {
      return caches.match(PAGE).then(function (r) { return r || Response.error(); });
    }));
    return;
  }
  if (url.pathname.indexOf('/static/') === 0) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (r) {
        if (r.ok) {
          var copy = r.clone();
          caches.open(CACHE).then(function (c) { c.put(req, copy); });
        }
        return r;
      });
    }));
  }
});
