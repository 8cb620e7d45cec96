#!/usr/bin/env bash
# Fleet data (vars: in the coordinator's configuration) reaches a scheduled
# run, which has no -p: each host gets its own value (a later entry wins,
# a host's own over its role's), a host no entry names keeps the default,
# and `rota show` says where each value came from. ROTA_FAKE_NOW starts the
# coordinator's clock before the slot, with room for its start and its three
# workers' Hellos on a slow machine (a sanitized build under a CPU hog took
# 2.8 s to load the runbook: a schedule that is new when its slot has passed
# fires the next day, as cron does).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks"
cat >"$T/runbooks/probe.yaml" <<'YAML'
name: probe
description: a daily check whose URL differs by host
severity: P3
schedule: { cron: "1 10 * * *", timezone: UTC }
targets: { all: true }
params:
  health_url: { default: "http://127.0.0.1:8000/health" }
  retries: { default: 1, type: int }
steps:
  - id: say
    shell:
      env: { U: "{{ params.health_url }}", N: "{{ params.retries }}" }
      run: echo "probe $U x$N"
YAML
cat >"$T/config.yaml" <<'YAML'
vars:
  - match: { role: api }
    params: { health_url: "http://api.internal/health", retries: 3 }
  - host: api-2
    params: { health_url: "http://api-2.internal/ready" }
  - params: { unknown_to_probe: ignored }
YAML
ROTA_FAKE_NOW=2026-06-01T10:00:53Z RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker api-1 --label role=api
start_worker api-2 --label role=api
start_worker db-1 --label role=db
wait_workers 3
wait_for '[ "$(store "SELECT COUNT(*) FROM runs WHERE trigger = '"'schedule'"'")" = 1 ]' 20 \
	"the scheduled run"
RUN=$(store "SELECT id FROM runs WHERE trigger = 'schedule'")
wait_for '[ "$(run_status "$RUN")" = 3 ]' 15 "the scheduled run to succeed"
logs=$(rota logs "$RUN")
has_line "$logs" "^api-1 +say \| probe http://api.internal/health x3$" "api-1: its role's vars"
has_line "$logs" "^api-2 +say \| probe http://api-2.internal/ready x3$" "api-2: its own entry wins"
has_line "$logs" "^db-1 +say \| probe http://127.0.0.1:8000/health x1$" "db-1: the defaults"
run_rota 0 -- show "$RUN"
has_line "$OUT" "^health_url +http://127.0.0.1:8000/health +default +every host$" "show: default"
has_line "$OUT" "^health_url +http://api-2.internal/ready +vars \(host api-2, line 4\) +api-2$" \
	"show: api-2's own"
has_line "$OUT" "^retries +3 +vars \(role=api, line 2\) +api-1$" "show: api-1's role"
assert_not_contains "$OUT" "unknown_to_probe" "show: a name the runbook does not declare"

# A value that does not fit the param's type fails the scheduled run,
# naming where it came from.
kill "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
printf '  - host: db-1\n    params: { retries: many }\n' >>"$T/config.yaml"
ROTA_FAKE_NOW=2026-06-02T10:00:58Z RUNBOOKS=$T/runbooks restart_coordinator \
	--config "$T/config.yaml"
wait_for '[ "$(store "SELECT COUNT(*) FROM runs WHERE trigger = '"'schedule'"'")" = 2 ]' 20 \
	"the second day's run"
reason=$(store "SELECT reason FROM runs WHERE trigger = 'schedule' ORDER BY created_ms DESC LIMIT 1")
assert_contains "$reason" "must be an integer, not 'many' (from vars (host db-1, line 7), on db-1)" \
	"the failed run's reason"
echo "ok"
