// control.js plays the control map's changes: each step's page is
// fetched and its map, totals and step form replace the present ones, a
// step every 1.5 s from the one shown (from the first when at the last),
// until the last or Pause. Without script the page steps by its form and
// links, and the Play button stays hidden.
(function () {
  'use strict';
  var STEP_MS = 1500;
  document.addEventListener('DOMContentLoaded', function () {
    var play = document.getElementById('control-play');
    if (!play || !document.getElementById('control-slider')) { return; }
    play.hidden = false;
    var timer = null;
    var playing = false;
    function label() {
      play.textContent = playing ? play.dataset.pause : play.dataset.play;
      play.setAttribute('aria-pressed', playing ? 'true' : 'false');
      document.body.dataset.controlPlaying = playing ? '1' : '0';
    }
    function stop() {
      playing = false;
      clearTimeout(timer);
      timer = null;
      label();
    }
    function slider() { return document.getElementById('control-slider'); }
    function show(step) {
      var url = '/control?step=' + step;
      return fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) { throw new Error('step ' + step + ': ' + r.status); }
        return r.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['control-steps', 'control-view'].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) { old.replaceWith(document.importNode(fresh, true)); }
        });
        history.replaceState(null, '', url);
      });
    }
    function tick() {
      var s = slider();
      if (!playing || !s) { return; }
      var next = Number(s.value) + 1;
      if (next > Number(s.max)) { stop(); return; }
      show(next).then(function () {
        if (playing) { timer = setTimeout(tick, STEP_MS); }
      }, stop);
    }
    play.addEventListener('click', function () {
      if (playing) { stop(); return; }
      playing = true;
      label();
      var s = slider();
      if (s && Number(s.value) >= Number(s.max)) {
        show(0).then(function () { if (playing) { timer = setTimeout(tick, STEP_MS); } }, stop);
        return;
      }
      tick();
    });
  });
})();
