# Several coordinators given to the clients (--coordinator EP1,EP2 and
# ROTA_COORDINATOR): a worker and rota given a dead endpoint first and a live
# one second work; pointed at a follower (rota-testfollower plays one: the
# coordinator is a follower only on PostgreSQL) they are redirected to the
# leader by themselves; a redirect loop, a follower that knows no leader and
# a redirect to what no client dials end with a clear error; and
# `rota submit --wait` whose coordinator goes away mid-run, given the
# follower too, ends with the run's true result once a coordinator is back.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator

# A port nobody listens on: bound for a moment and let go (free_port).
dead_worker=tcp://127.0.0.1:$(free_port)
dead_api=tcp://127.0.0.1:$(free_port)

# start_follower NAME WORKER_TARGET API_TARGET: sets F_WORKER and F_API.
start_follower() {
	"$ROTA_TESTS_BIN/rota-testfollower" "$T/$1.eps" "$2" "$3" >"$T/$1.log" 2>&1 &
	PIDS+=("$!")
	wait_for "[ -s '$T/$1.eps' ]" 10 "follower $1 to listen"
	read -r F_WORKER F_API <"$T/$1.eps"
}

# ---- a dead endpoint first, a live one second ----------------------------
start_worker w1 --coordinator "$dead_worker,$WORKER_EP"
wait_workers 1
grep -q "no coordinator has answered at $dead_worker yet.*trying again at $WORKER_EP" \
	"$T/worker-w1.log" || fail "the worker did not say it moved on from $dead_worker"

ROTA_COORDINATOR="$dead_api, $API_EP" run_rota 0 -- workers
has_line "$OUT" '^w1 .* connected ' "rota workers through the list"
run_rota 0 -- --coordinator "$dead_api,$API_EP" submit --wait "$FIXTURES/short.yaml" --target w1
# A list with nothing alive: one pass, exit 3, every endpoint named.
run_rota 3 -- --coordinator "$dead_api,tcp://127.0.0.1:$(free_port)" runs
assert_contains "$ERR" "cannot reach a coordinator that answers ($dead_api: " "a dead list"
# A malformed list is a usage error before anything is sent.
run_rota 2 -- --coordinator "$API_EP,http://x:1" runs
assert_contains "$ERR" "'http://x:1': not a tcp:// or ipc:// endpoint" "a bad entry"
set +e
"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP,,x" --id bad --spool "$T/spool-bad" \
	>"$T/bad.out" 2>&1
rc=$?
set -e
assert_eq "$rc" 2 "rota-worker with a bad list"
assert_contains "$(cat "$T/bad.out")" "an empty entry" "rota-worker's message"

# ---- a follower redirects to the leader ------------------------------------
start_follower f1 "$WORKER_EP" "$API_EP"
run_rota 0 -- --coordinator "$F_API" workers
has_line "$OUT" '^w1 .* connected ' "rota pointed at a follower gets the leader's answer"
grep -q "redirected request" "$T/f1.log" || fail "rota was not redirected"
start_worker w2 --coordinator "$F_WORKER"
wait_workers 2
grep -q "redirected worker w2" "$T/f1.log" || fail "the worker was not redirected"
grep -q "is a follower; the leader is testleader (epoch 7) at $WORKER_EP" "$T/worker-w2.log" ||
	fail "the worker did not say where it was sent"

# ---- what is not followed ----------------------------------------------------
start_follower loop self self
run_rota 3 -- --coordinator "$F_API" runs
assert_contains "$ERR" "after 3 redirects: do the coordinators agree on who leads?" "a redirect loop"
start_follower lost "" ""
run_rota 4 -- --coordinator "$F_API" runs
assert_contains "$ERR" "knows no leader now" \
	"a follower without a leader: refused as unavailable"
start_follower odd "inproc://elsewhere" "inproc://elsewhere"
run_rota 3 -- --coordinator "$F_API" runs
assert_contains "$ERR" "redirected to 'inproc://elsewhere', not followed: not a tcp:// or ipc://" \
	"a redirect to an endpoint no client dials"
start_worker w3 --coordinator "$F_WORKER"
wait_for "grep -q \"redirected this worker to 'inproc://elsewhere', which it does not follow\" '$T/worker-w3.log'" \
	10 "the worker to refuse the redirect"

# ---- submit --wait across the loss of its coordinator --------------------------
# Given the coordinator and the follower, rota keeps following the run while
# the coordinator is down (the follower sends it back to the leader's
# endpoint, which refuses) and reports the run's true result once it is back.
start_follower f2 "$WORKER_EP" "$API_EP"
set +e
rota --coordinator "$API_EP,$F_API" submit --wait "$FIXTURES/long.yaml" --target w1 \
	>"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
set -e
wait_for "[ -n \"\$(store \"SELECT id FROM runs WHERE runbook LIKE '%long' AND status = 2\")\" ]" 10 "the run to start"
run=$(store "SELECT id FROM runs WHERE runbook LIKE '%long' AND status = 2")
wait_for "grep -q before '$T/wait.out'" 10 "the first output"
before=$(grep -c "redirected request" "$T/f2.log" || true)
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
# rota goes round: the dead leader refuses, the follower sends it back
# there, a pause of 500 ms.
wait_for "[ \$(grep -c 'redirected request' '$T/f2.log') -ge $((before + 4)) ]" 20 \
	"rota to go round the coordinators while none answers"
kill -0 "$waiter" 2>/dev/null || fail "rota gave up while the coordinator was down: $(cat "$T/wait.err")"
restart_coordinator
set +e
wait "$waiter"
rc=$?
set -e
assert_eq "$rc" 0 "submit --wait across the coordinator's loss: $(cat "$T/wait.err")"
assert_eq "$(run_status "$run")" 3 "the run's status"
assert_contains "$(cat "$T/wait.out")" "next step on w1" "the output after the loss"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run'")" 2 "step runs (none twice)"

pass "workers and rota take a list, skip the dead, follow redirects, and follow a run through a failover"
