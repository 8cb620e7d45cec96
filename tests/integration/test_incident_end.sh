#!/usr/bin/env bash
# Incidents that end cleanly, with a real coordinator, a real worker and a
# real webhook receiver standing in for the pager (issue 18, item 0 and 4):
#   - a notify step of a run whose incident was resolved while the run
#     waited is recorded as skipped, "suppressed", in rota show and its
#     JSON, and the receiver is sent nothing of it;
#   - rota resolve --cancel-runs cancels the incident's runs still going;
#   - rota submit --incident INC-N links the run: the timeline says so and
#     incident show lists it;
#   - the approver of a manual step (name and time) is on the step in rota
#     show and its JSON, and the audit row names the run id, not the alias
#     typed (last);
#   - rota note writes on an open incident, a resolved one and a run, with
#     the operator's name and kind, shown by incident show, show and --json;
#     each note is audited.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

start_receiver
# count_kind KIND: requests whose notice is of that kind (the body is a JSON
# string inside the record, so its quotes are escaped).
count_kind() { grep -cF 'kind\":\"'"$1"'\"' "$T/recv.jsonl" || true; }

cat >"$T/config.yaml" <<YAML
http: "off"
channels:
  pager:  { webhook: { url: "$RECV/pager" } }
  oncall: { webhook: { url: "$RECV/oncall" } }
escalation:
  deadlines: { P1: 1h }
  policies:
    default:
      - { after: 0s, notify: [pager] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
mkdir -p "$T/runbooks"
# The issue's service-down: wait for an operator, then tell on-call.
cat >"$T/runbooks/service-down.yaml" <<'YAML'
name: service-down
severity: P1
targets: { all: true }
steps:
  - id: approve_restart
    manual: { prompt: "restart app?" }
  - id: tell
    notify: { message: "app on api-1 is down, restarting it", channel: oncall }
  - id: restart
    shell: "echo restarted"
YAML
cat >"$T/runbooks/page.yaml" <<'YAML'
name: page
targets: { all: true }
steps:
  - id: tell
    notify: { message: "still looking at api-1", channel: oncall }
YAML
cp "$FIXTURES/look.yaml" "$T/runbooks/"
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker api-1
wait_workers 1

# ---- a resolved incident's notify step is suppressed -------------------------
run_rota 0 -- incident open service-down --title "app on api-1 is down" --target api-1
has_line "$OUT" "^INC-1 opened" "incident open"
run1=$(sed -n 's/^run \([^ ]*\) of service-down.*/\1/p' <<<"$OUT")
wait_for "rota show $run1 | grep -Eq 'approve_restart +waiting'" 10 "the run to wait for approval"
run_rota 0 -- resolve INC-1 --note "alert resolved"
wait_for '[ "$(count_kind resolve)" = 1 ]' 10 "the pager to hear of the resolution"
run_rota 0 -- approve last approve_restart
wait_for "[ \"\$(run_status $run1)\" = 3 ]" 10 "the run to end"
run_rota 0 -- show "$run1"
has_line "$OUT" "^  tell +skipped .*suppressed: incident INC-1 was resolved at .* UTC; not sent" \
	"rota show: the notify step of a resolved incident"
run_rota 0 -- show "$run1" --json
assert_contains "$OUT" '"step_id":"tell"' "show --json"
assert_contains "$OUT" '"status":"skipped"' "show --json: the notify step's status"
assert_contains "$OUT" 'suppressed: incident INC-1 was resolved' "show --json: why"
assert_eq "$(store "SELECT COUNT(*) FROM outbox WHERE kind = 'notify'")" 0 "notify rows in the outbox"
assert_eq "$(count_kind notify)" 0 "notify notices the receiver got"
assert_eq "$(grep -c '"path":"/oncall"' "$T/recv.jsonl" || true)" 0 "requests to the oncall channel"
pass "a notify step of a resolved incident's run is recorded as suppressed and never sent"

# ---- the approver is on the step; the audit row names the run id -------------
run_rota 0 -- show "$run1"
has_line "$OUT" "^  approve_restart +succeeded .*approved by [^ ]+ at [0-9-]+ [0-9:]+ UTC" \
	"rota show: who approved and when"
run_rota 0 -- show "$run1" --json
assert_contains "$OUT" '"approved_by":"' "show --json: approved_by"
grep -Eq '"approved_ms":[0-9]+' <<<"$OUT" || fail "show --json has no approved_ms: $OUT"
target=$(store "SELECT target FROM audit WHERE action = 'approve'")
assert_eq "$target" "$run1/approve_restart" "the approve audit row's target"
pass "the approver and the time are on the step; the audit row names the run id, not 'last'"

# ---- resolve --cancel-runs ----------------------------------------------------
run_rota 0 -- incident open service-down --title "again" --target api-1
run2=$(sed -n 's/^run \([^ ]*\) of service-down.*/\1/p' <<<"$OUT")
wait_for "rota show $run2 | grep -Eq 'approve_restart +waiting'" 10 "the second run to wait"
run_rota 0 -- resolve INC-2 --cancel-runs --note "flapped"
has_line "$OUT" "^cancelled run $run2$" "resolve --cancel-runs says what it cancelled"
wait_for "[ \"\$(run_status $run2)\" = 5 ]" 10 "the run to be cancelled"
run_rota 0 -- show "$run2"
has_line "$OUT" "^  approve_restart +cancelled " "the waiting step cancelled"
has_line "$OUT" "^  tell +(pending|cancelled) " "the notify step never ran"
assert_eq "$(count_kind notify)" 0 "notify notices after --cancel-runs"
pass "rota resolve --cancel-runs cancels the incident's runs"

# ---- submit --incident ---------------------------------------------------------
run_rota 0 -- incident open service-down --title "third" --target api-1
run3=$(sed -n 's/^run \([^ ]*\) of service-down.*/\1/p' <<<"$OUT")
run_rota 0 -- submit look --target api-1 --incident inc-3 --wait
run_rota 0 -- runs --json
look=$(store "SELECT id FROM runs WHERE runbook = 'look'")
run_rota 0 -- incident show INC-3
has_line "$OUT" "^  [0-9: -]+ +run +run $look of look linked by [^ ]+$" "the timeline says the run was linked"
has_line "$OUT" "^  $look +look +succeeded " "incident show lists the linked run"
run_rota 4 -- submit look --target api-1 --incident INC-99
assert_contains "$ERR" "no incident INC-99" "submit --incident of an unknown incident"
# Linked to the resolved INC-1 before its first step: its notify is
# suppressed too.
run_rota 0 -- submit page --target api-1 --incident INC-1 --wait
run_rota 0 -- show last
has_line "$OUT" "^  tell +skipped .*suppressed: incident INC-1 was resolved" "a linked run's first notify"
assert_eq "$(count_kind notify)" 0 "notify notices of the linked run"
pass "rota submit --incident links a run to the incident"

# ---- notes ----------------------------------------------------------------------
run_rota 0 -- note INC-3 "restarted app by hand" --kind action
has_line "$OUT" "^noted on INC-3 \(action\) by [^ ]+ at .* UTC$" "note on an open incident"
run_rota 0 -- resolve INC-3
run_rota 0 -- note INC-3 "a config push removed the health check" --kind cause
run_rota 0 -- note inc-3 "check health checks in review" --kind prevention
run_rota 0 -- incident show INC-3
has_line "$OUT" "^  [0-9: -]+ +note +\(action\) [^ ]+: restarted app by hand$" "incident show: the note"
has_line "$OUT" "^  [0-9: -]+ +note +\(cause\) [^ ]+: a config push removed the health check$" \
	"incident show: a note after the resolve"
run_rota 0 -- incident show INC-3 --json
assert_contains "$OUT" '"note_kind":"prevention"' "incident show --json: the note's kind"
assert_contains "$OUT" '"by":"' "incident show --json: the note's author"
run_rota 0 -- note "$look" "output looked normal" --kind finding
has_line "$OUT" "^noted on run $look \(finding\) by " "note on a run"
run_rota 0 -- show "$look"
has_line "$OUT" "^notes$" "rota show: the notes heading"
has_line "$OUT" "^  [0-9: -]+ +\(finding\) [^ ]+: output looked normal$" "rota show: the note"
has_line "$OUT" "^incidents +INC-3$" "rota show: the linked incident"
run_rota 0 -- show "$look" --json
assert_contains "$OUT" '"text":"output looked normal"' "show --json: the note"
assert_contains "$OUT" '"incidents":["INC-3"]' "show --json: the linked incident"
run_rota 2 -- note INC-3 "x" --kind guess
assert_contains "$ERR" "--kind must be action, finding, cause or prevention" "a bad --kind"
run_rota 2 -- note INC-3
assert_contains "$ERR" "note needs a text" "a note without text"
run_rota 4 -- note INC-42 "x"
assert_contains "$ERR" "no incident INC-42" "a note on an unknown incident"
assert_eq "$(store "SELECT COUNT(*) FROM audit WHERE action = 'note' AND outcome = 'ok'")" 4 \
	"audit rows of the notes"
assert_eq "$(store "SELECT target FROM audit WHERE action = 'note' ORDER BY id LIMIT 1")" "INC-3" \
	"the note's audit target"
pass "notes on open and resolved incidents and on runs, with author and kind, audited"
