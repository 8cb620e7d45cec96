# Two coordinators on one PostgreSQL store (separate data directories):
# exactly one leads; SIGKILLed, the other takes over within a few seconds
# and the run in flight finishes under it, no step run twice; the new
# leader SIGSTOPped past its lease is replaced, and once SIGCONTed it steps
# down and commits nothing: every row written to the run tables was
# written by the session that held the lease at that moment (a trigger
# records the writer's session beside the lease's); an alert posted to
# both opens one incident. Runs only against
# PostgreSQL (pg.integration.leader, with the suite's private cluster).
. "$(dirname "$0")/lib.sh"
if [ "$ROTA_TEST_STORE" != postgresql ]; then
	echo "skipped: $TEST_NAME needs PostgreSQL (run as pg.integration.leader, or with" \
		"ROTA_TEST_STORE=postgresql)"
	exit 0
fi
rota_setup
LEASE=3s

# start_coord NAME [flags...]: a coordinator with its own data directory;
# sets PID_<NAME>, WORKER_<NAME>, API_<NAME> and HTTP_<NAME>.
start_coord() {
	local name=$1 data=$T/$1 wport aport hport
	shift
	mkdir -p -m 700 "$data"
	touch "$T/$name.start"
	sleep 0.01
	# a is restarted on its endpoints (flags given later win): ports no
	# one else is handed while it is down (stable_ports, lib.sh).
	read -r wport aport hport < <(stable_ports 3)
	"$ROTA_BIN/rota-coordinator" --data-dir "$data" \
		--worker-endpoint "tcp://127.0.0.1:$wport" --api-endpoint "tcp://127.0.0.1:$aport" \
		--runbooks "$ROTA_SOURCE_DIR/runbooks" --http "127.0.0.1:$hport" --lease "$LEASE" \
		"${STORE_FLAGS[@]}" "$@" >>"$T/coordinator-$name.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$name=$pid"
	wait_for "[ -f '$data/endpoints' ] && [ '$data/endpoints' -nt '$T/$name.start' ]" 10 \
		"coordinator $name to start"
	eval "WORKER_$name=$(sed -n 's/^worker=//p' "$data/endpoints")"
	eval "API_$name=$(sed -n 's/^api=//p' "$data/endpoints")"
	eval "HTTP_$name=$(sed -n 's/^http=//p' "$data/endpoints")"
}

# health NAME [QUERY]: the HTTP status of NAME's /healthz.
health() {
	local var=HTTP_$1
	curl -s --max-time 5 -o "$T/health.body" -w '%{http_code}' "http://${!var}/healthz${2:-}" ||
		true
}

leads() { [ "$(health "$1" '?role=leader')" = 200 ]; }
follows() { [ "$(health "$1" '?role=follower')" = 200 ]; }

metric() {
	local var=HTTP_$1
	curl -s --max-time 5 "http://${!var}/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# --id names a coordinator; a bad one is refused before anything starts.
for bad in "bad id" "-a" "$(printf 'x%.0s' {1..64})" ""; do
	set +e
	err=$("$ROTA_BIN/rota-coordinator" --id "$bad" --data-dir "$T/nowhere" 2>&1 >/dev/null)
	rc=$?
	set -e
	assert_eq "$rc" 2 "rota-coordinator --id '$bad'"
	assert_contains "$err" "rota-coordinator: --id: " "the error for --id '$bad'"
done
[ ! -e "$T/nowhere" ] || fail "a refused --id made the data directory"

start_coord a --id a
wait_for "leads a" 10 "coordinator a to lead"
# Every write to the run tables records the writer's session and the
# lease holder's at that moment; a rolled-back write leaves no row.
store_script '|' >/dev/null <<'SQL'
CREATE TABLE write_log (tbl TEXT, writer INTEGER, holder BIGINT, epoch BIGINT,
  at TIMESTAMPTZ DEFAULT clock_timestamp());
CREATE FUNCTION log_write() RETURNS trigger AS $$
BEGIN
  INSERT INTO write_log (tbl, writer, holder, epoch)
    SELECT TG_TABLE_NAME, pg_backend_pid(), backend_pid, epoch FROM leader WHERE id = 1;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER log_runs AFTER INSERT OR UPDATE OR DELETE ON runs
  FOR EACH ROW EXECUTE FUNCTION log_write();
CREATE TRIGGER log_steps AFTER INSERT OR UPDATE OR DELETE ON step_runs
  FOR EACH ROW EXECUTE FUNCTION log_write();
CREATE TRIGGER log_outputs AFTER INSERT OR UPDATE OR DELETE ON outputs
  FOR EACH ROW EXECUTE FUNCTION log_write();
CREATE TRIGGER log_workers AFTER INSERT OR UPDATE OR DELETE ON workers
  FOR EACH ROW EXECUTE FUNCTION log_write();
CREATE TRIGGER log_schedules AFTER INSERT OR UPDATE OR DELETE ON schedules
  FOR EACH ROW EXECUTE FUNCTION log_write();
CREATE TRIGGER log_incidents AFTER INSERT OR UPDATE OR DELETE ON incidents
  FOR EACH ROW EXECUTE FUNCTION log_write();
SQL

start_coord b --id b
wait_for "follows b" 10 "coordinator b to follow"
leads b && fail "two leaders: b says it leads while a does"
leads a || fail "a no longer leads once b started"
assert_eq "$(health b)" 200 "/healthz on the follower"
assert_contains "$(cat "$T/health.body")" "ok follower" "/healthz's body on the follower"
assert_contains "$(cat "$T/health.body")" "): coordinator b" "/healthz's body on the follower"
assert_eq "$(metric b 'rota_coordinator_info{id="b"}')" 1 "rota_coordinator_info on b"
grep -q 'rota-coordinator\[b\] INFO' "$T/coordinator-b.log" || fail "b's log lines do not name it"
assert_eq "$(metric a rota_leader)" 1 "rota_leader on a"
assert_eq "$(metric b rota_leader)" 0 "rota_leader on b"
# rota status, asked of the follower: the leader, its epoch, both of them.
run_rota 0 -- --coordinator "$API_b" status
assert_contains "$OUT" "role         follower" "status on b"
assert_contains "$OUT" "leader       a at $API_a (epoch 1," "status on b: the leader"
assert_contains "$OUT" "$API_a" "status on b lists a"
assert_contains "$OUT" "$API_b" "status on b lists b"

# rota-fleetsim given the follower first: its workers are sent to the
# leader and welcomed there.
"$ROTA_BIN/rota-fleetsim" --coordinator "$WORKER_b,$WORKER_a" --workers 3 --id-prefix fsim- \
	--ready-file "$T/fleet.ready" >>"$T/fleetsim.log" 2>&1 &
FLEET=$!
PIDS+=("$FLEET")
wait_for "[ -f '$T/fleet.ready' ]" 20 "3 simulated workers welcomed (through the follower's Redirect)"
kill -TERM "$FLEET"
wait "$FLEET" || true
grep -q 'sims\? ' /dev/null || true
grep -Eq 'stopped: 3/3 workers welcomed.* [1-9][0-9]* redirects' "$T/fleetsim.log" ||
	fail "rota-fleetsim did not follow the follower's Redirect: $(cat "$T/fleetsim.log")"

# A worker and a run of three steps, going on across the failovers.
WORKER_EP="$WORKER_a,$WORKER_b"
export ROTA_COORDINATOR="$API_a,$API_b"
start_worker w1
wait_workers 1 w1
run=$(rota submit "$FIXTURES/ha.yaml" --target w1 -p secs=3)
wait_for "[ -s '$T/exec-one' ]" 10 "the first step to start"

# SIGKILL the leader: b takes over (its session lock went with a's
# connection) and the run goes on there.
kill -KILL "$PID_a"
wait_for "leads b" 15 "b to take over from the killed leader"
grep -q 'leader: took the lease, epoch 2' "$T/coordinator-b.log" ||
	fail "b did not log taking the lease under epoch 2"
assert_eq "$(metric b rota_leader_changes_total)" 1 "b's leader changes"
# The killed leader's row still says it led, under an epoch that is no
# longer the lease's: shown as deposed, not as a second leader.
run_rota 0 -- --coordinator "$API_b" status
assert_contains "$OUT" "leader       b at $API_b (epoch 2," "status after the takeover"
[ "$(awk '$1 == "a" || $1 == "b" { print $1, $2, $4 }' <<<"$OUT" | sort | tr '\n' ' ')" = \
	"a deposed 1 b leader 2 " ] || fail "the coordinators' rows after the takeover: $OUT"

# a comes back and follows.
start_coord a --id a --worker-endpoint "$WORKER_a" --api-endpoint "$API_a" --http "$HTTP_a"
wait_for "follows a" 10 "the restarted a to follow"

# SIGSTOP the leader past its lease: a ends b's session and takes over.
wait_for "[ -s '$T/exec-two' ]" 30 "the second step to start"
kill -STOP "$PID_b"
wait_for "leads a" 30 "a to take over from the frozen leader"
grep -q 'let its lease expire' "$T/coordinator-a.log" || fail "a did not say why it ended b's session"
kill -CONT "$PID_b"
wait_for "grep -q 'leader: stepping down from epoch 2' '$T/coordinator-b.log'" 15 \
	"the thawed b to step down"
wait_for "follows b" 10 "b to follow after stepping down"
leads b && fail "b still says it leads"

# The run finishes under a, every step once.
wait_for "[ \"\$(store \"SELECT status FROM runs WHERE id = '$run'\")\" = 3 ]" 60 \
	"the run to succeed"
for s in one two three; do
	assert_eq "$(wc -l <"$T/exec-$s")" 1 "executions of step $s"
	assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run' AND step_id = '$s' AND status = 4")" \
		1 "step $s recorded succeeded"
done
assert_eq "$(store "SELECT epoch FROM leader")" 3 "the lease's epoch after two takeovers"
# Nothing was committed by a session that did not hold the lease.
stale=$(store "SELECT tbl || ' by ' || writer || ' under ' || holder || ' epoch ' || epoch FROM write_log WHERE writer <> holder")
[ -z "$stale" ] || fail "rows written by a coordinator that did not lead: $stale"
[ "$(store "SELECT COUNT(*) FROM write_log")" -gt 0 ] || fail "the write log recorded nothing"
# An alert posted to both (Alertmanager lists every coordinator): the
# follower keeps it for the leader and answers 202 once it is durable; the
# leader acts on it and on its own copy once: one incident.
alert='{"receiver":"rota","status":"firing","version":"4","groupKey":"{}:{alertname=\"ServiceDown\"}",
 "groupLabels":{"alertname":"ServiceDown"},"commonLabels":{"alertname":"ServiceDown"},
 "commonAnnotations":{},"externalURL":"http://am.example:9093","truncatedAlerts":0,
 "alerts":[{"status":"firing","labels":{"alertname":"ServiceDown","instance":"nohost:9100"},
 "annotations":{"summary":"down"},"startsAt":"2026-11-23T03:00:00Z","endsAt":"0001-01-01T00:00:00Z",
 "generatorURL":"http://prom.example:9090","fingerprint":"5e1ec7ed0000a1a1"}]}'
post() { # post NAME: the HTTP status of the alert posted to NAME
	local var=HTTP_$1
	curl -s -o "$T/post-$1.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$alert" "http://${!var}/v1/alerts/alertmanager"
}
good=$alert
alert='{"version":"4"}'
assert_eq "$(post b)" 400 "a malformed alert posted to the follower"
alert=$good
assert_eq "$(post b)" 202 "the alert posted to the follower"
assert_contains "$(cat "$T/post-b.body")" "kept for the leader" "the follower's answer"
assert_eq "$(post a)" 202 "the alert posted to the leader"
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM alert_inbox')\" = 0 ]" 15 \
	"the leader to act on the alert the follower kept"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 1 "incidents opened by one alert posted twice"
stale=$(store "SELECT tbl || ' by ' || writer || ' under ' || holder FROM write_log WHERE writer <> holder")
[ -z "$stale" ] || fail "rows written by a coordinator that did not lead: $stale"
pass "one leader at a time; a killed leader replaced, a frozen one fenced and stepped down; the run finished once; an alert posted to both acted on once"
