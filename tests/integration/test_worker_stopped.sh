#!/usr/bin/env bash
# A worker stopped on purpose (SIGTERM: a clean Goodbye) is `stopped`, not
# `lost` (issue 18, item 0): rota workers says so, also after a coordinator
# restart; the next scheduled run skips its host with that reason, succeeds
# on the others and opens no incident; started again, it is connected and
# runs what it is sent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup
mkdir -p "$T/runbooks"
cp "$FIXTURES/look.yaml" "$T/runbooks/"
RUNBOOKS=$T/runbooks start_coordinator --heartbeat 500ms
start_worker w1
start_worker w2
wait_workers 2

kill -TERM "$WORKER_PID_w2"
wait_for "! kill -0 $WORKER_PID_w2 2>/dev/null" 10 "w2 to exit"
# Stopped once silent past the window (5 heartbeats) since its Goodbye:
# what a crash would have made lost.
wait_for "rota workers | grep -Eq '^w2 .* stopped '" 10 "rota workers to show w2 stopped"
run_rota 0 -- workers
has_line "$OUT" "^w1 .* connected " "w1 is connected"
assert_not_contains "$OUT" " lost " "rota workers after a clean stop"
run_rota 0 -- workers --json
assert_contains "$OUT" '"state":"stopped"' "workers --json"
assert_eq "$(store "SELECT state FROM workers WHERE id = 'w2'")" "stopped" "the stored state"
pass "a SIGTERMed worker is stopped, not lost"

# ---- the next scheduled run skips it and opens no incident --------------------
stop_coordinator
cp "$FIXTURES/daily.yaml" "$T/runbooks/"
ROTA_FAKE_NOW=2026-06-01T10:00:57Z RUNBOOKS=$T/runbooks restart_coordinator --heartbeat 500ms
wait_workers 1
has_line "$(rota workers)" "^w2 .* stopped " "w2 after a coordinator restart"
wait_for "[ -n \"\$(store \"SELECT id FROM runs WHERE runbook = 'daily' AND status IN (3, 4)\")\" ]" 20 \
	"the scheduled run to end"
daily=$(store "SELECT id FROM runs WHERE runbook = 'daily'")
assert_eq "$(run_status "$daily")" 3 "the scheduled run's status (succeeded)"
run_rota 0 -- show "$daily"
has_line "$OUT" "check +skipped .*worker w2 is stopped \(it said Goodbye" "rota show: w2's step and why"
assert_not_contains "$OUT" "unreachable" "rota show of the scheduled run"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 0 "incidents opened"
pass "a scheduled run skips the stopped worker with that reason and opens no incident"

# ---- back: connected again, and runs ------------------------------------------
start_worker w2
wait_workers 2
has_line "$(rota workers)" "^w2 .* connected " "w2 started again"
run_rota 0 -- submit look --target w2 --wait
assert_eq "$(store "SELECT state FROM workers WHERE id = 'w2'")" "connected" "the stored state once back"
pass "a stopped worker that comes back is connected and runs"
