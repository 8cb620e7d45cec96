# The fleet simulator keeps working: 100 simulated workers in one
# rota-fleetsim process connect to a real coordinator, and a one-step noop
# runbook submitted to all of them ends succeeded on every host; a shell
# step with output and simulated failures is recorded per host too.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
"$ROTA_BIN/rota-fleetsim" --coordinator "$WORKER_EP" --workers 100 --labels role=sim,zone=a \
	--step-ms 20 --output --fail-pct 50 --ready-file "$T/fleet.ready" \
	>>"$T/fleetsim.log" 2>&1 &
PIDS+=($!)
wait_for "[ -f '$T/fleet.ready' ]" 20 "100 simulated workers welcomed"
wait_workers 100
workers=$(rota workers)
assert_eq "$(grep -c ' connected ' <<<"$workers")" 100 "connected workers"
has_line "$workers" '^sim-100 ' "rota workers"

cat >"$T/noop.yaml" <<'YAML'
name: fleet-noop
steps:
  - id: nothing
    noop: {}
YAML
run_rota 0 -- submit "$T/noop.yaml" --target all --wait
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
assert_eq "$(run_status "$run")" 3 "noop run status (succeeded)"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND status = 4")" 100 \
	"noop steps succeeded"
rota runs | grep -E "^$run +adhoc:fleet-noop +manual +succeeded +100/0/100 " >/dev/null ||
	fail "rota runs line: $(rota runs)"

# Half of the shell steps fail (exit 1); every host's output line is kept.
cat >"$T/shell.yaml" <<'YAML'
name: fleet-shell
steps:
  - id: work
    shell: "echo never run by the simulator"
YAML
run_rota 1 -- submit "$T/shell.yaml" --target role=sim --wait
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND status IN (4, 5)")" 100 \
	"shell steps ended succeeded or failed"
failed=$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND status = 5")
[ "$failed" -gt 10 ] && [ "$failed" -lt 90 ] || fail "$failed of 100 shell steps failed (--fail-pct 50)"
assert_eq "$(store "SELECT COUNT(*) FROM outputs o JOIN step_runs s ON s.id = o.step_run WHERE s.run_id = '$run'")" 100 \
	"one output line per host"
pass "100 simulated workers connected; noop on all hosts succeeded; shell output and failures recorded"
