# Retention end to end: runs made "in January" (ROTA_FAKE_NOW), the
# coordinator restarted "in June" (the fake clock moved on by a restart);
# rota prune --dry-run says what would go, rota prune deletes exactly that,
# the newest run of each runbook stays and rota show still shows its
# (packed) output; status and /metrics say what retention did; the audit
# trail has both requests.
. "$(dirname "$0")/lib.sh"
rota_setup
cat >"$T/config.yaml" <<YAML
retention:
  runs: 90d
  outputs: 30d
  keep_runs_per_runbook: 1
YAML
for name in alpha beta; do
	cat >"$T/$name.yaml" <<YAML
name: $name
steps:
  - id: talk
    shell: "echo $name-begins; for i in \$(seq 200); do echo the same line again \$i; done; echo $name-ends"
YAML
done

# submit_done FILE: a run of FILE on w1, waited for; prints its id.
submit_done() {
	local run
	run=$(rota submit "$1" --target w1)
	wait_for "[ \"\$(run_status $run)\" = 3 ]" 10 "run $run to succeed" >&2
	echo "$run"
}

# No runbook directory of schedules: the only runs are the test's.
mkdir -p "$T/books"
export RUNBOOKS=$T/books
ROTA_FAKE_NOW=2026-01-10T08:00:00Z start_coordinator --config "$T/config.yaml"
start_worker w1
wait_workers 1
old_alpha=$(submit_done "$T/alpha.yaml")
new_alpha=$(submit_done "$T/alpha.yaml")
only_beta=$(submit_done "$T/beta.yaml")

# Nothing is old yet.
run_rota 0 -- prune --dry-run --json
assert_contains "$OUT" '"runs":{"rows":0' "dry run in January"

kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "coordinator did not stop"
ROTA_FAKE_NOW=2026-06-10T08:00:00Z restart_coordinator --config "$T/config.yaml"

run_rota 0 -- prune --dry-run
has_line "$OUT" '^runs +1 ' "dry run: the older alpha run goes"
has_line "$OUT" '^steps +1 ' "dry run: its step"
has_line "$OUT" '^outputs +[1-9]' "dry run: its output"
has_line "$OUT" '^audit +0 ' "dry run: audit is kept 400 days"
assert_contains "$OUT" "dry run: nothing deleted" "dry run"
would_outputs=$(sed -n 's/^outputs  *\([0-9]*\) .*/\1/p' <<<"$OUT")
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 3 "runs after the dry run"

run_rota 0 -- prune
has_line "$OUT" '^runs +1 ' "prune deleted the older alpha run"
has_line "$OUT" "^outputs +$would_outputs " "prune deleted what the dry run said"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE id = '$old_alpha'")" 0 "old alpha run"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 2 "runs left"

run_rota 4 -- show "$old_alpha"
run_rota 0 -- show "$new_alpha"
assert_contains "$OUT" "alpha-ends" "rota show of the newest alpha run (its output)"
run_rota 0 -- logs "$only_beta"
assert_contains "$OUT" "w1 talk | the same line again 200" "rota logs of the beta run"
assert_contains "$OUT" "w1 talk | beta-ends" "rota logs of the beta run"

run_rota 0 -- status
has_line "$OUT" '^store +[0-9.]+ MB; last prune 2026-06-10 .* \(([0-9]+) rows deleted\)' "status"
metrics=$(curl -sf "http://$HTTP_EP/metrics")
assert_contains "$metrics" 'rota_store_rows_pruned_total{table="runs"} 1' "/metrics"
has_line "$metrics" '^rota_store_size_bytes [1-9]' "/metrics store size"
has_line "$metrics" '^rota_store_oldest_row_age_seconds\{table="runs"\} [1-9]' "/metrics oldest run"
# The search index's backlog drains between turns: every stored chunk
# indexed (or dropped with its pruned run).
wait_for 'curl -sf "http://$HTTP_EP/metrics" | grep -q "^rota_search_backlog_rows 0$"' 10 \
	"the search backlog to drain"
audit=$(store "SELECT action || ' ' || outcome || ' ' || detail FROM audit WHERE action = 'prune' ORDER BY id")
assert_contains "$audit" "prune ok dry run: would delete runs=1 steps=1" "audit of the dry run"
assert_contains "$audit" "prune ok pass started" "audit of the pass"
pass "prune --dry-run counted what prune then deleted; the newest runs and their packed output stay"
