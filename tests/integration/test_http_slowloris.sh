# Slow HTTP clients (a "slowloris") cannot lock others out of the HTTP
# endpoint: 16 connections from each of 127.0.0.1-8 (more than the endpoint
# keeps open at once) trickle their headers one byte at a time. /healthz
# keeps answering from another address and from 127.0.0.1 itself, every
# slow connection is closed by the request deadline (http_request_deadline,
# short here), and the log says so in a bounded number of lines.
. "$(dirname "$0")/lib.sh"
rota_setup
DEADLINE_S=8
printf 'http_request_deadline: %ss\n' "$DEADLINE_S" >"$T/coordinator.yaml"
start_coordinator --config "$T/coordinator.yaml"
port=${HTTP_EP##*:}
curl -fsS "http://$HTTP_EP/healthz" >/dev/null || fail "/healthz before the test"

python3 "$ROTA_SOURCE_DIR/tests/tools/http_trickle.py" 127.0.0.1 "$port" --garbage 300 \
	127.0.0.1:16 127.0.0.2:16 127.0.0.3:16 127.0.0.4:16 127.0.0.5:16 \
	127.0.0.6:16 127.0.0.7:16 127.0.0.8:16 >"$T/trickle.out" 2>&1 &
trickler=$!
PIDS+=("$trickler")
wait_for "grep -q '^opened' '$T/trickle.out'" 60 "the slow connections to open"
opened=$(sed -n 's/^opened //p' "$T/trickle.out")
[ "$opened" -ge 64 ] || fail "only $opened slow connections opened: $(cat "$T/trickle.out")"

# While they trickle: /healthz answers from another loopback address and
# from the slow clients' own address (a Prometheus on the same host).
for src in 127.0.0.9 127.0.0.1 127.0.0.2; do
	out=$(curl -sS --max-time 5 --interface "$src" "http://$HTTP_EP/healthz" 2>&1) ||
		fail "/healthz from $src while slow clients hold connections: $out"
	assert_contains "$out" "ok leader" "/healthz from $src"
done
# ...and that was while they held their connections (before the deadline):
# the answer came because the oldest gave way, not because all had gone.
closed=$(grep -c '^closed' "$T/trickle.out" || true)
[ $((opened - closed)) -ge 64 ] ||
	fail "only $((opened - closed)) slow connections were still open when /healthz was asked"

# Every slow connection is closed by the coordinator: none outlives the
# deadline by much (the bound is generous for a busy machine).
wait_for "grep -q '^done' '$T/trickle.out'" 60 "the coordinator to close every slow connection"
longest=$(sed -n 's/^closed //p' "$T/trickle.out" | sort -n | tail -1)
python3 -c "import sys; sys.exit(0 if $longest <= $DEADLINE_S + 20 else 1)" ||
	fail "a slow connection lived ${longest}s with a ${DEADLINE_S}s deadline"
out=$(curl -sS --max-time 5 "http://$HTTP_EP/healthz" 2>&1) || fail "/healthz after: $out"
assert_contains "$out" "ok leader" "/healthz after"

# 300 malformed requests and 80 slow clients: a few lines, not hundreds.
lines=$(grep -c 'http:' "$T/coordinator.log" || true)
[ "$lines" -le 20 ] || fail "$lines HTTP log lines for one burst:
$(grep 'http:' "$T/coordinator.log" | head -30)"
grep -q 'deadline' "$T/coordinator.log" || fail "the log does not say slow connections were closed"
kill -0 "$COORD_PID" || fail "the coordinator died"
pass "slow clients were cut off at the deadline; /healthz kept answering; $lines log lines"
