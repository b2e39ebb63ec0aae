// Truce web UI: humanitarian movements on the map — each movement's route
// with its corridor, coloured by the acknowledgement state of its latest
// notification (every party acknowledged, a concern raised, a party
// silent, or a draft). Plain ES5 on Leaflet.
(function () {
  'use strict';
  var T = window.Truce;
  if (!T || !window.L) { return; }
  var esc = T.esc;
  var colours = { acknowledged: '#2b8a3e', concern: '#e67700', silent: '#c92a2a', draft: '#868e96' };

  function style(f) {
    var p = f.properties || {};
    var c = colours[p.state] || colours.draft;
    return { color: c, weight: p.emergency ? 5 : 4, opacity: 0.9, dashArray: p.state === 'draft' ? '6 5' : null,
      className: 'movement movement-' + p.state };
  }

  function popup(f) {
    var p = f.properties || {};
    return '<div class="movement-popup" dir="auto"><strong>' + esc(p.name) + '</strong><br>' +
      esc(p.organisation) + ' · ' + esc(p.status_label) + '<br>' + esc(p.state_label) + '<br>' +
      '<a href="/movements/' + encodeURIComponent(f.id) + '">' + esc(p.details_label) + '</a></div>';
  }

  T.registerLayer('movements', function (map, l) {
    var g = L.geoJSON(null, { style: style, onEachFeature: function (f, layer) { layer.bindPopup(popup(f)); } });
    T.getJSON(l.source).then(function (d) { g.clearLayers(); g.addData(d); });
    return g;
  });

  // Convoys under way at their last reported position, coloured by the
  // state of their tracking.
  var convoyColours = { on_route: '#1971c2', off_route: '#c92a2a', stopped: '#e67700', silent: '#868e96', behind: '#9c36b5' };

  T.registerLayer('convoys', function (map, l) {
    var g = L.geoJSON(null, {
      pointToLayer: function (f, ll) {
        var s = (f.properties || {}).state;
        return L.circleMarker(ll, { radius: 8, color: '#fff', weight: 2, fillOpacity: 0.95,
          fillColor: convoyColours[s] || convoyColours.silent, className: 'convoy convoy-' + s });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.bindPopup('<div class="convoy-popup" dir="auto"><strong>' + esc(p.name) + '</strong><br>' + esc(p.organisation) +
          '<br>' + esc(p.state_label) + ' · ' + esc(String(p.distance_m)) + ' m<br>' +
          '<a href="/movements/' + encodeURIComponent(f.id) + '">' + esc(p.details_label) + '</a></div>');
      }
    });
    T.getJSON(l.source).then(function (d) { g.clearLayers(); g.addData(d); });
    return g;
  });
}());
