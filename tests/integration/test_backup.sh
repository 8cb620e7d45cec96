#!/usr/bin/env bash
# test_backup: `rota backup` taken while the fault suite's marker workload
# runs (CURVE on, real workers): each backup restored with
# `rota-coordinator --restore`, and a coordinator started on it (--read-only)
# answers and counts the runs the backup holds. Every run the coordinator
# had acknowledged before the backup began is in it, every run that had
# ended is there as it ended (its status and its ended steps), and no run
# that ended is half-written (no step of it still pending or running).
FAULT_STEPS=${FAULT_STEPS:-3}
FAULT_RUNS=${FAULT_RUNS:-2}
FAULT_GAP=${FAULT_GAP:-0.3}
FAULT_MIN_EXECUTED=${FAULT_MIN_EXECUTED:-12}
. "$(dirname "$0")/../fault/lib.sh"
FAULT_WORKERS=(w1 w2)

fault_setup
fault_start_coordinator
fault_start_workers
fault_workload_start
mkdir -p "$T/backups"
: >"$T/empty.conf"

# What the coordinator had acknowledged and ended when the backup began.
ended_runs() {
	sqlite3 -batch -noheader "$1" "SELECT r.id || ':' || r.status || ':' ||
		(SELECT COUNT(*) FROM step_runs s WHERE s.run_id = r.id AND s.status >= 4)
		FROM runs r WHERE r.status >= 3 ORDER BY r.id"
}

for n in 1 2; do
	# One more run acknowledged (and one more ended) before each backup.
	wait_for "[ \$(cat '$T/submitted' 2>/dev/null | wc -l) -ge $n ]" 20 "run $n to be submitted"
	wait_for "[ \$(store 'SELECT COUNT(*) FROM runs WHERE status >= 3') -ge $n ]" 30 "run $n to end"
	cp "$T/submitted" "$T/acked-$n"
	ended_runs "$T/data/rota.db" >"$T/ended-$n"
	run_rota 0 -- backup "$T/backups/b$n.db"
	assert_contains "$OUT" "checksum" "rota backup's answer"
	[ -f "$T/backups/b$n.db" ] && [ -f "$T/backups/b$n.db.sha256" ] ||
		fail "backup $n: no file or no checksum"
	(cd "$T/backups" && sha256sum -c --quiet "b$n.db.sha256") ||
		fail "backup $n: sha256sum -c disagrees with its checksum"
done
# The coordinator kept working through the backups: the workload ends.
fault_workload_wait 60
run_rota 0 -- status
has_line "$OUT" "^backup +ok: $T/backups/b2.db at " "rota status"

for n in 1 2; do
	out=$("$ROTA_BIN/rota-coordinator" --restore "$T/backups/b$n.db" --data-dir "$T/r$n" 2>&1) ||
		fail "restore $n: $out"
	db=$T/r$n/rota.db
	while read -r id; do
		[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM runs WHERE id = '$id'")" = 1 ] ||
			fail "backup $n lacks run $id, acknowledged before it began"
	done <"$T/acked-$n"
	# Each run that had ended is there as it was (status, ended steps).
	ended_runs "$db" >"$T/restored-$n"
	missing=$(comm -23 "$T/ended-$n" "$T/restored-$n")
	[ -z "$missing" ] || fail "backup $n: runs not as they ended: $missing"
	half=$(sqlite3 "$db" "SELECT COUNT(*) FROM runs r JOIN step_runs s ON s.run_id = r.id
		WHERE r.status >= 3 AND s.status IN (1, 2, 3)")
	assert_eq "$half" 0 "backup $n: steps pending or running in runs that ended"
	runs=$(sqlite3 "$db" "SELECT COUNT(*) FROM runs")
	assert_contains "$out" "$runs runs" "restore $n's report"

	# A coordinator on it answers, read-only, and counts the same runs.
	"$ROTA_BIN/rota-coordinator" --data-dir "$T/r$n" --read-only --http 127.0.0.1:0 \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		--runbooks "$RUNBOOKS" >>"$T/readonly.log" 2>&1 &
	ro=$!
	PIDS+=("$ro")
	wait_for "[ -f '$T/r$n/endpoints' ]" 10 "the read-only coordinator on backup $n"
	ep=$(sed -n 's/^api=//p' "$T/r$n/endpoints")
	json=$(ROTA_CONFIG=$T/empty.conf "$ROTA_BIN/rota" --coordinator "$ep" status --json) ||
		fail "the coordinator on backup $n does not answer"
	assert_contains "$json" "\"runs_total\":$runs" "status of the coordinator on backup $n"
	assert_contains "$json" '"coordinator_role":"read-only"' "its role"
	set +e
	err=$(ROTA_CONFIG=$T/empty.conf "$ROTA_BIN/rota" --coordinator "$ep" runs 2>&1)
	rc=$?
	set -e
	assert_eq "$rc" 4 "rota runs on a read-only coordinator: exit code"
	assert_contains "$err" "this coordinator was started --read-only" "rota runs on it"
	http=$(sed -n 's/^http=//p' "$T/r$n/endpoints")
	code=$(curl -s -o "$T/alert.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary '{"alerts":[]}' "http://$http/v1/alerts/alertmanager")
	assert_eq "$code" 503 "an alert posted to the read-only coordinator"
	assert_contains "$(cat "$T/alert.out")" "started --read-only" "its answer"
	kill -TERM "$ro"
	wait_exit "$ro" 10 || fail "the read-only coordinator does not stop"
	assert_eq "$(sqlite3 "$db" "SELECT COUNT(*) FROM runs")" "$runs" "runs after it stopped"
done
fault_check backup 0
pass "2 backups taken while $(wc -l <"$T/submitted") runs went on; each restored, checked and counted"
