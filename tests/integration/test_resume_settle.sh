# A run resumed after a coordinator start waits the settle window for its
# workers (docs/decisions.md): with --heartbeat 300ms, five heartbeats are
# 1.5 s, less than a worker may need to find the coordinator again (as
# after a failover to a new leader, which resumes runs the same way). A
# step that may not be retried (idempotent: false), running on a worker
# still away 3 s after the restart, is not declared lost: it ends as the
# worker reports it, once.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
cat >"$RUNBOOKS/charge.yaml" <<EOF2
name: charge
steps:
  - id: charge
    idempotent: false
    timeout: 5m
    shell: |
      echo "\$\$" >> "$T/charge.markers"
      while [ ! -e "$T/release" ]; do sleep 0.1; done
      echo charged
EOF2
start_coordinator --heartbeat 300ms
start_worker w1
wait_workers 1
run_rota 0 -- submit charge --target w1
wait_for "[ -s '$T/charge.markers' ]" 20 "the step to start on w1"
run=$(store "SELECT id FROM runs ORDER BY created_ms DESC LIMIT 1")

# Away across the restart, and for 3 s (two lost windows) after it.
kill -STOP "$WORKER_PID_w1"
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true
restart_coordinator --heartbeat 300ms
wait_for "grep -q 'resuming 1 unfinished run' '$T/coordinator.log'" 20 "the run to be resumed"
sleep 3 # the worker stays away past 5 heartbeats (set-up, not an assertion)
kill -CONT "$WORKER_PID_w1"
wait_for "rota workers | grep -q '^w1 .* connected '" 20 "w1 to reconnect"
touch "$T/release"
wait_for "[ \"\$(run_status '$run')\" != 2 ]" 30 "the run to end (2: running)"
assert_eq "$(run_status "$run")" 3 "the run's status (3: succeeded)"
assert_eq "$(wc -l <"$T/charge.markers")" "1" "times the step ran"
assert_eq "$(store "SELECT count(*) FROM step_runs WHERE run_id = '$run'")" "1" "attempts recorded"
pass "a step without retries on a worker away after a restart waits for it, and is recorded once"
