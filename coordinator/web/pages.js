// pages.js: the overview and the list pages (incidents, runs, workers,
// schedules, runbooks, audit). The run, incident and runbook pages have
// files of their own (run.js, incident.js, runbook.js).
'use strict';

rota.pages = rota.pages || {};
var el = rota.el;

var SEVERITY_ORDER = { P1: 1, P2: 2, P3: 3, P4: 4 };
var ACTIVE_RUN = { pending: true, running: true };

function progress(r) {
  var done = (r.hosts_ok || 0) + (r.hosts_failed || 0);
  var total = r.hosts_total || 0;
  return el('span', null,
            el('progress', { max: total || 1, value: done, 'aria-label': 'hosts done' }),
            ' ' + done + '/' + total + ' hosts' + (r.hosts_failed ? ', ' + r.hosts_failed + ' failed' : ''));
}

function openIncidents(list) {
  return list.filter(function (i) { return i.status !== 'resolved'; }).sort(function (a, b) {
    return (SEVERITY_ORDER[a.severity] || 9) - (SEVERITY_ORDER[b.severity] || 9) ||
           (a.created_ms || 0) - (b.created_ms || 0);
  });
}

function incidentRows(list) {
  return list.map(function (i) {
    return [rota.incidentLink(i.id), rota.badge(i.severity), i.title,
            rota.badge(i.status), el('span', { title: 'opened' }, rota.ago(i.created_ms)),
            i.acked_ms ? el('span', null, 'by ' + (i.acked_by || '?')) : el('strong', null, 'not acknowledged')];
  });
}
var INCIDENT_HEADS = ['Incident', 'Severity', 'Title', 'Status', 'Opened', 'Acknowledged'];

function runRows(runs) {
  return runs.map(function (r) {
    return [rota.runLink(r.id), rota.link('/runbooks/' + encodeURIComponent(r.runbook), r.runbook),
            rota.badge(r.status), progress(r), r.trigger, rota.time(r.created_ms),
            rota.span(r.duration_ms)];
  });
}
var RUN_HEADS = ['Run', 'Runbook', 'Status', 'Progress', 'Trigger', 'Created', 'Duration'];

function section(title, content) {
  return el('section', { 'aria-label': title }, el('h2', null, title), content);
}

// Several reads at once; one that fails shows its error in its place.
function settle(promises) {
  return Promise.all(promises.map(function (p) {
    return p.then(function (v) { return { ok: v }; }, function (e) { return { err: e }; });
  }));
}
function orError(r, draw) {
  return r.err ? el('p', { class: 'bad' }, 'Could not read: ' + r.err.message) : draw(r.ok);
}

rota.pages.overview = function () {
  var draw = function () {
    return settle([rota.get('/v1/incidents'), rota.get('/v1/runs?status=running'),
                   rota.get('/v1/workers'), rota.get('/v1/schedules'),
                   rota.get('/v1/runs?status=failed&limit=100')]).then(function (r) {
      rota.page('Overview',
        section('Open incidents', orError(r[0], function (d) {
          return rota.table('Open incidents', INCIDENT_HEADS, incidentRows(openIncidents(d.incidents || [])),
                            'No open incident.');
        })),
        section('Active runs', orError(r[1], function (d) {
          var runs = (d.runs || []).filter(function (x) { return ACTIVE_RUN[x.status]; });
          return rota.table('Active runs', RUN_HEADS, runRows(runs), 'Nothing running.');
        })),
        section('Workers', orError(r[2], function (d) {
          var by = {};
          (d.workers || []).forEach(function (w) { by[w.state] = (by[w.state] || 0) + 1; });
          var states = Object.keys(by).sort();
          return el('p', null, states.length ? states.map(function (s, i) {
            return [i ? ', ' : '', el('strong', null, String(by[s])), ' ', s];
          }) : 'No worker known.', ' · ', rota.link('/workers', 'all workers'));
        })),
        section('Next scheduled runs', orError(r[3], function (d) {
          var next = (d.schedules || []).filter(function (s) { return s.next_ms; })
            .sort(function (a, b) { return a.next_ms - b.next_ms; }).slice(0, 5);
          return rota.table('Next scheduled runs', ['Runbook', 'Next', 'In'], next.map(function (s) {
            return [rota.link('/runbooks/' + encodeURIComponent(s.runbook), s.runbook),
                    rota.time(s.next_ms), rota.span(s.next_ms - Date.now())];
          }), 'Nothing scheduled.');
        })),
        section('Runbooks failing lately (7 days)', orError(r[4], function (d) {
          var since = Date.now() - 7 * 86400000, count = {}, last = {};
          (d.runs || []).forEach(function (x) {
            if (x.status !== 'failed' || (x.created_ms || 0) < since) return;
            count[x.runbook] = (count[x.runbook] || 0) + 1;
            if (!last[x.runbook]) last[x.runbook] = x;
          });
          var names = Object.keys(count).sort(function (a, b) { return count[b] - count[a]; });
          return rota.table('Runbooks failing lately', ['Runbook', 'Failed runs', 'Last failure'],
            names.map(function (n) {
              return [rota.link('/runbooks/' + encodeURIComponent(n), n), String(count[n]),
                      rota.runLink(last[n].id)];
            }), 'No failed run in the last 7 days.');
        })));
    });
  };
  return draw().then(function () { rota.timers.push(setInterval(draw, 5000)); });
};

rota.pages.incidents = function () {
  return rota.get('/v1/incidents').then(function (d) {
    var list = (d.incidents || []).slice().sort(function (a, b) {
      return (b.created_ms || 0) - (a.created_ms || 0);
    });
    rota.page('Incidents', rota.table('Incidents', INCIDENT_HEADS, incidentRows(list),
                                      'No incident.'));
  }, function (e) { rota.failed('Incidents', e); });
};

// The runs page's filters are the query string of the page itself, so a
// filtered list is a link one can share; the same names go to /v1/runs.
var RUN_FILTERS = ['runbook', 'status', 'trigger', 'host', 'since', 'until', 'before'];
var RUN_STATUSES = ['', 'pending', 'running', 'succeeded', 'failed', 'cancelled'];
var RUN_TRIGGERS = ['', 'manual', 'schedule', 'alert', 'incident'];

function field(label, input) {
  return el('label', { class: 'field' }, el('span', null, label), input);
}
function select(name, values, current) {
  return el('select', { name: name }, values.map(function (v) {
    return el('option', { value: v, selected: v === current }, v || 'any');
  }));
}

rota.pages.runs = function () {
  var params = new URLSearchParams(location.search);
  var f = {};
  RUN_FILTERS.forEach(function (k) { f[k] = params.get(k) || ''; });
  var form = el('form', { method: 'get', action: '/runs', class: 'filters' },
    field('Runbook', el('input', { name: 'runbook', value: f.runbook, autocomplete: 'off' })),
    field('Status', select('status', RUN_STATUSES, f.status)),
    field('Trigger', select('trigger', RUN_TRIGGERS, f.trigger)),
    field('Host', el('input', { name: 'host', value: f.host, autocomplete: 'off' })),
    field('Since', el('input', { name: 'since', value: f.since, placeholder: '24h or 2026-12-01' })),
    field('Until', el('input', { name: 'until', value: f.until, placeholder: '2026-12-06T12:00Z' })),
    el('button', { type: 'submit' }, 'Filter'));
  var q = {};
  RUN_FILTERS.forEach(function (k) { q[k] = f[k]; });
  return rota.get('/v1/runs' + rota.query(q)).then(function (d) {
    // The coordinator filters; the page checks what it can again, so a
    // coordinator that ignores a filter never shows runs it excludes.
    var runs = (d.runs || []).filter(function (r) {
      return (!f.runbook || r.runbook === f.runbook) && (!f.status || r.status === f.status) &&
             (!f.trigger || r.trigger === f.trigger);
    });
    var more = null;
    var next = d.next_before || d.next || (runs.length ? runs[runs.length - 1].id : null);
    if (runs.length && next) {
      q.before = next;
      more = el('p', null, rota.link('/runs' + rota.query(q), 'Older runs'));
    }
    rota.page('Runs', form, rota.table('Runs', RUN_HEADS, runRows(runs), 'No run matches.'), more);
  }, function (e) { rota.failed('Runs', e); });
};

rota.pages.workers = function () {
  var draw = function () {
    return rota.get('/v1/workers').then(function (d) {
      rota.page('Workers', rota.table('Workers',
        ['Worker', 'Host', 'State', 'Labels', 'Last seen', 'Running', 'Version'],
        (d.workers || []).map(function (w) {
          var labels = w.labels || {};
          var text = Array.isArray(labels) ? labels.join(' ')
            : Object.keys(labels).map(function (k) { return k + '=' + labels[k]; }).join(' ');
          return [w.id, w.hostname, rota.badge(w.state), text, rota.time(w.last_seen_ms),
                  (w.running || []).map(function (s, i) {
                    return [i ? ', ' : '', rota.runLink(s.run_id), ' ' + s.step_id];
                  }), w.version];
        }), 'No worker known.'));
    }, function (e) { rota.failed('Workers', e); });
  };
  return draw().then(function () { rota.timers.push(setInterval(draw, 5000)); });
};

rota.pages.schedules = function () {
  return rota.get('/v1/schedules').then(function (d) {
    rota.page('Schedules', rota.table('Schedules',
      ['Runbook', 'Cron', 'Zone', 'Next (your time)', 'Next (its zone)', 'Last', 'Last result'],
      (d.schedules || []).map(function (s) {
        return [rota.link('/runbooks/' + encodeURIComponent(s.runbook), s.runbook),
                el('code', null, s.cron), s.timezone, rota.time(s.next_ms),
                s.next_local || '—', rota.time(s.last_ms),
                s.last_status ? rota.badge(s.last_status) : '—'];
      }), 'No scheduled runbook.'));
  }, function (e) { rota.failed('Schedules', e); });
};

rota.pages.runbooks = function () {
  return rota.get('/v1/runbooks').then(function (d) {
    rota.page('Runbooks', rota.table('Runbooks',
      ['Runbook', 'State', 'Description', 'Schedule', 'Steps'],
      (d.runbooks || []).map(function (rb) {
        var name = rb.name || rb.path;
        return [rota.link('/runbooks/' + encodeURIComponent(name), name), rota.badge(rb.state),
                rb.description || '', rb.cron ? el('code', null, rb.cron) : '—',
                String(rb.step_count == null ? '' : rb.step_count)];
      }), 'No runbook loaded.'));
  }, function (e) { rota.failed('Runbooks', e); });
};

rota.pages.audit = function () {
  return rota.get('/v1/audit').then(function (d) {
    rota.page('Audit', rota.table('Audit',
      ['When', 'Who', 'Role', 'Action', 'Target', 'Outcome', 'Detail'],
      (d.entries || []).map(function (e) {
        return [rota.time(e.at_ms), e.actor, e.role, e.action, e.target, rota.badge(e.outcome),
                e.detail];
      }), 'Nothing audited yet.'));
  }, function (e) { rota.failed('Audit', e); });
};
