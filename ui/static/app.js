// Truce web UI: the map, its layers and the zone draw tool. Plain ES5 on
// Leaflet, no build step. Pages pass their settings in data-config.
(function () {
  'use strict';

  var factories = {};
  var kindColors = {
    deescalation: '#2b8a3e', no_fly: '#c92a2a', buffer: '#e67700', liberated_area: '#1971c2',
    humanitarian_corridor: '#0b7285', exclusion: '#862e9c', contact_line: '#343a40'
  };

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function zoneStyle(f) {
    var p = f.properties || {};
    var c = kindColors[p.kind] || '#495057';
    var proposed = p.status === 'proposed';
    return { color: c, weight: proposed ? 2 : 2.5, dashArray: proposed ? '6 5' : null,
      fillColor: c, fillOpacity: proposed ? 0.06 : 0.22, className: 'zone zone-' + p.kind + ' zone-' + p.status };
  }

  function altitude(v, labels) { return v == null ? labels.unbounded : Math.round(v) + ' m'; }

  function windows(ws, labels) {
    if (!ws || !ws.length) { return labels.always; }
    return ws.map(function (w) { return (w.start || '…') + ' – ' + (w.end || '…'); }).join('; ');
  }

  function zonePopup(f, labels) {
    var p = f.properties || {};
    return '<div class="zone-popup" dir="auto"><strong>' + esc(p.name) + '</strong><br>' +
      esc(labels['kind.' + p.kind] || p.kind) + ' · ' + esc(p.status === 'proposed' ? labels.proposed : labels.in_force) +
      ' · ' + esc(labels.version) + ' ' + esc(p.version) + '<br>' +
      esc(labels.floor) + ': ' + esc(altitude(p.floor_m, labels)) + ' · ' + esc(labels.ceiling) + ': ' + esc(altitude(p.ceiling_m, labels)) + '<br>' +
      esc(labels.windows) + ': ' + esc(windows(p.windows, labels)) +
      (p.in_force_from ? '<br>' + esc(labels.in_force_from) + ' ' + esc(p.in_force_from) : '') +
      '<br><a href="/zones/' + encodeURIComponent(p.zone_id) + '">' + esc(labels.details) + '</a></div>';
  }

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/geo+json, application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(url + ': ' + r.status); } return r.json(); });
  }

  // Truce is the hook for later layers: a script registers a factory that
  // returns a Leaflet layer for the map page's Layer of the same id.
  var Truce = window.Truce = {
    registerLayer: function (id, factory) { factories[id] = factory; },
    zoneStyle: zoneStyle, zonePopup: zonePopup, kindColors: kindColors, getJSON: getJSON, esc: esc,
    newMap: newMap, basemap: basemap
  };

  function newMap(el, cfg) {
    var map = L.map(el, { zoomSnap: 0.5, minZoom: 5, maxZoom: 16, attributionControl: true }).setView([35.0, 38.5], 7);
    map.attributionControl.setPrefix('Leaflet');
    map.createPane('basemap').style.zIndex = 250;
    map.createPane('labels').style.zIndex = 450;
    if (cfg.tileURL) {
      L.tileLayer(cfg.tileURL, { attribution: esc(cfg.tileAttribution || '') }).addTo(map);
    }
    map.attributionControl.addAttribution('Natural Earth · OCHA / HDX (CC BY-IGO) · GeoNames (CC BY 4.0)');
    return map;
  }

  // basemap draws the embedded boundaries: the outline and governorates
  // always, districts and town names from zoom 8.
  function basemap(map, cfg, fit) {
    var labels = cfg.labels || {};
    var b = cfg.basemap || {};
    var layers = {};
    var outline = L.geoJSON(null, { pane: 'basemap', interactive: false,
      style: { color: '#5c5f66', weight: 1.5, fillColor: '#f1efe6', fillOpacity: cfg.tileURL ? 0 : 1 } });
    var gov = L.geoJSON(null, { pane: 'basemap', interactive: false, style: { color: '#8d8f96', weight: 1, fill: false } });
    var dist = L.geoJSON(null, { pane: 'basemap', style: { color: '#b0b2b8', weight: 0.7, dashArray: '3 3', fill: false },
      onEachFeature: function (f, l) { l.bindTooltip(esc(f.properties.name_en) + ' · ' + esc(f.properties.name_ar), { sticky: true }); } });
    var towns = L.geoJSON(null, { pane: 'labels',
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, { radius: 2.5, color: '#333', weight: 1, fillOpacity: 1 })
          .bindTooltip(esc(f.properties.name), { permanent: true, direction: 'right', className: 'town-label', offset: [4, 0] });
      } });
    layers[labels.outline || 'Syria'] = outline;
    layers[labels.governorates || 'Governorates'] = gov;
    layers[labels.districts || 'Districts'] = dist;
    layers[labels.towns || 'Towns'] = towns;
    outline.addTo(map);
    gov.addTo(map);
    if (b.outline) {
      getJSON(b.outline).then(function (d) {
        outline.addData(d);
        if (fit) { map.fitBounds(outline.getBounds(), { padding: [8, 8] }); }
        map.getContainer().dataset.basemap = '1';
      });
    }
    if (b.governorates) { getJSON(b.governorates).then(function (d) { gov.addData(d); }); }
    var loaded = {};
    function zoomed() {
      var close = map.getZoom() >= 8;
      [[dist, b.districts], [towns, b.towns]].forEach(function (pair) {
        var layer = pair[0], url = pair[1];
        if (close && !map.hasLayer(layer)) {
          if (!loaded[url] && url) { loaded[url] = true; getJSON(url).then(function (d) { layer.addData(d); }); }
          layer.addTo(map);
        } else if (!close && map.hasLayer(layer)) {
          map.removeLayer(layer);
        }
      });
    }
    map.on('zoomend', zoomed);
    zoomed();
    return layers;
  }

  function isoAt(hours) { return new Date(Date.now() + hours * 3600e3).toISOString().replace(/\.\d{3}Z$/, 'Z'); }

  function r5(x) { return Math.round(x * 1e5) / 1e5; }

  // zoneLayer draws the zones on one canvas (thousands of SVG paths make
  // every pan and zoom crawl) and fetches them for the view: simplified by
  // the server for the whole-number zoom, within the view and half a view
  // around it, so a pan inside that margin fetches nothing and a zoom
  // fetches the geometry drawn at the new scale.
  function zoneLayer(map, el, cfg) {
    var labels = cfg.labels || {};
    // The zones are not interactive themselves: a canvas answers only for
    // its own layers, so the aircraft canvas above them would swallow
    // their clicks, and hit-testing thousands of polygons on every mouse
    // move is wasted work. A click on the map opens the popup of the
    // topmost zone under it.
    var opts = { style: zoneStyle, renderer: L.canvas({ padding: 0.2 }), interactive: false };
    var layer = L.geoJSON(null, opts);
    map.on('click', function (e) {
      if (!map.hasLayer(layer)) { return; }
      var p = map.latLngToLayerPoint(e.latlng), hit = null;
      layer.eachLayer(function (l) {
        if (l._pxBounds && l._pxBounds.contains(p) && l._containsPoint(p)) { hit = l; }
      });
      if (hit) { L.popup().setLatLng(e.latlng).setContent(zonePopup(hit.feature, labels)).openOn(map); }
    });
    var at = '', loaded = null, seq = 0, drawn = false;
    function refresh(force) {
      var z = Math.floor(map.getZoom()), view = map.getBounds();
      if (!force && loaded && loaded.at === at && loaded.z === z && loaded.box.contains(view)) { return Promise.resolve(); }
      var box = view.pad(0.5);
      // The padded view may reach past the poles and the antimeridian; the
      // server takes a box within the world (the zones all are).
      var clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
      var url = cfg.zonesURL + '?zoom=' + z + '&bbox=' + [clamp(box.getWest(), 180), clamp(box.getSouth(), 90),
        clamp(box.getEast(), 180), clamp(box.getNorth(), 90)].map(r5).join(',') +
        (at ? '&at=' + encodeURIComponent(at) : '');
      var mine = ++seq, forAt = at;
      el.dataset.zonesLoaded = '';
      return getJSON(url).then(function (d) {
        return new Promise(function (resolve) {
          // Thousands of features are made into layers a few hundred at a
          // time, off the map, so that no frame waits for all of them;
          // the map then swaps them in at once (one projection, one draw).
          var fresh = L.geoJSON(null, opts), i = 0, busy = 0;
          (function step() {
            if (mine !== seq) { resolve(false); return; }
            var t0 = performance.now();
            while (i < d.features.length && performance.now() - t0 < 20) { fresh.addData(d.features.slice(i, i + 100)); i += 100; }
            busy += performance.now() - t0;
            if (i < d.features.length) { requestAnimationFrame(step); return; }
            t0 = performance.now();
            layer.clearLayers();
            fresh.eachLayer(function (l) { layer.addLayer(l); });
            el.dataset.zonesBuildMs = String(Math.round(busy + performance.now() - t0));
            resolve(true);
          }());
        });
      }).then(function (done) {
        if (!done) { return; }
        loaded = { at: forAt, z: z, box: box };
        el.dataset.zoneCount = String(layer.getLayers().length);
        el.dataset.zonesAt = forAt;
        el.dataset.zonesLoaded = '1';
        if (!drawn) {
          drawn = true;
          requestAnimationFrame(function () { if (window.performance && performance.mark) { performance.mark('truce-zones-drawn'); } });
        }
      });
    }
    layer.load = function (newAt) { at = newAt || ''; return refresh(true); };
    map.on('moveend', function () { if (map.hasLayer(layer)) { refresh(false); } });
    layer.on('add', function () { refresh(false); });
    return layer;
  }

  // genericLayer builds a registered Layer without a factory: "geojson"
  // follows the time slider; "sse" draws each event's geometry by subject.
  function genericLayer(map, l, ctx) {
    if (l.kind === 'geojson') {
      var g = L.geoJSON(null, { style: zoneStyle });
      var load = function (at) {
        getJSON(l.source + (at ? (l.source.indexOf('?') < 0 ? '?' : '&') + 'at=' + encodeURIComponent(at) : ''))
          .then(function (d) { g.clearLayers(); g.addData(d); });
      };
      ctx.onTime(load);
      load('');
      return g;
    }
    if (l.kind === 'sse' && window.EventSource) {
      var group = L.layerGroup(), byID = {};
      var es = new EventSource(l.source);
      es.onmessage = function (m) {
        var e;
        try { e = JSON.parse(m.data); } catch (err) { return; }
        var data = e.data || e, geom = data.geometry;
        if (!geom) { return; }
        var id = e.subject || data.id;
        if (byID[id]) { group.removeLayer(byID[id]); }
        byID[id] = L.geoJSON(geom).addTo(group);
      };
      return group;
    }
    return L.layerGroup();
  }

  function mainMap(el) {
    var cfg = JSON.parse(el.dataset.config);
    var map = newMap(el, cfg);
    Truce.map = map;
    // The map opens on the zones that concern the user (cfg.fit, from the
    // server), or on Syria when there are none.
    if (cfg.fit) { map.fitBounds([[cfg.fit[1], cfg.fit[0]], [cfg.fit[3], cfg.fit[2]]], { padding: [16, 16], maxZoom: 11, animate: false }); }
    var overlays = basemap(map, cfg, !cfg.fit);
    if (cfg.draw) { drawTool(map, cfg); L.control.layers(null, overlays).addTo(map); return; }
    var timeHooks = [];
    var ctx = { labels: cfg.labels, config: cfg, el: el, onTime: function (fn) { timeHooks.push(fn); } };
    (cfg.layers || []).forEach(function (l) {
      var layer;
      if (l.kind === 'zones') {
        layer = zoneLayer(map, el, cfg);
        Truce.zoneLayer = layer;
        ctx.onTime(layer.load);
      } else if (factories[l.id]) {
        layer = factories[l.id](map, l, ctx);
      } else {
        layer = genericLayer(map, l, ctx);
      }
      if (!layer) { return; }
      overlays[esc(l.title)] = layer;
      if (l.visible) { layer.addTo(map); }
    });
    L.control.layers(null, overlays, { collapsed: window.innerWidth < 700 }).addTo(map);
    var slider = document.getElementById('time-slider');
    var out = document.getElementById('time-label');
    if (slider) {
      var label = function () {
        var h = parseInt(slider.value, 10);
        out.textContent = h === 0 ? cfg.labels.now : isoAt(h);
      };
      slider.addEventListener('input', label);
      slider.addEventListener('change', function () {
        label();
        var h = parseInt(slider.value, 10);
        var at = h === 0 ? '' : isoAt(h);
        timeHooks.forEach(function (fn) { fn(at); });
      });
    }
  }

  // drawTool: click to add corners, Finish closes the ring; the polygon
  // goes into the form's hidden "geometry" field as RFC 7946 GeoJSON
  // (exterior ring counter-clockwise).
  function drawTool(map, cfg) {
    var labels = cfg.labels || {};
    var pts = [];
    var line = L.polyline([], { color: '#c92a2a', weight: 2 }).addTo(map);
    var poly = null;
    var field = document.getElementById('geometry');
    map.doubleClickZoom.disable();
    function ring() {
      var r = pts.map(function (p) { return [Math.round(p.lng * 1e6) / 1e6, Math.round(p.lat * 1e6) / 1e6]; });
      var area = 0;
      for (var i = 0; i < r.length; i++) {
        var a = r[i], b = r[(i + 1) % r.length];
        area += a[0] * b[1] - b[0] * a[1];
      }
      if (area < 0) { r.reverse(); }
      r.push(r[0].slice());
      return r;
    }
    // cfg.drawMode: '' a polygon; 'site' a point (one click) or a
    // polygon; 'line' a route.
    var mode = cfg.drawMode || '';
    function coords() {
      return pts.map(function (p) { return [Math.round(p.lng * 1e6) / 1e6, Math.round(p.lat * 1e6) / 1e6]; });
    }
    function geometry() {
      if (mode === 'line') { return pts.length >= 2 ? { type: 'LineString', coordinates: coords() } : null; }
      if (mode === 'site' && pts.length === 1) { return { type: 'Point', coordinates: coords()[0] }; }
      return pts.length >= 3 ? { type: 'Polygon', coordinates: [ring()] } : null;
    }
    function update() {
      line.setLatLngs(pts);
      var g = geometry();
      if (field) { field.value = g ? JSON.stringify(g) : ''; }
      document.getElementById('map').dataset.vertices = String(pts.length);
    }
    function finish() {
      if (mode === 'line') {
        if (pts.length < 2) { return; }
        if (poly) { map.removeLayer(poly); }
        poly = L.polyline(pts, { color: '#c92a2a', weight: 4 }).addTo(map);
        line.setLatLngs([]);
        return;
      }
      if (mode === 'site' && pts.length === 1) {
        if (poly) { map.removeLayer(poly); }
        poly = L.circleMarker(pts[0], { color: '#c92a2a', radius: 8 }).addTo(map);
        return;
      }
      if (pts.length < 3) { return; }
      if (poly) { map.removeLayer(poly); }
      poly = L.polygon(pts, { color: '#c92a2a', weight: 2, fillOpacity: 0.15 }).addTo(map);
      line.setLatLngs([]);
    }
    function clear() {
      pts = [];
      if (poly) { map.removeLayer(poly); poly = null; }
      update();
    }
    map.on('click', function (e) {
      if (poly) { clear(); }
      pts.push(e.latlng);
      update();
    });
    map.on('dblclick', finish);
    var Ctl = L.Control.extend({ onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-bar draw-control');
      [[labels.draw_finish || 'Finish', finish, 'draw-finish'], [labels.draw_clear || 'Clear', clear, 'draw-clear']].forEach(function (b) {
        var a = L.DomUtil.create('a', b[2], div);
        a.href = '#';
        a.id = b[2];
        a.textContent = b[0];
        a.setAttribute('role', 'button');
        L.DomEvent.on(a, 'click', function (e) { L.DomEvent.stop(e); b[1](); });
      });
      return div;
    } });
    new Ctl({ position: 'topleft' }).addTo(map);
    Truce.draw = { points: function () { return pts.slice(); }, finish: finish, clear: clear };
    update();
  }

  function zoneMap(el) {
    var cfg = JSON.parse(el.dataset.config || '{}');
    var map = newMap(el, cfg);
    basemap(map, cfg, false);
    var g;
    try { g = JSON.parse(el.dataset.geometry); } catch (err) { return; }
    var layer = L.geoJSON(g, { style: { color: '#1971c2', weight: 2, fillOpacity: 0.2 } }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [16, 16], maxZoom: 11 });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!window.L) { return; }
    var el = document.getElementById('map');
    if (el && el.dataset.config) { mainMap(el); }
    var zm = document.getElementById('zone-map');
    if (zm && zm.dataset.geometry) { zoneMap(zm); }
  });
}());
