#!/usr/bin/env bash
# The shipped incident runbooks end to end, started the way production
# starts them: an Alertmanager webhook whose labels name the host (instance)
# and the service (service). Real workers run the shipped files against a
# real local fixture: rota-testhttp serving each host's health endpoint and
# Prometheus text page from files the test writes, and a fake service
# manager (the hosts' restart_command, given by the coordinator's vars) that
# "restarts" only the unit it knows, by making that host healthy again.
#   - high-latency, high-error-rate: the alert is confirmed from the metrics
#     page, the restart waits for approval, the named service is restarted,
#     the metric is checked again: the run succeeds. Failure paths: the
#     operator rejects the restart (nothing restarted, the run fails and the
#     incident stays open); the alert names a unit the host does not have
#     (the restart fails and says why).
#   - service-down: the health endpoint is down, the named unit is restarted
#     without approval and the endpoint answers again; failure path: the
#     unit is unknown, the restart fails, the incident stays open.
#   - high-cpu: a CPU hog standing for the service; its restart ends the
#     hog, and the service's own CPU use is sampled again (the host's is not:
#     on a shared machine it says nothing of the restart). Failure path: the
#     restart leaves the hog running, and the run fails.
#   - high-memory: memory under the limit: nothing is restarted and the run
#     succeeds; over it: the restart of the named service waits for
#     approval, and a rejected restart fails the run.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

S=$T/state # the fixture's files: HOST.health, HOST.metrics, HOST.units
mkdir -p "$T/runbooks" "$S"
for rb in high-latency high-error-rate service-down high-cpu high-memory; do
	cp "$ROTA_SOURCE_DIR/runbooks/$rb.yaml" "$T/runbooks/"
done
start_testhttp "$S"

# The fake service manager: `fake-unit HOST UNIT` restarts UNIT on HOST when
# HOST runs it (a line of HOST.units), as systemctl would; otherwise it
# fails as systemctl does for a unit that does not exist. A restart makes
# the host healthy again and replaces its CPU hog by an idle process,
# unless the host is "stuck" (the restart does not help).
cat >"$T/fake-unit" <<'SH'
#!/bin/sh
S=$ROTA_TEST_TMP/state
if ! grep -qx -- "$2" "$S/$1.units" 2>/dev/null; then
	echo "Failed to restart $2.service: Unit $2.service not found." >&2
	exit 5
fi
echo "$1 $2" >>"$ROTA_TEST_TMP/restarts.log"
[ -f "$S/$1.stuck" ] && exit 0
printf 'latency_p95_seconds 0.2\nerror_ratio 0.001\n' >"$S/$1.metrics"
echo ok >"$S/$1.health"
if [ -f "$S/$1.pid" ]; then
	kill "$(cat "$S/$1.pid")" 2>/dev/null
	setsid sleep 120 </dev/null >/dev/null 2>&1 &
	echo $! >"$S/$1.pid"
fi
exit 0
SH
# `fake-pids HOST UNIT`: the processes of the host's service.
cat >"$T/fake-pids" <<'SH'
#!/bin/sh
cat "$ROTA_TEST_TMP/state/$1.pid"
SH
chmod +x "$T/fake-unit" "$T/fake-pids"
export ROTA_TEST_TMP=$T

bad_metrics='latency_p95_seconds 3.5\nerror_ratio 0.2\n'
for h in api-1 api-2 api-4 cpu-1 cpu-2; do printf "$bad_metrics" >"$S/$h.metrics"; done
for h in api-1 api-2; do echo ok >"$S/$h.health"; done # api-3 and api-4 are down
echo svc-lat >"$S/api-1.units"
echo svc-err >"$S/api-2.units"
echo svc-web >"$S/api-3.units"
printf 'svc-cpu\nsvc-mem\n' | tee "$S/cpu-1.units" >"$S/cpu-2.units"
touch "$S/cpu-2.stuck"
# Each of cpu-1 and cpu-2 runs a CPU hog standing for its service.
hog() { (while :; do :; done) & PIDS+=($!); echo $! >"$S/$1.pid"; }
hog cpu-1
hog cpu-2

{
	echo "vars:"
	for h in api-1 api-2 api-3 api-4 cpu-1 cpu-2; do
		cat <<YAML
  - host: $h
    params:
      restart_command: "$T/fake-unit $h"
      health_url: "$U/file/$h.health"
      metrics_url: "$U/file/$h.metrics"
      pid_command: "$T/fake-pids $h"
YAML
	done
	# The CPU is busy (the hogs), and whether the restart helped is the
	# service's own use: idle, or a hog. Memory is fine on cpu-1 (under
	# 100%) and over the limit on cpu-2.
	cat <<YAML
  - match: { role: db }
    params: { max_cpu_pct: 0, sample_seconds: 1, settle_seconds: 0, max_service_cpu_pct: 0 }
  - host: cpu-1
    params: { max_memory_pct: 100 }
  - host: cpu-2
    params: { max_memory_pct: 0 }
YAML
} >"$T/config.yaml"
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
for h in api-1 api-2 api-3 api-4; do start_worker $h --label role=api; done
start_worker cpu-1 --label role=db
start_worker cpu-2 --label role=db
wait_workers 6

# fire GROUP ALERTNAME HOST SERVICE [LABELS]: one Alertmanager webhook with
# one firing alert for HOST naming SERVICE, posted in the background (the
# answer's code goes to $T/fire-GROUP; fired checks them all).
fire() {
	local body
	body=$(
		cat <<JSON
{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "$1",
 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
 "alerts": [{"status": "firing",
   "labels": {"alertname": "$2", "instance": "$3:9100", "service": "$4"${5:+, $5}},
   "annotations": {"summary": "$2 on $3"}, "startsAt": "2026-11-23T03:00:00Z",
   "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "fp-$1"}]}
JSON
	)
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$body" "http://$HTTP_EP/v1/alerts/alertmanager" >"$T/fire-$1" &
	FIRING+=($!)
}
FIRING=()
fired() { # every webhook answered 202
	wait "${FIRING[@]}"
	local f
	for f in "$T"/fire-*; do assert_eq "$(cat "$f")" 202 "the alert of ${f##*/fire-}"; done
}
run_on() { # run_on RUNBOOK HOST: the run of RUNBOOK whose steps ran on HOST
	store "SELECT r.id FROM runs r JOIN step_runs s ON s.run_id = r.id
	       WHERE r.runbook = '$1' AND s.host = '$2' LIMIT 1"
}
step() { # step RUN STEP: "STATUS DETAIL" of the step, from rota show
	rota show "$1" | awk -v s="$2" '$1 == s { $1 = ""; sub(/^ +/, ""); print; exit }'
}
waiting() { step "$1" "$2" | grep -q '^waiting'; }
ended() { case "$(run_status "$1")" in 3 | 4 | 5) return 0 ;; *) return 1 ;; esac; }
incident_of() { # the status of the incident RUN belongs to
	store "SELECT i.status FROM incidents i JOIN incident_runs r ON r.incident_id = i.id
	       WHERE r.run_id = '$1'"
}

fire g-lat-ok HighLatency api-1 svc-lat
fire g-err-ok HighErrorRate api-2 svc-err
fire g-down-ok ServiceDown api-3 svc-web
fire g-lat-no HighLatency api-4 svc-lat
fire g-err-ghost HighErrorRate api-4 ghost
fire g-down-ghost ServiceDown api-4 ghost
fire g-cpu-ok HighCPUUsage cpu-1 svc-cpu
fire g-cpu-stays HighCPUUsage cpu-2 svc-cpu
fire g-mem-ok HighMemoryUsage cpu-1 svc-mem
fire g-mem-no HighMemoryUsage cpu-2 svc-mem '"job": "other"'
fired

declare -A RUN
for pair in high-latency:api-1 high-error-rate:api-2 service-down:api-3 high-latency:api-4 \
	high-error-rate:api-4 service-down:api-4 high-cpu:cpu-1 high-cpu:cpu-2 \
	high-memory:cpu-1 high-memory:cpu-2; do
	wait_for '[ -n "$(run_on ${pair%%:*} ${pair#*:})" ]' 10 "$pair to start"
	RUN[$pair]=$(run_on ${pair%%:*} ${pair#*:})
done

# ---- approvals: each restart waits for one --------------------------------------
for pair in high-latency:api-1 high-error-rate:api-2 high-latency:api-4 high-error-rate:api-4 \
	high-cpu:cpu-1 high-cpu:cpu-2 high-memory:cpu-2; do
	wait_for 'waiting "${RUN[$pair]}" approve_restart' 20 "$pair to wait for approval"
done
run_rota 0 -- show "${RUN[high-latency:api-1]}"
has_line "$OUT" "^service +svc-lat +alert \(label service\)" "high-latency: the service comes from the alert"
run_rota 0 -- logs "${RUN[high-latency:api-1]}"
assert_contains "$OUT" "latency_p95_seconds" "high-latency's check names the gauge"
has_line "$OUT" "endpoint_timing \| +200  [0-9.]+ / [0-9.]+ / [0-9.]+$" "high-latency times the health endpoint"
assert_contains "$OUT" "endpoint_timing: 0 of 5 requests got no answer" "high-latency's timings"
run_rota 0 -- show "${RUN[high-memory:cpu-2]}"
has_line "$OUT" "^service +svc-mem +alert \(label service\)" "high-memory: service before job"
for pair in high-latency:api-1 high-error-rate:api-2 high-error-rate:api-4 high-cpu:cpu-1 \
	high-cpu:cpu-2; do
	run_rota 0 -- approve "${RUN[$pair]}" approve_restart
done
for pair in high-latency:api-4 high-memory:cpu-2; do
	run_rota 0 -- reject "${RUN[$pair]}" approve_restart
done

for pair in "${!RUN[@]}"; do
	wait_for 'ended "${RUN[$pair]}"' 30 "$pair to end"
done

# ---- success paths: the named unit restarted, the check passes again ---------
for pair in high-latency:api-1 high-error-rate:api-2 service-down:api-3 high-cpu:cpu-1; do
	r=${RUN[$pair]}
	assert_eq "$(run_status "$r")" 3 "$pair succeeds: $(rota show "$r")"
	has_line "$(step "$r" restart)" "^succeeded" "$pair: the restart"
	has_line "$(step "$r" settle 2>/dev/null)$(step "$r" recover)" "^succeeded" "$pair: checked again"
done
restarts=$(sort "$T/restarts.log")
assert_eq "$restarts" "api-1 svc-lat
api-2 svc-err
api-3 svc-web
cpu-1 svc-cpu
cpu-2 svc-cpu" "the units restarted: the alerts' services on the alerts' hosts, nothing else"
r=${RUN[high-memory:cpu-1]}
assert_eq "$(run_status "$r")" 3 "high-memory under the limit succeeds: $(rota show "$r")"
has_line "$(step "$r" memory)" "^succeeded" "high-memory: memory under the limit"
has_line "$(step "$r" restart)" "^skipped" "high-memory: nothing to restart"
run_rota 0 -- logs "${RUN[service-down:api-3]}"
assert_contains "$OUT" "svc-web" "service-down restarted the alert's service"
run_rota 0 -- logs "${RUN[high-cpu:cpu-1]}"
has_line "$OUT" "settle: svc-cpu used [0-9.]+% of a CPU .* OK" "high-cpu measured the service after the restart"

# ---- failure paths: the run fails and the incident stays open ----------------
for pair in high-latency:api-4 high-error-rate:api-4 service-down:api-4 high-cpu:cpu-2 \
	high-memory:cpu-2; do
	r=${RUN[$pair]}
	assert_eq "$(run_status "$r")" 4 "$pair fails: $(rota show "$r")"
	assert_eq "$(incident_of "$r")" triggered "$pair: its incident stays open"
done
has_line "$(step "${RUN[high-latency:api-4]}" restart)" "^skipped" "rejected: nothing restarted"
has_line "$(step "${RUN[high-memory:cpu-2]}" restart)" "^skipped" "rejected: nothing restarted"
for rb in high-error-rate service-down; do
	run_rota 0 -- logs "${RUN[$rb:api-4]}"
	assert_contains "$OUT" "Unit ghost.service not found" "$rb: why the restart failed"
	has_line "$OUT" "restart: .*fake-unit api-4 ghost failed FAILED" "$rb: the restart's verdict"
done
run_rota 0 -- logs "${RUN[high-cpu:cpu-2]}"
has_line "$OUT" "settle: svc-cpu used [0-9.]+% of a CPU .*still high FAILED" "high-cpu: the hog still runs"
# A host that was not remediated is not told it was.
has_line "$(step "${RUN[service-down:api-4]}" recovered)" "^skipped" "no all-clear for api-4"

# The idle process cpu-1's restart started (in a session of its own).
kill "$(cat "$S/cpu-1.pid")" 2>/dev/null || true
pass "incident runbooks: latency, errors, down, CPU and memory, success and failure, from alerts"
