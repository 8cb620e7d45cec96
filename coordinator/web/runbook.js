// runbook.js: one runbook as a readable document (/runbooks/NAME), drawn
// from GET /v1/runbooks/NAME: the same document `rota runbooks NAME --json`
// prints. What it is for, what it takes, where and when it runs, and its
// steps in order with what each does, where, when and for how long; an
// invalid one with its lint errors at line:column.
'use strict';

rota.pages = rota.pages || {};

(function () {
  var el = rota.el;

  function section(title, content) {
    return el('section', { 'aria-label': title }, el('h2', null, title), content);
  }
  function none(text) { return el('p', { class: 'muted' }, text); }
  function dur(ms) { return ms ? rota.span(ms) : '—'; }

  function lint(d) {
    var errs = d.lint || [];
    if (!errs.length) return null;
    return section('Lint errors', el('ul', { class: 'bad lint' }, errs.map(function (e) {
      return el('li', null, e.line ? el('code', null, 'line ' + e.line + ':' + e.column) : null,
                e.line ? ' ' : '', e.message);
    })));
  }

  function params(list) {
    if (!list.length) return none('None.');
    return el('dl', { class: 'params' }, list.map(function (p) {
      return [el('dt', null, el('code', null, p.name), ' ', el('span', { class: 'muted' }, p.type)),
              el('dd', null, p.description ? p.description + ' ' : '',
                 p.required ? el('strong', null, 'Required.')
                            : ['Default: ', el('code', null, p['default'] == null ? '""' : p['default']), '.'],
                 p.secret ? ' Secret: kept out of output and logs.' : '',
                 p.from_alert && p.from_alert.length ? ' From the alert\'s label ' + p.from_alert.join(' or ') + '.' : '')];
    }));
  }

  function targets(t) {
    if (!t) return none('—');
    var what = [];
    if (t.all) what.push('every connected worker');
    if (t.hosts && t.hosts.length) what.push('hosts ' + t.hosts.join(', '));
    Object.keys(t.labels || {}).forEach(function (k) {
      what.push('label ' + k + '=' + t.labels[k].join('|'));
    });
    var p = el('p', null, what.length ? what.join('; ') : 'none given (hosts named at submit)');
    var roll = [];
    if (t.batch) roll.push(t.batch + ' at a time');
    if (t.max_failures) roll.push('stops starting hosts past ' + t.max_failures + ' failures');
    return [p, roll.length ? el('p', { class: 'muted' }, 'Rolling: ' + roll.join(', ') + '.') : null];
  }

  function schedule(s) {
    if (!s) return none('Not scheduled: started by hand, an alert or an incident.');
    var rows = (s.next || []).map(function (n) {
      return [n.local + ' ' + s.timezone, n.utc + ' UTC', rota.time(n.at_ms), n.skipped || ''];
    });
    return [el('p', null, el('code', null, s.cron), ' in ' + s.timezone,
               '; catch-up ' + s.catchup + ', concurrency ' + s.concurrency,
               s.jitter_ms ? ', jitter up to ' + dur(s.jitter_ms) : ''),
            rota.table('Next fire times', ['In its zone', 'UTC', 'Your time', 'Skipped'], rows,
                       'No fire time ahead.')];
  }

  function triggers(list) {
    if (!list.length) return none('No alert starts it.');
    return el('ul', null, list.map(function (t) {
      return el('li', null, t.source + ' alerts matching ',
                el('code', null, Object.keys(t.match).map(function (k) {
                  return k + '=' + t.match[k];
                }).join(', ') || 'anything'));
    }));
  }

  function when(s) {
    var w = s.when || {};
    if (w.kind === 'always') return 'always, whatever happened before';
    if (w.kind === 'failed') return 'only when step ' + w.step + ' failed';
    if (w.kind === 'succeeded') return 'only when step ' + w.step + ' succeeded';
    return 'while nothing before it failed';
  }

  function steps(list) {
    if (!list.length) return none('No step.');
    return el('ol', { class: 'steps' }, list.map(function (s) {
      var facts = ['runs on the ' + s.runs_on + (s.run_as ? ' as ' + s.run_as : ''),
                   when(s), 'timeout ' + dur(s.timeout_ms)];
      if (s.manual_approval) facts.push('waits for a manual approval');
      if (s.retries && s.retries.count) facts.push('retried up to ' + s.retries.count + ' times');
      if (s.continue_on_failure) facts.push('its failure does not stop the host');
      return el('li', null, el('strong', null, s.id), ' ', rota.badge(s.kind),
                el('pre', null, s.what),
                el('p', { class: 'muted' }, facts.join('; ') + '.'));
    }));
  }

  rota.pages.runbook = function (name) {
    return rota.get('/v1/runbooks/' + encodeURIComponent(name)).then(function (d) {
      var rb = d.runbook || {};
      var parts = [el('p', null, rota.badge(rb.state), ' ', el('code', null, rb.path || ''))];
      parts.push(lint(d));
      if (d.steps) {
        if (d.description) parts.push(el('p', { class: 'lead' }, d.description));
        parts.push(section('Parameters', params(d.params || [])),
                   section('Targets', targets(d.targets)),
                   section('Schedule', schedule(d.schedule)),
                   section('Triggers', triggers(d.triggers || [])),
                   section('Steps', steps(d.steps)));
        if (rota.canAct() && rb.state === 'loaded')
          parts.push(el('p', null, rota.action('Run now', '/v1/runs', { runbook: rb.name }, function (res) {
            var id = res && (res.run_id || (res.run && res.run.id));
            if (id) location.href = '/runs/' + encodeURIComponent(id);
          })));
      }
      rota.page.apply(null, ['Runbook ' + (rb.name || name)].concat(parts));
    }, function (e) { rota.failed('Runbook ' + name, e); });
  };
})();
