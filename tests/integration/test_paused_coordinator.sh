# The coordinator freezes (SIGSTOP) while a step runs and the step finishes
# meanwhile: when it thaws, it gives its workers back the time it was frozen
# (it must not call a worker lost for its own silence), the worker
# reconnects and its spooled result is recorded; nothing stays running.
#
# Deterministic: the worker is frozen too, from before the coordinator
# freezes until the coordinator's first turn after the thaw is over (its
# "did not run for" warning), so no message of the worker can reach that
# turn and hide a missing time shift: without it, w1 is lost there.
. "$(dirname "$0")/lib.sh"
rota_setup
cat >"$T/gate.yaml" <<'YAML'
name: paused
steps:
  - id: work
    shell: { run: "until [ -e \"$ROTA_TEST_TMP/go\" ]; do sleep 0.05; done; echo done" }
YAML
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$T/gate.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"

kill -STOP "$WORKER_PID_w1"
# Until the coordinator has read the last thing w1 sent: its last-seen time
# stays the same over two answers.
last_seen() { rota workers --json | sed -n 's/.*"id":"w1"[^}]*"last_seen_ms":\([0-9]*\).*/\1/p'; }
prev=$(last_seen)
wait_for "cur=\$(last_seen); [ \"\$cur\" = \"\$prev\" ] || { prev=\$cur; false; }" 10 \
	"the coordinator to read w1's last message"
kill -STOP "$COORD_PID"
touch "$T/go" # the step ends while both are frozen
sleep 6       # frozen past 5 heartbeats (the worker drops the connection and retries)
kill -CONT "$COORD_PID"
wait_for "grep -q 'did not run for' '$T/coordinator.log'" 10 "the coordinator to notice it was frozen"
kill -CONT "$WORKER_PID_w1"

wait_for "case \$(run_status $run) in 1 | 2) false ;; esac" 20 "the run to end after the thaw"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 4 "step status"
assert_eq "$(run_status "$run")" 3 "run status"
grep -q "worker w1 lost" "$T/coordinator.log" && fail "the coordinator called w1 lost for its own silence"
wait_for "[ -z \"\$(sqlite3 '$T/spool-w1/spool.db' 'SELECT key FROM results')\" ]" 10 "the worker's spool to empty"
pass "a frozen coordinator loses no result and loses no worker for its own silence"
