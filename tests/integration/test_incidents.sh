# Incidents end to end, seen through the CLI, with a coordinator started
# with --config (two webhook channels, a three-tier policy on short delays).
# The channels point at a receiver that answers 503 to everything:
# notifications stay pending in the outbox (retried), which is what this test
# reads back; test_escalation covers deliveries.
#   - rota incident open starts a run and opens INC-1; tier 1 is notified at
#     once, tiers 2 and 3 and the overdue mark follow on time; a second ack
#     is refused (exit 4); resolve tells every channel that was notified;
#     incidents --open / incidents list it;
#   - rota ack stops the climb: INC-2, acknowledged after its tier 2 while
#     its tier 3 is seconds away, notifies no tier after the ack;
#   - a scheduled run that fails opens an incident (source run-failure, the
#     runbook's severity), and its next failure is added to it;
#   - a notify step naming an unknown channel fails, naming the channels;
#   - a bad --config stops the coordinator with file:line:column.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"

start_receiver
DEAD_PORT=$(cat "$T/recv.port")
curl -s -X POST --data-binary "fail 503 100000" "http://127.0.0.1:$DEAD_PORT/control" >/dev/null
CONFIG=$T/coordinator.yaml
cat >"$CONFIG" <<EOF
http: "off"
channels:
  oncall:
    webhook: { url: "http://127.0.0.1:$DEAD_PORT/oncall" }
  lead:
    webhook: { url: "http://127.0.0.1:$DEAD_PORT/lead" }
escalation:
  deadlines: { P1: 3s }
  policies:
    default:
      - { after: 0s, notify: [oncall, lead] }
      - { after: 2s, notify: [lead] }
      - { after: 4s, notify: [oncall] }
    slow:
      - { after: 0s, notify: [oncall] }
      - { after: 1s, notify: [lead] }
      - { after: 5s, notify: [oncall, lead] }
EOF

cat >"$RUNBOOKS/fix.yaml" <<'EOF'
name: fix
severity: P3
targets: { all: true }
steps:
  - id: mend
    shell: "true"
EOF
cat >"$RUNBOOKS/fix-slow.yaml" <<'EOF'
name: fix-slow
severity: P3
escalation: slow
targets: { all: true }
steps:
  - id: mend
    shell: "true"
EOF
cat >"$RUNBOOKS/shout.yaml" <<'EOF'
name: shout
targets: { all: true }
steps:
  - id: page
    notify: { message: "hello", channel: nowhere }
EOF

timeline_lines() {
	rota incident show INC-1 | sed -n '/^timeline$/,/^$/p' | grep -c '^  [0-9]'
}

# ---- bad configurations ------------------------------------------------------
bad_config() { # NAME EXPECTED-REGEX: the coordinator must refuse the file
	local f=$T/$1.yaml
	cat >"$f"
	set +e
	"$ROTA_BIN/rota-coordinator" --data-dir "$T/bad-data" --worker-endpoint "tcp://127.0.0.1:*" \
		--api-endpoint "tcp://127.0.0.1:*" --runbooks "$RUNBOOKS" --config "$f" \
		>"$T/bad.out" 2>&1
	local rc=$?
	set -e
	[ "$rc" != 0 ] || fail "the coordinator accepted $1.yaml"
	grep -Eq -- "$2" "$T/bad.out" || fail "$1.yaml: no line matches '$2' in: $(cat "$T/bad.out")"
}
bad_config unknown-key "$T/unknown-key.yaml:2:1: unknown key 'chanels'" <<'EOF'
http: "off"
chanels: {}
EOF
bad_config undefined-channel "$T/undefined-channel.yaml:7:31: notify: 'pager' is not a channel defined under channels" <<'EOF'
channels:
  oncall:
    webhook: { url: "http://127.0.0.1:1/x" }
escalation:
  policies:
    default:
      - { after: 0s, notify: [pager] }
EOF
bad_config bad-duration "$T/bad-duration.yaml:6:24: after: '5 minutes' is not a duration" <<'EOF'
channels:
  oncall:
    webhook: { url: "http://127.0.0.1:1/x" }
escalation:
  policies:
    default: [{ after: 5 minutes, notify: [oncall] }]
EOF
pass "a bad --config stops the coordinator with file:line:column and what is wrong"

# ---- open, climb, ack, resolve ------------------------------------------------
start_coordinator --config "$CONFIG"
start_worker w1
wait_workers 1

run_rota 0 -- incidents
assert_contains "$OUT" "no incidents yet" "incidents before any"

run_rota 2 -- incident open fix --severity P9 --title "x"
assert_contains "$ERR" "--severity must be P1, P2, P3 or P4" "a bad severity"
run_rota 2 -- incident open fix --severity P1
assert_contains "$ERR" "needs --title" "a missing title"
run_rota 2 -- incident frobnicate
assert_contains "$ERR" "unknown incident subcommand 'frobnicate'" "an unknown subcommand"

run_rota 0 -- incident open fix --severity p1 --title "db-1 disk full" --target w1
opened=$OUT
has_line "$opened" "^INC-1 opened: P1 triggered: db-1 disk full$" "incident open"
has_line "$opened" "^run [0-9a-f-]+ of fix started on 1 host: w1$" "incident open: the run"
has_line "$opened" "^escalation policy default: tier 1 notified; ack due .* UTC \(in [0-9]s\)$" "incident open: escalation"
has_line "$opened" "^  rota incident show INC-1$" "incident open: how to follow"
run=$(sed -n 's/^run \([^ ]*\) of fix.*/\1/p' <<<"$opened")
has_line "$opened" "^  rota logs $run -f$" "incident open: how to follow the run"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 15 "the incident's run to succeed"

run_rota 0 -- incident show INC-1
has_line "$OUT" "^status +triggered$" "show: status"
has_line "$OUT" "^source +cli$" "show: source"
# Tier 2 is due 2 s after the open: on a busy machine the run above can
# take longer, so the tier shown is any the climb has reached by now (the
# timeline's line below is what proves tier 1 came at once).
has_line "$OUT" "^escalation +policy default, tier [123] reached$" "show: the tier reached"
has_line "$OUT" "^  [0-9: -]+ +escalated +tier 1 \(at once\): notified oncall, lead$" "show: tier 1 in the timeline"
has_line "$OUT" "^  oncall +trigger +[0-9]+ +pending" "show: the trigger to oncall"
has_line "$OUT" "^  $run +fix +succeeded +1/0/1 " "show: the linked run"
# inc-1 and 1 name it too.
run_rota 0 -- incident show inc-1 --json
assert_contains "$OUT" '"id":"INC-1"' "show inc-1 --json"
assert_contains "$OUT" '"severity":"P1"' "show --json severity"
run_rota 0 -- incident show 1
run_rota 4 -- incident show INC-99
assert_contains "$ERR" "no incident INC-99" "show of an unknown incident"

wait_for "rota incident show INC-1 | grep -Eq '^escalation +policy default, tier 3 reached$'" 15 \
	"INC-1 to reach tier 3"
run_rota 0 -- incident show INC-1
has_line "$OUT" "escalated +tier 2 \(after 2(\.0)?s\): notified lead$" "show: tier 2"
has_line "$OUT" "escalated +tier 3 \(after 4(\.0)?s\): notified oncall$" "show: tier 3"
has_line "$OUT" "^  [0-9: -]+ +overdue +not acknowledged within P1's deadline of 3(\.0)?s$" "show: the overdue line"
has_line "$OUT" "^ack due +.* UTC: OVERDUE" "show: ack due overdue"
run_rota 0 -- incidents
has_line "$OUT" "^ID +SEV +STATUS +OPENED +SOURCE +RUNBOOK +HOSTS +ESCALATION +TITLE$" "incidents header"
has_line "$OUT" "^INC-1 +P1 +triggered +[0-9]+s ago +cli +fix +w1 +ACK OVERDUE +db-1 disk full$" "incidents row"

before=$(timeline_lines)
run_rota 0 -- ack INC-1 --note "looking"
has_line "$OUT" "^INC-1 acknowledged by .* at .* UTC: escalation stopped$" "ack"
after=$(timeline_lines)
assert_eq "$after" "$((before + 1))" "timeline lines after the ack (the ack's)"
run_rota 4 -- ack INC-1
assert_contains "$ERR" "already acknowledged" "a second ack"
run_rota 0 -- incident show INC-1
has_line "$OUT" "^next escalation +none: acknowledged$" "show after the ack"
has_line "$OUT" "^acknowledged +.* UTC by " "show: who acknowledged"

run_rota 0 -- resolve INC-1 --note fixed
has_line "$OUT" "^INC-1 resolved at .* UTC: fixed$" "resolve"
run_rota 4 -- resolve INC-1
assert_contains "$ERR" "already resolved" "a second resolve"
run_rota 0 -- incidents --open
assert_contains "$OUT" "no open incidents" "incidents --open after the resolve"
run_rota 0 -- incidents
has_line "$OUT" "^INC-1 +P1 +resolved +" "incidents lists the resolved one"
run_rota 0 -- incidents --json
assert_contains "$OUT" '"status":"resolved"' "incidents --json"
assert_contains "$OUT" '"note":"fixed"' "incidents --json note"

outbox=$(store "SELECT channel || ' ' || kind FROM outbox ORDER BY id" | tr '\n' ',')
assert_eq "$outbox" "oncall trigger,lead trigger,lead escalate,lead overdue,oncall escalate,lead acknowledge,oncall acknowledge,lead resolve,oncall resolve," \
	"the outbox"
pass "incident open climbs three tiers on time and marks overdue; resolve tells every channel"

# ---- ack stops the climb ------------------------------------------------------
# INC-2's policy notifies at 0 s, 1 s and 5 s. It is acknowledged once tier 2
# is in (the test checks the ack came before tier 3's time, or nothing would
# be tested); once tier 3's time is well past, no tier came after the ack.
run_rota 0 -- incident open fix-slow --title "slow climb" --target w1
has_line "$OUT" "^INC-2 opened: P3 triggered: slow climb$" "incident open INC-2"
wait_for "rota incident show INC-2 | grep -Eq '^escalation +policy slow, tier 2 reached$'" 15 \
	"INC-2 to reach tier 2"
run_rota 0 -- ack INC-2
created=$(store "SELECT created_ms FROM incidents WHERE id = 'INC-2'")
acked=$(store "SELECT acked_ms FROM incidents WHERE id = 'INC-2'")
[ "$acked" -gt 0 ] && [ "$acked" -lt $((created + 5000)) ] ||
	fail "INC-2 was acknowledged $((acked - created)) ms after it opened, not before its tier 3 (5000 ms)"
wait_for "[ \$(date +%s%3N) -gt $((created + 5000 + 2500)) ]" 15 "INC-2's tier 3 time to pass"
run_rota 0 -- incident show INC-2
has_line "$OUT" "^escalation +policy slow, tier 2 reached$" "INC-2 after its tier 3 time"
has_line "$OUT" "^next escalation +none: acknowledged$" "INC-2's next escalation"
assert_not_contains "$OUT" "tier 3" "INC-2's timeline after the ack"
assert_eq "$(store "SELECT COUNT(*) FROM escalations WHERE incident_id = 'INC-2'")" 2 "INC-2's tiers notified"
assert_eq "$(store "SELECT COUNT(*) FROM outbox WHERE incident_id = 'INC-2' AND kind = 'escalate'")" 1 \
	"INC-2's escalation notices (tier 2 only)"
pass "ack stops the climb: no tier after it"

# ---- notify to an unknown channel ---------------------------------------------
run_rota 1 -- submit shout --wait
run_rota 0 -- show last
has_line "$OUT" "page +(failed|error) .*no channel 'nowhere' in the coordinator's configuration \(channels: oncall, lead\)" \
	"a notify step to an unknown channel"
pass "a notify step naming an unknown channel fails and names the channels"

# ---- a failing scheduled run --------------------------------------------------
stop_coordinator
# Every minute, failing; written only now, so the first coordinator never
# ran it. Its clock starts just before a minute.
cat >"$RUNBOOKS/nightly.yaml" <<'EOF'
name: nightly
severity: P2
schedule: { cron: "* * * * *", timezone: UTC }
targets: { all: true }
steps:
  - id: check
    shell: "exit 3"
EOF
ROTA_FAKE_NOW=2026-06-01T10:00:57Z restart_coordinator --config "$CONFIG"
wait_workers 1
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM incidents WHERE source = 'run-failure'\")\" = 1 ]" 20 \
	"the failed scheduled run to open an incident"
nightly=$(store "SELECT id FROM incidents WHERE source = 'run-failure'")
run_rota 0 -- incident show "$nightly"
has_line "$OUT" "^severity +P2$" "the runbook's severity"
has_line "$OUT" "^source +run-failure$" "the source of a failed scheduled run"
has_line "$OUT" "^title +scheduled nightly failed$" "the title"
# The next minute, without waiting for it: a restart just before it (the
# incident lives in the store, so the second failure still finds it).
stop_coordinator
ROTA_FAKE_NOW=2026-06-01T10:01:57Z restart_coordinator --config "$CONFIG"
wait_workers 1
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM incident_runs WHERE incident_id = '$nightly'\")\" = 2 ]" 20 \
	"the second failure to be added to $nightly"
assert_eq "$(store "SELECT COUNT(*) FROM incidents WHERE source = 'run-failure'")" 1 "incidents after two failures"
run_rota 0 -- incident show "$nightly"
n=$(sed -n '/^runs$/,$p' <<<"$OUT" | grep -cE ' nightly +failed ' || true)
assert_eq "$n" 2 "failed runs of nightly linked to $nightly"
pass "a failing scheduled run opens one incident with the runbook's severity; the next failure joins it"
