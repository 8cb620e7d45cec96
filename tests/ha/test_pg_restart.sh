# HA fault 2 (docs/ha.md): PostgreSQL restarted in the middle of the
# workload of three coordinators and four workers. While the database is
# down, a submit is refused as unavailable (nothing is done: its runbook
# never runs) and, a lease later, no coordinator says it leads; once it is
# back, the coordinators recover by themselves (one leads, the workers find
# it) and the workload ends with every step executed once and recorded once.
# A step is held running on w1 across the outage, so a run is certainly in
# flight.
#
# The database server is this test's own (pgcluster.sh start in its
# directory): restarting the suite's shared cluster would break the tests
# running beside it.
. "$(dirname "$0")/lib.sh"
ha_require_pg
unset ROTA_TEST_PG_STATE # store_setup starts a cluster of its own
FAULT_STEPS=6
FAULT_GAP=2
FAULT_RUNS=10
FAULT_RUNS_MAX=200
ha_setup
cat >"$RUNBOOKS/ha-probe.yaml" <<'EOF'
name: ha-probe
description: submitted while the database is down; must never run
targets: { hosts: [w1] }
steps:
  - id: probe
    shell: |
      echo "$$" >> "$ROTA_TEST_TMP/markers/"{{ run.id }}.probe.{{ host.id }}
EOF

ha_start_all
ha_audit_install
fault_start_workers
fault_workload_start
ha_wait_workers
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM runs WHERE status = 3')\" -ge 2 ]" 30 \
	"two runs of the workload to succeed"
fault_hold w1

# probe: a submit while the database is down; it must be refused (and, per
# the issue, as unavailable: checked last, so that a failure there still
# shows the rest).
PROBES=0
UNAVAILABLE=0
probe() {
	PROBES=$((PROBES + 1))
	set +e
	rota submit ha-probe >"$T/probe.out" 2>"$T/probe.err"
	local rc=$?
	set -e
	echo "probe $PROBES: exit $rc: $(cat "$T/probe.out" "$T/probe.err")" >>"$T/probes"
	[ "$rc" != 0 ] || fail "a submit was accepted while the database was down: $(cat "$T/probe.out")"
	! grep -qi "unavailable" "$T/probe.err" || UNAVAILABLE=$((UNAVAILABLE + 1))
}

e0=$(ha_epoch)
bash "$PGCLUSTER" down || fail "could not stop PostgreSQL"
ha_note "PostgreSQL stopped (epoch $e0, $HA_LEADER leading)"
probe
# A lease after the database stopped confirming it, the leader steps down:
# nobody leads while the database is away.
wait_for "! ha_find_leader" 20 "the leader to step down without its database"
ha_note "no coordinator leads"
for c in "${HA_COORDS[@]}"; do
	echo "$c: /healthz $(ha_health "$c")" >>"$T/probes"
done
probe
# Down for longer than a lease (the outage's length, not an assertion).
sleep 3
probe
bash "$PGCLUSTER" up || fail "could not start PostgreSQL again"
ha_note "PostgreSQL started again"

# They recover by themselves.
ha_wait_leader
ha_note "$HA_LEADER leads (epoch $(ha_epoch))"
ha_wait_workers

fault_workload_wait 120
ha_wait_leader
fault_check ha-pg-restart 0
ha_audit_check
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE runbook = 'ha-probe'")" 0 \
	"runs of the runbook submitted while the database was down"
cat "$T/probes"
[ "$UNAVAILABLE" = "$PROBES" ] ||
	fail "$((PROBES - UNAVAILABLE)) of $PROBES submit(s) while the database was down were not refused as unavailable (ERR_UNAVAILABLE): $(cat "$T/probes")"
pass "PostgreSQL restarted mid-workload: submits refused meanwhile, recovered by itself, nothing lost, nothing run twice"
