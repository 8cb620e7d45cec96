// run.js: one run. A grid of hosts x steps with their status; the chosen
// step's output below it, following while the step runs; approve or reject
// a step waiting for an approval; cancel. The page follows the run with
// the coordinator's event stream (GET /v1/events?run=ID, Server-Sent
// Events) and reads the run again when something happens; where the stream
// is not there it reads the run once a second while it is active.
'use strict';

rota.pages = rota.pages || {};

var RUN_DONE = { succeeded: true, failed: true, cancelled: true, skipped: true };

// The steps' latest attempt per (host, step), and the hosts and steps in
// their order.
function runGrid(steps) {
  var hosts = [], stepIds = [], pos = {}, cells = {};
  steps.forEach(function (s) {
    if (hosts.indexOf(s.host) < 0) hosts.push(s.host);
    if (!(s.step_id in pos)) { pos[s.step_id] = s.position; stepIds.push(s.step_id); }
    var k = s.host + '\u0000' + s.step_id;
    if (!cells[k] || (s.attempt || 0) >= (cells[k].attempt || 0)) cells[k] = s;
  });
  stepIds.sort(function (a, b) { return pos[a] - pos[b]; });
  hosts.sort();
  return { hosts: hosts, steps: stepIds, cells: cells };
}

function cellKey(host, step) { return host + '\u0000' + step; }

rota.pages.run = function (id) {
  var el = rota.el;
  var path = '/v1/runs/' + encodeURIComponent(id);
  var state = { chosen: null, chosenByUser: false, data: null, busy: false, again: false };
  var head = el('div', { class: 'runhead' });
  var actions = el('div', { class: 'actions' });
  var grid = el('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Hosts and steps' });
  var outTitle = el('h2', { id: 'output-title' }, 'Output');
  var out = el('pre', { class: 'output', id: 'output', tabindex: '0', 'aria-labelledby': 'output-title',
                        'aria-live': 'off' });
  var notes = el('section', { 'aria-labelledby': 'notes-title' });
  var drawn = false;

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function choose(key, byUser) {
    state.chosen = key;
    if (byUser) state.chosenByUser = true;
    drawGrid();
    drawOutput();
  }

  // The step to show unless the reader chose one: the one running, or
  // waiting, or the last that failed, or the last there is.
  function autoChoose(steps) {
    var pick = null;
    ['running', 'dispatched', 'waiting', 'failed', 'timeout', 'lost', 'error'].some(function (st) {
      steps.some(function (s) { if (s.status === st) { pick = s; return true; } return false; });
      return pick != null;
    });
    if (!pick && steps.length) pick = steps[steps.length - 1];
    return pick ? cellKey(pick.host, pick.step_id) : null;
  }

  function drawHead(run) {
    clear(head);
    rota.append(head, el('dl', { class: 'facts' },
      el('dt', null, 'Status'), el('dd', { id: 'run-status' }, rota.badge(run.status)),
      el('dt', null, 'Runbook'), el('dd', null, rota.link('/runbooks/' + encodeURIComponent(run.runbook), run.runbook)),
      el('dt', null, 'Trigger'), el('dd', null, run.trigger),
      el('dt', null, 'Started'), el('dd', null, rota.time(run.started_ms || run.created_ms)),
      el('dt', null, 'Ended'), el('dd', null, rota.time(run.ended_ms)),
      el('dt', null, 'Duration'), el('dd', null, rota.span(run.duration_ms)),
      el('dt', null, 'Hosts'), el('dd', null, (run.hosts_ok || 0) + ' ok, ' + (run.hosts_failed || 0) +
                                  ' failed of ' + (run.hosts_total || 0)),
      run.reason ? [el('dt', null, 'Reason'), el('dd', null, run.reason)] : null));
  }

  var actionsKey = null;
  function drawActions(run, steps) {
    if (!rota.canAct()) return;
    var waiting = [], prompt = {};
    steps.forEach(function (s) {
      if (s.status !== 'waiting' || waiting.indexOf(s.step_id) >= 0) return;
      waiting.push(s.step_id);
      prompt[s.step_id] = s.detail || '';
    });
    // Drawn again only when they change: a button under the pointer or
    // the keyboard's focus stays the same button while the run is read.
    var key = JSON.stringify([waiting, prompt, !!RUN_DONE[run.status]]);
    if (key === actionsKey) return;
    actionsKey = key;
    clear(actions);
    waiting.forEach(function (step) {
      rota.append(actions, el('div', { class: 'approval', role: 'group', 'aria-label': 'Approval of ' + step },
        el('p', null, 'Step ', el('code', null, step), ' waits for an approval.'),
        prompt[step] ? el('p', { class: 'prompt' }, prompt[step]) : null,
        rota.action('Approve ' + step, path + '/steps/' + encodeURIComponent(step) + '/approve', {},
                    refresh, 'primary'),
        ' ',
        rota.action('Reject ' + step, path + '/steps/' + encodeURIComponent(step) + '/reject', {},
                    refresh, 'danger')));
    });
    if (!RUN_DONE[run.status])
      rota.append(actions, el('p', null, rota.action('Cancel run', path + '/cancel', {}, refresh, 'danger')));
  }

  // The run's notes, and for an operator the form that adds one (POST
  // /v1/runs/ID/notes, as `rota note RUN`). Drawn again only when the
  // notes change, so text being typed stays.
  var noteList = el('div');
  var notesKey = null;
  function noteForm() {
    var text = el('textarea', { id: 'run-note-text', name: 'note', rows: '3', required: true });
    var kind = el('select', { id: 'run-note-kind', name: 'kind' },
      ['action', 'finding', 'cause', 'prevention'].map(function (k) { return el('option', { value: k }, k); }));
    var form = el('form', { class: 'note' },
      el('label', { for: 'run-note-text' }, 'Add a note to this run'), text,
      el('label', { for: 'run-note-kind' }, 'Kind'), kind,
      el('button', { type: 'submit', id: 'run-note-add' }, 'Add note'));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!text.value.trim()) { rota.say('A note needs some text.', true); return; }
      rota.post(path + '/notes', { text: text.value, kind: kind.value }).then(function () {
        rota.say('Note added');
        text.value = '';
        refresh();
      }, function (err) { rota.say('Note refused: ' + err.message, true); });
    });
    return form;
  }
  function drawNotes(list) {
    var key = JSON.stringify(list);
    if (key === notesKey) return;
    notesKey = key;
    clear(noteList);
    rota.append(noteList, list.length ? el('ul', { class: 'notes', id: 'run-notes' }, list.map(function (n) {
      return el('li', null, rota.time(n.at_ms), ' ', n.note_kind ? rota.badge(n.note_kind) : null, ' ',
                n.by ? el('strong', null, n.by + ': ') : null, n.text);
    })) : el('p', { class: 'muted', id: 'run-notes' }, 'No note.'));
  }

  function drawGrid() {
    if (!state.data) return;
    var g = runGrid(state.data.steps || []);
    var focused = document.activeElement && document.activeElement.getAttribute('data-cell');
    clear(grid);
    if (!g.hosts.length) { rota.append(grid, el('p', { class: 'muted' }, 'No step has started yet.')); return; }
    var table = el('table', { class: 'grid' }, el('caption', { class: 'sr' }, 'Status of each step on each host'),
      el('thead', null, el('tr', null, el('th', { scope: 'col' }, 'Host'), g.steps.map(function (st) {
        return el('th', { scope: 'col' }, st);
      }))),
      el('tbody', null, g.hosts.map(function (h) {
        return el('tr', null, el('th', { scope: 'row' }, h), g.steps.map(function (st) {
          var c = g.cells[cellKey(h, st)];
          if (!c) return el('td', { class: 'muted' }, '—');
          var key = cellKey(h, st);
          return el('td', null, el('button', {
            type: 'button', class: 'cell st-' + c.status + (state.chosen === key ? ' chosen' : ''),
            'data-cell': key, 'aria-pressed': state.chosen === key ? 'true' : 'false',
            'aria-label': st + ' on ' + h + ': ' + c.status + ', show output',
            onclick: function () { choose(key, true); }
          }, c.status + (c.attempt > 1 ? ' #' + c.attempt : '')));
        }));
      })));
    rota.append(grid, table);
    if (focused) {
      var again = grid.querySelector('[data-cell="' + focused.replace(/["\\]/g, '\\$&') + '"]');
      if (again) again.focus();
    }
  }

  function drawOutput() {
    var s = state.data && state.chosen ? runGrid(state.data.steps || []).cells[state.chosen] : null;
    if (!s) { outTitle.textContent = 'Output'; out.textContent = ''; return; }
    outTitle.textContent = 'Output of ' + s.step_id + ' on ' + s.host +
                           (s.exit_code != null && RUN_DONE[s.status] !== undefined ? '' : '');
    var atEnd = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    var text = s.output != null ? s.output : (s.tail || '');
    if (s.tail_cut) text = '… (earlier output cut: rota logs ' + id + ' has it all)\n' + text;
    if (s.detail) text += (text && text.slice(-1) !== '\n' ? '\n' : '') + '# ' + s.detail + '\n';
    if (out.textContent !== text) {
      out.textContent = text;
      if (atEnd) out.scrollTop = out.scrollHeight;
    }
  }

  function draw(d) {
    state.data = d;
    var run = d.run || {};
    var steps = d.steps || [];
    if (!state.chosenByUser) state.chosen = autoChoose(steps);
    if (!drawn) {
      rota.append(notes, [el('h2', { id: 'notes-title' }, 'Notes'), noteList,
                          rota.canAct() ? noteForm() : null]);
      rota.page('Run ' + id, head, actions, el('h2', null, 'Hosts and steps'), grid, outTitle, out, notes);
      drawn = true;
    }
    drawHead(run);
    drawActions(run, steps);
    drawGrid();
    drawOutput();
    drawNotes(d.notes || []);
    return run;
  }

  // One read at a time; an event during a read asks for one more after it.
  function refresh() {
    if (state.busy) { state.again = true; return Promise.resolve(); }
    state.busy = true;
    return rota.get(path + '?tail=200').then(draw, function (e) {
      if (!drawn) rota.failed('Run ' + id, e);
      else rota.say('Could not read the run: ' + e.message, true);
    }).then(function (run) {
      state.busy = false;
      if (run && RUN_DONE[run.status]) rota.stopAll();
      if (state.again) { state.again = false; refresh(); }
      return run;
    });
  }

  function poll() { rota.timers.push(setInterval(refresh, 1000)); }

  return refresh().then(function (run) {
    if (!run || RUN_DONE[run.status]) return;
    if (!window.EventSource) return poll();
    var es = new EventSource('/v1/events?run=' + encodeURIComponent(id));
    var opened = false;
    rota.streams.push(es);
    es.onopen = function () { opened = true; };
    // Any event of the run (its kinds, or a resync after falling behind)
    // means the run changed: read it again (one read at a time).
    es.onmessage = function () { refresh(); };
    ['output', 'step', 'run', 'resync'].forEach(function (kind) {
      es.addEventListener(kind, function () { refresh(); });
    });
    es.onerror = function () {
      // No stream here (an older coordinator, or a proxy that buffers):
      // read once a second instead. A stream that was open reconnects by
      // itself, from its Last-Event-ID.
      if (!opened || es.readyState === EventSource.CLOSED) {
        es.close();
        if (!rota.timers.length) poll();
      }
    };
  });
};
