#!/usr/bin/env bash
# What docs/runbooks.md tells a newcomer about running a runbook, checked
# against the real programs (issue 12, "found by a newcomer"):
#   - a notify step is delivered (queued in the outbox for its channel, or
#     the first tier of its policy, and POSTed), not only logged; logged
#     only when no channel is configured; an unknown channel is an error;
#   - `rota logs` marks stdout '|', stderr '!' and rota's notes '#';
#   - with the default --output-limit a step keeps its first and last
#     512 KiB (less 128 bytes each), with one note between them;
#   - a failed manual run raises no incident, whatever its severity (only a
#     failed scheduled run does: test_incidents);
# and that the page says so, not what it used to say.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

DOC=$ROTA_SOURCE_DIR/docs/runbooks.md
tr '\n' ' ' <"$DOC" | tr -s ' ' >"$T/doc.txt"
doc_says() { grep -qF -- "$1" "$T/doc.txt" || fail "docs/runbooks.md does not say: $1"; }
doc_lacks() { ! grep -qF -- "$1" "$T/doc.txt" || fail "docs/runbooks.md still says: $1"; }
doc_lacks "the first 1 MiB per step is kept"
doc_says "its **first and last 512 KiB** (each 128 bytes less"
doc_lacks "Until escalation channels"
doc_says "The message is delivered, not just logged"
doc_lacks 'a failed run with a `severity` raises an incident'
doc_says 'Only a failed **scheduled** run raises an incident'
doc_says '`HOST STEP ! line` for stderr'
pass "docs/runbooks.md describes notify, kept output, incidents and the '!' prefix as they are"

start_receiver
receiver_config hook

mkdir -p "$T/runbooks"
cat >"$T/docs.yaml" <<'YAML'
name: docs-promises
severity: P1
params:
  tok: { default: "", secret: true }
steps:
  - id: streams
    shell: 'echo to-stdout; echo to-stderr >&2'
  - id: flood
    shell: |
      i=0
      while [ $i -lt 24000 ]; do printf 'line %05d %s\n' $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i + 1)); done
  - id: tell
    notify: { message: "docs check on {{ host.id }}, token {{ params.tok }}" }
  - id: unconfigured
    notify: { message: "nobody hears this", channel: nosuch }
    continue_on_failure: true
  - id: fail
    shell: 'exit 1'
YAML
cat >"$T/quiet.yaml" <<'YAML'
name: quiet
escalation: unconfigured
steps:
  - id: tell
    notify: { message: "logged, not sent" }
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker w1
wait_workers 1

run=$(rota submit "$T/docs.yaml" --target w1 -p tok=s3cr3t-value)
wait_for '[ "$(run_status "$run")" = 4 ]' 60 "the docs run to fail (its last step fails)"

# A step's result can be recorded before its last output chunks (they are
# accounted for before the worker's ResultAck, docs/protocol.md): wait for
# the flood's last line before reading the whole output.
wait_for "rota logs $run | grep -q '^w1 flood | line 23999 x'" 30 "the flood's last line to be recorded"
# rota logs: '|' stdout, '!' stderr, '#' rota's own notes.
logs=$(rota logs "$run")
has_line "$logs" '^w1 streams \| to-stdout$' "stdout line"
has_line "$logs" '^w1 streams ! to-stderr$' "stderr line"
pass "rota logs prefixes stdout with '|' and stderr with '!'"

# The default --output-limit (1 MiB): the first and last 524160 bytes.
has_line "$logs" '^w1 flood \| line 00000 x+$' "the first line of the flood"
has_line "$logs" '^w1 flood \| line 23999 x+$' "the last line of the flood"
has_line "$logs" '^w1 flood \| \[rota: [0-9]+ bytes of output dropped here; the first and the last 524160 bytes are kept\]$' \
	"the note between head and tail"
assert_not_contains "$logs" "line 12000 " "the middle of the flood"
pass "a step keeps the first and the last 512 KiB (less 128 bytes each) of its output, with a note"

# notify: queued for the first tier of the policy and delivered.
st() { store "SELECT status || ' ' || COALESCE(detail, '') FROM step_runs WHERE run_id = '$run' AND step_id = '$1'"; }
assert_contains "$(st tell)" "4 queued for hook: docs check on w1, token ****" "the notify step's record"
wait_for 'grep -q "docs check on w1" "$T/recv.jsonl"' 15 "the notify step's webhook"
grep -qF 'token ****' "$T/recv.jsonl" || fail "the delivered message does not mask the secret"
assert_contains "$(st unconfigured)" "10 no channel 'nosuch' in the coordinator's configuration (channels: hook)" \
	"a notify step to an unknown channel"
# A policy the configuration does not define is the default policy.
run2=$(rota submit "$T/quiet.yaml" --target w1)
wait_for '[ "$(run_status "$run2")" = 3 ]' 20 "the quiet run"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run2' AND step_id = 'tell'")" \
	"queued for hook: logged, not sent" "a notify step of an undefined policy"
pass "a notify step is delivered to its policy's first tier (default for an undefined one); an unknown channel is an error"

# A failed manual run of a runbook with a severity raises no incident.
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 0 "incidents after a failed manual P1 run"
pass "a failed manual run raises no incident, whatever its severity"

# Without any channel configured (no --config), a notify step is logged
# only, and succeeds.
stop_coordinator
RUNBOOKS=$T/runbooks restart_coordinator
wait_workers 1
run3=$(rota submit "$T/quiet.yaml" --target w1)
wait_for '[ "$(run_status "$run3")" = 3 ]' 20 "the quiet run without channels"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run3' AND step_id = 'tell'")" \
	"logged only (no channel configured for policy default): logged, not sent" \
	"a notify step with no channel configured"
grep -q "notify: run $run3 (adhoc:quiet) host w1 step tell: logged only" "$T/coordinator.log" ||
	fail "the coordinator did not log the notify step"
pass "without channels a notify step is logged only, and succeeds"
