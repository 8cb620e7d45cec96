// incident.js: one incident, the page a notification links to. Header,
// the buttons first (on a phone the ack is what one came for), then the
// timeline, every notification with its delivery state, linked runs and
// notes.
'use strict';

rota.pages = rota.pages || {};

rota.pages.incident = function (id) {
  var el = rota.el;
  var path = '/v1/incidents/' + encodeURIComponent(id);

  function reload() { return draw(); }

  function noteForm() {
    var text = el('textarea', { id: 'note-text', name: 'note', rows: '3', required: true });
    var form = el('form', { class: 'note' },
      el('label', { for: 'note-text' }, 'Add a note'), text,
      el('button', { type: 'submit' }, 'Add note'));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!text.value.trim()) { rota.say('A note needs some text.', true); return; }
      rota.post(path + '/notes', { text: text.value }).then(function () {
        rota.say('Note added');
        text.value = '';
        reload();
      }, function (err) { rota.say('Note refused: ' + err.message, true); });
    });
    return form;
  }

  function draw() {
    return rota.get(path).then(function (d) {
      var inc = d.incident || d;
      var parts = [];
      parts.push(el('p', { class: 'incident-head' }, rota.badge(inc.severity), ' ', rota.badge(inc.status), ' ',
                    el('strong', null, inc.title)));
      parts.push(el('dl', { class: 'facts' },
        el('dt', null, 'Opened'), el('dd', null, rota.time(inc.created_ms), ' (' + rota.ago(inc.created_ms) + ')'),
        el('dt', null, 'Acknowledged'), el('dd', { id: 'acked' }, inc.acked_ms
          ? [rota.time(inc.acked_ms), ' by ' + (inc.acked_by || '?')]
          : el('strong', null, inc.ack_overdue ? 'no, overdue' : 'not yet')),
        inc.resolved_ms ? [el('dt', null, 'Resolved'), el('dd', null, rota.time(inc.resolved_ms))] : null,
        el('dt', null, 'Source'), el('dd', null, inc.source || '—'),
        inc.runbook ? [el('dt', null, 'Runbook'), el('dd', null,
          rota.link('/runbooks/' + encodeURIComponent(inc.runbook), inc.runbook))] : null,
        el('dt', null, 'Escalation'), el('dd', null, (inc.policy || '—') +
          (inc.tier != null ? ', tier ' + inc.tier : '') +
          (inc.next_escalation_ms && !inc.acked_ms ? ', next ' : ''),
          inc.next_escalation_ms && !inc.acked_ms ? rota.time(inc.next_escalation_ms) : null)));
      if (rota.canAct() && inc.status !== 'resolved') {
        parts.push(el('div', { class: 'actions' },
          inc.acked_ms ? null : rota.action('Acknowledge', path + '/ack', {}, reload, 'primary'),
          ' ',
          rota.action('Resolve', path + '/resolve', {}, reload)));
      }
      if (rota.canAct()) parts.push(noteForm());
      // The post-incident review, the same Markdown as `rota incident review`.
      parts.push(el('p', null, el('a', { href: path + '/review', download: (inc.id || id) + '-review.md' },
                                  'Post-incident review (Markdown)')));

      var timeline = d.timeline || inc.timeline || [];
      parts.push(el('section', { 'aria-label': 'Timeline' }, el('h2', null, 'Timeline'),
        timeline.length ? el('ol', { class: 'timeline' }, timeline.map(function (e) {
          return el('li', null, rota.time(e.at_ms), ' ', el('span', { class: 'kind' }, e.kind),
                    ' ', e.text, e.by ? ' (' + e.by + ')' : '');
        })) : el('p', { class: 'muted' }, 'Nothing yet.')));

      var deliveries = d.deliveries || inc.deliveries || d.notifications || [];
      parts.push(el('section', { 'aria-label': 'Notifications' }, el('h2', null, 'Notifications'),
        rota.table('Notifications', ['Channel', 'Kind', 'State', 'Attempts', 'Queued', 'Delivered', 'Last error'],
          deliveries.map(function (n) {
            return [n.channel, n.kind, rota.badge(n.state), String(n.attempts || 0),
                    rota.time(n.created_ms), n.delivered_ms ? rota.time(n.delivered_ms)
                      : (n.next_ms ? ['next try ', rota.time(n.next_ms)] : '—'), n.last_error || ''];
          }), 'No notification.')));

      var runs = d.runs || inc.runs || [];
      parts.push(el('section', { 'aria-label': 'Linked runs' }, el('h2', null, 'Linked runs'),
        runs.length ? el('ul', null, runs.map(function (r) {
          var rid = typeof r === 'string' ? r : (r.id || r.run_id);
          return el('li', null, rota.runLink(rid), r.runbook ? ' ' + r.runbook : '',
                    r.status ? [' ', rota.badge(r.status)] : null);
        })) : el('p', { class: 'muted' }, 'No run linked.')));

      // Notes are on the timeline (with their kind and who wrote them).
      var notes = (d.notes || inc.notes || []).concat(timeline.filter(function (e) {
        return e.note_kind;
      }).map(function (e) {
        return { at_ms: e.at_ms, kind: e.note_kind, text: e.text, by: e.by };
      }));
      if (inc.note) notes = [{ text: inc.note }].concat(notes);
      parts.push(el('section', { 'aria-label': 'Notes' }, el('h2', null, 'Notes'),
        notes.length ? el('ul', { class: 'notes' }, notes.map(function (n) {
          return el('li', null, n.at_ms ? [rota.time(n.at_ms), ' '] : null,
                    n.kind ? el('span', { class: 'kind' }, n.kind) : null, ' ', n.text,
                    n.operator || n.by ? ' — ' + (n.operator || n.by) : '');
        })) : el('p', { class: 'muted' }, 'No note.')));

      rota.page.apply(null, [inc.id || id].concat(parts));
    }, function (e) { rota.failed('Incident ' + id, e); });
  }
  // Read again every 5 s (new timeline entries, delivery states), unless
  // someone is writing a note or has the focus on a button here.
  return draw().then(function () {
    rota.timers.push(setInterval(function () {
      var note = document.getElementById('note-text');
      var active = document.activeElement;
      if ((note && note.value) || (active && active.tagName === 'BUTTON')) return;
      if (active === note) return;
      draw();
    }, 5000));
  });
};
