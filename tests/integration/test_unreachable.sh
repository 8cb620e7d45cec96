# rota against an endpoint where nothing listens exits 3 within 6 s and names
# the endpoint.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
ep=$API_EP
kill -TERM "$COORD_PID"
wait "$COORD_PID" || fail "the coordinator did not exit 0 on SIGTERM"

start=$(date +%s%N)
set +e
err=$(rota --coordinator "$ep" runs 2>&1)
rc=$?
set -e
ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$rc" 3 "exit code"
[ $ms -le 6000 ] || fail "took ${ms} ms"
assert_contains "$err" "$ep" "message"
set +e
ROTA_COORDINATOR=$ep rota workers >/dev/null 2>&1
rc=$?
set -e
assert_eq "$rc" 3 "exit code with ROTA_COORDINATOR"
pass "unreachable coordinator: exit 3 after ${ms} ms"
