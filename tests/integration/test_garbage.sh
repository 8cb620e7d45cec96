# Garbage frames on both endpoints change nothing; each is dropped and
# counted on /metrics by endpoint and reason; the coordinator keeps serving
# workers and operators.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
before=$(store "SELECT COUNT(*) FROM runs")

# dropped ENDPOINT REASON: rota_frames_dropped_total for them on /metrics.
dropped() {
	curl -s "http://$HTTP_EP/metrics" |
		awk -v m="rota_frames_dropped_total{endpoint=\"$1\",reason=\"$2\"}" '$1 == m { print $2 }'
}
reasons="shape size decode version empty"
for ep in worker api; do
	for r in $reasons; do assert_eq "$(dropped $ep $r)" 0 "$ep frames dropped for $r before the garbage"; done
done

"$ROTA_TESTS_BIN/rota-testpeer" garbage "$WORKER_EP" || fail "testpeer on the worker endpoint"
"$ROTA_TESTS_BIN/rota-testpeer" garbage "$API_EP" || fail "testpeer on the api endpoint"
# Every kind of bad frame the peer sends is counted, by endpoint and reason
# (a multi-part message: shape; an oversized frame: size; random bytes and
# a Hello cut in half: decode; protocol version 99: version; no body: empty).
for ep in worker api; do
	for r in $reasons; do
		wait_for "[ \"\$(dropped $ep $r)\" -ge 1 ]" 10 "a $ep frame dropped for $r to be counted on /metrics"
	done
	[ "$(dropped $ep decode)" -ge 21 ] || fail "$ep: $(dropped $ep decode) frames dropped for decode, expected 21 at least"
done
kill -0 "$COORD_PID" 2>/dev/null || fail "the coordinator died"

assert_eq "$(store "SELECT COUNT(*) FROM runs")" "$before" "runs after garbage"
assert_eq "$(store "SELECT COUNT(*) FROM workers WHERE id = 'intruder'")" 0 "an intruder registered"
grep -q "dropped a frame from worker peer intruder" "$T/coordinator.log" || fail "no drop logged for the worker endpoint"
grep -q "dropped a frame from api peer" "$T/coordinator.log" || fail "no drop logged for the api endpoint"

out=$(rota submit "$FIXTURES/two-step.yaml" --target w1 --wait 2>&1) || fail "a run after garbage failed: $out"
assert_contains "$out" "hello from w1" "run after garbage"
rota workers | grep -E '^w1 .* connected ' >/dev/null || fail "w1 is no longer connected"
pass "garbage dropped and counted; the coordinator still serves"
