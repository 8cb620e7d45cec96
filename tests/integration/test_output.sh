# Output is streamed while a step runs (not at exit), and a step's stored
# output is capped: its first and last lines are kept, with one note saying
# how much was dropped between them.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator --output-limit 4096
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/stream.yaml" --target w1)
seen_running=no
end=$((SECONDS + $(patience 20)))
while [ $SECONDS -lt $end ]; do
	out=$(store "SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run' AND s.step_id = 'slow' AND $(sql_text o.data) LIKE 'first%'")
	st=$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'slow'")
	if [ "$out" = 1 ]; then
		[ "$st" = 3 ] && seen_running=yes
		touch "$T/stream.go"
		break
	fi
	sleep 0.1
done
assert_eq "$seen_running" yes "first line stored while the step was running"
logs=$(rota logs "$run" -f)
assert_contains "$logs" "w1 slow | first" "logs -f"
assert_contains "$logs" "w1 slow | second" "logs -f"
assert_contains "$logs" "w1 flood | the-first-line" "the head of the flood step"
assert_contains "$logs" "w1 flood | the-last-line" "the tail of the flood step"
assert_contains "$logs" "bytes of output dropped here; the first and the last 1920 bytes are kept" \
	"the note between head and tail"
assert_eq "$(run_status "$run")" 3 "run status (succeeded)"
# The bytes kept, as sent (stored packed, so not LENGTH(data)).
bytes=$(store "SELECT output_bytes FROM step_runs WHERE run_id = '$run' AND step_id = 'flood'")
[ "$bytes" -le 4096 ] && [ "$bytes" -ge 3840 ] || fail "bytes kept for the flood step: $bytes, not 3840-4096"
assert_eq "$(echo "$logs" | grep -c 'bytes of output dropped here')" 1 "notes"
pass "output streamed while running; capped at 4096 bytes, head and tail kept with one note"
