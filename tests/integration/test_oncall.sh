#!/usr/bin/env bash
# On call, with a real webhook receiver standing in for each person's pager
# and one coordinator started "at" Tuesday 2026-12-08 10:00 UTC
# (ROTA_FAKE_NOW): `rota oncall` names bob (the second week of a weekly
# rotation handing off on Mondays at 09:00 London time), an override puts
# carol there (audited, kept across a restart), a P1 pages whoever is on
# call (carol), as does a runbook's notify step, and climbs to management while a P3 opened beside it stops
# short of it, a policy with `until: resolved` climbs past an ack, and the
# rotation's calendar is valid iCalendar with the override in it; e-mail
# goes through a local SMTP receiver.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

start_receiver
"$ROTA_TESTS_BIN/rota-testsmtp" "$T/smtp.port" "$T/mail.txt" >"$T/smtp.log" 2>&1 &
PIDS+=($!)
wait_for '[ -s "$T/smtp.port" ]' 5 "the SMTP receiver to listen"
delivered() { grep -c "\"path\":\"$1\".*\"ok\":true" "$T/recv.jsonl" || true; }

cat >"$T/config.yaml" <<YAML
smtp: { url: "smtp://127.0.0.1:$(cat "$T/smtp.port")", from: rota@example.org }
people:
  dave:  { email: dave@example.org }
  alice: { webhook: "$RECV/alice" }
  bob:   { webhook: { url: "$RECV/bob" } }
  carol: { webhook: "$RECV/carol" }
rotations:
  primary: { people: [alice, bob], shift: 1w, handoff: "MON 09:00",
             timezone: Europe/London, start: 2026-11-30 }
  mail: { people: [dave] }
channels:
  lead:       { webhook: { url: "$RECV/lead" } }
  managers:   { webhook: { url: "$RECV/managers" } }
  s-lead:     { webhook: { url: "$RECV/s-lead" } }
  s-managers: { webhook: { url: "$RECV/s-managers" } }
escalation:
  policies:
    default:
      - { after: 0s, notify: [oncall:primary] }
      - { after: 1s, notify: [lead] }
      - { after: 2s, notify: [managers], severity: [P1, P2] }
    sticky:
      until: resolved
      tiers:
        - { after: 0s, notify: [oncall:primary] }
        - { after: 1s, notify: [s-lead] }
        - { after: 3s, notify: [s-managers] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
mkdir -p "$T/runbooks"
for rb in "db-down P1 default" "disk-full P3 default" "api-slow P2 sticky"; do
	set -- $rb
	cat >"$T/runbooks/$1.yaml" <<YAML
name: $1
severity: $2
escalation: $3
steps:
  - id: look
    noop: {}
YAML
done
cat >"$T/runbooks/page.yaml" <<'YAML'
name: page
steps:
  - id: tell
    notify: { channel: "oncall:primary", message: "restarting app on db-1" }
YAML
cat >"$T/runbooks/mail.yaml" <<'YAML'
name: mail
severity: P2
steps:
  - id: tell
    notify: { channel: "oncall:mail", message: "disk on db-1 is 97% full\n.cache holds most of it" }
YAML

# --- a bad file: every problem at FILE:LINE:COLUMN, nothing started
cat >"$T/bad.yaml" <<'YAML'
people:
  alice: { webhook: "ftp://x" }
rotations:
  primary: { people: [alice, zed], handoff: "MONDAY 9", timezone: Mars/Olympus }
  night: { shift: 1d, handoff: "MON 09:00", people: [alice] }
escalation:
  policies:
    default:
      - { after: 0s, notify: [oncall:nope], severity: [P5] }
YAML
set +e
"$ROTA_BIN/rota-coordinator" --check --config "$T/bad.yaml" --data-dir "$T/check" \
	--runbooks "$T/runbooks" >"$T/check.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "--check accepted a bad configuration"
check=$(cat "$T/check.out")
assert_contains "$check" "bad.yaml:2:21: alice's webhook must start with http:// or https://" "bad webhook"
assert_contains "$check" "bad.yaml:4:30: 'zed' is not a person defined under people" "unknown person"
assert_contains "$check" "bad.yaml:4:67: timezone: 'Mars/Olympus' is not a zone" "bad zone"
assert_contains "$check" "bad.yaml:4:45: handoff: 'MONDAY 9' is not a handoff time" "bad handoff"
assert_contains "$check" "bad.yaml:5:32: handoff names a day, so shift must be whole weeks" "day with 1d"
assert_contains "$check" "bad.yaml:9:31: notify: 'oncall:nope' names no rotation" "unknown rotation"
assert_contains "$check" "bad.yaml:9:56: severity: 'P5' is not a severity" "bad severity"

"$ROTA_BIN/rota-coordinator" --check --config "$T/config.yaml" --data-dir "$T/check" \
	--runbooks "$T/runbooks" >"$T/check.out" 2>&1 || fail "--check refused: $(cat "$T/check.out")"
assert_contains "$(cat "$T/check.out")" "4 people, 2 rotations" "--check's summary"

ROTA_FAKE_NOW=2026-12-08T10:00:00Z RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker db-1
wait_workers 1

# --- who is on call: bob's week (alice had the week of 11-30), then alice
run_rota 0 -- oncall
has_line "$OUT" "primary +bob +2026-12-14 09:00:00 UTC +alice" "rota oncall"
run_rota 0 -- oncall --at 2026-12-01T10:00:00Z --json
assert_contains "$OUT" '"person":"alice"' "oncall --at"
assert_contains "$OUT" '"next":"bob"' "oncall --at: next"
run_rota 2 -- oncall --at yesterday
assert_contains "$ERR" "--at takes a time like 2026-12-08T10:00:00Z" "a bad --at"
run_rota 4 -- oncall nope
assert_contains "$ERR" "no rotation nope" "an unknown rotation"

# --- carol covers until noon: audited, and she is the one paged
run_rota 4 -- oncall override primary --person zed --from 2026-12-08T09:00:00Z \
	--until 2026-12-08T12:00:00Z
assert_contains "$ERR" "no person zed" "an override for nobody"
run_rota 0 -- oncall override primary --person carol --from 2026-12-08T09:00:00Z \
	--until 2026-12-08T12:00:00Z
assert_contains "$OUT" "carol covers primary from 2026-12-08 09:00:00 UTC until 2026-12-08 12:00:00 UTC (instead of bob)" "override"
run_rota 0 -- oncall
has_line "$OUT" "primary +carol \\(override\\) +2026-12-08 12:00:00 UTC +bob" "oncall after the override"
assert_eq "$(store "SELECT action || ' ' || target || ' ' || outcome FROM audit WHERE action = 'oncall override' AND outcome = 'ok'")" \
	"oncall override primary ok" "the override's audit row"

# --- a runbook's notify step to oncall:primary reaches carol
run_rota 0 -- submit page --target db-1 --wait
wait_for '[ "$(delivered /carol)" = 1 ]' 10 "the notify step to reach carol"
run_rota 0 -- show last
assert_contains "$OUT" "queued for @carol/webhook" "the step's detail"

# --- e-mail: through libcurl's SMTP to a local receiver
run_rota 0 -- submit mail --target db-1 --wait
wait_for 'grep -q -- "--END--" "$T/mail.txt" 2>/dev/null' 10 "the e-mail to dave"
mail=$(cat "$T/mail.txt")
assert_contains "$mail" "MAIL FROM:<rota@example.org>" "the envelope's sender"
assert_contains "$mail" "RCPT TO:<dave@example.org>" "the envelope's recipient"
assert_contains "$mail" "To: dave@example.org" "the To header"
assert_contains "$mail" "Subject: [P2] " "the subject"
assert_contains "$mail" "disk on db-1 is 97% full" "the text"
# A line that starts with a dot arrives as written: libcurl dot-stuffs the
# DATA on the wire, so rota must not do it too (it once arrived "..cache").
has_line "$mail" "^\.cache holds most of it$" "the text's line that starts with a dot"
wait_for '[ "$(store "SELECT COUNT(*) FROM outbox WHERE channel = '"'@dave/email'"' AND delivered_ms > 0")" = 1 ]' \
	10 "the e-mail recorded delivered"

# --- a P1 climbs to management, a P3 opened beside it does not
run_rota 0 -- incident open db-down --title "primary database down" --target db-1
assert_contains "$OUT" "INC-1" "P1 open"
run_rota 0 -- incident open disk-full --title "disk filling" --target db-1
assert_contains "$OUT" "INC-2" "P3 open"
wait_for '[ "$(delivered /managers)" = 1 ]' 15 "the P1 to reach management"
wait_for '[ "$(delivered /lead)" = 2 ]' 10 "both incidents to reach the lead"
assert_eq "$(delivered /carol)" 3 "pages to carol, on call by the override"
assert_eq "$(delivered /bob)" 0 "pages to bob, covered by carol"
wait_for '[ "$(store "SELECT COUNT(*) FROM incident_events WHERE incident_id = '"'INC-2'"' AND text LIKE '"'%passed over%'"'")" = 1 ]' \
	10 "the P3 to pass the management tier over"
assert_eq "$(delivered /managers)" 1 "management pages (the P1 only)"
run_rota 0 -- incident show INC-1
assert_contains "$OUT" "tier 1 (at once): notified oncall:primary (carol)" "INC-1's timeline names who was paged"
run_rota 0 -- incident show INC-2
assert_contains "$OUT" "tier 3 (after 2.0s): passed over, it is not for P3" "INC-2's timeline"
assert_eq "$(store "SELECT next_ms = ack_due_ms FROM incidents WHERE id = 'INC-2'")" 1 \
	"INC-2 waits for nothing but its ack deadline"

# --- until: resolved climbs past an ack
run_rota 0 -- incident open api-slow --title "api slow" --target db-1
assert_contains "$OUT" "INC-3" "P2 open"
wait_for '[ "$(delivered /carol)" = 4 ]' 10 "INC-3's first tier"
run_rota 0 -- ack INC-3 --note "looking"
assert_contains "$OUT" "acknowledged" "ack INC-3"
wait_for '[ "$(delivered /s-managers)" = 1 ]' 15 "INC-3 to climb to its last tier past the ack"
assert_eq "$(store "SELECT status FROM incidents WHERE id = 'INC-3'")" "acknowledged" "INC-3's status"
acked=$(store "SELECT acked_ms FROM incidents WHERE id = 'INC-3'")
climbed=$(store "SELECT MAX(at_ms) FROM escalations WHERE incident_id = 'INC-3'")
[ "$climbed" -gt "$acked" ] ||
	fail "INC-3's last tier came $((acked - climbed)) ms before its ack, not after it: nothing tested"
run_rota 0 -- incident show INC-3
assert_contains "$OUT" "escalation goes on until it is resolved" "the ack says the climb goes on"
run_rota 0 -- resolve INC-3 --note "scaled up"
assert_eq "$(store "SELECT next_ms FROM incidents WHERE id = 'INC-3'")" 0 "INC-3 after the resolve"

# --- the calendar: CRLF lines, the override, and the next weeks' shifts
curl -s -o "$T/primary.ics" -w '%{http_code} %{content_type}' "http://$HTTP_EP/v1/oncall/primary.ics?weeks=2" >"$T/ics.status"
assert_eq "$(cat "$T/ics.status")" "200 text/calendar; charset=utf-8" "the .ics answer"
assert_eq "$(head -c 17 "$T/primary.ics")" "BEGIN:VCALENDAR$(printf '\r')" "the .ics's first line"
assert_eq "$(grep -vc $'\r$' "$T/primary.ics" || true)" 0 "lines not ending in CRLF"
ics=$(tr -d '\r' <"$T/primary.ics")
assert_contains "$ics" "SUMMARY:carol on call (primary) - override" "the override in the calendar"
assert_contains "$ics" "DTSTART:20261214T090000Z" "alice's shift from Monday 09:00 London"
assert_eq "$(grep -c 'BEGIN:VEVENT' <<<"$ics")" "$(grep -c 'END:VEVENT' <<<"$ics")" "events closed"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP_EP/v1/oncall/nope.ics")" 404 "an unknown rotation's calendar"

# --- the override outlives a restart
stop_coordinator
ROTA_FAKE_NOW=2026-12-08T10:30:00Z RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
run_rota 0 -- oncall primary
has_line "$OUT" "primary +carol \\(override\\)" "the override after a restart"
echo "ok"
