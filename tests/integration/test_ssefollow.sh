# The benchmark's SSE followers keep working: 20 clients of one
# rota-ssefollow process follow a run on a real worker that writes 2,000
# lines, and each of them reads every event of the run to its end (the
# run's last event), with no stream cut; the counts it prints are what the
# store holds: 20 times the run's events, and at least 20 times its output.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1
cat >"$T/lines.yaml" <<'YAML'
name: lines
steps:
  - id: write
    shell: "seq 1 2000 | sed 's/^/line /'"
YAML
run=$(rota submit "$T/lines.yaml" --target w1 | head -n 1)
[ -n "$run" ] || fail "submit gave no run id"
"$ROTA_BIN/rota-ssefollow" "$HTTP_EP" "$run" 20 "$T/stop" "$(patience 30)" over \
	>"$T/follow.out" 2>"$T/follow.err" &
FPID=$!
PIDS+=("$FPID")
wait_exit "$FPID" 30 || fail "the followers did not all read the run's end"
wait "$FPID" || fail "rota-ssefollow failed: $(cat "$T/follow.err")"
read -r bytes events resyncs streams _ <"$T/follow.out" ||
	fail "rota-ssefollow printed nothing: $(cat "$T/follow.err")"
assert_eq "$(run_status "$run")" 3 "the run succeeded"
want=$(store "SELECT COUNT(*) FROM events WHERE run_id = '$run'")
assert_eq "$events" $((20 * want)) "events read by 20 followers (the run has $want)"
assert_eq "$resyncs" 0 "streams resynced"
[ "$streams" -ge 20 ] || fail "$streams streams for 20 followers"
out=$(seq 1 2000 | sed 's/^/line /' | wc -c)
[ "$bytes" -ge $((20 * out)) ] || fail "$bytes bytes read, less than 20 x $out of output"
pass "20 SSE followers in one rota-ssefollow read all $want events of a run to its end"
