# The event stream across a coordinator SIGKILL and restart: `rota logs -f`
# prints every line of a step once and ends with the run; an SSE client that
# resumes with Last-Event-ID gets every line once; `submit --wait` ends
# promptly with the run's status; a bad cursor is refused with 400.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/lines.yaml" --target w1)
rota logs -f "$run" >"$T/follow.out" 2>"$T/follow.err" &
follower=$!
# An SSE client that reads until the coordinator dies.
curl -sN "http://$HTTP_EP/v1/events?run=$run" >"$T/sse1.out" 2>/dev/null &
sse=$!
wait_for "grep -q 'line 5$' '$T/follow.out'" 15 "the follower to print line 5"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
wait "$sse" 2>/dev/null || true
restart_coordinator
wait_for "! kill -0 $follower 2>/dev/null" 30 "the follower to end with the run"
wait "$follower" || fail "logs -f exited $?: $(cat "$T/follow.err")"
for i in $(seq 1 30); do
	n=$(grep -c "count | line $i\$" "$T/follow.out")
	[ "$n" = 1 ] || fail "line $i printed $n times by logs -f: $(cat "$T/follow.out")"
done
assert_eq "$(run_status "$run")" 3 "the run succeeded"

# SSE: resume from the last id seen before the kill, to the run's end.
last=$(sed -n 's/^id: //p' "$T/sse1.out" | tail -1)
[ -n "$last" ] || fail "the SSE client saw no event before the kill: $(cat "$T/sse1.out")"
curl -sN -m 10 -H "Last-Event-ID: $last" "http://$HTTP_EP/v1/events?run=$run" >"$T/sse2.out" &
sse=$!
wait_for "grep -q '\"status\":\"RUN_SUCCEEDED\"' '$T/sse2.out'" 10 "the resumed stream to reach the run's end"
kill "$sse" 2>/dev/null || true
cat "$T/sse1.out" "$T/sse2.out" | sed -n 's/^data: //p' | grep '"kind":"output"' >"$T/sse.lines"
for i in $(seq 1 30); do
	n=$(grep -c "\"data\":\"line $i\\\\n\"" "$T/sse.lines")
	[ "$n" = 1 ] || fail "line $i came $n times over SSE"
done

# Bad input: a cursor that is not a number; a run that does not exist.
code=$(curl -s -o "$T/bad.out" -w '%{http_code}' "http://$HTTP_EP/v1/events?cursor=x1")
assert_eq "$code" 400 "a bad cursor"
assert_contains "$(cat "$T/bad.out")" "cursor=x1: not a cursor" "the bad cursor named"
code=$(curl -s -o "$T/bad.out" -w '%{http_code}' "http://$HTTP_EP/v1/events?run=nope")
assert_eq "$code" 404 "an unknown run"

# submit --wait: ends with the run's status, without polling.
start=$(date +%s%N)
run_rota 0 -- submit "$FIXTURES/short.yaml" --target w1 --wait
elapsed=$((($(date +%s%N) - start) / 1000000))
echo "submit --wait took ${elapsed} ms"
pass "logs -f, SSE and submit --wait follow a run across a coordinator restart"
