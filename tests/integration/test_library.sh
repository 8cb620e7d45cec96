# The shipped runbook library (runbooks/): every file lints clean with the
# real rota binary, says which of the operators' procedures it automates,
# and is named after its file. Then three of them run end to end on a
# worker on this host: daily-health-check with its opt-in checks left off
# (the demo's runbook), monthly-infrastructure-review up to its sign-off
# and through `rota approve`, and quarterly-dr-test restoring a small
# backup and cleaning up after itself.
. "$(dirname "$0")/lib.sh"
rota_setup

LIB=$ROTA_SOURCE_DIR/runbooks
set +e
out=$(rota lint "$LIB"/*.yaml 2>&1)
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "rota lint of the shipped runbooks exited $rc:
$out"
n=$(ls "$LIB"/*.yaml | wc -l)
assert_eq "$out" "ok: $n files" "rota lint of the library: no errors, no warnings"
for f in "$LIB"/*.yaml; do
	b=$(basename "$f" .yaml)
	head -n 1 "$f" | grep -q '^# Automates: .' ||
		fail "$b.yaml does not start with '# Automates: <the procedure it automates>'"
	grep -qx "name: $b" "$f" || fail "$b.yaml does not declare 'name: $b'"
done
pass "all $n shipped runbooks lint clean and name their procedure"

# Step statuses, as the store numbers them (rota.proto StepStatus).
SUCCEEDED=4
FAILED=5
SKIPPED=8
WAITING=11
RUN_SUCCEEDED=3

# last_status RUN STEP: the status of the step's last attempt on w1.
last_status() {
	store "SELECT status FROM step_runs WHERE run_id = '$1' AND step_id = '$2' AND host = 'w1'
	       ORDER BY attempt DESC LIMIT 1"
}
newest_run() {
	store "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1"
}

start_coordinator
start_worker w1 --label role=web --label backups=yes
wait_workers 1

# The demo's runbook. Thresholds that depend on how busy the test machine
# is are relaxed, and the log checks look at a directory of the test's own;
# the URLs, services, backups and restart are left at their defaults (off).
mkdir -p "$T/logs"
set +e
out=$(rota submit daily-health-check --target w1 --wait \
	-p max_cpu_pct=100 -p max_memory_pct=100 -p cpu_sample_seconds=1 -p disk_min_free_pct=1 \
	-p log_dir="$T/logs" -p logrotate_state= 2>&1)
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "daily-health-check with its defaults did not pass on this host (exit $rc):
$out"
run=$(newest_run)
for s in services disk resources log_rotation backups; do
	assert_eq "$(last_status "$run" "$s")" "$SUCCEEDED" "daily-health-check step $s"
done
# Opt-in checks: the gates fail without failing the host, the checks skip.
assert_eq "$(last_status "$run" health_configured)" "$FAILED" "gate health_configured"
assert_eq "$(last_status "$run" metrics_configured)" "$FAILED" "gate metrics_configured"
for s in health error_rate latency restart recheck; do
	assert_eq "$(last_status "$run" "$s")" "$SKIPPED" "daily-health-check step $s"
done
pass "daily-health-check passes with its service checks off, skipping them"

# A manual step: the review waits at its sign-off until it is approved.
rota submit monthly-infrastructure-review --target w1 \
	-p max_disk_used_pct=100 -p max_inode_used_pct=100 -p max_memory_used_pct=100 \
	-p max_cpu_busy_pct=100 -p report_dir="$T/capacity" >"$T/review.out" 2>&1 ||
	fail "monthly-infrastructure-review was refused: $(cat "$T/review.out")"
run=$(newest_run)
wait_for '[ "$(last_status "$run" sign_off)" = "$WAITING" ]' 60 "the review's sign-off to wait"
for s in disk inodes memory cpu processes; do
	assert_eq "$(last_status "$run" "$s")" "$SUCCEEDED" "review step $s"
done
[ -s "$T/capacity/capacity-history.tsv" ] || fail "the review kept no disk history"
out=$(rota approve "$run" sign_off --note "capacity plan updated" 2>&1) ||
	fail "rota approve: $out"
assert_contains "$out" "approved" "rota approve"
wait_for '[ "$(run_status "$run")" = "$RUN_SUCCEEDED" ]' 30 "the approved review to succeed"
pass "monthly-infrastructure-review waits for its sign-off and finishes on rota approve"

# The DR test restores a small backup into a scratch directory of its run,
# verifies it and always removes the scratch copy.
mkdir -p "$T/backups/src/saved_models" "$T/scratch"
echo model >"$T/backups/src/saved_models/model.bin"
(cd "$T/backups/src" && sha256sum saved_models/model.bin >SHA256SUMS &&
	tar -czf "$T/backups/models-1.tar.gz" SHA256SUMS saved_models)
set +e
out=$(rota submit quarterly-dr-test --target w1 --wait \
	-p backup_dir="$T/backups" -p scratch_dir="$T/scratch" -p scratch_min_free=1M \
	-p verify_paths=saved_models/model.bin -p verify_command="sha256sum -c SHA256SUMS" \
	-p report_dir="$T/dr" 2>&1)
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "quarterly-dr-test (exit $rc): $out"
run=$(newest_run)
for s in pick space restore verify record cleanup passed; do
	assert_eq "$(last_status "$run" "$s")" "$SUCCEEDED" "DR test step $s"
done
[ -z "$(ls -A "$T/scratch")" ] || fail "the DR test left its scratch copy: $(ls -A "$T/scratch")"
grep -q "models-1.tar.gz" "$T/dr/dr-history.tsv" || fail "the DR test recorded no recovery time"
pass "quarterly-dr-test restores, verifies, records and cleans up"
