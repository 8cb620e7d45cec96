# promql_check against a real Prometheus server (Debian's prometheus) that
# scrapes rota-testhttp's /metrics every second, and hold on a check, through
# a real coordinator and worker: a query over series (all, any), a scalar,
# the failing series' labels in the detail, and the distinct answers for a
# refused query, an unreachable server and an empty result; a held check that
# passes, one that goes bad mid-hold (rota-testhttp's /countdown), and a
# cancel that stops a hold at once. One coordinator, one worker, two runs.
. "$(dirname "$0")/lib.sh"
rota_setup

start_testhttp
# ---- a real Prometheus, started first: it scrapes nothing for its first 5 s
# (its discovery manager's update delay), so the hold tests run meanwhile ----
command -v prometheus >/dev/null || fail "prometheus is not installed (deploy/install-deps.sh installs Debian's prometheus)"
cat >"$T/prometheus.yml" <<YAML
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: testhttp
    static_configs: [ { targets: [ "127.0.0.1:$(cat "$T/http.port")" ] } ]
YAML
# scraped: Prometheus answers with rota-testhttp's samples.
scraped() { curl -fsS "$P/api/v1/query?query=errors_total" 2>/dev/null | grep -q '"exported_job":"db"'; }
start_prometheus

start_coordinator
start_worker w1
wait_workers 1

book() {
	{
		echo "name: $1"
		echo "description: promql_check and hold, integration test"
		echo "steps:"
		cat
	} >"$T/$1.yaml"
}
run_book() {
	RUN=$(rota submit "$T/$1.yaml" --target w1 2>&1) || fail "submit of $1 refused: $RUN"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "the run of $1 to end"
}
step() {
	store "SELECT status || '|' || COALESCE(detail, '') FROM step_runs WHERE run_id = '$RUN' AND step_id = '$1' AND host = 'w1'"
}

# ---- hold: runs while Prometheus starts --------------------------------------
book hold <<YAML
  - id: steady
    http_check: { url: "$U/health" }
    hold: 1500ms
    interval: 300ms
  - id: goes-bad
    http_check: { url: "$U/countdown" }
    hold: 60s
    interval: 200ms
    continue_on_failure: true
YAML
run_book hold
assert_eq "$(run_status "$RUN")" 3 "the hold run (goes-bad may fail)"
assert_contains "$(step steady)" "4|held 1.5s: " "a hold that passes"
assert_contains "$(step steady)" "checks passed, every 0.3s (last: GET $U/health -> 200" "a hold that passes"
# /countdown answers 200 three times, then 503: the fourth check fails
assert_contains "$(step goes-bad)" "5|held " "a hold that goes bad"
assert_contains "$(step goes-bad)" " of 1m00s, then check 4 failed: GET $U/countdown -> 503" \
	"a hold that goes bad ends at its first failure, with the time it held"

# ---- cancel stops a hold at once ----------------------------------------------
book hold-long <<YAML
  - id: long
    http_check: { url: "$U/health" }
    hold: 10m
    interval: 1s
YAML
RUN=$(rota submit "$T/hold-long.yaml" --target w1 2>&1) || fail "submit refused: $RUN"
wait_for '[ "$(store "SELECT status FROM step_runs WHERE run_id = '"'"'$RUN'"'"' AND step_id = '"'"'long'"'"'")" = 3 ]' 10 "the held step to run"
run_rota 0 -- cancel "$RUN" --note "enough"
assert_eq "$(run_status "$RUN")" 5 "a held check cancelled (run cancelled)"
assert_contains "$(step long)" "9|" "the held step cancelled"

# ---- promql_check ----------------------------------------------------------------
# A port chosen free may be taken before prometheus binds it: then it exits
# and is started again on another.
for try in 1 2 3; do
	end=$((SECONDS + $(patience 15)))
	while [ $SECONDS -lt $end ] && kill -0 "$PROM_PID" 2>/dev/null && ! scraped; do sleep 0.2; done
	scraped && break
	kill "$PROM_PID" 2>/dev/null || true
	start_prometheus
done
scraped || fail "prometheus did not scrape rota-testhttp: $(tail -5 "$T/prometheus.log")"
DEAD="http://127.0.0.1:$(free_port)"

book promql <<YAML
  - id: all-pass
    promql_check: { url: "$P", query: 'errors_total', op: "<", value: 20 }
  - id: all-fail
    promql_check: { url: "$P/", query: 'errors_total', op: "<", value: 10 }
    continue_on_failure: true
  - id: any
    promql_check: { url: "$P", query: 'errors_total', op: ">", value: 10, match: any }
  - id: scalar
    promql_check: { url: "$P", query: 'scalar(sum(errors_total))', op: "==", value: 15 }
  - id: one
    promql_check: { url: "$P", query: 'sum by (exported_job) (errors_total{exported_job="api"})', op: "<=", value: 3 }
  - id: empty
    promql_check: { url: "$P", query: 'errors_total{exported_job="nope"}', op: "<", value: 1 }
    continue_on_failure: true
  - id: bad-query
    promql_check: { url: "$P", query: 'rate(errors_total[', op: "<", value: 1 }
    continue_on_failure: true
  - id: unreachable
    promql_check: { url: "$DEAD", query: 'up', op: "==", value: 1, timeout: 5s }
    continue_on_failure: true
YAML
run_book promql
assert_contains "$(step all-pass)" "4|all 2 series of errors_total are < 20 ($P)" "all series pass"
assert_contains "$(step all-fail)" "5|1 of 2 series of errors_total is not < 10: errors_total{" "a failing series"
assert_contains "$(step all-fail)" 'exported_job="db"' "the failing series' labels"
assert_contains "$(step all-fail)" '} = 12; all must be' "the failing series' value"
assert_contains "$(step any)" "4|1 of 2 series of errors_total are > 10; any one must be" "match: any"
assert_eq "$(step scalar)" "4|scalar(sum(errors_total)) is 15, == 15 ($P)" "a scalar"
assert_eq "$(step one)" "4|{exported_job=\"api\"} is 3, <= 3 (sum by (exported_job) (errors_total{exported_job=\"api\"}))" "one series"
assert_contains "$(step empty)" "5|errors_total{exported_job=\"nope\"} returned no series at $P (no data" "an empty result"
assert_contains "$(step bad-query)" "10|Prometheus refused the query rate(errors_total[: " "a query error"
assert_contains "$(step unreachable)" "5|cannot reach Prometheus at $DEAD: " "an unreachable server"
logs=$(rota logs "$RUN" --raw)
assert_contains "$logs" "NOT OK  errors_total{" "the report lists failing series"

pass "promql_check against a real Prometheus; hold passing, failing mid-hold and cancelled"
