# rota runs' filters and pages, rota history and rota search against a real
# coordinator and two workers with a known set of runs: two probe runs that
# succeed, one that fails on w2, one run of another runbook. The probe's
# token is a secret param: the worker masks it in the output, so search
# cannot find it.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$ROTA_SOURCE_DIR/tests/fixtures/history
start_coordinator
start_worker w1 --label role=web
start_worker w2 --label role=web
wait_workers 2

secret=hunter2sekrit
submit() { # RUNBOOK EXPECTED-EXIT ARGS...: the run id
	local book=$1 code=$2
	shift 2
	run_rota "$code" -- submit "$book" --wait --json "$@"
	jq -r .run_id <<<"$OUT"
}
ok1=$(submit probe 0 --target role=web -p mode=ok -p token=$secret)
ok2=$(submit probe 0 --target role=web -p mode=ok -p token=$secret)
bad=$(submit probe 1 --target role=web -p mode=bad -p token=$secret)
other=$(submit other 0 --target w1)

ids() { jq -r '.runs[].id' <<<"$OUT" | tr '\n' ' '; }

# Filters.
run_rota 0 -- runs --runbook probe --json
assert_eq "$(ids)" "$bad $ok2 $ok1 " "runs --runbook probe"
run_rota 0 -- runs --status failed --json
assert_eq "$(ids)" "$bad " "runs --status failed"
run_rota 0 -- runs --host w2 --json
assert_eq "$(ids)" "$bad $ok2 $ok1 " "runs --host w2 (other ran on w1 only)"
run_rota 0 -- runs --trigger manual --since 1h --json
assert_eq "$(ids)" "$other $bad $ok2 $ok1 " "runs --trigger manual --since 1h"
run_rota 0 -- runs --trigger schedule --json
assert_eq "$(ids)" "" "runs --trigger schedule"
run_rota 0 -- runs --until 1h --json
assert_eq "$(ids)" "" "runs --until 1h (all are newer)"

# Pages: two, then the rest from the cursor the first page gives.
run_rota 0 -- runs --runbook probe --limit 2
has_line "$OUT" "^$bad +probe +manual +failed +1/1/2 " "runs page 1"
has_line "$OUT" "^$ok2 " "runs page 1"
assert_contains "$ERR" "--before $ok2" "runs page 1's hint"
run_rota 0 -- runs --runbook probe --limit 2 --before "$ok2" --json
assert_eq "$(ids)" "$ok1 " "runs page 2"
assert_eq "$(jq -r .next_before <<<"$OUT")" "null" "the last page has no next"
run_rota 0 -- runs --runbook probe --limit 2 --before "${ok2: -6}" --json
assert_eq "$(ids)" "$ok1 " "runs page 2 from the end of the cursor's id"
run_rota 4 -- runs --before no-such-run
assert_contains "$ERR" "no run 'no-such-run'" "runs --before an unknown id"
run_rota 2 -- runs --status sideways
assert_contains "$ERR" "give pending, running, succeeded, failed" "runs --status bad"

# History.
run_rota 0 -- history probe --json
assert_eq "$(jq -c '[.runs, .succeeded, .failed, .success_rate, .timed_runs]' <<<"$OUT")" \
	"[3,2,1,66.7,3]" "history figures"
assert_eq "$(jq -c '.failed_hosts' <<<"$OUT")" '[{"name":"w2","runs":1}]' "failures by host"
assert_eq "$(jq -c '.failed_steps' <<<"$OUT")" '[{"name":"check","runs":1}]' "failures by step"
assert_eq "$(jq -r '.last_failure.run_id' <<<"$OUT")" "$bad" "last failure"
assert_contains "$(jq -r '.last_failure.reason' <<<"$OUT")" \
	"step check on w2 failed with exit code 4" "last failure's reason"
[ "$(jq '.p50_ms <= .p95_ms and .p50_ms >= 0' <<<"$OUT")" = true ] || fail "p50/p95: $OUT"
run_rota 0 -- history probe --since 30d
assert_contains "$OUT" "success rate: 66.7% (2 of 3 runs" "history text"
has_line "$OUT" "^  w2 +1$" "history text: failures by host"
assert_contains "$OUT" "last failure: run $bad" "history text"
run_rota 0 -- history other
assert_contains "$OUT" "runs: 1 (1 succeeded, 0 failed" "history other"

# Search: the hit, where it was, and the lines around it.
run_rota 0 -- search 'disk full' --json
assert_eq "$(jq -c '[.hits[] | [.run_id, .host, .step_id, .stream, .line]]' <<<"$OUT")" \
	"[[\"$bad\",\"w2\",\"check\",\"stderr\",\"disk full on w2\"]]" "search 'disk full'"
assert_eq "$(jq -r '.hits[0].before | join("|")' <<<"$OUT")" "checking the disk of w2" \
	"the hit's context (its stream's lines before it)"
run_rota 0 -- search 'disk full'
has_line "$OUT" "^run $bad  host w2  step check  .*\(stderr\)$" "search text: where"
has_line "$OUT" "^  > disk full on w2$" "search text: the line"
run_rota 0 -- search kettle-ok --runbook probe --host w1 --json
assert_eq "$(jq -r '[.hits[].run_id] | join(" ")' <<<"$OUT")" "$ok2 $ok1" "search with filters"
assert_eq "$(jq -r '[.hits[].line] | unique | join("|")' <<<"$OUT")" "probe w1 says kettle-ok" \
	"search with filters: lines"
run_rota 0 -- search kettle-ok --limit 1 --json
assert_eq "$(jq -c '[(.hits | length), .more]' <<<"$OUT")" "[1,true]" "search --limit 1"

# The secret: masked where it was printed, so not in the index.
stored=$(store "SELECT $(sql_agg "$(sql_text o.data)" '') FROM outputs o")
assert_contains "$stored" "token is ****" "the stored output is masked"
assert_not_contains "$stored" "$secret" "the stored output"
run_rota 0 -- search 'token is' --host w1 --limit 1 --json
assert_eq "$(jq -r '.hits[0].line' <<<"$OUT")" "token is ****" "search shows the masked line"
run_rota 0 -- search "$secret" --json
assert_eq "$(jq -c .hits <<<"$OUT")" "[]" "search for the secret"
assert_eq "$(store "SELECT COUNT(*) FROM output_text WHERE text LIKE '%$secret%'")" 0 \
	"the secret in the index"
run_rota 0 -- search "$secret"
assert_contains "$ERR" "no stored output matches" "search text without hits"

# Bad input.
run_rota 4 -- search '!!!'
assert_contains "$ERR" "has no word to search for" "search for no word"
run_rota 2 -- search
assert_contains "$ERR" "search needs the text" "search without text"
run_rota 2 -- history
assert_contains "$ERR" "history needs a runbook" "history without a runbook"
pass "runs filters and pages, history figures and search hits, the secret not findable"
