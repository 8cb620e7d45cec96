#!/usr/bin/env bash
# scrape_coordinator.sh COORDINATOR RUNBOOKS OUT: starts the rota-coordinator
# binary COORDINATOR (plain, loopback, a temporary data directory, the
# runbooks of RUNBOOKS), writes its /metrics page to OUT and stops it. For
# the checks that must read what a live coordinator exports, not a page a
# test wrote itself (deploy.check, unit.metrics.promtool).
set -euo pipefail
coord=$1 runbooks=$2 out=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rota-scrape.XXXXXX")
pid=
stop() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap stop EXIT
"$coord" --data-dir "$tmp/data" --worker-endpoint "tcp://127.0.0.1:*" \
	--api-endpoint "tcp://127.0.0.1:*" --runbooks "$runbooks" --http 127.0.0.1:0 \
	>"$tmp/coordinator.log" 2>&1 &
pid=$!
http=
for _ in $(seq 200); do
	[ -f "$tmp/data/endpoints" ] && http=$(sed -n 's/^http=//p' "$tmp/data/endpoints")
	[ -n "$http" ] && break
	kill -0 "$pid" 2>/dev/null || { echo "the coordinator exited at start:" >&2; cat "$tmp/coordinator.log" >&2; exit 1; }
	sleep 0.05
done
[ -n "$http" ] || { echo "the coordinator wrote no HTTP endpoint" >&2; cat "$tmp/coordinator.log" >&2; exit 1; }
curl -sf "http://$http/metrics" >"$out" || { echo "GET http://$http/metrics failed" >&2; exit 1; }
# The families read from the store are left out of a page whose store query
# failed (the coordinator logs why); once, in a loaded CI run, the first
# page came without rota_runs_total's samples. Ask once more, and show the
# log if it still lacks them.
if ! grep -q '^rota_runs_total{' "$out"; then
	sleep 1
	curl -sf "http://$http/metrics" >"$out" || { echo "GET http://$http/metrics failed" >&2; exit 1; }
	grep -q '^rota_runs_total{' "$out" || cat "$tmp/coordinator.log" >&2
fi
[ -s "$out" ] || { echo "GET http://$http/metrics: an empty page" >&2; exit 1; }
