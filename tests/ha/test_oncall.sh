# HA fault 3 (docs/ha.md): the on-call side across failovers, with two
# coordinators on one PostgreSQL database, a worker, and a real webhook
# receiver (rota-testreceiver):
#   - an alert posted to both coordinators at once (Alertmanager lists
#     every coordinator) is answered 202 by both and opens one incident,
#     whose runbook runs once;
#   - that P1 incident's escalation climbs its three tiers, and the leader
#     is SIGKILLed between tier 1 and tier 2 and again between tier 2 and
#     tier 3: every tier is notified exactly once (one 2xx delivery per
#     tier, one escalation row per tier, no idempotency key delivered
#     twice), none skipped;
#   - every commit was made by the coordinator holding the lease.
. "$(dirname "$0")/lib.sh"
HA_COORDS=(c1 c2)
FAULT_WORKERS=(w1)
ha_setup
start_receiver
# delivered PATH: requests to PATH the receiver answered 2xx.
delivered() { grep -c "\"path\":\"$1\".*\"ok\":true" "$T/recv.jsonl" 2>/dev/null || true; }

HA_CONFIG=$T/config.yaml
cat >"$HA_CONFIG" <<YAML
channels:
  tier1: { webhook: { url: "$RECV/tier1" } }
  tier2: { webhook: { url: "$RECV/tier2" } }
  tier3: { webhook: { url: "$RECV/tier3" } }
escalation:
  deadlines: { P1: 1h }
  policies:
    default:
      - { after: 0s, notify: [tier1] }
      - { after: 8s, notify: [tier2] }
      - { after: 16s, notify: [tier3] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
cat >"$RUNBOOKS/svc-down.yaml" <<'EOF'
name: svc-down
description: answers ServiceDown; one line per execution
severity: P1
triggers:
  - alertmanager: { alertname: ServiceDown }
targets: { all: true }
steps:
  - id: look
    shell: |
      echo "$$" >> "$ROTA_TEST_TMP/markers/"{{ run.id }}.look.{{ host.id }}
EOF
rota lint "$RUNBOOKS/svc-down.yaml" >/dev/null || fail "svc-down does not lint"

ha_start_all
ha_audit_install
fault_start_workers
FAULT_T0=$SECONDS

# 1. One alert posted to both coordinators at once.
alert='{"receiver":"rota","status":"firing","version":"4","groupKey":"{}:{alertname=\"ServiceDown\"}",
 "groupLabels":{"alertname":"ServiceDown"},"commonLabels":{"alertname":"ServiceDown"},
 "commonAnnotations":{},"externalURL":"http://am.example:9093","truncatedAlerts":0,
 "alerts":[{"status":"firing","labels":{"alertname":"ServiceDown","instance":"w1:9100"},
 "annotations":{"summary":"down"},"startsAt":"2026-11-23T03:00:00Z","endsAt":"0001-01-01T00:00:00Z",
 "generatorURL":"http://prom.example:9090","fingerprint":"5e1ec7ed0000a1a1"}]}'
post() { # post NAME: posts the alert to NAME; its HTTP status in $T/post-NAME.code
	local var=HA_HTTP_$1
	curl -s -o "$T/post-$1.body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-H "Authorization: Bearer $(cat "$T/$1/alertmanager.token")" \
		--data-binary "$alert" "http://${!var}/v1/alerts/alertmanager" >"$T/post-$1.code" || true
}
for c in "${HA_COORDS[@]}"; do post "$c" & done
wait_for "[ -s '$T/post-c1.code' ] && [ -s '$T/post-c2.code' ]" 15 "both posts to be answered"
for c in "${HA_COORDS[@]}"; do
	assert_eq "$(cat "$T/post-$c.code")" 202 "the alert posted to $c ($(cat "$T/post-$c.body"))"
done

# 2. The climb across two leader kills, one between each pair of tiers.
# The tiers' clock starts when the incident opens: the first kill follows
# tier 1 at once, and what else the alert did (its run) is checked after
# the climb, so a busy machine's slow run does not eat into the 8 s before
# tier 2. Whether a kill came before the next tier is judged afterwards
# from the audit (the epoch each escalation was committed under), not from
# the receiver at the moment of the kill, which a tier due meanwhile races.
# ha_kill_leader_between N: once tier N is delivered, SIGKILL the leader;
# another leads; the killed one comes back as a follower. KILL_EPOCH[N] is
# the epoch the killed leader held.
declare -a KILL_EPOCH
ha_kill_leader_between() {
	wait_for "[ \"\$(delivered /tier$1)\" = 1 ]" 20 "tier $1 to be notified"
	local next=$(($1 + 1))
	local old=$HA_LEADER e0
	e0=$(ha_epoch)
	KILL_EPOCH[$1]=$e0
	ha_kill "$old"
	ha_note "SIGKILLed the leader $old (epoch $e0) after tier $1, before tier $next"
	ha_wait_leader "$old"
	ha_note "$HA_LEADER leads (epoch $(ha_epoch))"
	ha_start "$old"
	wait_for "ha_follows $old" 20 "the restarted $old to follow"
}
ha_kill_leader_between 1
ha_kill_leader_between 2
wait_for "[ \"\$(delivered /tier3)\" = 1 ]" 30 "tier 3 to be notified"
ha_note "tier 3 notified"
# Each kill came before the tier after it: that tier's escalation was
# committed under a newer epoch than the killed leader's (escalations are
# only inserted, one row per tier, in order).
for n in 1 2; do
	e=$(store "SELECT epoch FROM ha_writes WHERE tbl = 'escalations' ORDER BY at LIMIT 1 OFFSET $n")
	[ -n "$e" ] && [ "$e" -gt "${KILL_EPOCH[$n]}" ] ||
		fail "tier $((n + 1)) was escalated under epoch ${e:-none}, not after the kill that followed" \
			"tier $n (of epoch ${KILL_EPOCH[$n]}): the kill came too late, nothing tested"
done
# What the alert did besides: one incident, one run of its runbook, run once.
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM alert_inbox')\" = 0 ]" 15 \
	"the leader to act on the alert kept by the follower"
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM runs WHERE runbook = 'svc-down' AND status = 3\")\" = 1 ]" \
	20 "svc-down's run to succeed"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 1 "incidents opened by one alert posted to both"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE runbook = 'svc-down'")" 1 "runs of svc-down"
assert_eq "$(cat "$T"/markers/*.look.w1 | wc -l)" 1 "executions of svc-down's step"
inc=$(store "SELECT id FROM incidents")
ha_note "one incident ($inc), one run"
# Every tier once: one 2xx delivery each, and no row left to deliver (a
# second delivery of a tier would come from a row still undelivered).
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM outbox WHERE delivered_ms = 0')\" = 0 ]" 20 \
	"every notification to be delivered"
for n in 1 2 3; do
	assert_eq "$(delivered "/tier$n")" 1 "2xx deliveries to tier $n"
	assert_eq "$(store "SELECT COUNT(*) FROM outbox WHERE incident_id = '$inc' AND channel = 'tier$n'")" 1 \
		"notifications of tier $n in the outbox"
done
assert_eq "$(store "SELECT COUNT(*) FROM escalations WHERE incident_id = '$inc'")" 3 "tiers climbed"
twice=$(grep '"ok":true' "$T/recv.jsonl" | sed 's/.*"idempotency_key":"\([^"]*\)".*/\1/' | sort | uniq -d)
[ -z "$twice" ] || fail "delivered twice: $twice"
ha_wait_leader
ha_audit_check
pass "an alert posted to both coordinators opened one incident; its escalation climbed every tier once across two leader kills"
