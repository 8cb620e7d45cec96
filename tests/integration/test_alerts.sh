#!/usr/bin/env bash
# Alertmanager intake and /metrics over real HTTP: a firing alert opens one
# incident and one run on the alert's host, the same alert again opens
# nothing, a malformed payload gets 400 with the reason, an unknown alert is
# recorded and answered 202, the resolved form resolves the incident; the
# metrics page passes promtool and its counters move with the workload.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks"
cat >"$T/runbooks/svc-down.yaml" <<'YAML'
name: svc-down
description: answers ServiceDown on the host the alert names
severity: P2
triggers:
  - alertmanager: { alertname: ServiceDown, service: api }
targets: { labels: { role: api } } # the hosts an alert may pick among
steps:
  - id: remediate
    shell: { run: "echo remediating {{ host.id }}" }
YAML
RUNBOOKS=$T/runbooks start_coordinator
start_worker web-1 --label role=api
start_worker web-2 --label role=api
wait_workers 2

# payload FILE STATUS: an Alertmanager (version 4) webhook body for one
# ServiceDown alert on web-1, as Alertmanager 0.25 sends it.
payload() {
	local status=$1 ends=$2
	cat <<JSON
{
  "receiver": "rota",
  "status": "$status",
  "alerts": [
    {
      "status": "$status",
      "labels": {"alertname": "ServiceDown", "instance": "web-1:9100", "job": "node",
                 "service": "api", "severity": "critical"},
      "annotations": {"summary": "api is down on web-1"},
      "startsAt": "2026-11-23T03:00:00.123Z",
      "endsAt": "$ends",
      "generatorURL": "http://prometheus.internal.example:9090/graph?g0.expr=up",
      "fingerprint": "4c1d5a0e8f2b7d31"
    }
  ],
  "groupLabels": {"alertname": "ServiceDown"},
  "commonLabels": {"alertname": "ServiceDown", "service": "api"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager.internal.example:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\"ServiceDown\"}",
  "truncatedAlerts": 0
}
JSON
}

# post BODY: sets CODE and BODY_OUT.
post() {
	BODY_OUT=$(curl -s -o - -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$1" "http://$HTTP_EP/v1/alerts/alertmanager")
	CODE=$(tail -n 1 <<<"$BODY_OUT")
	BODY_OUT=$(sed '$d' <<<"$BODY_OUT")
}

metric() { # metric 'name{labels}': its value on /metrics now
	curl -s "http://$HTTP_EP/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP_EP/healthz")" 200 "/healthz"
curl -s "http://$HTTP_EP/metrics" >"$T/metrics.before"
promtool check metrics <"$T/metrics.before" || fail "promtool rejects /metrics"

# Firing: one incident, one run on web-1.
post "$(payload firing 0001-01-01T00:00:00Z)"
assert_eq "$CODE" 202 "firing alert"
assert_contains "$BODY_OUT" '"incidents_opened": 1' "firing answer"
assert_contains "$BODY_OUT" '"runs_started": 1' "firing answer"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 1 "incidents"
assert_eq "$(store "SELECT severity || ' ' || source || ' ' || hosts FROM incidents")" \
	"1 alertmanager web-1" "the incident (severity from the critical label)"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE trigger = 'alert'")" 1 "runs started"
RUN=$(store "SELECT id FROM runs WHERE trigger = 'alert'")
wait_for '[ "$(run_status "$RUN")" = 3 ]' 15 "the alert's run to succeed"
assert_eq "$(store "SELECT host FROM step_runs WHERE run_id = '$RUN'")" web-1 "the run's host"
run_rota 0 -- logs "$RUN"
assert_contains "$OUT" "remediating web-1" "the run's output"

# The same alert again while the incident is open: nothing new.
post "$(payload firing 0001-01-01T00:00:00Z)"
assert_eq "$CODE" 202 "repeated alert"
assert_contains "$BODY_OUT" '"incidents_opened": 0' "repeat answer"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 1 "incidents after the repeat"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 1 "runs after the repeat"

# Malformed: 400 with the reason; nothing recorded. The store is read
# before them and after the next, well-formed, alert is on record (a write
# for the malformed ones would be committed by then too): every table an
# alert can write holds what it held plus that one alert.
recorded() {
	store "SELECT ((SELECT COUNT(*) FROM alerts) + $1) || ' alerts, ' ||
	              (SELECT COUNT(*) FROM incidents) || ' incidents, ' ||
	              (SELECT COUNT(*) FROM incident_events) || ' incident events, ' ||
	              (SELECT COUNT(*) FROM incident_runs) || ' incident runs, ' ||
	              (SELECT COUNT(*) FROM escalations) || ' escalations, ' ||
	              (SELECT COUNT(*) FROM outbox) || ' notices, ' ||
	              (SELECT COUNT(*) FROM runs) || ' runs'"
}
before=$(recorded 1)
post '{"version": "4", "status": "firing", "alerts": [ {"status": "firing", "labels": [] } ]}'
assert_eq "$CODE" 400 "malformed payload"
assert_contains "$BODY_OUT" "alerts[0].labels" "the 400's reason"
post '{"version": "4", "alerts": ['
assert_eq "$CODE" 400 "truncated JSON"

# Unknown alert: recorded and answered 202, nothing started.
other=$(payload firing 0001-01-01T00:00:00Z | sed -e 's/ServiceDown/DiskWillFill/g' \
	-e 's/4c1d5a0e8f2b7d31/99aa/')
post "$other"
assert_eq "$CODE" 202 "unknown alert"
assert_contains "$BODY_OUT" '"unmatched": 1' "unknown alert answer"
wait_for "[ -n \"\$(store \"SELECT 1 FROM alerts WHERE fingerprint = '99aa'\")\" ]" 10 \
	"the unknown alert to be on record"
assert_eq "$(store "SELECT status || ' ' || alertname FROM alerts WHERE fingerprint = '99aa'")" \
	"unmatched DiskWillFill" "the unknown alert on record"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 1 "runs after the unknown alert"
assert_eq "$(recorded 0)" "$before" "what is on record after two malformed payloads and one unknown alert"

# Resolved: the incident is resolved, with the reason on its timeline.
post "$(payload resolved 2026-11-23T03:10:00Z)"
assert_eq "$CODE" 202 "resolved alert"
assert_eq "$(store "SELECT status FROM incidents")" resolved "the incident after resolve"
has_line "$(store "SELECT kind || ': ' || text FROM incident_events")" \
	"^resolved: resolved by alertmanager: every alert of the incident resolved" "timeline"

# Metrics: valid, and they moved.
curl -s "http://$HTTP_EP/metrics" >"$T/metrics.after"
promtool check metrics <"$T/metrics.after" || fail "promtool rejects /metrics"
assert_eq "$(metric 'rota_alerts_received_total{result="opened"}')" 1 "alerts opened"
assert_eq "$(metric 'rota_alerts_received_total{result="repeated"}')" 1 "alerts repeated"
assert_eq "$(metric 'rota_alerts_received_total{result="unmatched"}')" 1 "alerts unmatched"
assert_eq "$(metric 'rota_alerts_received_total{result="malformed"}')" 2 "payloads refused"
assert_eq "$(metric 'rota_incidents{severity="P1",status="resolved"}')" 1 "resolved P1s"
assert_eq "$(metric 'rota_runs_total{status="succeeded"}')" 1 "runs succeeded"
assert_eq "$(metric 'rota_steps_total{status="succeeded"}')" 1 "steps succeeded"
assert_eq "$(metric 'rota_step_duration_seconds_count')" 1 "step durations observed"
assert_eq "$(metric 'rota_workers_connected')" 2 "workers connected"
[ "$(metric 'rota_store_commit_seconds_count')" -gt 0 ] || fail "no commit timed"
echo "ok"
