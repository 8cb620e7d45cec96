# A worker SIGKILLed mid-step leaves its step's process group running; the
# worker started again with the same id and spool finds it through the
# spool, stops it, and reports the attempt lost with why, so the run ends.
. "$(dirname "$0")/lib.sh"
rota_setup
marker="rota-orphan-marker-$$-$RANDOM"
cat >"$T/orphan.yaml" <<YAML
name: orphan
steps:
  - id: work
    shell:
      run: |
        echo \$\$ > "\$ROTA_TEST_TMP/pgids/"{{ host.id }}
        sleep 60
        echo "$marker done"
YAML
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$T/orphan.yaml" --target w1)
[ -n "$run" ] || fail "submit printed no run id"
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 3 ]" 10 "the step to run"
wait_for "[ -s $T/pgids/w1 ]" 5 "the step to record its process group"
pgid=$(cat "$T/pgids/w1")
kill -KILL "$WORKER_PID_w1"
wait "$WORKER_PID_w1" 2>/dev/null || true
sleep 0.2
pgrep -f "$marker" >/dev/null || fail "the step did not outlive its worker (nothing to test)"

start_worker w1
stopped=$SECONDS
wait_for "! pgrep -f '$marker' >/dev/null" 5 "the leftover step to be stopped"
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run'\")\" = 7 ]" 10 "the step to be recorded lost"
detail=$(store "SELECT detail FROM step_runs WHERE run_id = '$run'")
assert_contains "$detail" "the worker restarted" "the step's detail"
assert_contains "$detail" "stopped the step's leftover process group $pgid" "the step's detail"
wait_for "[ \"\$(run_status $run)\" = 4 ]" 10 "the run to finish failed"
grep -q "worker restarted: stopped the leftover process group $pgid of step $run/work#1" \
	"$T/worker-w1.log" || fail "the worker did not log the stop"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run'")" 1 "step runs (not run again)"
pass "a restarted worker stopped its predecessor's step in $((SECONDS - stopped))s and reported it lost"
