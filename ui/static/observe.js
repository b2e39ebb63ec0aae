// Truce web UI: the observation form's local queue, so that a report made
// with a bad connection is never lost nor recorded twice. A submitted
// report is kept in the browser (localStorage) with an Idempotency-Key
// drawn once, and posted to the API; it leaves the queue only when the
// server has recorded it (201) or refused it with a reason (a 4xx other
// than 408 and 429, shown to the observer). On a network failure or a
// server error it stays queued, and is sent again, with the same key,
// when the browser is back online and every 15 s: a report whose answer
// was lost is then answered from the server's record, not filed again.
// Each round of sending first reads the session's current CSRF token
// (the page may be a copy kept from an earlier session, see sw.js); a
// signed-out browser keeps its reports until the monitor signs in again.
// Evidence files attached to a report are hashed (SHA-256) in the browser
// and kept in IndexedDB with the queued report; each is uploaded under its
// hash (PUT, so a repeated upload is answered from the record) before the
// report that cites it, and removed from the browser once the report is
// recorded or refused. A file the server refuses refuses its report, with
// the server's reason.
// The service worker (/sw.js) keeps a copy of this page, so the form opens
// without a connection. Without JavaScript the form posts as a plain form,
// without evidence. Plain ES5.
(function () {
  'use strict';
  var form = document.getElementById('observation-form');
  var box = document.getElementById('obs-queue-card');
  if (!form || !box || !window.localStorage || !window.fetch) { return; }
  var STORE = 'truce.observations.queue';
  var queued = document.getElementById('obs-queue');
  var results = document.getElementById('obs-results');
  var state = document.getElementById('obs-queue-state');
  var msg = function (k) { return box.getAttribute('data-' + k) || k; };
  var busy = false;

  var evInput = document.getElementById('obs-evidence');
  var evSet = document.getElementById('obs-evidence-set');
  var maxBytes = evSet ? Number(evSet.getAttribute('data-max-bytes')) : 0;
  var maxFiles = evSet ? Number(evSet.getAttribute('data-max-files')) : 0;

  // files: the evidence kept in IndexedDB, by SHA-256 (hex).
  var dbp = null;
  function files() {
    if (!dbp) {
      dbp = new Promise(function (ok, fail) {
        if (!window.indexedDB) { fail(new Error('no IndexedDB')); return; }
        var req = indexedDB.open('truce-evidence', 1);
        req.onupgradeneeded = function () { req.result.createObjectStore('files'); };
        req.onsuccess = function () { ok(req.result); };
        req.onerror = function () { fail(req.error); };
      });
    }
    return dbp;
  }
  function idb(mode, fn) {
    return files().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction('files', mode);
        var r = fn(t.objectStore('files'));
        t.oncomplete = function () { ok(r && r.result); };
        t.onerror = function () { fail(t.error); };
        t.onabort = function () { fail(t.error); };
      });
    });
  }
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  // keepFiles hashes the chosen files and keeps them; it resolves to
  // their hashes, or rejects with the reason to show.
  function keepFiles() {
    var list = evInput && evInput.files ? Array.prototype.slice.call(evInput.files) : [];
    if (!list.length) { return Promise.resolve([]); }
    if (list.length > maxFiles) { return Promise.reject(new Error(msg('too-many'))); }
    for (var i = 0; i < list.length; i++) {
      if (maxBytes && list[i].size > maxBytes) { return Promise.reject(new Error(msg('too-large') + ' ' + list[i].name)); }
    }
    if (!window.crypto || !crypto.subtle) { return Promise.reject(new Error(msg('no-store'))); }
    return Promise.all(list.map(function (f) {
      return new Promise(function (ok, fail) {
        var rd = new FileReader();
        rd.onload = function () { ok(rd.result); };
        rd.onerror = function () { fail(rd.error); };
        rd.readAsArrayBuffer(f);
      }).then(function (buf) {
        return crypto.subtle.digest('SHA-256', buf).then(function (d) {
          var sum = hex(d);
          return idb('readwrite', function (st) { st.put({ data: buf, type: f.type || 'application/octet-stream', name: f.name }, sum); }).then(function () { return sum; });
        });
      });
    })).then(function (sums) {
      return sums.filter(function (s, i) { return sums.indexOf(s) === i; });
    }, function (e) { throw new Error(msg('no-store') + ' (' + (e && e.message || e) + ')'); });
  }
  function forget(sums) {
    if (!sums || !sums.length) { return; }
    idb('readwrite', function (st) { sums.forEach(function (s) { st.delete(s); }); }).catch(function () {});
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || []; } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(STORE, JSON.stringify(q)); }
  function field(name) { var e = form.elements[name]; return e ? String(e.value).trim() : ''; }
  function num(name) { var v = field(name); return v === '' ? 0 : Number(v); }
  // datetime-local values are read as UTC, as the form says.
  function utc(v) { return v.length === 16 ? v + ':00Z' : v + 'Z'; }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  // body is the API's ObservationInput made from the form.
  function body() {
    var b = {
      mode: field('mode'), category: field('category'),
      observer_position: { lon: num('obs_lon'), lat: num('obs_lat') },
      start: utc(field('start')), end: utc(field('end')),
      events: { best: num('events_best'), low: num('events_low'), high: num('events_high') },
      casualties: { best: num('cas_best'), low: num('cas_low'), high: num('cas_high') }
    };
    ['sub_category', 'weapon', 'actor', 'narrative'].forEach(function (k) { if (field(k)) { b[k] = field(k); } });
    if (num('confidence')) { b.confidence = num('confidence'); }
    var loc = form.querySelector('input[name="loc"]:checked');
    if (loc && loc.value === 'point') {
      b.location = { lon: num('lon'), lat: num('lat') };
      b.accuracy = num('accuracy');
    } else {
      b.bearing = { degrees: num('bearing'), error: num('bearing_error'), min_distance: num('dmin'), max_distance: num('dmax') };
    }
    return b;
  }

  function text(el, s) { el.textContent = s; return el; }
  function render() {
    var q = load();
    queued.innerHTML = '';
    q.forEach(function (it) {
      var n = (it.body.evidence || []).length;
      var li = text(document.createElement('li'), it.body.category + ' · ' + it.body.start + (n ? ' · ' + n + ' ' + msg('files') : '') + ' · ' + msg('waiting') + (it.error ? ' (' + it.error + ')' : ''));
      li.className = 'queued';
      li.setAttribute('data-key', it.key);
      queued.appendChild(li);
    });
    text(state, q.length ? msg('pending').replace('%d', q.length) : msg('empty'));
  }
  function result(cls, s, href) {
    var li = document.createElement('li');
    li.className = cls;
    if (href) {
      var a = text(document.createElement('a'), s);
      a.href = href;
      li.appendChild(a);
    } else {
      text(li, s);
    }
    results.appendChild(li);
  }
  function update(key, fn) {
    var q = load().filter(function (it) { return fn(it) !== false || it.key !== key; });
    save(q);
  }
  function drop(key) { save(load().filter(function (it) { return it.key !== key; })); }

  // token reads the session's current CSRF token from the form page on
  // the server: resolves to the token, to '' when signed out, and
  // rejects without a connection.
  function token() {
    return window.fetch('/observations/new', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.redirected && /\/login/.test(r.url)) { return ''; }
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      return r.text().then(function (html) {
        var m = /name="csrf" value="([^"]+)"/.exec(html);
        return m ? m[1] : field('csrf');
      });
    });
  }
  function keep(err) {
    save(load().map(function (it) { it.error = err; return it; }));
    busy = false;
    render();
  }

  // flush sends the queued reports in order; it stops at the first that
  // cannot reach the server, to try again later.
  function flush() {
    if (busy) { return; }
    var q = load();
    if (!q.length) { render(); return; }
    busy = true;
    token().then(function (csrf) {
      if (!csrf) { keep(msg('signin')); return; }
      var f = form.elements.csrf;
      if (f) { f.value = csrf; }
      send(q, csrf);
    }, function () {
      // The page could not be read: try with the token the form holds.
      send(q, field('csrf'));
    });
  }
  // upload sends the report's evidence files not yet uploaded, one after
  // the other; it resolves to null when all are on the server, to a
  // refusal's reason, or rejects when the server cannot be reached (or
  // answers with an error that may pass).
  function upload(it, csrf) {
    var todo = (it.body.evidence || []).filter(function (s) { return (it.uploaded || []).indexOf(s) < 0; });
    var next = function (k) {
      if (k >= todo.length) { return Promise.resolve(null); }
      var sum = todo[k];
      return idb('readonly', function (st) { return st.get(sum); }).then(function (f) {
        if (!f) { return msg('lost-file') + ' ' + sum; }
        return window.fetch('/ui/api/v1/evidence/' + sum, {
          method: 'PUT', credentials: 'same-origin',
          headers: { 'Content-Type': f.type, 'X-CSRF-Token': csrf },
          body: f.data
        }).then(function (r) {
          if (r.status === 200 || r.status === 201) {
            update(it.key, function (x) { if (x.key === it.key) { x.uploaded = (x.uploaded || []).concat([sum]); } });
            it.uploaded = (it.uploaded || []).concat([sum]);
            return next(k + 1);
          }
          var problem = /problem\+json/.test(r.headers.get('Content-Type') || '');
          if (r.status === 401 || (r.status === 403 && !problem) || r.status === 408 || r.status === 429 || r.status >= 500) {
            throw new Error(r.status === 401 || r.status === 403 ? msg('signin') : 'HTTP ' + r.status);
          }
          return r.json().catch(function () { return {}; }).then(function (j) { return (j.detail || ('HTTP ' + r.status)) + ' (' + f.name + ')'; });
        });
      });
    };
    return next(0);
  }

  function send(q, csrf) {
    var step = function (i) {
      if (i >= q.length) { busy = false; render(); return; }
      var it = q[i];
      upload(it, csrf).then(function (refused) {
        if (refused) {
          drop(it.key);
          forget(it.body.evidence);
          result('refused', msg('refused') + ' ' + refused);
          step(i + 1);
          return;
        }
        post(it, i);
      }, function (e) {
        update(it.key, function (x) { if (x.key === it.key) { x.error = e && e.message ? e.message : msg('offline'); } });
        busy = false;
        render();
      });
    };
    var post = function (it, i) {
      window.fetch('/ui/api/v1/observations', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': it.key, 'X-CSRF-Token': csrf },
        body: JSON.stringify(it.body)
      }).then(function (r) {
        var problem = /problem\+json/.test(r.headers.get('Content-Type') || '');
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (r.status === 201) {
            drop(it.key);
            forget(it.body.evidence);
            result('filed', msg('filed'), '/incidents/' + encodeURIComponent(j.incident_id));
          } else if (r.status === 401 || (r.status === 403 && !problem)) {
            // Signed out, or the session changed under the page: the
            // report stays, for the next round with a fresh token.
            update(it.key, function (x) { if (x.key === it.key) { x.error = msg('signin'); } });
          } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
            drop(it.key);
            forget(it.body.evidence);
            result('refused', msg('refused') + ' ' + (j.detail || r.status));
          } else {
            update(it.key, function (x) { if (x.key === it.key) { x.error = 'HTTP ' + r.status; } });
          }
          step(i + 1);
        });
      }, function () {
        update(it.key, function (x) { if (x.key === it.key) { x.error = msg('offline'); } });
        busy = false;
        render();
      });
    };
    step(0);
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var b = body();
    keepFiles().then(function (sums) {
      if (sums.length) { b.evidence = sums; }
      var q = load();
      q.push({ key: newKey(), body: b, queued: new Date().toISOString(), uploaded: [] });
      save(q);
      if (evInput) { evInput.value = ''; }
      render();
      flush();
    }, function (err) {
      result('refused', msg('refused') + ' ' + err.message);
    });
  });
  window.addEventListener('online', flush);
  if (navigator.serviceWorker && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  }
  window.setInterval(flush, 15000);
  render();
  flush();
  window.TruceObservationQueue = { flush: flush, load: load };
}());
