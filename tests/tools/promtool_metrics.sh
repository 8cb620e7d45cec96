#!/usr/bin/env bash
# Renders test_metrics' sample page and has promtool parse it: what rota
# writes on /metrics must be what Prometheus reads. Exit 77 (skipped) only
# when promtool is not installed (deploy/install-deps.sh installs it).
set -euo pipefail
bin=$1
if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not installed (Debian package prometheus; deploy/install-deps.sh)"
	exit 77
fi
page=$(mktemp)
trap 'rm -f "$page"' EXIT
"$bin" --render >"$page"
# promtool check metrics reads stdin; it exits non-zero on a parse error
# and prints lint problems (names, HELP) which we also treat as failures.
out=$(promtool check metrics <"$page" 2>&1) || { echo "$out"; cat "$page"; exit 1; }
if [ -n "$out" ]; then
	echo "promtool lint:"; echo "$out"; exit 1
fi
echo "promtool check metrics: ok ($(grep -c -v '^#' "$page") samples)"
