// main.js: loads the session, then draws the page the path names. One
// table of pages (the coordinator's web.c has the same list of paths).
'use strict';

rota.routes = [
  [/^\/$/, function () { return rota.pages.overview(); }],
  [/^\/incidents$/, function () { return rota.pages.incidents(); }],
  [/^\/incidents\/([^/]+)$/, function (id) { return rota.pages.incident(id); }],
  [/^\/runs$/, function () { return rota.pages.runs(); }],
  [/^\/runs\/([^/]+)$/, function (id) { return rota.pages.run(id); }],
  [/^\/workers$/, function () { return rota.pages.workers(); }],
  [/^\/schedules$/, function () { return rota.pages.schedules(); }],
  [/^\/runbooks$/, function () { return rota.pages.runbooks(); }],
  [/^\/runbooks\/([^/]+)$/, function (name) { return rota.pages.runbook(name); }],
  [/^\/audit$/, function () { return rota.pages.audit(); }],
  [/^\/oncall$/, function () { return rota.pages.oncall(); }],
  [/^\/maintenance$/, function () { return rota.pages.maintenance(); }]
];

rota.route = function () {
  rota.stopAll();
  var path = location.pathname;
  for (var i = 0; i < rota.routes.length; i++) {
    var m = rota.routes[i][0].exec(path);
    if (m) return rota.routes[i][1](m[1] ? decodeURIComponent(m[1]) : undefined);
  }
  rota.page('Not found', rota.el('p', null, 'The console has no page at ' + path + '.'));
};

rota.showWho = function () {
  var who = document.getElementById('who');
  var s = rota.session;
  // Without keys (loopback) there is no operator's name: the role alone.
  who.textContent = !s ? '' : (s.operator || s.name) ? rota.operatorName() + ' (' + s.role + ')'
                                                     : s.role + ' (no keys)';
  // Audit is for admins; the link stays out of the way of others.
  document.getElementById('nav-audit').parentNode.hidden = !rota.isAdmin();
  // The current section is marked for screen readers as well as by looks.
  var links = document.querySelectorAll('header nav a');
  for (var i = 0; i < links.length; i++) {
    var href = links[i].getAttribute('href');
    if (location.pathname === href || location.pathname.indexOf(href + '/') === 0)
      links[i].setAttribute('aria-current', 'page');
  }
};

document.addEventListener('DOMContentLoaded', function () {
  rota.get('/v1/session').then(function (s) {
    rota.session = s;
    rota.showWho();
    rota.route();
  }, function (err) {
    rota.showWho();
    // A coordinator whose API has no sessions yet: the pages still read,
    // and the buttons are shown (the API decides what is allowed).
    if (err.status === 404) return rota.route();
    rota.failed('Session', err);
  });
});
