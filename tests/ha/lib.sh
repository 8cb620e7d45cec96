# Shared helpers for the high-availability fault scenarios (tests/ha/test_*.sh,
# docs/ha.md): several coordinators on one PostgreSQL database, each with
# its own data directory and the group's one CURVE key pair, workers and
# rota given the list of all of them.
#
# The workload, its marker files and the final comparison are the fault
# suite's (tests/fault/lib.sh: fault_workload_start, fault_workload_wait,
# fault_check), so every scenario ends with the same line:
#     fault NAME: steps executed N, recorded N, duplicates 0, lost 0
#
# What no single-coordinator test can see, a commit by a coordinator that
# no longer leads, is audited in the database itself (ha_audit_install): a
# trigger on every table only a leader writes records, at COMMIT, which
# coordinator wrote (its connection's application_name, ha_<name>), from
# which session, and the lease's epoch and holder session at that moment;
# another records every change of epoch with its commit time. A rolled-back
# transaction leaves no audit row, so the audit holds exactly what was
# committed.
#
# Runs only against PostgreSQL (ctest's ha.* tests, with the suite's
# private cluster); under SQLite a script says why it is skipped.
. "$(dirname "${BASH_SOURCE[0]}")/../fault/lib.sh"

HA_COORDS=(c1 c2 c3)
# The shortest lease --lease takes: a frozen leader is replaced in a few
# seconds, so the whole suite fits its budget. The heartbeat stays the
# default: a new leader calls a step lost when its worker has not said
# Hello within 5 heartbeats of the takeover, and a worker's way to the new
# leader (the dead one refuses, a follower redirects, the backoff) takes a
# second or two.
HA_LEASE=${HA_LEASE:-2s}
HA_HEARTBEAT=${HA_HEARTBEAT:-1s}
HA_CONFIG=${HA_CONFIG:-}

# ha_require_pg: exits 0 with the reason when the store is not PostgreSQL.
ha_require_pg() {
	if [ "$ROTA_TEST_STORE" != postgresql ]; then
		echo "skipped: $TEST_NAME needs PostgreSQL (run it as ha.${TEST_NAME#test_}, or with" \
			"ROTA_TEST_STORE=postgresql)"
		exit 0
	fi
}

# ha_setup: the fault suite's set-up (a database of its own, keys, the
# workload runbook), then a data directory per coordinator holding the
# group's key pair, its workers' keys, its operators and the intake token,
# copied from the one --init made (docs/security.md: one key pair for a
# group of coordinators).
ha_setup() {
	ha_require_pg
	fault_setup
	local c
	for c in "${HA_COORDS[@]}"; do
		mkdir -p -m 700 "$T/$c"
		cp -a "$T/data/coordinator.key_secret" "$T/data/coordinator.key" \
			"$T/data/authorized_workers" "$T/data/operators.yaml" "$T/$c/"
		[ ! -f "$T/data/alertmanager.token" ] || cp -a "$T/data/alertmanager.token" "$T/$c/"
	done
}

# ha_url NAME: the store's URL for coordinator NAME (its connections name
# themselves ha_NAME, which the audit records).
ha_url() {
	echo "$STORE_URL?application_name=ha_$1"
}

# ha_start NAME [flags...]: starts coordinator NAME; the first time on free
# ports (remembered: HA_WORKER_<NAME>, HA_API_<NAME>, HA_HTTP_<NAME>), then
# on the same ones. Sets HA_PID_<NAME>. Its output goes to
# $T/coordinator-NAME.log.
ha_start() {
	local name=$1 data=$T/$1
	shift
	local wvar=HA_WORKER_$name avar=HA_API_$name hvar=HA_HTTP_$name wport aport hport
	read -r wport aport hport < <(stable_ports 3)
	local eps=(--worker-endpoint "${!wvar:-tcp://127.0.0.1:$wport}"
		--api-endpoint "${!avar:-tcp://127.0.0.1:$aport}" --http "${!hvar:-127.0.0.1:$hport}")
	local conf=()
	[ -z "$HA_CONFIG" ] || conf=(--config "$HA_CONFIG")
	touch "$T/$name.start"
	sleep 0.01
	"$ROTA_BIN/rota-coordinator" --id "$name" --data-dir "$data" --runbooks "$RUNBOOKS" \
		--store "$(ha_url "$name")" --lease "$HA_LEASE" --heartbeat "$HA_HEARTBEAT" \
		"${eps[@]}" "${conf[@]}" "$@" > >(cat >>"$T/coordinator-$name.log") 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "HA_PID_$name=$pid"
	local end=$((SECONDS + $(patience 10)))
	while [ $SECONDS -lt $end ]; do
		[ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/$name.start" ] && break
		kill -0 "$pid" 2>/dev/null || fail "coordinator $name exited at start"
		sleep 0.05
	done
	[ -f "$data/endpoints" ] && [ "$data/endpoints" -nt "$T/$name.start" ] ||
		fail "coordinator $name wrote no endpoints file"
	eval "HA_WORKER_$name=$(sed -n 's/^worker=//p' "$data/endpoints")"
	eval "HA_API_$name=$(sed -n 's/^api=//p' "$data/endpoints")"
	eval "HA_HTTP_$name=$(sed -n 's/^http=//p' "$data/endpoints")"
}

# ha_start_all [flags...]: every coordinator, c1 first (it makes the
# schema and leads); then the lists workers and rota are given (WORKER_EP,
# ROTA_COORDINATOR).
ha_start_all() {
	local c eps=() apis=()
	for c in "${HA_COORDS[@]}"; do
		ha_start "$c" "$@"
		[ "$c" != "${HA_COORDS[0]}" ] || ha_wait_leader
	done
	for c in "${HA_COORDS[@]}"; do
		local w=HA_WORKER_$c a=HA_API_$c
		eps+=("${!w}")
		apis+=("${!a}")
	done
	WORKER_EP=$(IFS=,; echo "${eps[*]}")
	export ROTA_COORDINATOR
	ROTA_COORDINATOR=$(IFS=,; echo "${apis[*]}")
}

# ha_health NAME [QUERY]: the HTTP status of NAME's /healthz (000 when it
# does not answer within 2 s: dead or frozen).
ha_health() {
	local var=HA_HTTP_$1
	curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://${!var}/healthz${2:-}" || true
}

ha_leads() { [ "$(ha_health "$1" '?role=leader')" = 200 ]; }
ha_follows() { [ "$(ha_health "$1" '?role=follower')" = 200 ]; }

# ha_alive NAME: its process runs (and is not a zombie).
ha_alive() {
	local var=HA_PID_$1
	[ -n "${!var:-}" ] && kill -0 "${!var}" 2>/dev/null &&
		[ "$(cut -d' ' -f3 "/proc/${!var}/stat" 2>/dev/null)" != Z ]
}

# ha_find_leader [EXCEPT]: sets HA_LEADER to the one coordinator (other
# than EXCEPT) whose /healthz?role=leader answers 200; returns 1 when none
# does.
ha_find_leader() {
	local c
	HA_LEADER=
	for c in "${HA_COORDS[@]}"; do
		[ "$c" != "${1:-}" ] || continue
		ha_alive "$c" || continue
		if ha_leads "$c"; then
			HA_LEADER=$c
			return 0
		fi
	done
	return 1
}

# ha_wait_leader [EXCEPT]: until a coordinator (other than EXCEPT) leads;
# sets HA_LEADER, and COORD_PID to its process (fault_check's last check).
ha_wait_leader() {
	wait_for "ha_find_leader '${1:-}'" 20 "a coordinator${1:+ other than $1} to lead"
	local var=HA_PID_$HA_LEADER
	COORD_PID=${!var}
}

# ha_followers: the live coordinators other than HA_LEADER.
ha_followers() {
	local c
	for c in "${HA_COORDS[@]}"; do
		[ "$c" = "$HA_LEADER" ] || ! ha_alive "$c" || echo "$c"
	done
}

# ha_epoch: the lease's epoch in the store.
ha_epoch() {
	store "SELECT epoch FROM leader WHERE id = 1"
}

# ha_kill NAME [SIGNAL]: SIGKILL (or SIGNAL) to coordinator NAME, reaped.
ha_kill() {
	local var=HA_PID_$1
	kill "-${2:-KILL}" "${!var}" 2>/dev/null || true
	wait "${!var}" 2>/dev/null || true
}

# ha_wait_workers: every workload worker connected to the leader (rota
# is sent there by whichever coordinator it reaches).
ha_wait_workers() {
	wait_for "[ \"\$(rota workers 2>/dev/null | grep -c ' connected ')\" = ${#FAULT_WORKERS[@]} ]" \
		30 "every worker to say hello to the leader"
}

# ha_note TEXT: what was injected when, for the failure output.
ha_note() {
	echo "$((SECONDS - FAULT_T0)) s: $*" | tee -a "$T/faults"
}

# ---- the audit of commits ---------------------------------------------------

# The tables only a leader writes (followers write only their own row of
# coordinators and, for alerts posted to them, alert_inbox).
HA_AUDITED=(runs step_runs outputs schedules runbooks workers incidents incident_events
	incident_runs escalations outbox alerts audit)

# ha_audit_install: the audit triggers (after the schema exists, while
# HA_LEADER leads).
ha_audit_install() {
	local t
	{
		cat <<'SQL'
CREATE TABLE ha_writes (tbl TEXT, writer TEXT, writer_pid INTEGER, epoch BIGINT,
  holder_pid BIGINT, at TIMESTAMPTZ);
CREATE TABLE ha_epochs (epoch BIGINT, holder_pid BIGINT, writer TEXT, at TIMESTAMPTZ);
CREATE FUNCTION ha_write() RETURNS trigger AS $$
BEGIN
  INSERT INTO ha_writes
    SELECT TG_TABLE_NAME, current_setting('application_name'), pg_backend_pid(),
           epoch, backend_pid, clock_timestamp() FROM leader WHERE id = 1;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE FUNCTION ha_epoch() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.epoch <> OLD.epoch THEN
    INSERT INTO ha_epochs VALUES (NEW.epoch, NEW.backend_pid,
      current_setting('application_name'), clock_timestamp());
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER ha_epoch AFTER INSERT OR UPDATE ON leader
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ha_epoch();
SQL
		# Deferred: each runs at COMMIT, after the coordinator's fence
		# (which holds the leader row FOR SHARE until the end), so the
		# epoch it reads is the one the transaction committed under.
		for t in "${HA_AUDITED[@]}"; do
			echo "CREATE CONSTRAINT TRIGGER ha_$t AFTER INSERT OR UPDATE OR DELETE ON $t"
			echo "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ha_write();"
		done
		# The epoch taken before the audit began, by the one leading now.
		echo "INSERT INTO ha_epochs SELECT epoch, backend_pid, 'ha_$HA_LEADER', now()"
		echo "  FROM leader WHERE id = 1;"
	} | store_script '|' >/dev/null || fail "could not install the audit triggers"
}

# ha_takeover_at EPOCH: when the lease's epoch became EPOCH (its commit).
ha_takeover_at() {
	store "SELECT MIN(at) FROM ha_epochs WHERE epoch = $1"
}

# ha_audit_deposed NAME EPOCH: nothing committed by coordinator NAME after
# EPOCH's takeover, and nothing under an older epoch after it.
ha_audit_deposed() {
	local name=$1 epoch=$2 at late old
	at=$(ha_takeover_at "$epoch")
	[ -n "$at" ] || fail "no takeover to epoch $epoch in the audit"
	late=$(store "SELECT tbl || ' at ' || at || ' under epoch ' || epoch FROM ha_writes
		WHERE writer = 'ha_$name' AND at > '$at' AND epoch < $epoch ORDER BY at LIMIT 5")
	[ -z "$late" ] || fail "$name committed after it was deposed by epoch $epoch ($at): $late"
	old=$(store "SELECT COUNT(*) FROM ha_writes WHERE at > '$at' AND epoch < $epoch")
	[ "$old" = 0 ] || fail "$old row(s) committed under an epoch older than $epoch after its takeover"
	late=$(store "SELECT COUNT(*) FROM ha_writes WHERE writer = 'ha_$name' AND at > '$at'
		AND at < (SELECT COALESCE(MIN(at), 'infinity') FROM ha_epochs WHERE epoch > $epoch)")
	[ "$late" = 0 ] || fail "$name committed $late row(s) while epoch $epoch led"
}

# ha_audit_check: every audited commit was made by the session holding the
# lease at that moment (the lease's connection; the outbox's sender has its
# own connection and only marks deliveries, so its rows are checked by
# coordinator, not session), by a coordinator that held the epoch.
ha_audit_check() {
	local bad n
	n=$(store "SELECT COUNT(*) FROM ha_writes")
	[ "$n" -gt 0 ] || fail "the audit recorded no commit"
	bad=$(store "SELECT tbl || ' by ' || writer || ' (session ' || writer_pid || ') under epoch '
		|| epoch || ', lease held by session ' || holder_pid FROM ha_writes
		WHERE tbl <> 'outbox' AND writer_pid <> holder_pid ORDER BY at LIMIT 5")
	[ -z "$bad" ] || fail "rows committed by a session that did not hold the lease: $bad"
	bad=$(store "SELECT w.tbl || ' by ' || w.writer || ' under epoch ' || w.epoch
		|| ' taken by ' || e.writer FROM ha_writes w JOIN ha_epochs e ON e.epoch = w.epoch
		WHERE w.writer <> e.writer ORDER BY w.at LIMIT 5")
	[ -z "$bad" ] || fail "rows committed under an epoch another coordinator took: $bad"
	echo "audit: $n committed row(s), each by the coordinator holding the lease" \
		"($(store "SELECT COUNT(*) FROM ha_epochs") epochs)"
}
