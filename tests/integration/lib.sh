# Shared helpers for integration tests: real programs on ephemeral loopback
# ports with a temporary data directory, all stopped when the test exits.
# Source it, then call rota_setup.
set -euo pipefail

ROTA_BIN=${ROTA_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../build/bin" && pwd)}
ROTA_TESTS_BIN=${ROTA_TESTS_BIN:-$(cd "$ROTA_BIN/../tests" && pwd)}
ROTA_SOURCE_DIR=${ROTA_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FIXTURES=$ROTA_SOURCE_DIR/tests/fixtures
PIDS=()
TEST_NAME=$(basename "$0" .sh)

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	dump_logs
	ROTA_TEST_FAILED=1
	exit 1
}

pass() {
	echo "PASS: $TEST_NAME: $*"
}

dump_logs() {
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Step process groups a test left behind (workers killed with SIGKILL
	# cannot reap theirs).
	if [ -d "$T/pgids" ]; then
		for f in "$T"/pgids/*; do
			[ -f "$f" ] && kill -KILL -- "-$(cat "$f")" 2>/dev/null || true
		done
	fi
	# ROTA_TEST_KEEP=1 keeps a failed test's directory for a post-mortem.
	if [ -n "${ROTA_TEST_KEEP:-}" ] && [ -n "${ROTA_TEST_FAILED:-}" ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
}

rota_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/rota-test.XXXXXX")
	mkdir -p "$T/pgids"
	trap cleanup EXIT
	export ROTA_TEST_TMP=$T
}

# start_coordinator [extra flags...]: sets COORD_PID, WORKER_EP, API_EP and
# HTTP_EP (ADDR:PORT of its HTTP endpoint, on a free loopback port).
start_coordinator() {
	local data=$T/data
	"$ROTA_BIN/rota-coordinator" --data-dir "$data" \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		--runbooks "${RUNBOOKS:-$ROTA_SOURCE_DIR/runbooks}" --http 127.0.0.1:0 "$@" \
		>>"$T/coordinator.log" 2>&1 &
	COORD_PID=$!
	PIDS+=("$COORD_PID")
	touch "$T/coordinator.start"; sleep 0.01
	for _ in $(seq 100); do
		if [ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/coordinator.start" ]; then
			break
		fi
		kill -0 "$COORD_PID" 2>/dev/null || fail "coordinator exited at start"
		sleep 0.05
	done
	[ -f "$data/endpoints" ] || fail "coordinator wrote no endpoints file"
	WORKER_EP=$(sed -n 's/^worker=//p' "$data/endpoints")
	API_EP=$(sed -n 's/^api=//p' "$data/endpoints")
	HTTP_EP=$(sed -n 's/^http=//p' "$data/endpoints")
	export ROTA_COORDINATOR=$API_EP
}

# restart_coordinator [extra flags...]: starts it again on the endpoints it
# had, so workers and the CLI find it. Stop the old one first.
restart_coordinator() {
	start_coordinator --worker-endpoint "$WORKER_EP" --api-endpoint "$API_EP" \
		${HTTP_EP:+--http "$HTTP_EP"} "$@"
}

# start_worker ID [--label k=v ...]: sets LAST_WORKER_PID and WORKER_PID_<ID>.
# Workers stop their steps at once on SIGTERM (--drain 0) so a test's cleanup
# is quick; a test of the drain passes --drain, which comes later and wins.
# Steps see ROTA_TEST_TMP (where tests keep markers and process groups):
# workers pass on nothing else of their environment.
start_worker() {
	local id=$1
	shift
	"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id "$id" --spool "$T/spool-$id" \
		--drain 0 --pass-env ROTA_TEST_TMP "$@" \
		>>"$T/worker-$id.log" 2>&1 &
	LAST_WORKER_PID=$!
	PIDS+=("$LAST_WORKER_PID")
	eval "WORKER_PID_${id//-/_}=$LAST_WORKER_PID"
}

rota() {
	"$ROTA_BIN/rota" "$@"
}

# wait_workers N: until N workers are connected (10 s at most).
wait_workers() {
	local want=$1 n=0
	for _ in $(seq 100); do
		n=$(rota workers 2>/dev/null | grep -c ' connected ' || true)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	fail "only $n of $want workers connected"
}

# store "SQL": query the coordinator's SQLite file.
store() {
	sqlite3 -batch -noheader "$T/data/rota.db" "$1"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2': $1" ;;
	esac
}

assert_not_contains() {
	case "$1" in
	*"$2"*) fail "${3:-output} contains '$2': $1" ;;
	*) ;;
	esac
}

# run_rota CODE -- ARGS: runs rota, checks its exit code; sets OUT (stdout)
# and ERR (stderr).
run_rota() {
	local code=$1
	shift 2
	set +e
	OUT=$(rota "$@" 2>"$T/stderr")
	local rc=$?
	set -e
	ERR=$(cat "$T/stderr")
	[ "$rc" = "$code" ] || fail "rota $*: exit $rc, expected $code: $OUT $ERR"
}

# has_line TEXT REGEX what: some line of TEXT matches the extended REGEX.
has_line() {
	grep -Eq -- "$2" <<<"$1" || fail "${3:-output}: no line matches '$2' in:
$1"
}

# run_status RUN: the run's status word from the store.
run_status() {
	store "SELECT status FROM runs WHERE id = '$1'"
}

# wait_for "shell condition" SECONDS what
wait_for() {
	local cond=$1 secs=$2 what=$3
	local end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		if eval "$cond"; then return 0; fi
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $what"
}

# ---- CURVE (docs/security.md) -------------------------------------------

# secure_init: makes $T/data with rota-coordinator --init (a coordinator key,
# an admin operator key, an empty authorized_workers/), so start_coordinator
# runs with CURVE on; rota uses the admin key through ROTA_CONFIG.
secure_init() {
	"$ROTA_BIN/rota-coordinator" --init "$T/data" >"$T/init.out" 2>&1 ||
		fail "rota-coordinator --init: $(cat "$T/init.out")"
	mkdir -p "$T/keys"
	cp "$T/data/coordinator.key" "$T/keys/coordinator.key"
	export ROTA_CONFIG=$T/data/cli.conf
}

# worker_key NAME [authorize]: makes NAME's key pair in $T/keys with rota
# keygen; with "authorize", lists its public key as worker NAME.
worker_key() {
	rota keygen "$1" --out "$T/keys" >/dev/null || fail "rota keygen $1"
	if [ "${2:-}" = authorize ]; then
		cp "$T/keys/$1.key" "$T/data/authorized_workers/$1"
	fi
}

# start_secure_worker ID KEYNAME [flags...]: start_worker with KEYNAME's
# secret key, pinning the coordinator's public key.
start_secure_worker() {
	local id=$1 keyname=$2
	shift 2
	start_worker "$id" --key "$T/keys/$keyname.key_secret" \
		--coordinator-key "$T/keys/coordinator.key" "$@"
}
