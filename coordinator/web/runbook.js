// runbook.js: one runbook as a readable document (/runbooks/NAME), drawn
// from GET /v1/runbooks/NAME: the JSON of the one model of a runbook's
// document, which `rota runbook show NAME` prints as Markdown and with
// --json as this JSON. The same sections as the Markdown, in its order:
// alert description, the steps under immediate actions, investigation,
// resolution and verification (the document's own `sections`), prevention,
// escalation with the policy's real tiers, then parameters, targets and
// schedule; an invalid one with its lint errors at line:column.
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

  // What a step does: its kind's words, its values as code.
  function what(s) {
    if (!s.what_parts || !s.what_parts.length) return el('pre', null, s.what);
    var multi = s.what_parts.some(function (p) { return p.code && /\n./.test(p.text); });
    return el(multi ? 'div' : 'p', null, s.what_parts.map(function (p) {
      if (!p.code) return p.text;
      return /\n./.test(p.text) ? el('pre', null, el('code', null, p.text)) : el('code', null, p.text);
    }));
  }

  function step(s, index) {
    var facts = ['runs on the ' + s.runs_on + (s.run_as ? ' as ' + s.run_as : ''),
                 when(s), 'timeout ' + dur(s.timeout_ms)];
    if (s.manual_approval) facts.push('waits for a manual approval');
    if (s.retries && s.retries.count) facts.push('retried up to ' + s.retries.count + ' times');
    if (s.continue_on_failure) facts.push('its failure does not stop the host');
    return el('li', { value: String(index + 1) }, el('strong', null, s.id), ' ', rota.badge(s.kind),
              s.description ? ' ' + s.description : '', what(s),
              el('p', { class: 'muted' }, facts.join('; ') + '.'));
  }

  // The steps' sections, as the document places them (a step under its
  // phase, one without under the phase of the step before), numbered in
  // the order they run.
  function stepSections(d) {
    var byId = {};
    d.steps.forEach(function (s, i) { byId[s.id] = { s: s, i: i }; });
    return (d.sections || []).map(function (sec) {
      var items = sec.steps.map(function (id) { return byId[id]; }).filter(Boolean);
      return section(sec.title, items.length
        ? el('ol', { class: 'steps' }, items.map(function (x) { return step(x.s, x.i); }))
        : none('No steps of this runbook in this phase.'));
    });
  }

  function prose(text, missing) {
    if (!text) return missing ? none(missing) : null;
    return text.split(/\n\s*\n/).map(function (p) { return el('p', null, p); });
  }

  function alertSection(d) {
    var parts = [prose(d.alert)];
    if (d.triggers && d.triggers.length) parts.push(triggers(d.triggers));
    else if (!d.alert) parts.push(none(d.schedule ? 'No alert starts this runbook: it runs on its schedule, or by hand.'
                                                  : 'No alert starts this runbook: it is run by hand.'));
    return section('Alert description', parts);
  }

  function escalation(d) {
    var p = d.policy, parts = [];
    if (!d.severity)
      parts.push(none('This runbook gives no severity: an incident opened with it has the one given at open.'));
    if (!p) {
      parts.push(el('p', null, 'Incidents follow escalation policy ', el('strong', null, d.escalation), '.'));
    } else if (!p.configured) {
      parts.push(el('p', null, 'The coordinator has no escalation policy ', el('strong', null, p.name),
                    ' (nor default): its incidents are recorded but notify nobody.'));
    } else {
      var due = '';
      if (d.severity && p.ack_due_ms > 0) due = '; a ' + d.severity + ' incident is due an acknowledgement within ' + dur(p.ack_due_ms);
      else if (d.severity && p.ack_due_ms < 0) due = '; a ' + d.severity + ' incident is due an acknowledgement by the next business day';
      parts.push(el('p', null, 'Incidents follow escalation policy ', el('strong', null, p.name), due + '.'));
      var rows = p.tiers.filter(function (t) { return t.applies; }).map(function (t) {
        var then = [];
        if (t.repeat_ms) then.push('again every ' + dur(t.repeat_ms));
        if (t.severities.length) then.push(t.severities.join(', ') + ' only');
        return [t.after_ms ? dur(t.after_ms) : 'at once', t.notify.join(', ') || 'nobody', then.join('; ')];
      });
      parts.push(rota.table('Escalation tiers', ['After', 'Notify', 'Then'], rows, 'No tier for this severity.'));
      parts.push(el('p', { class: 'muted' }, p.until === 'resolved'
        ? 'The climb goes on past an acknowledgement and stops when the incident is resolved.'
        : 'The climb stops when the incident is acknowledged.'));
    }
    parts.push(prose(d.escalation_notes));
    return section('Escalation', parts);
  }

  rota.pages.runbook = function (name) {
    return rota.get('/v1/runbooks/' + encodeURIComponent(name)).then(function (d) {
      var rb = d.runbook || {};
      var parts = [el('p', null, rota.badge(rb.state), ' ', el('code', null, rb.path || ''))];
      parts.push(lint(d));
      if (d.steps) {
        if (d.description) parts.push(el('p', { class: 'lead' }, d.description));
        parts.push(el('p', { class: 'muted' }, 'Category ' + (d.category || 'uncategorized') +
                      '; severity ' + (d.severity || 'not set') + '; ' + d.steps.length +
                      (d.steps.length === 1 ? ' step.' : ' steps.')));
        parts.push(alertSection(d));
        parts = parts.concat(stepSections(d));
        parts.push(section('Prevention', prose(d.prevention, 'To be written (the runbook has no prevention).')),
                   escalation(d),
                   section('Parameters', params(d.params || [])),
                   section('Targets', targets(d.targets)),
                   section('Schedule', schedule(d.schedule)));
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
