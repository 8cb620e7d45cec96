# Another process holds the store's write lock while a step finishes: the
# coordinator cannot commit the result, so it must not acknowledge it (the
# result stays in the worker's spool while the lock is held, after the
# coordinator has told the worker to say hello again); once the lock is
# gone the worker's resent result is recorded and the run ends.
# The step prints nothing after the gate, so its result is the first thing
# the coordinator cannot commit (an output chunk first would make the
# coordinator drop the worker before its result came).
. "$(dirname "$0")/lib.sh"
rota_setup
cat >"$T/gated.yaml" <<'YAML'
name: gated
steps:
  - id: work
    shell: { run: "echo begin; until [ -e \"$ROTA_TEST_TMP/go\" ]; do sleep 0.05; done" }
YAML
# Each turn that writes waits out the store's busy timeout (2 s) while the
# lock is held, and withholds its messages: with the default 1 s heartbeat
# a loaded machine could stretch that past the worker's 5 s patience, and
# w1 would reconnect on its own instead of being asked to say hello again.
start_coordinator --heartbeat 3s
start_worker w1
wait_workers 1

spooled() { sqlite3 "$T/spool-w1/spool.db" 'SELECT COUNT(*) FROM results' 2>/dev/null || echo 0; }

run=$(rota submit "$T/gated.yaml" --target w1)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"
wait_for "rota logs $run | grep -q 'w1 work | begin'" 10 "the step's first line to be recorded"
# Hold the write lock until the test lets go of it.
(printf 'BEGIN IMMEDIATE;\nUPDATE meta SET value = value WHERE key = %s;\n' "'epoch'"
	while [ ! -e "$T/unlock" ]; do sleep 0.05; done
	printf 'COMMIT;\n') | sqlite3 "$T/data/rota.db" &
locker=$!
PIDS+=("$locker")
wait_for "! sqlite3 '$T/data/rota.db' 'BEGIN IMMEDIATE; ROLLBACK;' 2>/dev/null" 10 "the lock to be taken"
hellos=$(grep -c "saying hello again" "$T/worker-w1.log" || true)
touch "$T/go"
wait_for "grep -q 'finished: ok' '$T/worker-w1.log'" 10 "the step to finish on the worker"
wait_for "grep -q 'could not be committed' '$T/coordinator.log'" 10 "the coordinator to fail to commit"
# The failed turn's messages are withheld, and the coordinator asks every
# worker to say hello again: by the time w1 does, an acknowledgement of its
# result, had one been sent, would have reached it first.
wait_for "[ \"\$(grep -c 'saying hello again' '$T/worker-w1.log')\" -gt $hellos ]" 15 \
	"w1 to be asked to say hello again"
[ "$(spooled)" -ge 1 ] || fail "the result left w1's spool while the store was locked (acknowledged, not stored)"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 3 "the step while the store is locked"

touch "$T/unlock"
wait "$locker"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 20 "the run to be recorded after the lock"
assert_eq "$(store "SELECT status || ':' || exit_code FROM step_runs WHERE run_id = '$run'")" "4:0" "step"
wait_for "[ \"\$(spooled)\" = 0 ]" 10 "w1's spool to let go of the result once it is stored"
logs=$(rota logs "$run")
assert_contains "$logs" "w1 work | begin" "output committed before the lock"
kill -0 "$COORD_PID" || fail "the coordinator died"
pass "a result that could not be committed was not acknowledged, and was recorded later"
