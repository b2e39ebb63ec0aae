// Truce web UI: signing a decision (or a guarantor's response to a
// breach) in the browser with a key the party holds itself. The key file (C2SP signed-note signer key,
// "PRIVATE+KEY+name+hash+base64", as truce key generate writes it) is read
// here, never uploaded: its input has no name, so the form cannot post it,
// and only the signed note goes in the form's "signature" field.
// WebCrypto Ed25519 signs; the note is the C2SP signed-note format
// (https://c2sp.org/signed-note) that golang.org/x/mod/sumdb/note opens.
(function () {
  'use strict';

  var enc = new TextEncoder();

  function b64decode(s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64encode(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }

  // parseKey reads a signer key file: name, 4-byte key hash and the
  // 32-byte Ed25519 seed.
  function parseKey(text) {
    // Four '+' separate five fields; the last (base64) may hold '+'.
    var f = text.trim().split('+');
    if (f.length < 5) return null;
    f = f.slice(0, 4).concat([f.slice(4).join('+')]);
    if ( f[0] !== 'PRIVATE' || f[1] !== 'KEY' || !/^[0-9a-f]{8}$/.test(f[3])) return null;
    var raw;
    try { raw = b64decode(f[4]); } catch (e) { return null; }
    if (raw.length !== 33 || raw[0] !== 1) return null;
    return { name: f[2], hash: f[3], seed: raw.slice(1) };
  }

  // pkcs8 wraps an Ed25519 seed as WebCrypto imports it (RFC 8410).
  function pkcs8(seed) {
    var prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    var der = new Uint8Array(prefix.length + 32);
    der.set(prefix);
    der.set(seed, prefix.length);
    return der;
  }

  // statementSays parses the statement and reports whether it names this
  // form's record and the decision clicked: a zone's version, an
  // agreement's proposal, or the party's notice of withdrawal from an
  // agreement. The page never signs another act than the one the user
  // clicked.
  function statementSays(text, form, decision) {
    var l = text.split('\n');
    var digest = /^digest [0-9a-f]{64}$/;
    var ag = form.getAttribute('data-agreement');
    if (ag === null) {
      return l.length === 6 && l[5] === '' && l[0] === 'truce zone decision v1' &&
        l[1] === 'zone ' + form.getAttribute('data-zone') && l[2] === 'version ' + form.getAttribute('data-version') &&
        l[3] === 'decision ' + decision && digest.test(l[4]);
    }
    if (decision === 'withdraw') {
      return l.length === 5 && l[4] === '' && l[0] === 'truce agreement withdrawal v1' &&
        l[1] === 'agreement ' + ag && l[2] === 'party ' + form.getAttribute('data-party-id') && digest.test(l[3]);
    }
    return l.length === 7 && l[6] === '' && l[0] === 'truce agreement decision v1' &&
      l[1] === 'agreement ' + ag && l[2] === 'proposal ' + form.getAttribute('data-proposal') &&
      l[3] === 'action ' + form.getAttribute('data-action') && l[4] === 'decision ' + decision && digest.test(l[5]);
  }

  // breachHeadSays reports whether a breach response statement's head
  // names this form's breach, in the shape truce.BreachResponseHead
  // writes: the page signs no other breach's response.
  function breachHeadSays(head, form) {
    var l = head.split('\n');
    return l.length === 6 && l[5] === '' && l[0] === 'truce guarantee breach response' &&
      l[1] === 'breach ' + form.getAttribute('data-breach') && /^guarantee \S+$/.test(l[2]) &&
      /^actor \S+$/.test(l[3]) && /^(incident|control area) \S+$/.test(l[4]);
  }

  function hex(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }

  // breachStatement completes a response statement's head with the
  // action as the server will read it: the form posts line breaks as
  // CR LF, and the server trims the action; an action of several lines is
  // bound by its SHA-256 (truce.BreachResponseStatement).
  function breachStatement(head, action) {
    action = action.replace(/\r\n|\r|\n/g, '\r\n').trim();
    if (!/[\n\r\t]/.test(action)) return Promise.resolve(head + 'action ' + action + '\n');
    return crypto.subtle.digest('SHA-256', enc.encode(action)).then(function (h) {
      return head + 'action-sha256 ' + hex(new Uint8Array(h)) + '\n';
    });
  }

  // statementFor returns (a promise of) the statement the decision clicked
  // signs, or null when the page's statement does not say what was
  // clicked.
  function statementFor(form, decision) {
    var head = form.getAttribute('data-statement-head');
    if (head !== null) {
      if (!breachHeadSays(head, form)) return Promise.resolve(null);
      return breachStatement(head, form.querySelector('textarea[name=action]').value);
    }
    var statement = form.getAttribute('data-statement-' + decision) || '';
    return Promise.resolve(statementSays(statement, form, decision) ? statement : null);
  }

  function sign(key, statement) {
    return crypto.subtle.importKey('pkcs8', pkcs8(key.seed), { name: 'Ed25519' }, false, ['sign']).then(function (k) {
      return crypto.subtle.sign({ name: 'Ed25519' }, k, enc.encode(statement));
    }).then(function (sig) {
      var h = parseInt(key.hash, 16);
      var out = new Uint8Array(4 + 64);
      out[0] = (h >>> 24) & 255; out[1] = (h >>> 16) & 255; out[2] = (h >>> 8) & 255; out[3] = h & 255;
      out.set(new Uint8Array(sig), 4);
      return statement + '\n\u2014 ' + key.name + ' ' + b64encode(out) + '\n';
    });
  }

  function setup(form) {
    var file = form.querySelector('input.sign-key');
    var sigField = form.querySelector('input.sign-signature');
    var errBox = form.querySelector('.sign-error');
    var signedFor = null;
    function fail(msg) {
      errBox.textContent = errBox.getAttribute('data-msg-' + msg);
      errBox.hidden = false;
    }
    file.addEventListener('change', function () { signedFor = null; sigField.value = ''; errBox.hidden = true; });
    form.addEventListener('submit', function (e) {
      var decision = e.submitter && e.submitter.value;
      if (signedFor !== null && signedFor === decision && sigField.value) return; // signed: post it
      e.preventDefault();
      errBox.hidden = true;
      sigField.value = '';
      if (!window.crypto || !crypto.subtle) { fail('nocrypto'); return; }
      if (!file.files || file.files.length !== 1) { fail('nokey'); return; }
      var submitter = e.submitter;
      var statement;
      statementFor(form, decision).then(function (st) {
        if (st === null) { fail('statement'); return null; }
        statement = st;
        return file.files[0].slice(0, 4096).text();
      }).then(function (text) {
        if (text === null) return null;
        var key = parseKey(text);
        if (!key) { fail('badkey'); return null; }
        var v = (form.getAttribute('data-verifier') || '').split('+');
        if (key.name !== form.getAttribute('data-party') || v[0] !== key.name || v[1] !== key.hash) { fail('otherkey'); return null; }
        return sign(key, statement);
      }).then(function (note) {
        if (note === null) return;
        sigField.value = note;
        signedFor = decision;
        form.requestSubmit(submitter);
      }, function () { fail('nocrypto'); });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    var forms = document.querySelectorAll('form.decide[data-sign], form.breach-respond[data-sign]');
    for (var i = 0; i < forms.length; i++) setup(forms[i]);
  });
})();
