# The daemons start, run a step and stop on SIGTERM with no leaks or memory
# errors under valgrind.
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || fail "valgrind is not installed (deploy/install-deps.sh)"
rota_setup
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --error-exitcode=99 --child-silent-after-fork=yes)
data=$T/data
touch "$T/coordinator.start"
sleep 0.01
"${VG[@]}" "$ROTA_BIN/rota-coordinator" --data-dir "$data" --worker-endpoint "tcp://127.0.0.1:*" \
	--api-endpoint "tcp://127.0.0.1:*" --runbooks "$ROTA_SOURCE_DIR/runbooks" --http 127.0.0.1:0 \
	>>"$T/coordinator.log" 2>&1 &
COORD_PID=$!
PIDS+=("$COORD_PID")
wait_for "[ -f $data/endpoints ]" 60 "the coordinator under valgrind"
WORKER_EP=$(sed -n 's/^worker=//p' "$data/endpoints")
export ROTA_COORDINATOR=$(sed -n 's/^api=//p' "$data/endpoints")
"${VG[@]}" "$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w1 --spool "$T/spool" >>"$T/worker-w1.log" 2>&1 &
WPID=$!
PIDS+=("$WPID")
wait_for "rota workers 2>/dev/null | grep -q ' connected '" 60 "the worker under valgrind to connect"
out=$(rota submit "$FIXTURES/two-step.yaml" --target w1 --wait 2>&1) || fail "run under valgrind: $out"
kill -TERM "$WPID"
set +e
wait "$WPID"; wrc=$?
kill -TERM "$COORD_PID"
wait "$COORD_PID"; crc=$?
set -e
assert_eq "$wrc" 0 "worker exit under valgrind"
assert_eq "$crc" 0 "coordinator exit under valgrind"
pass "no leaks or memory errors in coordinator and worker start/run/stop"
