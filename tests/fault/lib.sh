# Shared helpers for the fault-injection scenarios (tests/fault/test_*.sh).
# Each scenario runs the same workload — FAULT_RUNS runs of FAULT_STEPS short
# shell steps on 4 workers, submitted one every FAULT_GAP seconds — injects
# its fault while the workload runs, waits (bounded) for every run to end and
# for every worker spool to empty, and then compares the store with what the
# workers actually executed.
#
# What was executed: every step appends one line to
# $ROTA_TEST_TMP/markers/RUN.STEP.HOST each time a shell runs it, so an
# attempt executed twice shows as two lines. What was recorded: the
# step_runs rows (one per attempt, UNIQUE (run, step, host, attempt)).
# The workload lasts until the faults are injected: the submitter goes on
# submitting (FAULT_RUNS runs at least, FAULT_RUNS_MAX at most) until
# fault_workload_wait says every fault is in, so a fault is never injected
# into a workload that has already ended. A scenario that must catch a step
# in the middle holds it: fault_hold HOST makes every step on HOST wait
# (running) until fault_release HOST, and returns once one does.
#
# Source it after nothing else; it sources ../integration/lib.sh.
#
# Every scenario runs with CURVE on (issue 6): the coordinator's data
# directory is made by --init, each worker has its own listed key, and rota
# uses the admin key --init wrote. FAULT_PLAIN=1 runs one without keys (the
# garbage scenario: under CURVE a garbage frame never gets past the
# handshake, so the frame checks would go untested).
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

FAULT_RUNS=${FAULT_RUNS:-6}
FAULT_STEPS=${FAULT_STEPS:-10}
FAULT_GAP=${FAULT_GAP:-1.5}
FAULT_RUNS_MAX=${FAULT_RUNS_MAX:-60}
FAULT_WORKERS=(w1 w2 w3 w4)
# The step that must never run twice (idempotent: false, so no retries).
FAULT_ONCE_STEP=s05
COORD_FLAGS=()

# fault_setup: temporary directory, marker directory and the workload
# runbook (served from $T/runbooks).
fault_setup() {
	rota_setup
	local w
	if [ -z "${FAULT_PLAIN:-}" ]; then
		secure_init
		for w in "${FAULT_WORKERS[@]}"; do worker_key "$w" authorize; done
	fi
	mkdir -p "$T/markers" "$T/runbooks"
	export RUNBOOKS=$T/runbooks
	local f=$T/runbooks/fault-workload.yaml i id
	{
		echo "name: fault-workload"
		echo "description: short steps that leave a line per execution"
		echo "steps:"
		for i in $(seq "$FAULT_STEPS"); do
			id=$(printf 's%02d' "$i")
			echo "  - id: $id"
			echo "    timeout: 30s"
			if [ "$id" = "$FAULT_ONCE_STEP" ]; then
				echo "    idempotent: false"
			else
				echo "    retries: { count: 3, backoff: 0s }"
			fi
			echo "    shell: |"
			echo "      echo \"\$\$\" >> \"\$ROTA_TEST_TMP/markers/\"{{ run.id }}.$id.{{ host.id }}"
			echo "      while [ -e \"\$ROTA_TEST_TMP/hold-\$ROTA_HOST\" ]; do sleep 0.05; done"
			echo "      sleep 0.2"
		done
	} >"$f"
	"$ROTA_BIN/rota" lint "$f" >/dev/null || fail "the workload runbook does not lint"
}

# fault_start_coordinator [flags...]: like start_coordinator, with the flags
# remembered for fault_restart_coordinator, and the coordinator's output
# written through a pipe (so a file-size limit on the coordinator does not
# touch its log).
fault_start_coordinator() {
	COORD_FLAGS=("$@")
	local wport aport
	read -r wport aport < <(stable_ports 2)
	fault_launch_coordinator --worker-endpoint "tcp://127.0.0.1:$wport" \
		--api-endpoint "tcp://127.0.0.1:$aport" "${COORD_FLAGS[@]}"
}

# fault_restart_coordinator: the same flags, the same endpoints. Kill or
# stop the old one first.
fault_restart_coordinator() {
	fault_launch_coordinator --worker-endpoint "$WORKER_EP" --api-endpoint "$API_EP" \
		"${COORD_FLAGS[@]}"
}

fault_launch_coordinator() {
	local data=$T/data
	touch "$T/coordinator.start"
	sleep 0.01
	"$ROTA_BIN/rota-coordinator" --data-dir "$data" --runbooks "$RUNBOOKS" --http 127.0.0.1:0 \
		"${STORE_FLAGS[@]}" "$@" \
		> >(cat >>"$T/coordinator.log") 2>&1 &
	COORD_PID=$!
	PIDS+=("$COORD_PID")
	local end=$((SECONDS + $(patience 10)))
	while [ $SECONDS -lt $end ]; do
		if [ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/coordinator.start" ]; then
			break
		fi
		kill -0 "$COORD_PID" 2>/dev/null || fail "coordinator exited at start"
		sleep 0.05
	done
	[ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/coordinator.start" ] ||
		fail "coordinator wrote no endpoints file"
	WORKER_EP=$(sed -n 's/^worker=//p' "$data/endpoints")
	API_EP=$(sed -n 's/^api=//p' "$data/endpoints")
	export ROTA_COORDINATOR=$API_EP
}

# fault_kill_coordinator: SIGKILL, and reap it.
fault_kill_coordinator() {
	kill -KILL "$COORD_PID" 2>/dev/null || true
	wait "$COORD_PID" 2>/dev/null || true
}

# fault_start_worker ID: a worker under its own key (fault_setup made it).
fault_start_worker() {
	if [ -n "${FAULT_PLAIN:-}" ]; then
		start_worker "$1"
	else
		start_secure_worker "$1" "$1"
	fi
}

fault_start_workers() {
	local w
	for w in "${FAULT_WORKERS[@]}"; do fault_start_worker "$w"; done
	wait_workers "${#FAULT_WORKERS[@]}"
}

# fault_kill_worker ID: SIGKILL it, and reap it.
fault_kill_worker() {
	local var="WORKER_PID_${1//-/_}"
	kill -KILL "${!var}" 2>/dev/null || true
	wait "${!var}" 2>/dev/null || true
}

# fault_submit_all: submits the workload, one run every FAULT_GAP seconds,
# FAULT_RUNS runs and then more until $T/faults.done exists (every fault is
# injected; FAULT_RUNS_MAX at most), retrying a submit the coordinator could not answer (it may be down or
# stopped). Run it in the background; it writes the run ids it was given to
# $T/submitted and "done" to $T/submit.done. A submit whose answer was lost
# after its run was stored is retried too, so the store may hold a run more
# than $T/submitted: the checks read the store.
fault_submit_all() {
	local i=0 out tries
	while [ $i -lt "$FAULT_RUNS" ] || { [ ! -f "$T/faults.done" ] && [ $i -lt "$FAULT_RUNS_MAX" ]; }; do
		i=$((i + 1))
		# Like a careful operator: submit when the fleet is connected. A
		# worker that is not connected (yet) when a run starts is put on
		# it as unreachable (docs/decisions.md), and a coordinator that
		# restarted or could not write its store waits for its workers to
		# say Hello again. Bounded (patience 15: 45 s), then submit anyway.
		local end=$((SECONDS + $(patience 15)))
		while [ $SECONDS -lt $end ]; do
			[ "$("$ROTA_BIN/rota" workers 2>/dev/null | grep -c ' connected ' || true)" -ge \
				"${#FAULT_WORKERS[@]}" ] && break
			sleep 0.1
		done
		tries=0
		until out=$("$ROTA_BIN/rota" submit fault-workload --target all 2>>"$T/submit.err"); do
			tries=$((tries + 1))
			[ $tries -lt 40 ] || { echo "gave up" >"$T/submit.done"; return 1; }
			sleep 0.5
		done
		echo "$out" >>"$T/submitted"
		sleep "$FAULT_GAP"
	done
	echo done >"$T/submit.done"
}

# fault_workload_start: the submitter in the background (FAULT_SUBMITTER).
fault_workload_start() {
	rm -f "$T/submit.done" "$T/submitted"
	fault_submit_all &
	FAULT_SUBMITTER=$!
	PIDS+=("$FAULT_SUBMITTER")
	FAULT_T0=$SECONDS
}

# fault_hold HOST: from now on every workload step on HOST waits, running,
# until fault_release HOST; returns once one is running there (so a fault
# injected next finds a step in the middle). The submitter keeps the
# workload going until fault_workload_wait, so one comes.
fault_hold() {
	touch "$T/hold-$1"
	wait_for "[ \"\$(store \"SELECT COUNT(*) FROM step_runs WHERE host = '$1' AND status = 3\")\" -gt 0 ]" \
		60 "a step running on $1"
}

# fault_release HOST: the steps held on HOST go on.
fault_release() {
	rm -f "$T/hold-$1"
}

# fault_workload_wait [SECONDS]: every fault is in (the submitter stops after
# FAULT_RUNS runs, or now if it has submitted more); then until it is done, every run in
# the store has ended and every worker's spool is empty (every result
# acknowledged). Bounded: fails after SECONDS (90 by default).
fault_workload_wait() {
	local secs=${1:-90}
	touch "$T/faults.done"
	rm -f "$T"/hold-*
	wait_for "[ -f '$T/submit.done' ]" "$secs" "the workload to be submitted"
	wait "$FAULT_SUBMITTER" || fail "the submitter gave up: $(tail -n 3 "$T/submit.err")"
	wait_for "[ \"\$(store 'SELECT COUNT(*) FROM runs WHERE status IN (1, 2)')\" = 0 ]" \
		"$secs" "every run to end"
	local w
	for w in "${FAULT_WORKERS[@]}"; do
		wait_for "[ \"\$(sqlite3 '$T/spool-$w/spool.db' 'SELECT COUNT(*) FROM results' 2>/dev/null)\" = 0 ]" \
			30 "$w's spool to empty (every result acknowledged)"
	done
	FAULT_ELAPSED=$((SECONDS - FAULT_T0))
}

# fault_check NAME EXPECT_LOST: compares the markers with the store and
# prints the scenario's summary line. EXPECT_LOST is a number (exact) or
# "any" (the scenario may legitimately lose steps; then every lost attempt
# must have been retried or belong to the idempotent: false step, and
# FAULT_LOST_HOSTS, if set, lists the only hosts allowed to lose one).
fault_check() {
	local name=$1 expect_lost=$2
	local sql=$T/check.sql f b n cut read_at
	# The markers are read (a few seconds under load) before the store,
	# and a schedule may fire meanwhile: a run still going while they are
	# read may record a step whose marker came too late for the list, and
	# would look recorded but never executed. So the runs checked are
	# those made before cut, given time to end (their ending is checked,
	# runs_open), and executions are compared only for runs that had ended
	# by read_at, taken just before the markers are read: a step writes
	# its marker before it exits, so every marker of such a run was
	# written before the list was taken. Any other run is left out of both.
	cut=$(date +%s%3N)
	local end=$((SECONDS + $(patience 20)))
	while [ $SECONDS -lt $end ] &&
		[ "$(store "SELECT COUNT(*) FROM runs WHERE created_ms < $cut AND status IN (1, 2)")" != 0 ]; do
		sleep 0.1
	done
	read_at=$(date +%s%3N)
	{
		echo "CREATE TEMP TABLE m (run_id TEXT, step_id TEXT, host TEXT, lines INTEGER);"
		echo "CREATE TEMP TABLE fruns AS SELECT * FROM runs WHERE created_ms < $cut;"
		echo "CREATE TEMP TABLE fended AS SELECT id FROM fruns WHERE status NOT IN (1, 2)"
		echo "  AND (CASE WHEN ended_ms > 0 THEN ended_ms ELSE created_ms END) < $read_at;"
		echo "CREATE TEMP TABLE fsteps AS SELECT * FROM step_runs WHERE run_id IN (SELECT id FROM fruns);"
		echo "CREATE TEMP TABLE esteps AS SELECT * FROM fsteps WHERE run_id IN (SELECT id FROM fended);"
		for f in "$T"/markers/*; do
			[ -f "$f" ] || continue
			b=${f##*/}
			n=$(wc -l <"$f")
			IFS=. read -r r s h <<<"$b"
			echo "INSERT INTO m VALUES ('$r', '$s', '$h', $n);"
		done
		echo "DELETE FROM m WHERE run_id NOT IN (SELECT id FROM fended);"
		# SQL both engines read (the store may be SQLite or PostgreSQL,
		# lib.sh's store): CASE, not a comparison summed as a number;
		# CASE, not MIN/MAX of two values; the temporary tables named
		# without a schema. lost_hosts is one row per host.
		cat <<'SQL'
CREATE TEMP TABLE k AS
  SELECT run_id, step_id, host,
         SUM(CASE WHEN status IN (4, 5, 6) THEN 1 ELSE 0 END) AS ran,
         SUM(CASE WHEN status = 7 THEN 1 ELSE 0 END) AS lost,
         COUNT(*) AS attempts, MAX(attempt) AS max_attempt
  FROM esteps GROUP BY run_id, step_id, host;
CREATE TEMP TABLE j AS
  SELECT k.*, COALESCE(m.lines, 0) AS lines FROM k LEFT JOIN m USING (run_id, step_id, host);
SELECT 'executed', COALESCE(SUM(lines), 0) FROM m;
SELECT 'recorded', COALESCE(SUM(CASE WHEN lines < ran + lost THEN lines ELSE ran + lost END), 0) FROM j;
SELECT 'duplicates', COALESCE(SUM(CASE WHEN lines > ran + lost THEN lines - ran - lost ELSE 0 END), 0)
  + (SELECT COALESCE(SUM(lines), 0) FROM m WHERE NOT EXISTS
       (SELECT 1 FROM k WHERE k.run_id = m.run_id AND k.step_id = m.step_id AND k.host = m.host))
  FROM j;
SELECT 'phantom', COALESCE(SUM(CASE WHEN ran > lines THEN ran - lines ELSE 0 END), 0) FROM j;
SELECT 'lost', COUNT(*) FROM fsteps WHERE status = 7;
SELECT 'unfinished', COUNT(*) FROM fsteps WHERE status IN (1, 2, 3, 11);
SELECT 'runs_open', COUNT(*) FROM fruns WHERE status IN (1, 2);
SELECT 'runs_failed', COUNT(*) FROM fruns WHERE status <> 3 AND id NOT IN
  (SELECT run_id FROM fsteps GROUP BY run_id
   HAVING SUM(CASE WHEN status NOT IN (4, 12) THEN 1 ELSE 0 END) = 0);
SELECT 'unreachable', COUNT(*) FROM fsteps WHERE status = 12;
SELECT 'runs', COUNT(*) FROM fruns;
SELECT 'gaps', COUNT(*) FROM k WHERE attempts <> max_attempt;
SELECT 'bad_retry', COUNT(*) FROM fsteps s JOIN k USING (run_id, step_id, host)
  WHERE s.attempt < k.max_attempt AND s.status NOT IN (5, 6, 7);
SELECT DISTINCT 'lost_host', host FROM fsteps WHERE status = 7;
SQL
		echo "SELECT 'once_twice', COUNT(*) FROM j WHERE step_id = '$FAULT_ONCE_STEP' AND (attempts > 1 OR lines > 1);"
		echo "SELECT 'lost_unretried', COUNT(*) FROM fsteps s JOIN k USING (run_id, step_id, host)"
		echo "  WHERE s.status = 7 AND s.attempt = k.max_attempt AND s.step_id <> '$FAULT_ONCE_STEP';"
	} >"$sql"
	local out
	out=$(store_script ' ' <"$sql") || fail "the check query failed"
	echo "$out" >"$T/check.out"
	local executed recorded duplicates phantom lost unfinished runs_open runs_failed runs
	local gaps bad_retry once_twice lost_unretried lost_hosts unreachable
	lost_hosts=$(awk '$1 == "lost_host" { printf "%s%s", sep, $2; sep = "," }' <<<"$out")
	eval "$(awk '$1 != "lost_host" { v = $2; for (i = 3; i <= NF; i++) v = v " " $i; printf "%s=\"%s\"\n", $1, v }' <<<"$out")"
	echo "fault $name: steps executed $executed, recorded $recorded, duplicates $duplicates, lost $lost" \
		"($runs runs, $unreachable unreachable, $((FAULT_ELAPSED)) s)"
	[ "$runs_open" = 0 ] || fail "$runs_open run(s) still open"
	[ "$unfinished" = 0 ] || fail "$unfinished step attempt(s) left pending/dispatched/running/waiting"
	[ "$duplicates" = 0 ] || fail "$duplicates execution(s) with no recorded attempt (executed twice without a retry)"
	[ "$phantom" = 0 ] || fail "$phantom attempt(s) recorded as run by a worker but never executed"
	[ "$executed" = "$recorded" ] || fail "executed $executed but recorded $recorded"
	[ "$gaps" = 0 ] || fail "$gaps step(s) with a gap in their attempt numbers"
	[ "$bad_retry" = 0 ] || fail "$bad_retry attempt(s) retried although they did not fail"
	[ "$executed" -ge "${FAULT_MIN_EXECUTED:-200}" ] || fail "only $executed steps executed (the workload must run ${FAULT_MIN_EXECUTED:-200} at least)"
	[ "$once_twice" = 0 ] || fail "the idempotent: false step ran or was attempted twice ($once_twice)"
	if [ "$expect_lost" = any ]; then
		[ "$lost_unretried" = 0 ] || fail "$lost_unretried lost attempt(s) never retried"
		if [ -n "${FAULT_LOST_HOSTS:-}" ] && [ -n "$lost_hosts" ]; then
			local h
			for h in ${lost_hosts//,/ }; do
				case " $FAULT_LOST_HOSTS " in
				*" $h "*) ;;
				*) fail "a step was lost on $h, which was not faulted" ;;
				esac
			done
		fi
	else
		if [ "$lost" != "$expect_lost" ]; then
			# Say why each attempt was declared lost: the detail is what
			# tells a frozen coordinator's grace from a worker's restart.
			fail "lost $lost, expected $expect_lost:
$(store "SELECT run_id || ' ' || step_id || ' ' || host || ' attempt ' || attempt || ': ' || COALESCE(detail, '')
       FROM step_runs WHERE status = 7 ORDER BY id")"
		fi
		# A run may fail only for hosts that were not connected when it
		# started (a race of the submitter with a restart; counted above).
		[ "$runs_failed" = 0 ] || fail "$runs_failed run(s) did not succeed"
	fi
	kill -0 "$COORD_PID" 2>/dev/null || fail "the coordinator is not running at the end"
}
