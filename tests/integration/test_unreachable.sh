# rota against an endpoint where nothing listens exits 3 (its request timeout
# is 5 s) and names the endpoint. The bound is `timeout 60`, not a measured
# time: under sanitizers on a loaded machine 5 s of waiting can take longer,
# and what this guards is that the CLI gives up rather than hanging.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
ep=$API_EP
kill -TERM "$COORD_PID"
wait "$COORD_PID" || fail "the coordinator did not exit 0 on SIGTERM"

start=$(date +%s%N)
set +e
err=$(timeout 60 "$ROTA_BIN/rota" --coordinator "$ep" runs 2>&1)
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 3 "exit code"
assert_contains "$err" "$ep" "message"
set +e
ROTA_COORDINATOR=$ep timeout 60 "$ROTA_BIN/rota" workers >/dev/null 2>&1
rc=$?
set -e
assert_eq "$rc" 3 "exit code with ROTA_COORDINATOR"
pass "unreachable coordinator: exit 3 after ${ms} ms"
