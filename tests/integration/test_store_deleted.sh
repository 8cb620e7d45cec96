# The store deleted under a running coordinator (rm rota.db*): within a
# second or two /healthz answers 503 with the reason, write requests are
# refused with what to do, a result finishing meanwhile is not acknowledged
# (the worker keeps it spooled), the log says it once, and what the store
# held is saved to DATA_DIR/rota.db.rescued-*. Put back and restarted, the
# coordinator has every acknowledged run and the kept result. And a second
# coordinator cannot start on a store in use, even with DATA_DIR/lock gone.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
data=$T/data

# A run acknowledged and finished before the delete, and one whose step
# waits for a go-ahead so that it finishes after it.
done_run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(run_status $done_run)\" = 3 ]" 30 "the first run to succeed"
cat >"$T/gated.yaml" <<'YAML'
name: gated
steps:
  - id: wait
    shell: 'while [ ! -f "$ROTA_TEST_TMP/go" ]; do sleep 0.1; done; echo gated done'
YAML
gated=$(rota submit "$T/gated.yaml" --target w1)
wait_for "grep -q 'step $gated/wait#1 started' '$T/worker-w1.log'" 30 "the gated step to start"

rm -f "$data"/rota.db "$data"/rota.db-wal "$data"/rota.db-shm
health() { curl -sS --max-time 5 -o "$T/health.body" -w '%{http_code}' "http://$HTTP_EP/healthz"; }
wait_for "[ \"\$(health)\" = 503 ]" 15 "/healthz to answer 503 after the store was deleted"
body=$(cat "$T/health.body")
assert_contains "$body" "rota.db (the store) was deleted while the coordinator was using it" "/healthz"
assert_contains "$body" "move that file to $data/rota.db" "/healthz"
rescued=$(ls "$data"/rota.db.rescued-* 2>/dev/null | head -1)
[ -n "$rescued" ] || fail "no rescued copy of the store in $data: $(ls "$data")"

# Write requests are refused, saying what happened and what to do.
run_rota 4 -- submit "$FIXTURES/short.yaml" --target w1
assert_contains "$ERR" "was deleted while the coordinator was using it" "submit refused"
assert_contains "$ERR" "takes no new work" "submit refused"

# The gated step ends now: its result stays in the worker's spool.
touch "$T/go"
wait_for "grep -q 'step $gated/wait#1 finished: ok' '$T/worker-w1.log'" 30 "the gated step to finish"
spooled() { sqlite3 -batch -noheader "$T/spool-w1/spool.db" "SELECT COUNT(*) FROM results" 2>/dev/null || echo 0; }
assert_eq "$(spooled)" 1 "results kept in the worker's spool while the store is gone"
# Once, not once a second: wait for two more checks, the result resent.
sleep 2.5
assert_eq "$(grep -c 'store: .*was deleted while the coordinator was using it' "$T/coordinator.log")" 1 \
	"log lines about the deleted store"
assert_eq "$(spooled)" 1 "results kept in the worker's spool while the store is gone"

# Put back what was saved, restart: both runs are there, the kept result
# is delivered and acknowledged.
stop_coordinator
mv "$rescued" "$data/rota.db"
restart_coordinator
assert_eq "$(run_status "$done_run")" 3 "the run acknowledged before the delete"
wait_for "[ \"\$(run_status $gated)\" = 3 ]" 60 "the kept result to be recorded after the restart"
wait_for "[ \"\$(spooled)\" = 0 ]" 30 "the worker's spool to empty"

# A second coordinator on the same store, with the lock file deleted: refused.
# The first is stopped meanwhile, or it could make its lock file again before
# the second looks, and the lock on rota.db itself would go untested.
kill -STOP "$COORD_PID"
rm -f "$data/lock"
set +e
"$ROTA_BIN/rota-coordinator" --data-dir "$data" --worker-endpoint "tcp://127.0.0.1:*" \
	--api-endpoint "tcp://127.0.0.1:*" --runbooks "$ROTA_SOURCE_DIR/runbooks" --http off \
	>"$T/second.log" 2>&1 &
second=$!
PIDS+=("$second")
wait_exit "$second" 10 || fail "a second coordinator runs on the store in use"
wait "$second"
rc=$?
set -e
[ "$rc" != 0 ] || fail "the second coordinator exited 0"
assert_contains "$(cat "$T/second.log")" "is in use by another process" "second coordinator"
kill -CONT "$COORD_PID"
# The first noticed its lock file was gone, made it again, and works on.
wait_for "grep -q 'lock was deleted or replaced while in use: made it again' '$T/coordinator.log'" 15 \
	"the coordinator to notice its lock file was deleted"
[ -f "$data/lock" ] || fail "the lock file was not made again"
assert_eq "$(health)" 200 "/healthz with the lock file made again"
run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "a run after the lock file was made again"
pass "a deleted store was noticed, refused work, kept results spooled and was restored whole"
