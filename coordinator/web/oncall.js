// oncall.js: the on-call page (who is on call now and next in every
// rotation, the overrides, each rotation's calendar) and the maintenance
// page (windows active and planned; an operator starts and ends them).
// The documents are `rota oncall --json` and `rota maintenance list --json`.
'use strict';

rota.pages = rota.pages || {};

(function () {
  var el = rota.el;

  function labelled(label, input) {
    return el('label', { class: 'field' }, el('span', null, label), input);
  }

  // The time and how far away it is: "2026-12-07 09:00:00 (in 14h 2m)".
  function when(ms) {
    if (!ms) return el('span', { class: 'muted' }, 'no change ahead');
    var d = ms - Date.now();
    return el('span', null, rota.time(ms), ' ',
              el('span', { class: 'muted' }, d >= 0 ? '(in ' + rota.span(d) + ')'
                                                    : '(' + rota.span(-d) + ' ago)'));
  }

  function ics(name) { return '/v1/oncall/' + encodeURIComponent(name) + '.ics'; }

  rota.pages.oncall = function () {
    var draw = function () {
      return rota.get('/v1/oncall').then(function (d) {
        var rots = d.rotations || [];
        var overrides = [];
        rots.forEach(function (r) {
          (r.overrides || []).forEach(function (o) { overrides.push([r.rotation, o]); });
        });
        var now = Date.now();
        rota.page('On call',
          rota.table('Rotations',
            ['Rotation', 'On call now', 'Hands off at', 'Next', 'Zone', 'Calendar'],
            rots.map(function (r) {
              // The contacts say how that person is paged.
              var who = r.person
                ? el('span', null, el('strong', null, r.person),
                     r.override ? [' ', el('span', { class: 'badge st-waiting' }, 'override')] : null,
                     (r.contacts || []).length
                       ? [el('br'), el('span', { class: 'muted' }, r.contacts.join(', '))] : null)
                : el('span', { class: 'bad' }, 'nobody');
              return [r.rotation, who, when(r.until_ms), r.next || '—', r.timezone,
                      el('a', { href: ics(r.rotation), download: r.rotation + '.ics' }, '.ics')];
            }), 'No rotation: the coordinator\'s configuration has none (rotations:).'),
          el('h2', null, 'Overrides'),
          rota.table('Overrides', ['Rotation', 'Person', 'State', 'From', 'Until', 'Set by'],
            overrides.map(function (x) {
              var o = x[1];
              var active = o.from_ms <= now && now < o.until_ms;
              return [x[0], o.person, rota.badge(active ? 'active' : 'planned'),
                      rota.time(o.from_ms), rota.time(o.until_ms), o.by || '—'];
            }), 'No override now or ahead (rota oncall override sets one).'),
          el('p', { class: 'muted' },
             'Times are in your browser\'s zone; hover one for UTC. A calendar app that ' +
             'cannot sign in subscribes to the link that ',
             el('code', null, 'rota oncall feed ROTATION'), ' prints.'));
      }, function (e) { rota.failed('On call', e); });
    };
    return draw().then(function () { rota.timers.push(setInterval(draw, 30000)); });
  };

  function windowRows(list, redraw) {
    return list.map(function (w) {
      // A recurring window ends early for its current occurrence only;
      // one that has not started yet has nothing to end.
      var end = null;
      if (rota.canAct() && (!w.recurring || w.state === 'active'))
        end = rota.action('End ' + w.id, '/v1/maintenance/' + encodeURIComponent(w.id) + '/end', {},
                          redraw, 'danger');
      var row = [w.id, rota.badge(w.state), w.target, w.reason,
                 w.recurring ? 'configuration' : w.by, rota.time(w.starts_ms),
                 rota.time(w.ends_ms), w.freeze ? el('strong', null, 'freeze') : 'no',
                 (w.hosts || []).join(', ') || '—'];
      // A viewer's page has no action column at all.
      if (rota.canAct()) row.push(end || '—');
      return row;
    });
  }

  function startForm(redraw) {
    var target = el('input', { name: 'target', required: true, autocomplete: 'off',
                               placeholder: 'db-1, role=db or all' });
    var length = el('input', { name: 'for', required: true, value: '2h', size: 6,
                               autocomplete: 'off' });
    var reason = el('input', { name: 'reason', required: true, autocomplete: 'off',
                               placeholder: 'kernel upgrade' });
    var freeze = el('input', { type: 'checkbox', name: 'freeze' });
    var button = el('button', { type: 'submit', class: 'primary' }, 'Start maintenance');
    var form = el('form', { class: 'filters', 'aria-label': 'Start a maintenance window' },
      labelled('Target', target), labelled('For', length), labelled('Reason', reason),
      el('label', { class: 'check' }, freeze, ' Freeze every schedule (target all; admin)'),
      button);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      button.disabled = true;
      rota.post('/v1/maintenance', { target: target.value.trim(), for: length.value.trim(),
                                     reason: reason.value.trim(), freeze: freeze.checked })
        .then(function (w) {
          rota.say('Maintenance ' + w.id + ' started on ' + w.target);
          redraw();
        }, function (err) {
          rota.say('Start maintenance refused: ' + err.message, true);
        }).then(function () { button.disabled = false; });
    });
    return form;
  }

  rota.pages.maintenance = function () {
    var draw = function () {
      return rota.get('/v1/maintenance').then(function (d) {
        var list = d.windows || [];
        var active = list.filter(function (w) { return w.state === 'active'; });
        var planned = list.filter(function (w) { return w.state !== 'active'; });
        var heads = ['Window', 'State', 'Target', 'Reason', 'By', 'From', 'Until', 'Freeze',
                     'Hosts'];
        if (rota.canAct()) heads.push('Action');
        rota.page('Maintenance',
          rota.canAct() ? el('section', { 'aria-label': 'Start a window' },
                             el('h2', null, 'Start a window'), startForm(draw)) : null,
          el('h2', null, 'Active'),
          rota.table('Active windows', heads, windowRows(active, draw),
                     'No host is in maintenance.'),
          el('h2', null, 'Upcoming'),
          rota.table('Upcoming windows', heads, windowRows(planned, draw),
                     'No window planned.'),
          el('p', { class: 'muted' },
             'During a window scheduled runs skip its hosts and their alerts page no one. ' +
             'Recurring windows come from the configuration (maintenance:).'));
      }, function (e) { rota.failed('Maintenance', e); });
    };
    // Drawn again after each start and end, not on a timer: a timer would
    // wipe the form while someone types in it.
    return draw();
  };
}());
