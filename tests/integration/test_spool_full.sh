# A full spool disk never loses output silently: the worker's spool is a
# 8 MiB tmpfs that a step fills in the middle of printing 20,000 lines. The
# step's result is still recorded; every line that did not reach the store
# is accounted for by a line in `rota logs` that says how many bytes were
# lost and why, output_truncated is set, the worker logs the spool error
# once per interval with a count (not once per chunk), and `rota workers`
# and /metrics show the worker's spool as failing until it writes again.
. "$(dirname "$0")/lib.sh"
rota_setup
SPOOL=$T/spool-w1
mkdir -p "$SPOOL"
mount -t tmpfs -o size=8m tmpfs "$SPOOL" || fail "cannot mount a tmpfs (the test needs root)"
spool_cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	umount "$SPOOL" 2>/dev/null || umount -l "$SPOOL" 2>/dev/null || true
	cleanup
}
trap spool_cleanup EXIT
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/spoolfill.yaml" --target w1)
wait_for "[ -e '$T/full' ]" 30 "the step to fill the spool's disk"
# The coordinator freezes, so what the step prints now reaches neither the
# spool nor the coordinator: the worker drops the silent connection, the
# step prints the rest and ends, and then the coordinator thaws.
kill -STOP "$COORD_PID"
wait_for "grep -q 'is silent' '$T/worker-w1.log'" 30 "the worker to drop the frozen coordinator"
touch "$T/go"
wait_for "grep -q 'flood#1 finished' '$T/worker-w1.log'" 60 "the step to end"
kill -CONT "$COORD_PID"
wait_for "[ \"\$(run_status $run)\" = 3 ] || [ \"\$(run_status $run)\" = 4 ]" 60 "the run to end"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'flood'")" 4 \
	"the step's result is recorded (succeeded)"

# The coordinator gives the worker one resend pass to bring the missing
# chunks, then records them lost.
wait_for "rota logs $run | grep -q 'bytes of output lost'" 30 "rota logs to say output was lost"
logs=$(rota logs "$run")
lines=$(grep -c '^w1 flood | line [0-9]* of the flood$' <<<"$logs" || true)
[ "$lines" -ge 5000 ] || fail "only $lines lines shown: the ones spooled before the disk filled are missing"
[ "$lines" -lt 20000 ] || fail "every line arrived: the test lost nothing, so it checks nothing"
has_line "$logs" '^w1 flood # \[rota: [0-9,]+ bytes of output lost: spool write failed: No space left on device\]$' \
	|| fail "$((20000 - lines)) lines are missing and rota logs does not say how many bytes and why"
assert_eq "$(store "SELECT output_truncated != 0 FROM step_runs WHERE run_id = '$run' AND step_id = 'flood'")" 1 \
	"output_truncated is set"
# The bytes said lost are the bytes of the missing lines.
said=$(sed -n 's/^w1 flood # \[rota: \([0-9,]*\) bytes of output lost.*/\1/p' <<<"$logs" | tr -d ,)
want=$(seq 1 20000 | sed 's/.*/line & of the flood/' | grep -vxFf <(sed -n 's/^w1 flood | //p' <<<"$logs") | wc -c)
assert_eq "$said" "$want" "the bytes said lost"

# The worker's log: the spool error once per interval with a count, not
# once per chunk.
errs=$(grep -c 'ERROR spool' "$T/worker-w1.log" || true)
[ "$errs" -le 10 ] || fail "the worker logged $errs spool errors (expected a few, with counts)"
grep -Eq 'spool.*(No space left on device|database or disk is full)' "$T/worker-w1.log" \
	|| fail "the worker's log does not say the spool is full"

# rota workers and /metrics say the spool is failing while it is full.
wait_for "rota workers | grep -q 'spool failing'" 15 "rota workers to show the spool failing"
wait_for "curl -sf http://$HTTP_EP/metrics | grep -Eq '^rota_worker_spool_failing\\{worker=\"w1\"\\} 1'" 15 \
	"/metrics to show the spool failing"

# Room again: the next step's output is kept and the spool is no longer
# shown as failing.
rm -f "$SPOOL/fill"
run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "a run after the disk has room"
wait_for "! rota workers | grep -q 'spool failing'" 15 "rota workers to stop showing the spool failing"
wait_for "curl -sf http://$HTTP_EP/metrics | grep -Eq '^rota_worker_spool_failing\\{worker=\"w1\"\\} 0'" 15 \
	"/metrics to show the spool fine again"
pass "a full spool disk: the result recorded, the lost output said, the spool shown failing"
