#!/usr/bin/env bash
# Maintenance windows (issue 18, item 3) with a real coordinator, real
# workers and the store: a window on w2 makes the scheduled run skip w2
# (saying which window), an Alertmanager alert for w2 opens a suppressed
# incident that pages no one, a manual submit to w2 needs --force; rota
# workers, status and /metrics show it; the window ends on time across a
# coordinator restart (the test clock, ROTA_FAKE_NOW); a freeze pauses the
# schedules but those of runbooks marked `maintenance: ignore`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup
mkdir -p "$T/runbooks"
cp "$FIXTURES/daily.yaml" "$T/runbooks/"
cat >"$T/runbooks/keep.yaml" <<'YAML'
name: keep
maintenance: ignore
schedule: { cron: "* * * * *", timezone: UTC }
targets: { all: true }
steps:
  - id: backup
    shell: "echo kept"
YAML
cat >"$T/runbooks/restart-app.yaml" <<'YAML'
name: restart-app
severity: P2
triggers:
  - alertmanager: { alertname: AppDown }
targets: { all: true }
steps:
  - id: restart
    shell: "echo restarting"
YAML
cat >"$T/config.yaml" <<'YAML'
channels:
  pager: { webhook: { url: "http://127.0.0.1:9/never" } }
escalation:
  policies:
    default:
      - { after: 0m, notify: [pager] }
YAML
ROTA_FAKE_NOW=2026-06-01T10:00:52Z RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker w1 --label role=web
start_worker w2 --label role=db
wait_workers 2

# ---- start: audited, shown ----------------------------------------------------
run_rota 0 -- maintenance start --target role=db --for 2m --reason "kernel upgrade"
assert_contains "$OUT" "MW-1: role=db in maintenance until" "maintenance start"
assert_contains "$OUT" "hosts: w2" "maintenance start names the hosts"
run_rota 2 -- maintenance start --target w2 --reason x
assert_contains "$ERR" "needs --for" "a window without --for"
assert_eq "$(store "SELECT action || ' ' || target || ' ' || outcome FROM audit WHERE action LIKE 'maintenance%'")" \
	"maintenance start MW-1 ok" "the audit row"
run_rota 0 -- workers
has_line "$OUT" "^w2 .* connected, maintenance MW-1 " "rota workers: w2"
has_line "$OUT" "^w1 .* connected " "rota workers: w1"
assert_not_contains "$(grep '^w1 ' <<<"$OUT")" "maintenance" "rota workers: w1"
run_rota 0 -- status
assert_contains "$OUT" "1 window(s) active, 1 host(s) in maintenance" "rota status"
metrics=$(curl -s "http://$HTTP_EP/metrics")
has_line "$metrics" "^rota_maintenance_windows_active 1$" "/metrics windows"
has_line "$metrics" "^rota_hosts_in_maintenance 1$" "/metrics hosts"
run_rota 0 -- maintenance list --json
assert_contains "$OUT" '"id":"MW-1","state":"active","target":"role=db"' "maintenance list --json"
pass "a window is started, audited and shown by workers, status, list and /metrics"

# ---- a manual submit needs --force --------------------------------------------
run_rota 4 -- submit daily --target w2
assert_contains "$ERR" "worker w2 is in maintenance, window MW-1" "submit to w2"
assert_contains "$ERR" "--force" "submit to w2"
run_rota 0 -- submit daily --target w2 --force --wait
pass "a manual submit to a host in maintenance is refused without --force"

# ---- the scheduled run skips w2 (the 10:01 slot) ------------------------------
wait_for "[ -n \"\$(store \"SELECT id FROM runs WHERE runbook = 'daily' AND trigger = 'schedule' AND status IN (3, 4)\")\" ]" \
	20 "the scheduled run to end"
daily=$(store "SELECT id FROM runs WHERE runbook = 'daily' AND trigger = 'schedule' LIMIT 1")
assert_eq "$(run_status "$daily")" 3 "the scheduled run's status (succeeded)"
run_rota 0 -- show "$daily"
has_line "$OUT" "check +skipped .*host w2 is in maintenance, window MW-1" "rota show: w2 skipped, naming the window"
pass "a scheduled run skips the host in maintenance with the window's id"

# ---- an alert for w2 is suppressed ---------------------------------------------
body='{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "{}:{alertname=\"AppDown\"}",
 "alerts": [{"status": "firing", "labels": {"alertname": "AppDown", "instance": "w2:9100"},
             "annotations": {}, "startsAt": "2026-06-01T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
             "fingerprint": "fw2"}]}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$body" "http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$code" 202 "the alert's answer (accepted)"
run_rota 0 -- incidents --all
has_line "$OUT" "^INC-1 +P2 +suppressed " "rota incidents --all"
assert_eq "$(store "SELECT COUNT(*) FROM outbox")" 0 "notifications queued"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE trigger = 'alert'")" 0 "runs started by the alert"
run_rota 0 -- incident show INC-1
assert_contains "$OUT" "suppressed: w2 is in maintenance, window MW-1" "the timeline"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$body" "http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 1 "incidents after Alertmanager resent the alert"
run_rota 0 -- incidents --stats --json
assert_contains "$OUT" '"severity":"P2","count":0,"acknowledged":0,"resolved":0,"suppressed":1' "incidents --stats"
pass "an alert for a host in maintenance opens nothing and is shown suppressed"

# ---- ends on time across a restart --------------------------------------------
# The test clock runs at the real clock's pace from each start: every
# restart below leaves a minute of margin to what it checks, so a slow
# start on a busy machine cannot carry the clock past it.
stop_coordinator
ROTA_FAKE_NOW=2026-06-01T10:01:40Z RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
run_rota 0 -- maintenance list
has_line "$OUT" "^MW-1 +active +role=db " "maintenance list inside the window, after a restart"
# The freeze is started here, stored, and must hold the 10:04 slot after
# the next restart.
run_rota 4 -- maintenance start --target w1 --for 1h --reason x --freeze
assert_contains "$ERR" "--freeze pauses every schedule, so it goes with --target all" "a freeze on one host"
run_rota 0 -- maintenance start --target all --for 1h --reason "change freeze" --freeze
assert_contains "$OUT" "MW-2: all in maintenance until" "maintenance start --freeze"
assert_contains "$OUT" "every schedule frozen" "maintenance start --freeze"
stop_coordinator
# Past MW-1's end (10:02:5x), a little before the 10:04 slot.
ROTA_FAKE_NOW=2026-06-01T10:03:54Z RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
run_rota 0 -- maintenance list
assert_not_contains "$OUT" "MW-1" "maintenance list once MW-1 is over"
has_line "$OUT" "^MW-2 +active \(freeze\) +all " "maintenance list: the freeze"
wait_workers 2
assert_not_contains "$(rota workers)" "maintenance" "rota workers: a freeze puts no host in maintenance"
pass "a window ends on time across a coordinator restart"

# ---- a freeze pauses the schedules but maintenance: ignore ---------------------
slot=1780308240000 # 2026-06-01T10:04:00Z
wait_for "[ -n \"\$(store \"SELECT id FROM runs WHERE runbook = 'keep' AND slot_ms = $slot AND status = 3\")\" ]" \
	20 "keep's 10:04 run to succeed"
wait_for "[ -n \"\$(store \"SELECT id FROM runs WHERE runbook = 'daily' AND slot_ms = $slot\")\" ]" \
	10 "daily's 10:04 slot"
assert_eq "$(store "SELECT status FROM runs WHERE runbook = 'daily' AND slot_ms = $slot")" 6 \
	"daily's 10:04 run (skipped)"
assert_contains "$(store "SELECT reason FROM runs WHERE runbook = 'daily' AND slot_ms = $slot")" \
	"freeze window MW-2" "daily's reason"
run_rota 0 -- maintenance end MW-2
assert_contains "$OUT" "ended MW-2" "maintenance end"
run_rota 4 -- maintenance end MW-2
assert_contains "$ERR" "no window MW-2 is running" "ending it twice"
assert_eq "$(store "SELECT action || ' ' || target || ' ' || outcome FROM audit WHERE action = 'maintenance end' ORDER BY id")" \
	"maintenance end MW-2 ok
maintenance end MW-2 refused" "the audit rows of end"
pass "a freeze skips every schedule but a runbook marked maintenance: ignore; end stops it"
