# Secure by default: without a key the coordinator listens on loopback only
# (with a warning), refuses a non-loopback address unless --insecure (which
# it says loudly), and refuses a secret key file readable by others.
. "$(dirname "$0")/lib.sh"
rota_setup

# try_coordinator DATA [flags...]: runs it until it exits or listens (then
# stops it: RC 124, see try_daemon); sets RC and LOG.
try_coordinator() {
	local data=$1
	shift
	try_daemon "$T/try.log" "$data" "$ROTA_BIN/rota-coordinator" --data-dir "$data" \
		--runbooks "$ROTA_SOURCE_DIR/runbooks" "$@"
	LOG=$(cat "$T/try.log")
}

try_coordinator "$T/d1" --worker-endpoint "tcp://0.0.0.0:*" --api-endpoint "tcp://127.0.0.1:*"
assert_eq "$RC" 1 "non-loopback without a key: exit code"
assert_contains "$LOG" "refusing to listen on tcp://0.0.0.0:* without CURVE" "refusal"
assert_contains "$LOG" "--insecure" "refusal names the way out"
[ -f "$T/d1/endpoints" ] && fail "it bound before refusing"

try_coordinator "$T/d2" --worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://*:*"
assert_eq "$RC" 1 "an api endpoint on every address without a key: exit code"
assert_contains "$LOG" "refusing to listen on tcp://*:*" "refusal of the api endpoint"

try_coordinator "$T/d3" --insecure --worker-endpoint "tcp://0.0.0.0:*" --api-endpoint "tcp://127.0.0.1:*"
assert_eq "$RC" 124 "--insecure: runs until stopped"
assert_contains "$LOG" "INSECURE: listening on tcp://0.0.0.0:* without CURVE (--insecure)" "loud warning"

start_coordinator
grep -q "no key: the endpoints are unauthenticated" "$T/coordinator.log" ||
	fail "no warning on loopback without a key"
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true

# With a key, any address is fine.
"$ROTA_BIN/rota-coordinator" --init "$T/d4" >/dev/null
try_coordinator "$T/d4" --worker-endpoint "tcp://0.0.0.0:*" --api-endpoint "tcp://0.0.0.0:*"
assert_eq "$RC" 124 "CURVE on every address: runs until stopped"
assert_contains "$LOG" "CURVE on" "CURVE on"

# A secret key others can read is refused, with the file and the fix.
chmod 644 "$T/d4/coordinator.key_secret"
try_coordinator "$T/d4" --worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*"
assert_eq "$RC" 1 "world-readable coordinator key: exit code"
assert_contains "$LOG" "chmod 600 $T/d4/coordinator.key_secret" "chmod advice"

# --init never replaces keys.
set +e
out=$("$ROTA_BIN/rota-coordinator" --init "$T/d4" 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "--init over a data directory with keys"
assert_contains "$out" "never replaces keys" "--init refusal"
pass "loopback-only without a key unless --insecure; readable secret keys refused"
