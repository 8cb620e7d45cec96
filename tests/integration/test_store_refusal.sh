# The first request of a turn that cannot commit is told so (issue 12, item
# 11): its answer is withheld with the turn, and the operator used to wait
# out the CLI's timeout and read "cannot reach the coordinator" (exit 3).
# Now it gets "store: cannot commit: REASON; not done" (exit 4), for a
# store that cannot grow (a file-size limit of 0 on the running coordinator,
# as on a full disk) and for one locked by another process. A failed COMMIT
# that SQLite rolled back itself is not followed by a ROLLBACK that can only
# log "no transaction is active". And `rota ack` of an incident number too
# large for 64 bits says the id is invalid instead of naming
# INC-9223372036854775807.
. "$(dirname "$0")/lib.sh"
rota_setup
# The coordinator's log goes through a pipe: under the file-size limit below
# it could not write to a log file of its own.
mkfifo "$T/coordinator.fifo"
"$ROTA_BIN/rota-coordinator" --data-dir "$T/data" --worker-endpoint "tcp://127.0.0.1:*" \
	--api-endpoint "tcp://127.0.0.1:*" --runbooks "$ROTA_SOURCE_DIR/runbooks" --http off \
	>"$T/coordinator.fifo" 2>&1 &
COORD_PID=$!
PIDS+=("$COORD_PID")
cat <"$T/coordinator.fifo" >>"$T/coordinator.log" &
PIDS+=($!)
wait_for "[ -f '$T/data/endpoints' ]" 10 "the coordinator to write its endpoints"
WORKER_EP=$(sed -n 's/^worker=//p' "$T/data/endpoints")
export ROTA_COORDINATOR=$(sed -n 's/^api=//p' "$T/data/endpoints")
start_worker w1
wait_workers 1

# ---- an overlong incident number --------------------------------------------
run_rota 4 -- ack INC-99999999999999999999
assert_contains "$ERR" "invalid incident id 'INC-99999999999999999999'" "rota ack of an overlong id"
assert_not_contains "$ERR" "9223372036854775807" "rota ack of an overlong id"
pass "an incident number out of range is an invalid id"

# ---- a store that cannot grow ------------------------------------------------
prlimit --pid "$COORD_PID" --fsize=0:unlimited || fail "prlimit"
run_rota 4 -- submit "$FIXTURES/short.yaml" --target w1
assert_contains "$ERR" "store: cannot commit: " "the first submit of a store that cannot grow"
assert_contains "$ERR" "; not done" "the first submit of a store that cannot grow"
# Later requests are refused before they are tried.
run_rota 4 -- submit "$FIXTURES/short.yaml" --target w1
assert_contains "$ERR" "cannot write its store" "a later submit"
wait_for "grep -q 'could not be committed' '$T/coordinator.log'" 10 "the coordinator to log the failed turn"
if grep -q "cannot rollback" "$T/coordinator.log"; then
	fail "a failed commit was followed by a ROLLBACK of nothing: $(grep 'cannot rollback' "$T/coordinator.log" | head -2)"
fi
prlimit --pid "$COORD_PID" --fsize=unlimited:unlimited || fail "prlimit"
wait_for "grep -q 'writable again' '$T/coordinator.log'" 20 "the store to be writable again"
pass "the first request of a turn that cannot commit is told so; no ROLLBACK of nothing"

# ---- a store locked by another process ----------------------------------------
# The worker has said Hello again since (a Hello is a write of its own).
wait_workers 1
# The locker says "held" once it holds the write lock, then keeps it 8 s:
# longer than the coordinator's busy timeout (2 s), shorter than the CLI's.
(printf 'BEGIN IMMEDIATE;\nUPDATE meta SET value = value WHERE key = %s;\nSELECT %s;\n' "'epoch'" "'held'"
	sleep 8; printf 'COMMIT;\n') | sqlite3 "$T/data/rota.db" >"$T/locker.out" 2>&1 &
locker=$!
wait_for "grep -q held '$T/locker.out'" 10 "the other process to hold the lock"
run_rota 4 -- submit "$FIXTURES/short.yaml" --target w1
assert_contains "$ERR" "store: cannot commit: database is locked; not done" "a submit while the store is locked"
wait "$locker"
wait_for "[ \$(grep -c 'writable again' '$T/coordinator.log') -ge 2 ]" 20 "the store to be writable again"
run_rota 0 -- submit "$FIXTURES/short.yaml" --target w1
pass "a submit while another process locks the store is told so"
