# A client that keeps many requests in flight gets every answer: 5,000
# submits with up to 1,000 unanswered at a time, to 100 simulated
# workers, three times over. The coordinator answers a turn's requests in
# one burst after its commit, and with libzmq's default queue of 1,000
# messages a peer, a burst to one client found the queue "full" (the
# client had read the earlier answers, but the socket had not yet been
# told) and the answers were dropped: the client waited in vain (about
# half of such series lost some). The coordinator's log says so if it
# happens again (rota_sends_dropped_total too).
. "$(dirname "$0")/lib.sh"
rota_setup
mkdir -p "$T/runbooks"
cat >"$T/runbooks/bench-noop.yaml" <<'YAML'
name: bench-noop
description: one noop step; the client names the host
steps:
  - id: nothing
    noop: {}
YAML
RUNBOOKS=$T/runbooks start_coordinator --heartbeat 30s
"$ROTA_BIN/rota-fleetsim" --coordinator "$WORKER_EP" --workers 100 --id-prefix sim- \
	--ready-file "$T/fleet.ready" >>"$T/fleetsim.log" 2>&1 &
PIDS+=($!)
wait_for "[ -f '$T/fleet.ready' ]" 20 "100 simulated workers welcomed"
wait_workers 100
for i in 1 2 3; do
	"$ROTA_BIN/rota-bench" count "$API_EP" "$T/data/rota.db" bench-noop sim- 100 5000 1000 \
		>"$T/count.$i" 2>&1 || fail "series $i: $(cat "$T/count.$i")"
	assert_eq "$(cat "$T/count.$i")" 5000 "runs ended in series $i"
done
if grep 'could not send' "$T/coordinator.log"; then
	fail "the coordinator dropped answers"
fi
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE status = 3")" 15000 "runs succeeded"
pass "15,000 submits with 1,000 in flight: every one answered and run"
