#!/usr/bin/env bash
# promtool_metrics.sh TEST_METRICS COORDINATOR RUNBOOKS: has promtool parse
# test_metrics' sample page (every kind of family the renderer writes) and
# the /metrics page of a live coordinator (what rota really exports): what
# rota writes on /metrics must be what Prometheus reads. Exit 77 (skipped)
# only when promtool is not installed (deploy/install-deps.sh installs it).
set -euo pipefail
bin=$1 coord=$2 runbooks=$3
if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not installed (Debian package prometheus; deploy/install-deps.sh)"
	exit 77
fi
page=$(mktemp)
live=$(mktemp)
trap 'rm -f "$page" "$live"' EXIT
"$bin" --render >"$page"
bash "$(dirname "$0")/scrape_coordinator.sh" "$coord" "$runbooks" "$live"
# promtool check metrics reads stdin; it exits non-zero on a parse error
# and prints lint problems (names, HELP) which we also treat as failures.
for p in "$page" "$live"; do
	what="test_metrics --render"
	[ "$p" = "$live" ] && what="a live coordinator's /metrics"
	out=$(promtool check metrics <"$p" 2>&1) || { echo "$what:"; echo "$out"; cat "$p"; exit 1; }
	if [ -n "$out" ]; then
		echo "promtool lint of $what:"; echo "$out"; exit 1
	fi
	echo "promtool check metrics of $what: ok ($(grep -c -v '^#' "$p") samples)"
done
