# Fault 4: the coordinator's store cannot grow mid-workload (a file-size
# limit of 0 on the running coordinator: every write fails with EFBIG, as on
# a full disk, without root or a special filesystem), then can again.
# Meanwhile the coordinator stays up, refuses new work with a clear error,
# still answers reads, and acknowledges nothing it did not store (the
# workers keep their results spooled); once freed, the workload completes
# with nothing lost and nothing run twice.
. "$(dirname "$0")/lib.sh"
fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start

sleep "$((2 + RANDOM % 3)).$((RANDOM % 10))"
prlimit --pid "$COORD_PID" --fsize=0:unlimited || fail "prlimit"
echo "store full at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
wait_for "grep -q 'could not be committed' '$T/coordinator.log'" 20 "a turn to fail to commit"
run_rota 4 -- submit fault-workload --target all
assert_contains "$ERR" "cannot write its store" "a submit while the store is full"
run_rota 0 -- runs
assert_contains "$OUT" "fault-workload" "rota runs while the store is full"
sleep 1
spooled=0
for w in "${FAULT_WORKERS[@]}"; do
	spooled=$((spooled + $(sqlite3 "$T/spool-$w/spool.db" 'SELECT COUNT(*) FROM results')))
done
[ "$spooled" -gt 0 ] || fail "no result waits in a worker spool while the store is full"
sleep 2
kill -0 "$COORD_PID" 2>/dev/null || fail "the coordinator died with its store full"
prlimit --pid "$COORD_PID" --fsize=unlimited:unlimited || fail "prlimit"
echo "store freed at $((SECONDS - FAULT_T0)) s ($spooled results were spooled)" >>"$T/faults"

fault_workload_wait 90
fault_check store-full 0
grep -q "writable again" "$T/coordinator.log" || fail "the coordinator did not say its store is writable again"
pass "a full store refused work, acknowledged nothing it did not store, and recovered"
