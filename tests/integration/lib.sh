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
# The coordinator's store: sqlite (DATA_DIR/rota.db) or postgresql (a
# database of its own for this test in the suite's private cluster,
# tests/pg/pgcluster.sh; ctest's pg.* variants set it). See store_setup.
ROTA_TEST_STORE=${ROTA_TEST_STORE:-sqlite}
PGCLUSTER=$ROTA_SOURCE_DIR/tests/pg/pgcluster.sh
STORE_FLAGS=()

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	dump_logs
	ROTA_TEST_FAILED=1
	exit 1
}

pass() {
	echo "PASS: $TEST_NAME: $*"
}

# On a failure: each log's warnings, errors and connection changes (a
# failure under load is often decided long before the last lines: a worker
# called lost, a handshake refused, a stall), then its last 40 lines.
dump_logs() {
	local pat=' WARN | ERROR |connected|did not run|goodbye|stopping'
	for f in "$T"/*.log; do
		[ -f "$f" ] || continue
		if [ "$(grep -cE "$pat" "$f")" -gt 0 ]; then
			echo "---- $f (warnings, errors, connections: last 60)" >&2
			grep -E "$pat" "$f" | tail -n 60 >&2
		fi
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
	store_cleanup
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
	store_setup
}

# ---- the store: SQLite, or PostgreSQL (ROTA_TEST_STORE=postgresql) -------
#
# Every read of the coordinator's store goes through `store` (or
# `store_script`), so a test reads the same way whichever engine the
# coordinator writes. In PostgreSQL mode each test has a fresh database
# (pgcluster.sh newdb), the coordinators it starts get --store URL, and the
# SQL a test sends must be what both engines read (no boolean used as a
# number, no group_concat, no MIN/MAX of two values: sql_text and sql_agg
# below give what differs). The cluster is the suite's (ROTA_TEST_PG_STATE,
# ctest's fixture pg_cluster); a test run by hand without one starts its own
# and stops it at the end:
#     ROTA_TEST_STORE=postgresql bash tests/integration/test_cancel.sh

# store_setup: called by rota_setup.
store_setup() {
	case "$ROTA_TEST_STORE" in
	sqlite) return 0 ;;
	postgresql) ;;
	*) fail "ROTA_TEST_STORE=$ROTA_TEST_STORE: use sqlite or postgresql" ;;
	esac
	if [ -z "${ROTA_TEST_PG_STATE:-}" ] || [ ! -f "$ROTA_TEST_PG_STATE" ]; then
		export ROTA_TEST_PG_STATE=$T/pg/cluster.env
		# initdb once per build directory, not per test
		export ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$ROTA_BIN/../pg/template}
		mkdir -p "$T/pg"
		STORE_OWN_CLUSTER=1
		bash "$PGCLUSTER" start >"$T/pg/start.log" 2>&1 ||
			fail "could not start a PostgreSQL cluster: $(cat "$T/pg/start.log")"
	fi
	# A database name: the test's, lower case, with the pid so that the
	# same test run twice at once (ctest --repeat, -j) never shares one.
	local name
	name=$(tr 'A-Z-' 'a-z_' <<<"t_${TEST_NAME#test_}" | tr -cd 'a-z0-9_' | cut -c1-48)_$$
	STORE_DB=$name
	STORE_URL=$(bash "$PGCLUSTER" newdb "$STORE_DB" 2>"$T/pg-newdb.err") ||
		fail "pgcluster.sh newdb $STORE_DB: $(cat "$T/pg-newdb.err")"
	STORE_FLAGS=(--store "$STORE_URL")
}

# store_cleanup: called by cleanup, after the programs are stopped. A kept
# test directory (ROTA_TEST_KEEP) keeps its database too, while the cluster
# lives.
store_cleanup() {
	[ "$ROTA_TEST_STORE" = postgresql ] || return 0
	if [ -n "${STORE_DB:-}" ] && { [ -z "${ROTA_TEST_KEEP:-}" ] || [ -z "${ROTA_TEST_FAILED:-}" ]; }; then
		bash "$PGCLUSTER" dropdb "$STORE_DB" >/dev/null 2>&1 || true
	elif [ -n "${STORE_DB:-}" ]; then
		echo "kept database $STORE_DB: $STORE_URL" >&2
	fi
	if [ -n "${STORE_OWN_CLUSTER:-}" ]; then
		bash "$PGCLUSTER" stop >/dev/null 2>&1 || true
	fi
}

# store "SQL": the rows of a query on the coordinator's store, one a line,
# columns separated by |, NULL as an empty string.
store() {
	if [ "$ROTA_TEST_STORE" = postgresql ]; then
		psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$STORE_URL" -c "$1"
	else
		sqlite3 -batch -noheader "$T/data/rota.db" "$1"
	fi
}

# store_script SEPARATOR < FILE: runs a script of several statements in one
# session (temporary tables live until its end); columns separated by
# SEPARATOR.
store_script() {
	if [ "$ROTA_TEST_STORE" = postgresql ]; then
		psql -X -q -A -t -F "$1" -v ON_ERROR_STOP=1 -d "$STORE_URL"
	else
		sqlite3 -batch -noheader -separator "$1" "$T/data/rota.db"
	fi
}

# sql_text EXPR: a blob column (outputs.data) as text.
sql_text() {
	if [ "$ROTA_TEST_STORE" = postgresql ]; then
		echo "convert_from($1, 'UTF8')"
	else
		echo "CAST($1 AS TEXT)"
	fi
}

# sql_agg EXPR SEPARATOR: the values of EXPR joined (an aggregate).
sql_agg() {
	if [ "$ROTA_TEST_STORE" = postgresql ]; then
		echo "string_agg($1, '$2')"
	else
		echo "group_concat($1, '$2')"
	fi
}

# start_coordinator [extra flags...]: sets COORD_PID, WORKER_EP, API_EP and
# HTTP_EP (ADDR:PORT of its HTTP endpoint, on a free loopback port).
# stable_ports N: N free loopback ports below the kernel's ephemeral range,
# for daemons restarted on the same endpoints. bind(0) and connect() hand
# out ephemeral ports only, so while such a daemon is down no other test's
# daemon or connection can be given its port: a port bind(0) had chosen
# was taken in the second a coordinator was down, and its restart failed
# ("Failed to bind to port 40059: Address already in use",
# integration.output_delivery in a sanitized pass).
stable_ports() {
	python3 - "$1" <<'PY'
import random, socket, sys
low = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
picked = []
while len(picked) < int(sys.argv[1]):
    p = random.randrange(10000, max(low, 20000))
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', p))
        if p not in picked:
            picked.append(p)
    except OSError:
        pass
    finally:
        s.close()
print(' '.join(map(str, picked)))
PY
}

# start_coordinator [flags...]: on stable ports (given flags come later,
# so restart_coordinator's endpoints are the ones used).
start_coordinator() {
	local data=$T/data wport aport hport
	read -r wport aport hport < <(stable_ports 3)
	"$ROTA_BIN/rota-coordinator" --data-dir "$data" \
		--worker-endpoint "tcp://127.0.0.1:$wport" --api-endpoint "tcp://127.0.0.1:$aport" \
		--runbooks "${RUNBOOKS:-$ROTA_SOURCE_DIR/runbooks}" --http "127.0.0.1:$hport" \
		"${STORE_FLAGS[@]}" "$@" \
		>>"$T/coordinator.log" 2>&1 &
	COORD_PID=$!
	PIDS+=("$COORD_PID")
	touch "$T/coordinator.start"; sleep 0.01
	# Started under a sanitizer on a busy machine it may take seconds.
	local end=$((SECONDS + $(patience 10)))
	while [ $SECONDS -lt $end ]; do
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

# stop_coordinator: SIGTERM to the coordinator, and its exit awaited (a
# test that restarts it, or checks what it left behind).
stop_coordinator() {
	kill -TERM "$COORD_PID"
	wait "$COORD_PID" 2>/dev/null || true
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

# wait_workers N [ID...]: until N workers are connected (10 s on an idle
# machine; see patience), or, given IDs, until N of these are: a fleet
# stopped a moment ago still reads "connected" until its heartbeats are
# missed, and would count for a worker not yet in.
wait_workers() {
	local want=$1 n=0
	shift
	local ids=" $* "
	local end=$((SECONDS + $(patience 10)))
	while [ $SECONDS -lt $end ]; do
		# The state cell may go on: "connected, maintenance MW-1",
		# "connected (replaced 1x)".
		n=$(rota workers 2>/dev/null | grep -E ' connected([ ,]|$)' |
			awk -v ids="$ids" 'ids == "  " || index(ids, " " $1 " ") { n++ } END { print n + 0 }' || true)
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	fail "only $n of $want workers connected"
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

# patience SECS: the deadline (in seconds) to give a wait that takes at
# most SECS on an idle machine. A busy one (two CPU hogs on both cores, a
# sanitizer build, parallel tests) can be several times slower, so it is
# ROTA_TEST_PATIENCE (3 by default) times SECS, 30 s at least, and no more
# than 120 s (or SECS, if that is more) so that a failing test still fails
# with its own message before ctest's timeout. A deadline only bounds a
# failing test: a passing one waits for its state and no longer. A test that
# asserts how long something took measures that time itself.
patience() {
	local secs=$1 p=$(($1 * ${ROTA_TEST_PATIENCE:-3}))
	[ $p -ge 30 ] || p=30
	local cap=120
	[ "$secs" -le $cap ] || cap=$secs
	[ $p -le $cap ] || p=$cap
	echo "$p"
}

# wait_for "shell condition" SECONDS what: polls the condition every 0.1 s
# until it holds; fails after $(patience SECONDS).
wait_for() {
	local cond=$1 what=$3
	local secs
	secs=$(patience "$2")
	local end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ]; do
		if eval "$cond"; then return 0; fi
		sleep 0.1
	done
	fail "timed out after ${secs}s waiting for $what"
}

# wait_exit PID SECONDS: until PID has exited (it may be a zombie not yet
# reaped); returns 1 if it still runs after $(patience SECONDS).
wait_exit() {
	local pid=$1 end=$((SECONDS + $(patience "$2")))
	while [ $SECONDS -lt $end ]; do
		kill -0 "$pid" 2>/dev/null || return 0
		[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null || return 0
	return 1
}

# start_receiver: rota-testreceiver (a webhook endpoint that records what
# it is sent in $T/recv.jsonl) on a free loopback port; sets RECV, its URL.
start_receiver() {
	"$ROTA_BIN/rota-testreceiver" "$T/recv.port" "$T/recv.jsonl" >"$T/recv.log" 2>&1 &
	PIDS+=($!)
	wait_for '[ -s "$T/recv.port" ]' 5 "the receiver to listen"
	RECV=http://127.0.0.1:$(cat "$T/recv.port")
}

# receiver_config CHANNEL: $T/config.yaml of a test whose notices go to the
# receiver (start_receiver first): one webhook channel CHANNEL, on $RECV/CHANNEL,
# that the default policy notifies at once, and the outbox's short backoff.
# A test that needs more appends to the file.
receiver_config() {
	cat >"$T/config.yaml" <<YAML
channels:
  $1: { webhook: { url: "$RECV/$1" } }
escalation:
  policies:
    default:
      - { after: 0s, notify: [$1] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
}

# start_testhttp [DIR]: rota-testhttp (what the checks ask) on a free loopback
# port, serving DIR's files under /file/ when given; sets U, its URL.
start_testhttp() {
	"$ROTA_TESTS_BIN/rota-testhttp" "$T/http.port" "$@" >>"$T/http.log" 2>&1 &
	PIDS+=("$!")
	wait_for '[ -s "$T/http.port" ]' 10 "the test HTTP server's port"
	U="http://127.0.0.1:$(cat "$T/http.port")"
}

# free_port: a loopback TCP port free now (the kernel's choice).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_prometheus: a real Prometheus on a free port with $T/prometheus.yml,
# its data in $T/prom; sets PROM_PID and P, its URL. Started again after a
# kill, it keeps its data.
start_prometheus() {
	PPORT=$(free_port)
	prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
		--web.listen-address="127.0.0.1:$PPORT" >>"$T/prometheus.log" 2>&1 &
	PROM_PID=$!
	PIDS+=("$PROM_PID")
	P="http://127.0.0.1:$PPORT"
}

# req METHOD PATH [BODY [CURL ARGS...]]: an HTTP request to $BASE$PATH
# (BODY sent as JSON); sets CODE, BODY (the answer) and HDRS (the headers,
# in $T/hdrs).
req() {
	local method=$1 path=$2 data=${3:-}
	shift 3 2>/dev/null || shift $#
	local args=(-s -o "$T/body" -D "$T/hdrs" -w '%{http_code}' -X "$method")
	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
	CODE=$(curl "${args[@]}" "$@" "$BASE$path") || fail "curl $method $path"
	BODY=$(cat "$T/body")
	HDRS=$(cat "$T/hdrs")
}
# jget FILTER: jq's raw answer to FILTER over BODY.
jget() {
	jq -r "$1" <<<"$BODY"
}
# same_json A B: True when the two documents are equal, whatever the order
# of their members.
same_json() {
	if [ "$(jq -S . <<<"$1")" = "$(jq -S . <<<"$2")" ]; then echo True; else echo False; fi
}
# expect_code CODE WHAT: fails unless req's answer had HTTP status CODE.
expect_code() {
	[ "$CODE" = "$1" ] || fail "$2: HTTP $CODE, expected $1: $BODY"
}

# operator_key NAME ROLE [ADHOC]: a key pair NAME in $T/keys, listed in
# operators.yaml with ROLE (and its adhoc: permission, when given).
operator_key() {
	rota keygen "$1" --out "$T/keys" >/dev/null || fail "rota keygen $1"
	local pub
	pub=$(sed -n 's/^public-key = //p' "$T/keys/$1.key")
	printf '  - name: %s\n    key: "%s"\n    role: %s\n' "$1" "$pub" "$2" >>"$T/data/operators.yaml"
	if [ -n "${3:-}" ]; then
		printf '    adhoc: %s\n' "$3" >>"$T/data/operators.yaml"
	fi
}

# try_daemon LOG DATA_DIR PROGRAM [args...]: runs a daemon that should
# either refuse to start (exit at once) or run until stopped. Sets RC to its
# exit code, or to 124 (what timeout(1) reports) when it ran: it wrote
# DATA_DIR/endpoints (it is listening) and was then stopped with SIGTERM.
# Waiting for that state, not a fixed time, keeps a slow start on a busy
# machine from looking like either answer.
try_daemon() {
	local log=$1 data=$2
	shift 2
	touch "$T/try.start"
	sleep 0.01
	set +e
	"$@" >"$log" 2>&1 &
	local pid=$! end=$((SECONDS + $(patience 10)))
	PIDS+=("$pid")
	RC=
	while [ $SECONDS -lt $end ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			RC=$?
			break
		fi
		if [ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/try.start" ]; then
			kill -TERM "$pid"
			wait "$pid"
			RC=124
			break
		fi
		sleep 0.05
	done
	set -e
	[ -n "$RC" ] || fail "$* neither refused to start nor started: $(cat "$log")"
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
