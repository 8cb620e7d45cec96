#!/usr/bin/env bash
# Escalation against a real webhook receiver on loopback: a P1 incident
# climbs three tiers at the configured (shortened) delays; another one,
# acknowledged after its second tier while its third is still seconds
# away, notifies no tier after the ack;
# a receiver that answers 500 three times and then 200 ends with exactly one
# recorded delivery; a coordinator SIGKILLed with undelivered notifications
# delivers them after its restart, each exactly once.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

start_receiver
control() { curl -s -X POST --data-binary "$1" "$RECV/control" >/dev/null; }
# delivered PATH: how many requests to PATH were answered 2xx.
delivered() { grep -c "\"path\":\"$1\".*\"ok\":true" "$T/recv.jsonl" || true; }
# count_kind KIND: requests whose notice is of that kind (the body is a JSON
# string inside the record, so its quotes are escaped).
count_kind() { grep -cF 'kind\":\"'"$1"'\"' "$T/recv.jsonl" || true; }

cat >"$T/config.yaml" <<YAML
channels:
  oncall:  { webhook: { url: "$RECV/oncall" } }
  lead:    { webhook: { url: "$RECV/lead" } }
  manager: { webhook: { url: "$RECV/manager" } }
  solo:    { webhook: { url: "$RECV/solo" } }
  c-oncall:  { webhook: { url: "$RECV/c-oncall" } }
  c-lead:    { webhook: { url: "$RECV/c-lead" } }
  c-manager: { webhook: { url: "$RECV/c-manager" } }
escalation:
  deadlines: { P1: 1h }
  policies:
    default:
      - { after: 0s, notify: [oncall] }
      - { after: 2s, notify: [lead] }
      - { after: 4s, notify: [manager] }
    quiet:
      - { after: 0s, notify: [solo] }
    climb:
      - { after: 0s, notify: [c-oncall] }
      - { after: 1s, notify: [c-lead] }
      - { after: 5s, notify: [c-manager] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
mkdir -p "$T/runbooks"
cat >"$T/runbooks/db-down.yaml" <<'YAML'
name: db-down
severity: P1
steps:
  - id: look
    shell: { run: "echo looking" }
YAML
cat >"$T/runbooks/api-down.yaml" <<'YAML'
name: api-down
severity: P1
escalation: climb
steps:
  - id: look
    shell: { run: "echo looking" }
YAML
cat >"$T/runbooks/disk-full.yaml" <<'YAML'
name: disk-full
severity: P3
escalation: quiet
steps:
  - id: look
    shell: { run: "echo looking" }
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker db-1
wait_workers 1

# --- the climb, and the ack told to every tier
run_rota 0 -- incident open db-down --severity P1 --title "primary database down" --target db-1
assert_contains "$OUT" "INC-1" "incident open"
wait_for '[ "$(delivered /manager)" = 1 ]' 15 "tier 3 to be notified"
assert_eq "$(delivered /oncall)" 1 "tier 1 deliveries"
assert_eq "$(delivered /lead)" 1 "tier 2 deliveries"
# Each tier when its time came: after 0, 2 and 4 seconds (the timer ticks
# every 100 ms; the commit and a loaded machine add a little).
created=$(store "SELECT created_ms FROM incidents WHERE id = 'INC-1'")
for row in "oncall 0" "lead 2000" "manager 4000"; do
	set -- $row
	at=$(store "SELECT created_ms FROM outbox WHERE channel = '$1' AND kind IN ('trigger', 'escalate')")
	delay=$((at - created))
	[ "$delay" -ge "$2" ] && [ "$delay" -lt $(($2 + 1500)) ] ||
		fail "tier $1 notified after $delay ms, expected about $2 ms"
done
run_rota 0 -- ack INC-1 --note "on it"
assert_contains "$OUT" "acknowledged" "ack"
wait_for '[ "$(count_kind acknowledge)" = 3 ]' 10 \
	"every notified channel to hear of the ack"
assert_eq "$(store "SELECT next_ms FROM incidents WHERE id = 'INC-1'")" 0 "climb pending after ack"
run_rota 4 -- ack INC-1
assert_contains "$ERR" "already acknowledged" "a second ack"
run_rota 0 -- resolve INC-1 --note "failed over"
wait_for '[ "$(count_kind resolve)" = 3 ]' 10 \
	"every notified channel to hear of the resolution"

# --- 500, 500, 500, then 200: one delivery
control "fail 500 3"
run_rota 0 -- incident open disk-full --title "disk filling" --target db-1
wait_for '[ "$(delivered /solo)" = 1 ]' 15 "the solo notice to get through"
sleep 1
assert_eq "$(delivered /solo)" 1 "2xx deliveries of the solo notice"
assert_eq "$(grep -c '"path":"/solo"' "$T/recv.jsonl")" 4 "attempts the receiver saw"
assert_eq "$(store "SELECT attempts || ' ' || (CASE WHEN delivered_ms > 0 THEN 1 ELSE 0 END) || ' ' || last_status
	FROM outbox WHERE channel = 'solo'")" "4 1 200" "the row's record"
run_rota 0 -- incident show INC-2
has_line "$OUT" "solo.*delivered" "incident show's deliveries"

# --- SIGKILL with notifications undelivered, then restart
control "fail 503 1000"
run_rota 0 -- incident open disk-full --title "disk filling again" --target db-1
wait_for '[ "$(grep -c "INC-3" "$T/recv.jsonl")" -ge 1 ]' 10 "a first failed attempt"
assert_eq "$(store "SELECT COUNT(*) FROM outbox WHERE incident_id = 'INC-3' AND delivered_ms = 0")" \
	1 "undelivered rows before the kill"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
control "ok"
RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
wait_for '[ "$(grep "INC-3" "$T/recv.jsonl" | grep -c "\"ok\":true")" = 1 ]' 15 \
	"the undelivered notice to go out after the restart"
sleep 1
assert_eq "$(grep "INC-3" "$T/recv.jsonl" | grep -c '"ok":true')" 1 "deliveries of INC-3's notice"
assert_eq "$(store "SELECT COUNT(*) FROM outbox WHERE delivered_ms = 0")" 0 "rows left undelivered"
# Nothing delivered before the kill went out again.
for key in $(grep '"ok":true' "$T/recv.jsonl" | sed 's/.*"idempotency_key":"\([^"]*\)".*/\1/' | sort | uniq -d); do
	fail "$key was delivered twice"
done
# --- ack stops the climb: INC-4 is acknowledged once its second tier is
# notified (1 s), while its third (5 s) is still to come; once the third's
# time is well past, no tier was notified after the ack.
run_rota 0 -- incident open api-down --title "api down" --target db-1
assert_contains "$OUT" "INC-4" "incident open"
wait_for '[ "$(delivered /c-lead)" = 1 ]' 15 "INC-4's tier 2 to be notified"
run_rota 0 -- ack INC-4 --note "on it"
created=$(store "SELECT created_ms FROM incidents WHERE id = 'INC-4'")
acked=$(store "SELECT acked_ms FROM incidents WHERE id = 'INC-4'")
[ "$acked" -gt 0 ] && [ "$acked" -lt $((created + 5000)) ] ||
	fail "INC-4 was acknowledged $((acked - created)) ms after it opened, not before its tier 3 (5000 ms): nothing tested"
assert_eq "$(store "SELECT next_ms FROM incidents WHERE id = 'INC-4'")" 0 "INC-4's climb pending after the ack"
# Past the time tier 3 would have fired, with the timer's and a busy
# machine's slack (the first test's tiers came within 1.5 s of their time).
wait_for "[ \$(date +%s%3N) -gt $((created + 5000 + 2500)) ]" 15 "INC-4's tier 3 time to pass"
wait_for '[ "$(count_kind acknowledge)" = 5 ]' 10 "INC-4's two notified channels to hear of the ack"
assert_eq "$(store "SELECT COUNT(*) FROM escalations WHERE incident_id = 'INC-4'")" 2 \
	"INC-4's tiers notified (none after the ack)"
assert_eq "$(grep -c '"path":"/c-manager"' "$T/recv.jsonl" || true)" 0 "notices to INC-4's tier 3"
echo "ok"
