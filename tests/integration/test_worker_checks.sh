# A real rota-worker runs the built-in step types: each check in a forked
# child whose report is the step's output and whose verdict is its status,
# noop at once, manual and notify refused with a reason, shell as before.
# rota-testpeer plays the coordinator, so a step spec reaches the worker
# exactly as written, whatever the runbook parser accepts; test_checks.sh
# runs the checks through a real coordinator.
. "$(dirname "$0")/lib.sh"
rota_setup

start_testhttp
mkdir -p "$T/disk"

# dispatch_peer OUT WHAT STEP...: rota-testpeer as the coordinator, in the
# background (PEER), dispatching each STEP ("id|type|key=value...") and
# writing what comes back to OUT; WORKER_EP is where it listens, once it
# does (WHAT names it in the wait).
dispatch_peer() {
	local out=$1 what=$2
	shift 2
	rm -f "$T/peer.endpoint"
	"$ROTA_TESTS_BIN/rota-testpeer" dispatch "$T/peer.endpoint" "$@" >"$out" 2>>"$T/peer.log" &
	PEER=$!
	PIDS+=("$PEER")
	wait_for '[ -s "$T/peer.endpoint" ]' 10 "$what"
	WORKER_EP=$(cat "$T/peer.endpoint")
}

dispatch_peer "$T/peer.out" "the fake coordinator's endpoint" \
	"nothing|noop" \
	"health|http_check|url=$U/health|timeout_ms=5000" \
	"down|http_check|url=$U/down" \
	"body|http_check|url=$U/body|method=get|body_contains=rota-testhttp" \
	"refused|http_check|url=http://127.0.0.1:1/health" \
	"slow|http_check|url=$U/slow|timeout_ms=500" \
	"disk|disk_check|path=$T/disk|min_free_pct=0" \
	"full|disk_check|path=$T/disk|min_free_pct=100" \
	"nodisk|disk_check|path=$T/missing|min_free_pct=10" \
	"errors|metric_check|url=$U/metrics|metric=errors_total{job=\"api\"}|op=<|value=10" \
	"requests|metric_check|url=$U/metrics|metric=http_requests_total|label=code=500|op=<|value=100" \
	"absent|metric_check|url=$U/metrics|metric=nope_total|op=<|value=1" \
	"queue|metric_check|url=$U/metrics|metric=queue_depth|op=<|value=1" \
	"limited|metric_check|url=$U/metrics|metric=errors_total|op=>=|value=0|output_limit=16" \
	"badop|metric_check|url=$U/metrics|metric=errors_total|op==<|value=1" \
	"confirm|manual|prompt=Is the dashboard green?" \
	"tell|notify|message=hello" \
	"unknown|none" \
	"sh|shell|run=echo from the shell; exit 3"
start_worker w1
peer_rc=0
wait "$PEER" || peer_rc=$?
out=$(cat "$T/peer.out")
[ "$peer_rc" = 0 ] || fail "rota-testpeer exited with $peer_rc: $out"

result() {
	grep "^result $1 " "$T/peer.out" || fail "no result for step $1: $out"
}
output() {
	grep "^output $1 " "$T/peer.out" | cut -d' ' -f3- || true
}

assert_eq "$(result nothing)" "result nothing STEP_SUCCEEDED 0 " "noop"
assert_eq "$(output nothing)" "" "noop output"

r=$(result health)
assert_contains "$r" "STEP_SUCCEEDED 0 GET $U/health -> 200 in " "health"
assert_contains "$(output health)" "stdout GET $U/health -> 200 in " "health output"
assert_contains "$(result down)" "STEP_FAILED 1 GET $U/down -> 503 (expected 200) in " "down"
assert_contains "$(output down)" "stdout   | service unavailable" "down output (the error page)"
assert_contains "$(result body)" "STEP_SUCCEEDED 0 GET $U/body -> 200 in " "body"
assert_contains "$(result body)" "; body contains \"rota-testhttp\"" "body"
assert_contains "$(result refused)" "STEP_FAILED 1 GET http://127.0.0.1:1/health -> " "refused"
assert_contains "$(result refused)" "(Connection refused)" "refused"
assert_contains "$(result slow)" "STEP_FAILED 1 GET $U/slow -> Operation timed out after" "slow"

assert_contains "$(result disk)" "STEP_SUCCEEDED 0 $T/disk: " "disk"
assert_contains "$(result disk)" "% free (" "disk"
assert_contains "$(result full)" "STEP_FAILED 1 $T/disk: " "full disk"
assert_contains "$(result full)" "; needs at least 100%" "full disk"
assert_contains "$(result nodisk)" "STEP_ERROR 2 disk_check: cannot read the filesystem of $T/missing: No such file or directory" "missing path"

assert_eq "$(result errors)" "result errors STEP_SUCCEEDED 0 errors_total{job=\"api\"} is 3, < 10 ($U/metrics)" "metric"
assert_contains "$(result requests)" "STEP_FAILED 1 http_requests_total{code=\"500\"}: 1 of 2 matching samples are not < 100; all must be" "several samples"
assert_contains "$(output requests)" "NOT OK  http_requests_total{code=\"500\",instance=\"b\"} 150" "several samples output"
assert_eq "$(result absent)" "result absent STEP_FAILED 1 metric nope_total not found at $U/metrics (5 samples read)" "absent metric"
assert_contains "$(result queue)" "STEP_FAILED 1 queue_depth is NaN, not < 1" "NaN"
# The output is cut at its limit (its first and last 8 bytes kept, with a
# note between); the detail is still the whole summary.
assert_contains "$(output limited)" "stdout errors_t" "limited output: its head (16 bytes)"
assert_contains "$(output limited)" "bytes of output dropped here" "limited output: the note"
assert_contains "$(result limited)" "STEP_SUCCEEDED 0 errors_total: all 2 matching samples are >= 0" "limited detail"
assert_contains "$(result badop)" "STEP_ERROR 2 metric_check: op =< is not one of" "bad op"

assert_contains "$(result confirm)" "STEP_ERROR 0 a manual step is run by the coordinator itself" "manual"
assert_contains "$(result tell)" "STEP_ERROR 0 a notify step is run by the coordinator itself" "notify"
assert_contains "$(result unknown)" "STEP_ERROR 0 worker w1 (version " "no kind"
assert_eq "$(result sh)" "result sh STEP_FAILED 3 exited with status 3" "shell"
assert_eq "$(output sh)" "stdout from the shell" "shell output"

# Every check child is gone, and the worker is still there.
kill -0 "$LAST_WORKER_PID" 2>/dev/null || fail "the worker died"
left=$(ps -o pid=,args= --ppid "$LAST_WORKER_PID" || true)
assert_eq "$left" "" "children the worker left running"

# The checks run in rota-check, found next to rota-worker; --check-helper
# overrides it, and a helper that is not there makes each check an error
# that says so, while the worker goes on.
dispatch_peer "$T/peer2.out" "the second fake coordinator's endpoint" \
	"nohelper|disk_check|path=$T/disk|min_free_pct=0"
start_worker w2 --check-helper "$T/no-such-helper"
peer_rc=0
wait "$PEER" || peer_rc=$?
[ "$peer_rc" = 0 ] || fail "rota-testpeer exited with $peer_rc: $(cat "$T/peer2.out")"
assert_contains "$(grep '^result nohelper ' "$T/peer2.out")" \
	"STEP_ERROR 2 cannot run the check helper $T/no-such-helper: No such file or directory" \
	"missing helper"
grep -q "check helper $T/no-such-helper is not executable" "$T/worker-w2.log" ||
	fail "the worker did not warn of its missing helper at start"
kill -0 "$LAST_WORKER_PID" 2>/dev/null || fail "the worker without a helper died"
pass "checks, noop, manual, notify and shell run by a real worker"
