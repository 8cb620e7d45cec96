# A rolling run over 8 workers with batch 2 and max_failures 1, where three
# hosts would fail: it stops after the second failing batch, and the hosts
# it never started are on record as such.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
for i in 1 2 3 4 5 6 7 8; do start_worker "w$i"; done
wait_workers 8

set +e
rota submit "$FIXTURES/rolling.yaml" --wait >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "submit --wait exit code"
run=$(store "SELECT id FROM runs WHERE runbook = 'adhoc:rolling'")
assert_eq "$(run_status "$run")" 4 "run status (failed)"
assert_eq "$(store "SELECT host || ':' || status FROM step_runs WHERE run_id = '$run' ORDER BY host" | tr '\n' ' ')" \
	"w1:5 w2:4 w3:5 w4:4 w5:8 w6:8 w7:8 w8:8 " "step statuses (w5-w8 skipped)"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND started_ms > 0")" 4 \
	"steps that started"
assert_eq "$(store "SELECT DISTINCT detail FROM step_runs WHERE run_id = '$run' AND host >= 'w5'")" \
	"never started: 2 host(s) failed, more than max_failures 1" "never-started detail"
# Batches ran one after the other: w3 started after w1 and w2 ended.
assert_eq "$(store "SELECT CASE WHEN (SELECT started_ms FROM step_runs WHERE run_id = '$run' AND host = 'w3') >= (SELECT MAX(ended_ms) FROM step_runs WHERE run_id = '$run' AND host IN ('w1', 'w2')) THEN 1 ELSE 0 END")" \
	1 "the second batch started after the first ended"
show=$(rota show "$run")
assert_contains "$show" "4 host(s) never started" "rota show reason"
assert_contains "$show" "never started: 2 host(s) failed" "rota show step detail"
assert_eq "$(store "SELECT hosts_ok || '/' || hosts_failed FROM runs WHERE id = '$run'")" "2/6" \
	"hosts ok/failed"
pass "a rolling run stops starting hosts after max_failures and records the hosts never started"

# A worker's capacity (its parallel limit) holds the dispatcher back: two
# runs on a worker with --capacity 1 run one after the other.
start_worker solo --capacity 1 --label role=solo
wait_workers 9
cat >"$T/nap.yaml" <<'EOF'
name: nap
targets: { labels: { role: solo } }
steps:
  - id: nap
    shell: "sleep 1"
EOF
rota submit "$T/nap.yaml" >/dev/null
rota submit "$T/nap.yaml" >/dev/null
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM runs WHERE runbook = 'adhoc:nap' AND status = 3\")\" = 2 ]" 20 \
	"both naps to succeed"
overlap=$(store "SELECT COUNT(*) FROM step_runs a JOIN step_runs b ON a.id < b.id WHERE a.host = 'solo' AND b.host = 'solo' AND b.started_ms < a.ended_ms AND a.started_ms < b.ended_ms")
assert_eq "$overlap" 0 "overlapping steps on a worker with capacity 1"
pass "a worker's capacity is honoured by the dispatcher"

# A rolling run with a manual step: each batch waits for its own answer,
# and submit --wait says so for each, not only for the first.
cat >"$T/gated.yaml" <<'EOF2'
name: gated
targets: { labels: { role: solo2 }, batch: 1 }
steps:
  - id: ok
    manual: { prompt: "go on {{ host.id }}?" }
EOF2
start_worker g1 --label role=solo2
start_worker g2 --label role=solo2
wait_workers 11
rota submit "$T/gated.yaml" --wait >"$T/gated.out" 2>"$T/gated.err" &
waiter=$!
for host in g1 g2; do
	wait_for "grep -q 'waiting for approval on $host:' '$T/gated.err'" 15 "submit --wait to say $host waits"
	rota approve last ok >/dev/null
done
wait "$waiter" || fail "gated run: exit $?: $(cat "$T/gated.err")"
assert_eq "$(grep -c 'waiting for approval' "$T/gated.err")" 2 "waiting notes, one per batch"
pass "submit --wait says each batch of a rolling run that waits for approval"
