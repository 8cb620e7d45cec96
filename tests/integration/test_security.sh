# CURVE on both endpoints: only listed keys get in, a worker speaks only
# under its own id, a worker refuses a coordinator with another key, a CLI
# without a key lists nothing, and a key added with SIGHUP is admitted
# without a restart.
. "$(dirname "$0")/lib.sh"
rota_setup
secure_init
worker_key w1 authorize
worker_key w2 authorize
worker_key w9 authorize # listed, never run: its id is what w2 will claim
worker_key w3           # not listed (yet)
worker_key other        # a key the coordinator does not hold
start_coordinator
grep -q "CURVE on: 3 worker key(s)" "$T/coordinator.log" || fail "coordinator not on CURVE"

start_secure_worker w1 w1
wait_workers 1

# An unlisted key is refused at the handshake; nothing it says is recorded.
start_secure_worker w3 w3
wait_for "grep -q 'refused this key' '$T/worker-w3.log'" 10 "w3 to log its refusal"
grep -q "refused a connection from 127.0.0.1: key .* is not in authorized_workers/" \
	"$T/coordinator.log" || fail "the coordinator did not log the refusal"

# A listed key under another worker's id: w2's key claiming w9 (not
# connected) is dropped, said in the log, and never recorded.
start_secure_worker w9 w2
wait_for "grep -q \"the key of worker 'w2' speaks under the id 'w9'\" '$T/coordinator.log'" 10 \
	"the coordinator to drop w2's key under id w9"
# ... and the worker is told why, in its own log.
wait_for "grep -q \"refused this worker: the key of worker 'w2' speaks under the id 'w9'\" '$T/worker-w9.log'" 10 \
	"w9 to log why it was refused"
# w2's key claiming w1 while w1 is connected: the id stays with w1 (no
# handover under CURVE), so orders for w1 still reach the real w1.
mkdir -p "$T/impostor"
"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w1 --spool "$T/impostor" --drain 0 \
	--key "$T/keys/w2.key_secret" --coordinator-key "$T/keys/coordinator.key" \
	>>"$T/impostor.log" 2>&1 &
PIDS+=("$!")
sleep 1.5
out=$(rota submit "$FIXTURES/two-step.yaml" --target w1 -p greeting=hey --wait 2>&1) ||
	fail "run on w1 with an impostor around: $out"
assert_contains "$out" "hey from w1" "output of the real w1"
grep -q "greet" "$T/impostor.log" && fail "the impostor was sent a step"
grep -q "connected to coordinator" "$T/impostor.log" && fail "the impostor was welcomed"
grep -q "connected to coordinator" "$T/worker-w9.log" && fail "w2's key was welcomed as w9"
assert_eq "$(store "SELECT group_concat(id) FROM workers ORDER BY id")" "w1" "workers recorded"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE host <> 'w1'")" 0 "steps of others"

# A second process with w1's own id and key while w1 is connected: libzmq
# would ignore it without a word; the handshake is refused (ZAP 500) and
# both logs say why.
mkdir -p "$T/second-w1"
"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w1 --spool "$T/second-w1" --drain 0 \
	--key "$T/keys/w1.key_secret" --coordinator-key "$T/keys/coordinator.key" \
	>>"$T/second-w1.log" 2>&1 &
second=$!
PIDS+=("$second")
wait_for "grep -q 'refused this connection for now (status 500): the worker of this key is connected already' '$T/second-w1.log'" 15 \
	"the second w1 to log why it is refused"
grep -q "refused a connection from 127.0.0.1 with worker w1's key .*: worker w1 is connected from 127.0.0.1:[0-9]*" \
	"$T/coordinator.log" || fail "the coordinator did not log the second w1"
grep -q "connected to coordinator" "$T/second-w1.log" && fail "the second w1 was welcomed"
kill -TERM "$second"; wait "$second" 2>/dev/null || true
rota workers | grep -q '^w1 .* connected' || fail "the real w1 lost its connection: $(rota workers)"

# Without a key the CLI cannot list anything, and says why (not a timeout).
set +e
OUT=$(ROTA_CONFIG=/dev/null rota workers 2>"$T/stderr"); rc=$?
set -e
ERR=$(cat "$T/stderr")
assert_eq "$rc" 3 "rota without a key: exit code"
assert_eq "$OUT" "" "rota without a key: output"
assert_contains "$ERR" "requires CURVE keys" "rota without a key"
# An operator key that is not listed is refused (exit 4).
run_rota 4 -- --key "$T/keys/w3.key_secret" workers
assert_contains "$ERR" "refused this operator's key" "rota with an unlisted key"
# A CLI pinning another coordinator key does not talk to this one (exit 3).
run_rota 3 -- --coordinator-key "$T/keys/other.key" workers
assert_contains "$ERR" "not the one in --coordinator-key" "rota pinning another key"

# A worker pinning another coordinator key never completes the handshake
# and says so.
start_worker w2 --key "$T/keys/w2.key_secret" --coordinator-key "$T/keys/other.key"
wait_for "grep -q 'handshake with the coordinator at .* failed: .*--coordinator-key' '$T/worker-w2.log'" \
	10 "w2 to log the coordinator's key mismatch"
grep -q "connected to coordinator" "$T/worker-w2.log" && fail "w2 talked to a coordinator it does not trust"

# A secret key file readable by others is refused, with the fix.
cp "$T/keys/w2.key_secret" "$T/keys/open.key_secret"
chmod 644 "$T/keys/open.key_secret"
set +e
"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w2 --spool "$T/spool-open" \
	--key "$T/keys/open.key_secret" --coordinator-key "$T/keys/coordinator.key" \
	>"$T/open.log" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "worker with a world-readable key: exit code"
grep -q "chmod 600 $T/keys/open.key_secret" "$T/open.log" || fail "no chmod advice: $(cat "$T/open.log")"
run_rota 2 -- --key "$T/keys/open.key_secret" workers
assert_contains "$ERR" "chmod 600" "rota with a world-readable key"

# Listing w3's key and sending SIGHUP admits it without a restart (it is
# still retrying; libzmq's reconnect interval grows to 8 s).
cp "$T/keys/w3.key" "$T/data/authorized_workers/w3"
kill -HUP "$COORD_PID"
wait_for "rota workers 2>/dev/null | grep -q '^w3 .* connected '" 20 "w3 admitted after SIGHUP"
# And removing w1's key refuses w1 from its next message on.
rm "$T/data/authorized_workers/w1"
kill -HUP "$COORD_PID"
wait_for "grep -q \"its key (worker 'w1') is no longer in the authorized workers\" '$T/coordinator.log'" \
	10 "w1 dropped after its key was removed"
# Replacing w3's key under the same name (a rotation after a leak) cuts off
# the connection made with the old key, though the name is still listed.
rota keygen w3-new --out "$T/keys" >/dev/null
cp "$T/keys/w3-new.key" "$T/data/authorized_workers/w3"
kill -HUP "$COORD_PID"
wait_for "grep -q \"worker 'w3' has another key since a reload\" '$T/coordinator.log'" \
	10 "w3's old-key connection dropped after its key was replaced"
kill -0 "$COORD_PID" || fail "coordinator died"
pass "only listed keys, each under its own id; a pinned coordinator key; keys reloaded on SIGHUP"

# A worker refused at its handshake right after its coordinator's goodbye
# (the restarted coordinator does not list its key yet; or, on a busy host,
# the old process still held the worker's connection, status 500) dials
# again by itself once it is admitted: libzmq gives a connection up for
# good after a failed handshake, and a worker waiting for its coordinator
# to come back never called that silence.
worker_key w4 authorize
kill -HUP "$COORD_PID"
start_secure_worker w4 w4
wait_for "rota workers 2>/dev/null | grep -q '^w4 .* connected'" 10 "w4 to connect"
rm "$T/data/authorized_workers/w4"
kill -TERM "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
restart_coordinator
wait_for "grep -A50 'is stopping' '$T/worker-w4.log' | grep -q 'refused this key'" 10 \
	"w4 to be refused by the restarted coordinator"
cp "$T/keys/w4.key" "$T/data/authorized_workers/w4"
kill -HUP "$COORD_PID"
wait_for "rota workers 2>/dev/null | grep -q '^w4 .* connected'" 20 \
	"w4 to come back once its key is listed again"
pass "a worker refused after its coordinator's restart comes back once admitted"
