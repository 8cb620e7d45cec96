# A live coordinator's /metrics, with a run recorded, is one Prometheus
# would take: no series twice (Prometheus rejects a page with a duplicate),
# and promtool parses it (when installed).
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
run=$(rota submit "$FIXTURES/short.yaml" --target w1)
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "the run to succeed"
page=$(curl -fsS "http://$HTTP_EP/metrics") || fail "GET /metrics"
series=$(grep -v '^#' <<<"$page" | sed 's/ [^ ]*$//')
dups=$(sort <<<"$series" | uniq -d)
[ -z "$dups" ] || fail "/metrics repeats series: $dups"
has_line "$page" '^rota_runs_total\{status="succeeded"\} 1$' "/metrics"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <<<"$page" 2>&1) || fail "promtool check metrics: $out"
	# Lint remarks (names, HELP) are failures too, as in unit.metrics.promtool.
	[ -z "$out" ] || fail "promtool lint: $out"
fi
pass "/metrics has each series once and parses"
