// app.js: what every page of the console uses: the JSON API, the session
// and its CSRF token, building elements (always as text, never as HTML, so
// a runbook's output or an alert's title cannot inject markup), times in
// the browser's zone with UTC on hover, and the page router (main.js).
'use strict';

var rota = {
  session: null, // {operator, role, csrf_token} from GET /v1/session
  timers: [],    // what a page polls; cleared when another page is drawn
  streams: []    // its EventSources; closed likewise
};

// An error from the API: its status and the server's message.
rota.ApiError = function (status, message) {
  this.status = status;
  this.message = message;
};

rota.request = function (method, path, body) {
  var headers = { 'Accept': 'application/json' };
  var init = { method: method, credentials: 'same-origin', headers: headers };
  if (method !== 'GET') {
    // Every state change carries the session's CSRF token.
    var token = rota.session && (rota.session.csrf_token || rota.session.csrf);
    if (token) headers['X-CSRF-Token'] = token;
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  return fetch(path, init).then(function (r) {
    return r.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (!r.ok) {
        var msg = data && data.error && data.error.message ? data.error.message
                                                           : (text || r.statusText);
        throw new rota.ApiError(r.status, msg);
      }
      return data;
    });
  });
};
rota.get = function (path) { return rota.request('GET', path); };
rota.post = function (path, body) { return rota.request('POST', path, body); };

// The operator may act (ack, approve, cancel...) with role operator or admin.
rota.canAct = function () {
  if (!rota.session) return true; // no session to say: the API decides
  var role = rota.session.role;
  return role === 'operator' || role === 'admin';
};
// The session's operator name, whichever key the API gives it under.
rota.operatorName = function () {
  var s = rota.session || {};
  return s.operator || s.name || '?';
};
rota.isAdmin = function () { return rota.session && rota.session.role === 'admin'; };

// el('a', {href: '/runs'}, 'text', child...): children are text or nodes.
rota.el = function (tag, attrs) {
  var e = document.createElement(tag);
  var k;
  for (k in attrs || {}) {
    if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
    if (k === 'class') e.className = attrs[k];
    else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
    else if (attrs[k] === true) e.setAttribute(k, '');
    else if (attrs[k] !== false) e.setAttribute(k, String(attrs[k]));
  }
  for (var i = 2; i < arguments.length; i++) rota.append(e, arguments[i]);
  return e;
};
rota.append = function (e, c) {
  if (c == null || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { rota.append(e, x); }); return; }
  e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
};

function pad(n) { return (n < 10 ? '0' : '') + n; }

// A <time> in the browser's zone, the UTC time in its title (hover).
rota.time = function (ms) {
  if (ms == null) return rota.el('span', { class: 'muted' }, '—');
  var d = new Date(ms);
  var local = d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
              pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  var utc = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return rota.el('time', { datetime: d.toISOString(), title: utc }, local);
};

// "3m 12s" for a span of ms.
rota.span = function (ms) {
  if (ms == null || ms < 0) return '—';
  var s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  var m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + (s % 60) + 's';
  var h = Math.floor(m / 60);
  if (h < 48) return h + 'h ' + (m % 60) + 'm';
  return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
};
rota.ago = function (ms) {
  if (ms == null) return '—';
  return rota.span(Date.now() - ms) + ' ago';
};

// A status as a labelled badge: the word is always there, the colour helps.
rota.badge = function (status) {
  var s = String(status || 'unknown');
  return rota.el('span', { class: 'badge st-' + s.replace(/[^a-z_]/g, '') }, s);
};

rota.link = function (href, text) { return rota.el('a', { href: href }, text); };
rota.runLink = function (id) { return rota.link('/runs/' + encodeURIComponent(id), id); };
rota.incidentLink = function (id) {
  return rota.link('/incidents/' + encodeURIComponent(id), id);
};

// A table: heads and rows of cells; it scrolls inside its own box on a
// narrow screen, never the page.
rota.table = function (caption, heads, rows, empty) {
  if (!rows.length) return rota.el('p', { class: 'muted' }, empty || 'None.');
  var thead = rota.el('thead', null, rota.el('tr', null, heads.map(function (h) {
    return rota.el('th', { scope: 'col' }, h);
  })));
  var tbody = rota.el('tbody', null, rows.map(function (r) {
    return rota.el('tr', null, r.map(function (c) { return rota.el('td', null, c); }));
  }));
  return rota.el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption },
                 rota.el('table', null, rota.el('caption', { class: 'sr' }, caption), thead, tbody));
};

rota.main = function () { return document.getElementById('main'); };

// Replaces the page's content; h1 names it (the window's title too).
rota.page = function (title) {
  var main = rota.main();
  // A page drawn again (the overview every 5 s) keeps the keyboard's place:
  // the link that had the focus gets it back.
  var active = document.activeElement;
  var href = active && main.contains(active) ? active.getAttribute('href') : null;
  while (main.firstChild) main.removeChild(main.firstChild);
  document.title = title + ' · rota';
  var parts = [rota.el('h1', null, title)];
  for (var i = 1; i < arguments.length; i++) parts.push(arguments[i]);
  rota.append(main, parts);
  if (href) {
    var again = main.querySelector('a[href="' + href.replace(/["\\]/g, '\\$&') + '"]');
    if (again) again.focus();
  }
  return main;
};

rota.say = function (text, bad) {
  var s = document.getElementById('status');
  s.textContent = text;
  s.className = 'status' + (bad ? ' bad' : '') + (text ? ' shown' : '');
  if (text && !bad) setTimeout(function () { if (s.textContent === text) rota.say(''); }, 4000);
};

rota.failed = function (what, err) {
  var msg = err && err.message ? err.message : String(err);
  var status = err && err.status;
  if (status === 401)
    return rota.page('Sign in', rota.el('p', null,
      'You are not signed in. Run ', rota.el('code', null, 'rota web login'),
      ' and open the link it prints.'));
  if (status === 404)
    return rota.page('Not found', rota.el('p', null, what + ': ' + msg));
  return rota.page('Error', rota.el('p', { class: 'bad' }, what + ': ' + msg));
};

// A button that POSTs, says what happened, and calls done() after success.
rota.action = function (label, path, body, done, cls) {
  var b = rota.el('button', { type: 'button', class: cls || '' }, label);
  b.addEventListener('click', function () {
    b.disabled = true;
    var payload = typeof body === 'function' ? body() : body;
    rota.post(path, payload).then(function (res) {
      rota.say(label + ': done');
      if (done) done(res);
    }, function (err) {
      rota.say(label + ' refused: ' + err.message, true);
    }).then(function () { b.disabled = false; });
  });
  return b;
};

// Calls fn now and every ms while the page is shown.
rota.every = function (ms, fn) {
  fn();
  rota.timers.push(setInterval(fn, ms));
};
rota.stopAll = function () {
  rota.timers.forEach(clearInterval);
  rota.timers = [];
  rota.streams.forEach(function (s) { s.close(); });
  rota.streams = [];
};

rota.query = function (params) {
  var q = [];
  Object.keys(params).forEach(function (k) {
    if (params[k] != null && params[k] !== '')
      q.push(encodeURIComponent(k) + '=' + encodeURIComponent(params[k]));
  });
  return q.length ? '?' + q.join('&') : '';
};
