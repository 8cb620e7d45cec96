#!/usr/bin/env bash
# make demo-ha: high availability on one machine (docs/ha.md). A private
# PostgreSQL cluster in a temporary directory (tests/pg/pgcluster.sh: run as
# the postgres user when started as root, on a free loopback port and a
# unix socket), two coordinators sharing its database with one CURVE key
# pair, three workers given both coordinators. A runbook whose steps take a
# few seconds is submitted; in the middle of it the leader is SIGKILLed,
# and the run finishes under the other coordinator. `rota status` is shown
# before and after. Everything started here is stopped and removed at the
# end, and on Ctrl-C.
set -euo pipefail

BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGCLUSTER=$ROOT/tests/pg/pgcluster.sh
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/rota-demo-ha.XXXXXX")
chmod 755 "$DEMO" # the postgres user reaches its cluster's directory inside
export ROTA_TEST_PG_STATE=$DEMO/pg/cluster.env
# initdb once per build directory (as the test suite does), then copies.
export ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$BIN/../pg/template}
PIDS=()

stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	PIDS=()
	bash "$PGCLUSTER" stop >/dev/null 2>&1 || true
}
INTERRUPTED=
on_exit() {
	local rc=$?
	stop_all
	if [ -n "$INTERRUPTED" ]; then
		rm -rf "$DEMO"
		echo
		echo "demo-ha interrupted: stopped everything it started and removed $DEMO"
	elif [ $rc -ne 0 ]; then
		echo
		echo "demo-ha failed (exit $rc); logs are in $DEMO:"
		for f in "$DEMO"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f"
			tail -n 20 "$f"
		done
	else
		rm -rf "$DEMO"
	fi
}
trap on_exit EXIT
trap 'INTERRUPTED=1; exit 130' INT TERM

say() {
	if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}
# wait_until SECONDS CONDITION...: polls CONDITION every 0.2 s.
wait_until() {
	local n=$(($1 * 5))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

say "a private PostgreSQL cluster (tests/pg/pgcluster.sh start)"
mkdir -p "$DEMO/pg"
bash "$PGCLUSTER" start
STORE=$(bash "$PGCLUSTER" url)
echo "the store: $STORE (each coordinator connects with --store URL; no password on this"
echo "private cluster, docs/ha.md says how to give one: --store-password-file or .pgpass)"

say "rota-coordinator --init: one key pair for both coordinators, a key per worker"
"$BIN/rota-coordinator" --init "$DEMO/c1" >"$DEMO/init.log"
mkdir -p -m 700 "$DEMO/c2"
cp -a "$DEMO/c1/coordinator.key_secret" "$DEMO/c1/coordinator.key" "$DEMO/c1/authorized_workers" \
	"$DEMO/c1/operators.yaml" "$DEMO/c1/alertmanager.token" "$DEMO/c2/"
export ROTA_CONFIG=$DEMO/c1/cli.conf # rota speaks with the admin key
mkdir -p "$DEMO/keys"
for id in web-1 web-2 db-1; do
	"$BIN/rota" keygen "$id" --out "$DEMO/keys" >/dev/null
	cp "$DEMO/keys/$id.key" "$DEMO/c1/authorized_workers/$id"
	cp "$DEMO/keys/$id.key" "$DEMO/c2/authorized_workers/$id"
done

mkdir -p "$DEMO/runbooks"
cat >"$DEMO/runbooks/ha-demo.yaml" <<'EOF'
name: ha-demo
description: three steps of four seconds on every host
targets: { all: true }
steps:
  - id: drain
    shell: "echo draining $(hostname); sleep 4; echo drained"
  - id: upgrade
    shell: "echo upgrading; sleep 4; echo upgraded"
  - id: undrain
    shell: "echo back in the pool; sleep 4; echo done"
EOF

# start_coordinator NAME: on free loopback ports, sharing the store.
start_coordinator() {
	local name=$1
	"$BIN/rota-coordinator" --id "$name" --data-dir "$DEMO/$name" --runbooks "$DEMO/runbooks" \
		--store "$STORE" --lease 3s \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" --http 127.0.0.1:0 \
		>"$DEMO/coordinator-$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
	wait_until 20 test -f "$DEMO/$name/endpoints" || { echo "coordinator $name did not start"; exit 1; }
	eval "WORKER_$name=$(sed -n 's/^worker=//p' "$DEMO/$name/endpoints")"
	eval "API_$name=$(sed -n 's/^api=//p' "$DEMO/$name/endpoints")"
	eval "HTTP_$name=$(sed -n 's/^http=//p' "$DEMO/$name/endpoints")"
}
leads() {
	local var=HTTP_$1
	[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://${!var}/healthz?role=leader")" = 200 ]
}

say "two coordinators on one database: c1 first (it takes the lease), then c2"
start_coordinator c1
wait_until 20 leads c1 || { echo "c1 did not take the lease"; exit 1; }
start_coordinator c2
export ROTA_COORDINATOR=$API_c1,$API_c2
echo "c1: workers $WORKER_c1, operators $API_c1, HTTP $HTTP_c1"
echo "c2: workers $WORKER_c2, operators $API_c2, HTTP $HTTP_c2"
echo "rota and the workers are given both: ROTA_COORDINATOR=$ROTA_COORDINATOR"

say "three workers, each given both coordinators (--coordinator $WORKER_c1,$WORKER_c2)"
for id in web-1 web-2 db-1; do
	"$BIN/rota-worker" --coordinator "$WORKER_c1,$WORKER_c2" --id "$id" --spool "$DEMO/spool-$id" \
		--key "$DEMO/keys/$id.key_secret" --coordinator-key "$DEMO/c1/coordinator.key" \
		>"$DEMO/worker-$id.log" 2>&1 &
	PIDS+=($!)
done
connected() { [ "$("$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 3 ]; }
wait_until 30 connected || { echo "the workers did not connect"; exit 1; }
"$BIN/rota" workers

say "rota status (asked of c2, a follower: it answers status itself)"
"$BIN/rota" --coordinator "$API_c2" status

say "rota submit ha-demo: three steps of four seconds on each host"
RUN=$("$BIN/rota" submit ha-demo)
echo "run $RUN"
upgrading() { "$BIN/rota" show "$RUN" 2>/dev/null | grep -q 'upgrade.*running'; }
wait_until 30 upgrading || { echo "the run did not reach its second step"; exit 1; }
"$BIN/rota" show "$RUN"

say "kill -KILL c1 (the leader), in the middle of the run"
kill -KILL "$PID_c1"
wait "$PID_c1" 2>/dev/null || true
T0=$(date +%s%3N)
wait_until 30 leads c2 || { echo "c2 did not take over"; exit 1; }
echo "c2 leads $(($(date +%s%3N) - T0)) ms later:"
grep -h "took the lease\|leads under epoch" "$DEMO/coordinator-c2.log" | tail -n 2

say "rota status after the failover"
"$BIN/rota" status

say "rota logs -f $RUN: the run goes on under c2"
"$BIN/rota" logs -f "$RUN" || true

say "rota show $RUN"
"$BIN/rota" show "$RUN"

say "stopping"
stop_all
echo "stopped the coordinator, the workers and PostgreSQL; removed $DEMO"
