#!/usr/bin/env bash
# The alert intake under CURVE: --init writes a bearer token (0600) that the
# coordinator uses from the data directory; without it an alert is refused
# on loopback too (401, nothing recorded), so a local user cannot start a
# restricted runbook through it. An alert may pick a host only among the
# runbook's targets: one naming another host is recorded, its incident says
# why, and nothing runs. Every incident opened, run started or refused and
# incident resolved by an alert is audited under the token's name. A
# coordinator with keys but no token keeps the intake closed.
. "$(dirname "$0")/lib.sh"
rota_setup
secure_init
tokfile=$T/data/alertmanager.token
[ -f "$tokfile" ] || fail "--init wrote no alertmanager.token: $(cat "$T/init.out")"
assert_eq "$(stat -c %a "$tokfile")" 600 "the token file's mode"
assert_contains "$(cat "$T/init.out")" "alertmanager.token" "--init says where the token is"
TOKEN=$(cat "$tokfile")
[ "${#TOKEN}" -ge 32 ] || fail "a short token: '$TOKEN'"
worker_key w1 authorize
worker_key w2 authorize
mkdir -p "$T/runbooks"
cat >"$T/runbooks/restart-db.yaml" <<'YAML'
name: restart-db
allowed_operators: [alice]
severity: P2
triggers:
  - alertmanager: { alertname: DBDown }
targets: { labels: { role: db } }
steps:
  - id: restart
    shell: { run: "touch $ROTA_TEST_TMP/restarted-$ROTA_HOST" }
YAML
RUNBOOKS=$T/runbooks start_coordinator
start_secure_worker w1 w1 --label role=web
start_secure_worker w2 w2 --label role=db
wait_workers 2
url=http://$HTTP_EP/v1/alerts/alertmanager

# alert STATUS INSTANCE FINGERPRINT: a DBDown webhook body.
alert() {
	local ends=0001-01-01T00:00:00Z
	[ "$1" = resolved ] && ends=2026-11-23T03:10:00Z
	cat <<JSON
{"version": "4", "status": "$1", "receiver": "rota", "groupKey": "{}:{alertname=\"DBDown\"}",
 "alerts": [{"status": "$1", "labels": {"alertname": "DBDown", "instance": "$2:9100"},
             "annotations": {}, "startsAt": "2026-11-23T03:00:00Z", "endsAt": "$ends",
             "fingerprint": "$3"}]}
JSON
}
# post BODY [curl args]: sets CODE and BODY_OUT.
post() {
	local body=$1
	shift
	BODY_OUT=$(curl -s -o - -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$body" "$@" "$url")
	CODE=$(tail -n 1 <<<"$BODY_OUT")
	BODY_OUT=$(sed '$d' <<<"$BODY_OUT")
}

# No token on loopback: refused, nothing recorded.
post "$(alert firing w2 f-w2)"
assert_eq "$CODE" 401 "an alert without the token on loopback"
post "$(alert firing w2 f-w2)" -H "Authorization: Bearer not-$TOKEN"
assert_eq "$CODE" 401 "an alert with a wrong token"
assert_eq "$(store "SELECT COUNT(*) FROM incidents") $(store "SELECT COUNT(*) FROM runs")" "0 0" \
	"incidents and runs after refused alerts"
assert_eq "$(store "SELECT COUNT(*) FROM alerts")" 0 "alerts on record after refused alerts"
[ ! -e "$T/restarted-w2" ] || fail "restart-db ran without the token"
run_rota 0 -- status
has_line "$OUT" "^http +.*\(alert intake requires a bearer token\)$" "status: http"
pass "with keys the loopback intake needs the token --init wrote (401, nothing recorded)"

# With the token, an alert naming w1 (not role=db): recorded, nothing runs.
post "$(alert firing w1 f-w1)" -H "Authorization: Bearer $TOKEN"
assert_eq "$CODE" 202 "an alert naming a host outside the targets"
assert_contains "$BODY_OUT" '"runs_started": 0' "the answer"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 0 "runs after the alert naming w1"
assert_eq "$(store "SELECT status FROM alerts WHERE fingerprint = 'f-w1'")" firing "the alert on record"
inc=$(store "SELECT id FROM incidents")
[ -n "$inc" ] || fail "no incident for the alert"
has_line "$(store "SELECT text FROM incident_events WHERE incident_id = '$inc'")" \
	"alert DBDown names host w1: nothing started, because w1 is not among the targets of runbook restart-db \(role=db\)" \
	"the incident's timeline"
run_rota 0 -- incident show "$inc"
assert_contains "$OUT" "w1 is not among the targets of runbook restart-db" "rota incident show"
[ ! -e "$T/restarted-w1" ] || fail "restart-db ran on w1"
outside=$(curl -s "http://$HTTP_EP/metrics" |
	awk '$1 == "rota_alerts_received_total{result=\"outside_targets\"}" { print $2 }')
assert_eq "$outside" 1 "rota_alerts_received_total{result=\"outside_targets\"}"
pass "an alert cannot take a runbook outside its targets: recorded, the incident says why"

# An alert naming w2 (role=db) runs there.
post "$(alert firing w2 f-w2)" -H "Authorization: Bearer $TOKEN"
assert_eq "$CODE" 202 "an alert naming a target"
assert_contains "$BODY_OUT" '"runs_started": 1' "the answer"
run=$(store "SELECT id FROM runs WHERE trigger = 'alert'")
wait_for '[ "$(run_status "$run")" = 3 ]' 20 "the alert's run to succeed"
assert_eq "$(store "SELECT host FROM step_runs WHERE run_id = '$run'")" w2 "the run's host"
# Both resolved: the incident resolves.
post "$(alert resolved w1 f-w1)" -H "Authorization: Bearer $TOKEN"
post "$(alert resolved w2 f-w2)" -H "Authorization: Bearer $TOKEN"
assert_eq "$CODE" 202 "resolved"
assert_eq "$(store "SELECT status FROM incidents WHERE id = '$inc'")" resolved "the incident"

# Every alert-started action is audited under the token's name.
run_rota 0 -- audit --since 1h
has_line "$OUT" " alertmanager +token +incident open +$inc +ok +127\.0\.0\.1:[0-9]+ .*alert DBDown on w1, runbook restart-db" \
	"audit: the incident opened"
has_line "$OUT" " alertmanager +token +submit +restart-db +refused +127\.0\.0\.1:[0-9]+ .*w1 is not among the targets" \
	"audit: the run refused"
has_line "$OUT" " alertmanager +token +submit +restart-db +ok +127\.0\.0\.1:[0-9]+ .*run $run on 1 host\(s\), for alert DBDown \(incident $inc\)" \
	"audit: the run started"
has_line "$OUT" " alertmanager +token +resolve +$inc +ok " "audit: the resolve"
pass "what alerts open, start, refuse and resolve is audited as the token's name"

# Keys but no token file: the intake is closed, on loopback too.
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true
rm "$tokfile"
RUNBOOKS=$T/runbooks restart_coordinator
post "$(alert firing w2 f-again)"
assert_eq "$CODE" 401 "an alert to a coordinator with keys and no token"
assert_contains "$BODY_OUT" "the alert intake is closed" "the answer says why"
post "$(alert firing w2 f-again)" -H "Authorization: Bearer $TOKEN"
assert_eq "$CODE" 401 "the old token, once its file is gone"
assert_eq "$(store "SELECT COUNT(*) FROM alerts WHERE fingerprint = 'f-again'")" 0 "the refused alert"
grep -q "the alert intake is closed" "$T/coordinator.log" || fail "the coordinator does not say the intake is closed"
pass "with keys and no token the intake is closed"
