# rota cancel on real workers: running steps are killed by their workers and
# confirmed before the command returns; pending steps are cancelled; one
# host can be cancelled alone; a worker that cannot confirm is declared
# lost, so the command still ends; an ended run is refused.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator --heartbeat 200ms
start_worker w1
start_worker w2
start_worker w3
wait_workers 3
MARK="rota-cancel-$$"
cat >"$T/long.yaml" <<EOF
name: long
targets: { hosts: [w1, w2] }
steps:
  - id: nap
    shell: "echo start; sleep 60; echo $MARK"
  - id: after
    shell: "echo after"
EOF

running() {
	[ "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$1' AND step_id = 'nap' AND status = 3")" = "$2" ]
}

# 1. The whole run.
rota submit "$T/long.yaml" >/dev/null
run=$(store "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1")
wait_for "running $run 2" 10 "both naps to run"
start=$SECONDS
run_rota 0 -- cancel "$run" --note "wrong window"
[ $((SECONDS - start)) -le 15 ] || fail "cancel took $((SECONDS - start))s"
assert_contains "$OUT" "run $run cancelled; run status cancelled" "cancel output"
assert_eq "$(run_status "$run")" 5 "run status (cancelled)"
assert_eq "$(store "SELECT host || ':' || step_id || ':' || status FROM step_runs WHERE run_id = '$run' ORDER BY host, position" | tr '\n' ' ')" \
	"w1:nap:9 w1:after:9 w2:nap:9 w2:after:9 " "steps after the cancel"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run' AND step_id = 'after' AND host = 'w1'")" \
	"cancelled by an operator: wrong window" "a pending step's detail"
assert_contains "$(store "SELECT reason FROM runs WHERE id = '$run'")" "cancelled by an operator" "run reason"
pgrep -f "$MARK" >/dev/null && fail "a cancelled step's process still runs"
assert_not_contains "$(rota logs "$run")" "$MARK" "output of a killed step"
pass "cancel kills running steps, confirmed by the workers, and cancels pending ones"

# 2. One host only; the other goes on until the run is cancelled as a whole.
rota submit "$T/long.yaml" >/dev/null
run=$(store "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1")
wait_for "running $run 2" 10 "both naps to run"
run_rota 0 -- cancel "$run" --host w1
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w1' AND step_id = 'nap'")" 9 "w1's nap"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w2' AND step_id = 'nap'")" 3 "w2's nap (still running)"
assert_eq "$(run_status "$run")" 2 "run status (running)"
run_rota 4 -- cancel "$run" --host w9
assert_contains "$ERR" "run $run has no host 'w9' (its hosts: w1, w2)" "unknown host"
run_rota 0 -- cancel "$run"
assert_eq "$(run_status "$run")" 5 "run status after the whole cancel"
pass "cancel --host stops one host; the rest runs until cancelled"

# 3. An ended run.
run_rota 4 -- cancel "$run"
assert_contains "$ERR" "run $run has already ended (cancelled): nothing to cancel" "ended run"
run_rota 2 -- cancel
pass "an ended run is refused; a missing RUN is a usage error"

# 4. A worker that cannot confirm: frozen while its step runs.
rota submit "$T/long.yaml" >/dev/null
run=$(store "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1")
wait_for "running $run 2" 10 "both naps to run"
kill -STOP "$WORKER_PID_w2"
run_rota 0 -- cancel "$run"
kill -CONT "$WORKER_PID_w2"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w2' AND step_id = 'nap'")" 7 \
	"the frozen worker's step (lost)"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND host = 'w1' AND step_id = 'nap'")" 9 \
	"the other host's step"
assert_eq "$(run_status "$run")" 5 "run status"
# Thawed, the worker gets the Cancel (or its group is gone with the step).
wait_for "! pgrep -f '$MARK' >/dev/null" 20 "the thawed worker to stop its step"
pass "a worker that cannot confirm is declared lost; the cancel still ends"
