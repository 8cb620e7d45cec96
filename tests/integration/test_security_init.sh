# The documented set-up end to end with CURVE on: rota-coordinator --init,
# two workers given keys with rota keygen and listed in authorized_workers/
# (SIGHUP, no restart), a runbook of the library submitted with the admin
# key that --init wrote into the CLI configuration.
. "$(dirname "$0")/lib.sh"
rota_setup
"$ROTA_BIN/rota-coordinator" --init "$T/data" >"$T/init.out"
grep -q "authorized_workers" "$T/init.out" || fail "--init did not say what to do next"
export ROTA_CONFIG=$T/data/cli.conf
start_coordinator
for w in w1 w2; do
	rota keygen "$w" --out "$T/$w" >/dev/null
	cp "$T/$w/$w.key" "$T/data/authorized_workers/$w"
done
kill -HUP "$COORD_PID"
wait_for "grep -q 'CURVE on: 2 worker key' '$T/coordinator.log'" 10 "the keys reloaded"
for w in w1 w2; do
	start_worker "$w" --label role=web --key "$T/$w/$w.key_secret" \
		--coordinator-key "$T/data/coordinator.key"
done
wait_workers 2

set +e
out=$(rota submit daily-health-check --target role=web --wait 2>&1)
rc=$?
set -e
# The checks may fail on a test machine (its CPU, its logs); the run must
# have run everywhere, over CURVE.
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "submit --wait: exit $rc: $out"
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$run" ] || fail "no run listed"
assert_eq "$(store "SELECT COUNT(DISTINCT host) FROM step_runs WHERE run_id = '$run' AND dispatched = 1")" 2 \
	"hosts the run was dispatched to"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND status IN (7, 12)")" 0 \
	"steps lost or unreachable"
# Each worker says it runs under CURVE, with its own key, and never warns
# that it talks without one.
for w in w1 w2; do
	grep -q "CURVE on: key $T/$w/$w.key_secret" "$T/worker-$w.log" || fail "$w does not say it runs under CURVE"
	grep -q "no --key" "$T/worker-$w.log" && fail "$w ran without CURVE"
done
pass "--init, keygen, SIGHUP, two workers and a submit, all over CURVE"
