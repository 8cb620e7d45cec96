# Many Server-Sent Events streams from one address (a room of operators
# behind one proxy, or a benchmark's followers): 24 streams from 127.0.0.1,
# more than the 16 ordinary connections an address keeps, all stay open and
# all get each event; an ordinary request is still answered meanwhile. A
# stream that was cut would come back from its Last-Event-ID, so cutting
# them by the ordinary limits made 100 followers reconnect without end.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
N=24
streams=()
for k in $(seq $N); do
	curl -sN "http://$HTTP_EP/v1/events" >"$T/s$k.out" 2>/dev/null &
	streams+=($!)
	PIDS+=($!)
done
wait_for "[ \$(grep -l '^retry: 1000' $T/s*.out 2>/dev/null | wc -l) -eq $N ]" 15 \
	"all $N streams to start"
# Every stream gets the next event: a worker coming up.
start_worker w1
wait_for "[ \$(grep -l '^event: worker' $T/s*.out | wc -l) -eq $N ]" 15 \
	"the worker's event on all $N streams"
out=$(curl -sS --max-time 5 "http://$HTTP_EP/healthz" 2>&1) || fail "/healthz: $out"
assert_contains "$out" "ok leader" "/healthz beside $N streams"
for k in $(seq $N); do
	kill -0 "${streams[$((k - 1))]}" 2>/dev/null ||
		fail "stream $k was closed: $(tail -c 300 "$T/s$k.out")"
done
if grep -q 'gave way' "$T/coordinator.log"; then
	fail "streams were cut: $(grep 'gave way' "$T/coordinator.log" | head -3)"
fi
for pid in "${streams[@]}"; do kill "$pid" 2>/dev/null || true; done
pass "$N event streams from one address stay open and all get each event"
