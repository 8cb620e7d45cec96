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
# A step held running on w1 when the store fills: its result comes while
# nothing can be stored, and must stay in w1's spool.
fault_hold w1
prlimit --pid "$COORD_PID" --fsize=0:unlimited || fail "prlimit"
echo "store full at $((SECONDS - FAULT_T0)) s" >>"$T/faults"
fault_release w1
wait_for "grep -q 'could not be committed' '$T/coordinator.log'" 20 "a turn to fail to commit"
run_rota 4 -- submit fault-workload --target all
assert_contains "$ERR" "cannot write its store" "a submit while the store is full"
run_rota 0 -- runs
assert_contains "$OUT" "fault-workload" "rota runs while the store is full"
spool_w1() { sqlite3 "$T/spool-w1/spool.db" 'SELECT COUNT(*) FROM results' 2>/dev/null || echo 0; }
wait_for "[ \"\$(spool_w1)\" -gt 0 ]" 20 "the held step's result to wait in w1's spool while the store is full"
sleep 2 # the store stays full a while: nothing spooled may be acknowledged meanwhile
kill -0 "$COORD_PID" 2>/dev/null || fail "the coordinator died with its store full"
spooled=0
for w in "${FAULT_WORKERS[@]}"; do
	spooled=$((spooled + $(sqlite3 "$T/spool-$w/spool.db" 'SELECT COUNT(*) FROM results')))
done
[ "$(spool_w1)" -gt 0 ] || fail "a result was acknowledged (gone from w1's spool) while the store is full"
prlimit --pid "$COORD_PID" --fsize=unlimited:unlimited || fail "prlimit"
echo "store freed at $((SECONDS - FAULT_T0)) s ($spooled results were spooled)" >>"$T/faults"

fault_workload_wait 90
fault_check store-full 0
grep -q "writable again" "$T/coordinator.log" || fail "the coordinator did not say its store is writable again"
pass "a full store refused work, acknowledged nothing it did not store, and recovered"
