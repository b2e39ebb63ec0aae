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
}());
