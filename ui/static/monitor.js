// Truce web UI: the airspace monitor on the map — live aircraft (polled
// every two seconds), alerts over Server-Sent Events with the side list —
// and the evidence map of an alert's page. Plain ES5 on Leaflet.
(function () {
  'use strict';
  var T = window.Truce;
  if (!T || !window.L) { return; }
  var esc = T.esc;
  var GREY = '#495057';
  var POLL_MS = 2000;

  function parties(cfg) {
    var byID = {};
    (cfg.parties || []).forEach(function (p) { byID[p.id] = p; });
    return byID;
  }

  function num(v, digits) { return v == null ? '–' : Number(v).toFixed(digits || 0); }

  function label(t) { return t.callsign || t.icao; }

  // Arrow is an aircraft drawn on the map's canvas as an arrow along its
  // track (a circle when the track is unknown), with a dashed ring when it
  // is a relocated replay. It is a CircleMarker for Leaflet's hit testing,
  // popups and tooltips; only its drawing differs. Thousands of DOM or SVG
  // markers make the map crawl; one canvas does not.
  var Arrow = L.CircleMarker.extend({
    options: { radius: 9, weight: 1, color: '#fff', opacity: 1, fillOpacity: 1, heading: null, relocated: false },
    _updatePath: function () {
      var r = this._renderer;
      if (!r._drawing || this._empty()) { return; }
      var ctx = r._ctx, p = this._point, o = this.options;
      ctx.save();
      ctx.translate(p.x, p.y);
      if (o.relocated) {
        ctx.beginPath();
        ctx.setLineDash([3, 2]);
        ctx.globalAlpha = 1;
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = '#343a40';
        ctx.arc(0, 0, 12, 0, 2 * Math.PI);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.beginPath();
      if (o.heading == null) {
        ctx.arc(0, 0, 5, 0, 2 * Math.PI);
      } else {
        ctx.rotate(o.heading * Math.PI / 180);
        ctx.moveTo(0, -10);
        ctx.lineTo(7, 9);
        ctx.lineTo(0, 4.5);
        ctx.lineTo(-7, 9);
        ctx.closePath();
      }
      ctx.restore();
      r._fillStroke(ctx, this);
    }
  });

  function trackPopup(t, p, labels) {
    return '<div class="track-popup" dir="auto"><strong>' + esc(label(t)) + '</strong> · ' + esc(t.icao) +
      (t.squawk ? ' · ' + esc(t.squawk) : '') + '<br>' +
      esc(labels.party) + ': ' + esc(p ? p.name : labels.unattributed) + '<br>' +
      esc(labels.altitude) + ': ' + esc(num(t.alt_m)) + ' m · ' + esc(labels.speed) + ': ' + esc(num(t.gs_kt)) + ' kt · ' +
      esc(labels.heading) + ': ' + esc(num(t.track_deg)) + '°<br>' +
      esc(labels.last_seen) + ': ' + esc(t.last_seen) +
      (t.relocated ? '<br><span class="relocated-badge">' + esc(labels.relocated_legend) + '</span>' : '') + '</div>';
  }

  function legend(cfg) {
    var labels = cfg.labels || {};
    var Ctl = L.Control.extend({ onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-control map-legend');
      div.id = 'map-legend';
      var d = document.createElement('details');
      d.open = window.innerWidth >= 700;
      var s = document.createElement('summary');
      s.textContent = labels.legend || 'Legend';
      d.appendChild(s);
      var ul = document.createElement('ul');
      function item(cls, color, text) {
        var li = document.createElement('li');
        var sw = document.createElement('span');
        sw.className = 'swatch ' + cls;
        if (color) { sw.style.backgroundColor = color; }
        li.appendChild(sw);
        li.appendChild(document.createTextNode(text));
        ul.appendChild(li);
        return li;
      }
      (cfg.parties || []).forEach(function (p) { item('party', p.color, p.name).dataset.party = p.id; });
      item('party', GREY, labels.unattributed || 'Unattributed');
      item('relocated', null, labels.relocated_legend || 'Replayed recording, relocated').id = 'legend-relocated';
      item('alert', null, labels.alerts || 'Alerts');
      d.appendChild(ul);
      div.appendChild(d);
      L.DomEvent.disableClickPropagation(div);
      return div;
    } });
    // On a phone the attribution takes the bottom of the map.
    return new Ctl({ position: window.innerWidth < 700 ? 'topleft' : 'bottomleft' });
  }

  // The aircraft layer polls the tracks while it is on the map.
  T.registerLayer('aircraft', function (map, layer, ctx) {
    var cfg = ctx.config || {};
    var labels = cfg.labels || {};
    var byParty = parties(cfg);
    var group = L.layerGroup();
    var tracks = {};
    var timer = null;
    var leg = legend(cfg);
    var el = ctx.el || map.getContainer();
    // Aircraft and trails go on one canvas (see Arrow), in a pane above
    // the zones however late those load.
    if (!map.getPane('aircraft')) { map.createPane('aircraft').style.zIndex = 480; }
    var canvas = L.canvas({ padding: 0.3, pane: 'aircraft' });

    function draw(items) {
      var seen = {};
      items.forEach(function (t) {
        seen[t.icao] = true;
        var p = byParty[t.party];
        var color = p ? p.color : GREY;
        var ll = [t.lat, t.lon];
        var trail = (t.trail || []).map(function (c) { return [c[1], c[0]]; });
        trail.push(ll);
        var x = tracks[t.icao];
        if (!x) {
          x = tracks[t.icao] = {};
          x.trail = L.polyline(trail, { renderer: canvas, weight: 1.5, opacity: 0.75, interactive: false }).addTo(group);
          x.marker = new Arrow(ll, { renderer: canvas }).addTo(group);
          // Tooltip and popup are built when shown: with thousands of
          // aircraft, rebuilding them on every poll would cost more than
          // moving the markers.
          x.marker.bindTooltip(function () {
            return esc(label(x.data)) + (x.data.relocated ? ' · ' + esc(labels.relocated) : '');
          }, { direction: 'top', offset: [0, -10] });
          x.marker.bindPopup(function () { return trackPopup(x.data, byParty[x.data.party], labels); });
        } else {
          x.marker.setLatLng(ll);
          x.trail.setLatLngs(trail);
        }
        var key = color + '|' + t.track_deg + '|' + !!t.relocated;
        if (x.key !== key) {
          x.key = key;
          L.setOptions(x.marker, { heading: t.track_deg, relocated: !!t.relocated });
          x.marker.setStyle({ fillColor: color });
          x.trail.setStyle({ color: color, dashArray: t.relocated ? '4 3' : null });
        }
        x.data = t;
        if (x.marker.isPopupOpen()) { x.marker.setPopupContent(trackPopup(t, p, labels)); }
      });
      Object.keys(tracks).forEach(function (icao) {
        if (!seen[icao]) {
          group.removeLayer(tracks[icao].marker);
          group.removeLayer(tracks[icao].trail);
          delete tracks[icao];
        }
      });
      el.dataset.aircraftCount = String(items.length);
    }

    function poll() {
      T.getJSON(layer.source).then(function (d) {
        var t0 = performance.now();
        draw(d.items || []);
        el.dataset.aircraftDrawMs = String(Math.round(performance.now() - t0));
      }).catch(function () {})
        .then(function () { if (timer !== null) { timer = setTimeout(poll, POLL_MS); } });
    }

    group.on('add', function () { leg.addTo(map); timer = 0; poll(); });
    group.on('remove', function () {
      if (timer) { clearTimeout(timer); }
      timer = null;
      leg.remove();
    });
    T.aircraft = tracks;
    T.drawAircraft = draw;
    return group;
  });

  function alertTime(a) { return (a.time || '').replace('T', ' ').replace(/\.\d+Z$/, 'Z'); }

  // The alerts layer shows the latest alerts, then each new one as the
  // event stream delivers it: on the map, flashing while it is open, and at
  // the top of the side list.
  T.registerLayer('alerts', function (map, layer, ctx) {
    var cfg = ctx.config || {};
    var labels = cfg.labels || {};
    var group = L.layerGroup();
    var byID = {};
    var list = document.getElementById('alert-list');
    var empty = document.getElementById('alert-list-empty');
    var panel = document.getElementById('alert-panel');
    var es = null;
    var MAX = 50;
    if (!map.getPane('alerts')) { map.createPane('alerts').style.zIndex = 470; }

    function kindLabel(a) { return labels['alert.' + a.kind] || a.kind; }

    function popup(a) {
      return '<div class="alert-popup" dir="auto"><strong>' + esc(kindLabel(a)) + '</strong> · ' +
        esc(labels['alert_' + a.state] || a.state) + '<br>' + esc(a.summary) + '<br>' + esc(alertTime(a)) +
        (a.relocated ? '<br><span class="relocated-badge">' + esc(labels.relocated_legend) + '</span>' : '') +
        '<br><a href="/alerts/' + encodeURIComponent(a.id) + '">' + esc(labels.details) + '</a></div>';
    }

    function item(a) {
      var li = document.createElement('li');
      li.className = 'alert-item';
      li.dataset.alert = a.id;
      li.dataset.kind = a.kind;
      var head = document.createElement('div');
      head.className = 'alert-head';
      var k = document.createElement('span');
      k.className = 'akind akind-' + a.kind;
      k.textContent = kindLabel(a);
      var st = document.createElement('span');
      st.className = 'astate';
      var tm = document.createElement('time');
      tm.textContent = alertTime(a);
      head.appendChild(k);
      head.appendChild(st);
      head.appendChild(tm);
      var link = document.createElement('a');
      link.href = '/alerts/' + encodeURIComponent(a.id);
      link.className = 'alert-summary';
      link.setAttribute('dir', 'auto');
      link.textContent = a.summary;
      li.appendChild(head);
      li.appendChild(link);
      if (a.relocated) {
        var rb = document.createElement('span');
        rb.className = 'relocated-badge';
        rb.textContent = labels.relocated || 'relocated';
        li.appendChild(rb);
      }
      li.addEventListener('mouseenter', function () { var x = byID[a.id]; if (x && map.hasLayer(group)) { x.marker.openPopup(); } });
      return li;
    }

    function setState(x, a) {
      x.data = a;
      x.li.dataset.state = a.state;
      x.li.querySelector('.astate').className = 'astate astate-' + a.state;
      x.li.querySelector('.astate').textContent = labels['alert_' + a.state] || a.state;
      var p = x.marker.getElement();
      if (p) {
        ['open', 'acknowledged', 'closed'].forEach(function (s) { L.DomUtil.removeClass(p, 'alert-' + s); });
        L.DomUtil.addClass(p, 'alert-' + a.state);
      }
      x.marker.setPopupContent(popup(a));
    }

    function upsert(a, live) {
      if (!a || !a.id || a.lat == null) { return; }
      var x = byID[a.id];
      if (x) {
        setState(x, a);
        return;
      }
      x = byID[a.id] = { li: item(a) };
      x.marker = L.circleMarker([a.lat, a.lon], { pane: 'alerts', radius: 9, weight: 3, color: '#c92a2a', fillColor: '#ffc9c9', fillOpacity: 0.6,
        className: 'alert-marker alert-' + a.state + (live ? ' alert-new' : '') }).bindPopup(popup(a)).addTo(group);
      if (live) {
        x.li.className += ' fresh';
        list.insertBefore(x.li, list.firstChild);
      } else {
        list.appendChild(x.li);
      }
      setState(x, a);
      while (list.children.length > MAX) {
        var last = list.lastChild;
        var old = byID[last.dataset.alert];
        if (old) { group.removeLayer(old.marker); delete byID[last.dataset.alert]; }
        list.removeChild(last);
      }
      if (empty) { empty.hidden = list.children.length > 0; }
      map.getContainer().dataset.alertCount = String(list.children.length);
    }

    function connect() {
      if (es || !window.EventSource || !layer.source) { return; }
      es = new EventSource(layer.source);
      es.onmessage = function (m) {
        var e;
        try { e = JSON.parse(m.data); } catch (err) { return; }
        if (e.kind === 'alert') { upsert(e.data, true); }
      };
      es.onopen = function () { map.getContainer().dataset.alertStream = 'open'; };
    }

    if (list) {
      T.getJSON('/ui/api/v1/alerts?limit=' + MAX).then(function (d) {
        var items = (d.items || []).slice().sort(function (a, b) { return a.time < b.time ? 1 : a.time > b.time ? -1 : 0; });
        items.forEach(function (a) { if (!byID[a.id]) { upsert(a, false); } });
      }).catch(function () {}).then(function () { map.getContainer().dataset.alertsLoaded = '1'; });
    }
    connect();
    group.on('add', function () { if (panel) { panel.hidden = false; } });
    group.on('remove', function () { if (panel) { panel.hidden = true; } });
    T.alerts = byID;
    return group;
  });

  // evidenceMap draws an alert's evidence: the track history as a line,
  // the triggering positions as points, the other aircraft's for a
  // proximity alert, and the zone's outline.
  function evidenceMap(el) {
    var cfg = JSON.parse(el.dataset.config || '{}');
    var ev;
    try { ev = JSON.parse(el.dataset.evidence); } catch (err) { return; }
    var labels = cfg.labels || {};
    var map = T.newMap(el, cfg);
    T.basemap(map, cfg, false);
    var track = L.featureGroup().addTo(map);
    var n = { history: 0, trigger: 0, zone: 0 };
    if (ev.zone) {
      L.geoJSON(ev.zone, { style: { color: '#c92a2a', weight: 2, fillOpacity: 0.1, className: 'evidence-zone' } }).addTo(map);
      n.zone = 1;
    }
    function tip(p) {
      return esc(p.time) + '<br>' + (p.alt_ft != null ? esc(num(p.alt_ft)) + ' ft · ' : '') +
        (p.gs_kt != null ? esc(num(p.gs_kt)) + ' kt · ' : '') + (p.track_deg != null ? esc(num(p.track_deg)) + '°' : '');
    }
    var hist = (ev.history || []).map(function (p) { return [p.lat, p.lon]; });
    if (hist.length) {
      L.polyline(hist, { color: '#1c7ed6', weight: 3, className: 'evidence-history' }).addTo(track);
      (ev.history || []).forEach(function (p) {
        L.circleMarker([p.lat, p.lon], { radius: 2.5, color: '#1c7ed6', weight: 1, fillOpacity: 1 }).bindTooltip(tip(p)).addTo(track);
      });
      n.history = hist.length;
    }
    [[ev.trigger, '#c92a2a'], [ev.other_trigger, '#e67700']].forEach(function (pair) {
      (pair[0] || []).forEach(function (p) {
        L.circleMarker([p.lat, p.lon], { radius: 6, color: pair[1], weight: 2, fillColor: '#fff', fillOpacity: 1, className: 'evidence-trigger' })
          .bindTooltip(tip(p)).addTo(track);
        n.trigger++;
      });
    });
    L.circleMarker([ev.point[1], ev.point[0]], { radius: 10, color: '#c92a2a', weight: 3, fill: false, className: 'alert-marker' }).addTo(track);
    var b = track.getBounds();
    map.fitBounds(b.pad(0.3), { maxZoom: 12 });
    var Ctl = L.Control.extend({ onAdd: function () {
      var div = L.DomUtil.create('div', 'leaflet-control map-legend');
      var ul = document.createElement('ul');
      [['history', labels.history], ['trigger', labels.trigger], ['zone', labels.zone]].forEach(function (x) {
        var li = document.createElement('li');
        var sw = document.createElement('span');
        sw.className = 'swatch ev-' + x[0];
        li.appendChild(sw);
        li.appendChild(document.createTextNode(x[1] || x[0]));
        ul.appendChild(li);
      });
      if (ev.relocated) {
        var li = document.createElement('li');
        li.className = 'relocated-badge';
        li.textContent = labels.relocated_legend;
        ul.appendChild(li);
      }
      div.appendChild(ul);
      return div;
    } });
    new Ctl({ position: 'bottomleft' }).addTo(map);
    el.dataset.historyPoints = String(n.history);
    el.dataset.triggerPoints = String(n.trigger);
    el.dataset.zoneDrawn = String(n.zone);
    el.dataset.drawn = '1';
  }

  document.addEventListener('DOMContentLoaded', function () {
    var el = document.getElementById('alert-map');
    if (el && el.dataset.evidence) { evidenceMap(el); }
  });
}());
