# SIGTERM to the coordinator: it exits 0 within 5 s, a submit that arrives
# while it stops is refused (not started, not left to time out), its workers
# are told goodbye, wait for it however long it is away (without calling it
# silent) and say hello to the restarted coordinator at once, and a step that
# ran across the stop is recorded by the next coordinator.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/drain.yaml" --target w1 -p secs=3)
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"
runs_before=$(store "SELECT COUNT(*) FROM runs")

# Frozen, the coordinator gets SIGTERM and a submit at the same moment; it
# sees the signal first when it thaws. The submit's TCP connection is made
# by the kernel while the coordinator is frozen; once it is, the request is
# on its way before the coordinator can go, and must be answered.
api_port=${API_EP##*:}
# established PID PORT: PID has an established TCP connection to PORT.
established() {
	local inode fd port_hex
	port_hex=$(printf '%04X' "$2")
	for fd in /proc/"$1"/fd/*; do
		inode=$(readlink "$fd" 2>/dev/null | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
		[ -n "$inode" ] || continue
		awk -v p=":$port_hex" -v i="$inode" '$3 ~ p"$" && $4 == "01" && $10 == i { f = 1 } END { exit !f }' \
			/proc/net/tcp /proc/net/tcp6 2>/dev/null && return 0
	done
	return 1
}
kill -STOP "$COORD_PID"
kill -TERM "$COORD_PID"
set +e
"$ROTA_BIN/rota" submit "$FIXTURES/short.yaml" --target w1 >"$T/submit.out" 2>"$T/submit.err" &
submit_pid=$!
wait_for "established $submit_pid $api_port" 20 "the submit to connect to the frozen coordinator"
kill -CONT "$COORD_PID"
start=$SECONDS
# The bound is 5 s; measured loosely (the machine may be busy).
timeout 6 bash -c "while kill -0 $COORD_PID 2>/dev/null; do sleep 0.05; done" ||
	fail "the coordinator did not exit within 6 s of SIGTERM"
wait "$COORD_PID"
crc=$?
wait "$submit_pid"
src=$?
set -e
took=$((SECONDS - start))
assert_eq "$crc" 0 "the coordinator's exit code"
# Refused (4) with the reason, not left unanswered (3 is what a timed-out
# submit gives).
[ "$src" = 4 ] || fail "submit during the stop: exit $src, expected 4: $(cat "$T/submit.out" "$T/submit.err")"
assert_contains "$(cat "$T/submit.err")" "the coordinator is stopping" "the refused submit's message"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" "$runs_before" "runs after a submit during the stop"
grep -q "told 1 worker(s) goodbye" "$T/coordinator.log" || fail "the coordinator did not say goodbye"
wait_for "grep -q 'coordinator at .* is stopping' '$T/worker-w1.log'" 5 "the worker to hear the goodbye"

# Down for longer than 5 heartbeats (the step ends meanwhile; a restart
# under load may take that long): a coordinator that said goodbye is not
# silent, it is away, and the worker says so once and keeps dialling it at
# the short interval. Back on the same endpoints, the worker says hello
# because of the goodbye: not after giving it up for silence, nor when a
# heartbeat of the new epoch reaches it.
wait_for "grep -q 'has not come back since its goodbye' '$T/worker-w1.log'" 10 \
	"the worker to say it is still waiting for the coordinator"
restart_coordinator
back=$SECONDS
wait_workers 1
reconnect=$((SECONDS - back))
after_goodbye=$(sed -n '/coordinator at .* is stopping/,$p' "$T/worker-w1.log")
has_line "$after_goodbye" "connected to coordinator .* \(epoch 2\)" "the worker's log after the goodbye"
assert_not_contains "$after_goodbye" "is silent" "the worker's log after the goodbye"
assert_not_contains "$after_goodbye" "saying hello again" "the worker's log after the goodbye"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 10 "the step that ran across the stop to be recorded"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run'")" 1 "step runs of the run (no rerun)"
pass "coordinator stop: exit 0 in ~${took}s, submit during it exit $src, worker back in ~${reconnect}s"
