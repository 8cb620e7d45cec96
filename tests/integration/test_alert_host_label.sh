#!/usr/bin/env bash
# Which worker an alert means, over real HTTP with real workers: with
# host_label set, the alert's label of that name (a full host name whose
# short name is the worker's id) wins over `instance`; an address that two
# workers reported starts nothing and the incident's timeline says why,
# rather than run a remedy on a guessed host.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks"
cat >"$T/runbooks/echo-host.yaml" <<'YAML'
name: echo-host
description: says where it runs
severity: P3
triggers:
  - alertmanager: { alertname: HostDown }
targets: { all: true }
steps:
  - id: say
    shell: echo "on $(hostname)"
YAML
printf 'host_label: node\n' >"$T/config.yaml"
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker web-1 --address 10.0.0.5
start_worker web-2 --address 10.0.0.9
start_worker web-3 --address 10.0.0.9
wait_workers 3
run_rota 0 -- workers --json
assert_contains "$OUT" '"addresses":["10.0.0.5"]' "rota workers --json: what web-1 reported"

# post FINGERPRINT LABELS-JSON: one firing HostDown alert, its own group.
post() {
	CODE=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary @- "http://$HTTP_EP/v1/alerts/alertmanager" <<JSON
{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "g-$1",
 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
 "alerts": [{"status": "firing", "labels": {"alertname": "HostDown", $2},
   "annotations": {}, "startsAt": "2026-11-23T03:00:00Z",
   "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "$1"}]}
JSON
	)
}

# host_label: node names web-3 (by its short name), whatever instance says.
post a1 '"instance": "10.0.0.5:9100", "node": "web-3.example.net"'
assert_eq "$CODE" 202 "an alert naming its host in 'node'"
wait_for '[ -n "$(store "SELECT run_id FROM alerts WHERE fingerprint = '"'a1'"' AND run_id IS NOT NULL")" ]' \
	10 "the alert's run"
RUN=$(store "SELECT run_id FROM alerts WHERE fingerprint = 'a1'")
assert_eq "$(store "SELECT DISTINCT host FROM step_runs WHERE run_id = '$RUN'")" web-3 \
	"host_label: node wins over instance"

# node=10.0.0.9:9100: web-2 and web-3 both reported that address.
post a2 '"node": "10.0.0.9:9100"'
assert_eq "$CODE" 202 "an alert naming an address two workers share"
wait_for '[ -n "$(store "SELECT 1 FROM incident_events WHERE text LIKE '"'%more than one worker%'"'")" ]' \
	10 "the incident's note"
has_line "$(store "SELECT text FROM incident_events WHERE kind = 'run'")" \
	"^alert HostDown names host 10.0.0.9: nothing started, because more than one worker has that host name or address" \
	"the timeline"
assert_eq "$(store "SELECT COUNT(*) FROM alerts WHERE fingerprint = 'a2' AND run_id IS NOT NULL")" 0 \
	"no run for the ambiguous host"
echo "ok"
