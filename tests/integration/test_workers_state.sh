# What `rota workers` says of a worker (issue 12, newcomer items):
#   - a manual step waiting for approval runs on no worker: the worker it
#     waits on is idle, and its RUNNING column says so;
#   - right after a coordinator restart, the workers its store knows and that
#     have not said Hello yet are "reconnecting" (not "lost") until the
#     coordinator stops waiting for them, and their last sighting is the one
#     before the stop, not the time of their Hello; one still away after
#     that is "lost".
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
cat >"$RUNBOOKS/gate.yaml" <<'EOF'
name: gate
steps:
  - id: confirm
    manual:
      prompt: "go on?"
  - id: after
    shell: "echo after"
EOF
start_coordinator
start_worker w1
start_worker w2
wait_workers 2
t_conn=$(date +%s%3N)

# ---- a manual step is not running on its worker -------------------------------
run_rota 0 -- submit gate --target w1
wait_for "rota show last 2>/dev/null | grep -q 'waiting'" 20 "the manual step to wait for approval"
run_rota 0 -- workers --json
running=$(jq -r '.workers[] | select(.id == "w1") | .running | length' <<<"$OUT")
assert_eq "$running" "0" "steps running on w1 while a manual step waits"
run_rota 0 -- workers
has_line "$OUT" '^w1 .* connected .* 0$' "rota workers (w1 idle)"
run_rota 0 -- approve last confirm
pass "a manual step waiting for approval is not counted as running on the worker"

# ---- right after a restart ----------------------------------------------------
# Let the coordinator see the workers well after their Hello.
wait_for "[ \"\$(rota workers --json | jq '[.workers[].last_seen_ms | select(. > $t_conn + 4000)] | length')\" = 2 ]" 20 \
	"the coordinator to see both workers 4 s after their Hello"
# Held still, so that they are away when the coordinator comes back.
kill -STOP "$WORKER_PID_w1" "$WORKER_PID_w2"
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true
restart_coordinator
run_rota 0 -- workers --json
for id in w1 w2; do
	state=$(jq -r ".workers[] | select(.id == \"$id\") | .state" <<<"$OUT")
	seen=$(jq -r ".workers[] | select(.id == \"$id\") | .last_seen_ms" <<<"$OUT")
	assert_eq "$state" "reconnecting" "$id's state right after the restart"
	[ "$seen" -gt $((t_conn + 4000)) ] ||
		fail "$id's last sighting after the restart is $seen, its Hello's time (connected at $t_conn)"
done
kill -CONT "$WORKER_PID_w1"
wait_for "rota workers | grep -q '^w1 .* connected '" 20 "w1 to reconnect"
# w2 stays away past the coordinator's wait for known workers (10 s).
wait_for "rota workers | grep -q '^w2 .* lost '" 30 "w2 to show as lost"
kill -CONT "$WORKER_PID_w2"
wait_workers 2
pass "after a restart, workers not back yet are reconnecting, with their last sighting"
