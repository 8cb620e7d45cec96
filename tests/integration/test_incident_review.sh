#!/usr/bin/env bash
# Runbooks as documents and the post-incident review, with a real
# coordinator, a real worker and a real webhook receiver (issue 18, items 5
# and 6), on one set-up:
#   - an Alertmanager alert over HTTP opens INC-1 and a run remediates it on
#     the worker; the pager's trigger is delivered; the incident is acked,
#     noted (action, finding, cause, prevention, and a note on the run) and
#     resolved;
#   - rota incident review INC-1 [--out FILE] writes every event of the
#     incident's timeline in order, the run per host and step, the
#     notifications with their delivery, the acknowledgement, the notes,
#     the impact, and root cause, resolution and prevention from the notes;
#     an incident without notes says "To be written";
#   - rota runbook show NAME --markdown renders the coordinator's runbook
#     with its policy's real tiers and the severity's ack deadline; rota
#     runbook docs --out DIR writes an index by category and a page each;
#     unknown names and missing arguments are refused.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

start_receiver
cat >"$T/config.yaml" <<YAML
channels:
  pager: { webhook: { url: "$RECV/pager" } }
  lead:  { webhook: { url: "$RECV/lead" } }
escalation:
  deadlines: { P2: 1h }
  policies:
    default:
      - { after: 0s, notify: [pager] }
      - { after: 15m, notify: [lead] }
outbox: { backoff: 200ms, max_backoff: 1s, timeout: 2s }
YAML
mkdir -p "$T/runbooks"
cat >"$T/runbooks/svc-down.yaml" <<'YAML'
name: svc-down
description: Restarts the api when it stops answering.
category: incidents
severity: P2
alert: The api does not answer its health check.
prevention: Let systemd restart the api by itself.
escalation_notes: Call the team lead when a second host fails.
triggers:
  - alertmanager: { alertname: ServiceDown, service: api }
targets: { labels: { role: api } }
steps:
  - id: remediate
    phase: resolve
    description: Restarts the api.
    shell: { run: "echo remediating {{ host.id }}" }
YAML
cat >"$T/runbooks/tidy.yaml" <<'YAML'
name: tidy
category: operations
steps:
  - id: look
    shell: "true"
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker web-1 --label role=api
wait_workers 1

# ---- runbooks as documents, from the coordinator ---------------------------
run_rota 0 -- runbook show svc-down --markdown
doc=$OUT
has_line "$doc" "^# svc-down$" "runbook show: the title"
for s in "Alert description" "Immediate actions" "Investigation" "Resolution" "Verification" \
	"Prevention" "Escalation" "Parameters" "Schedule"; do
	has_line "$doc" "^## $s$" "runbook show: section $s"
done
has_line "$doc" "^The api does not answer its health check.$" "runbook show: the alert"
has_line "$doc" "^1\. \*\*remediate\*\* \(shell\): Restarts the api\.$" "runbook show: the step"
has_line "$doc" "escalation policy \*\*default\*\*; a P2 incident is due an acknowledgement within 1h" \
	"runbook show: the policy and the deadline"
has_line "$doc" "^\| at once \| pager \|  \|$" "runbook show: tier 1"
has_line "$doc" "^\| 15m \| lead \|  \|$" "runbook show: tier 2"
has_line "$doc" "^Call the team lead when a second host fails.$" "runbook show: escalation notes"
run_rota 0 -- runbook show svc-down --json
assert_contains "$OUT" '"category":"incidents"' "runbook show --json"
run_rota 0 -- runbooks --json
assert_contains "$OUT" '"category":"operations"' "runbooks --json: the catalog's category"
run_rota 4 -- runbook show nosuch
assert_contains "$ERR" "unknown runbook 'nosuch'; the coordinator has: svc-down, tidy" "an unknown runbook"
run_rota 2 -- runbook show
assert_contains "$ERR" "runbook show needs a runbook name" "runbook show without a name"
run_rota 2 -- runbook docs
assert_contains "$ERR" "runbook docs needs --out DIR" "runbook docs without --out"
run_rota 0 -- runbook docs --out "$T/library"
has_line "$OUT" "^wrote $T/library/index.md and 2 runbook pages$" "runbook docs"
idx=$(cat "$T/library/index.md")
has_line "$idx" "^## Operations$" "the index: operations"
has_line "$idx" "^- \[svc-down\]\(svc-down.md\): Restarts the api when it stops answering. \(P2; on alert ServiceDown\)$" \
	"the index: the incident runbook"
[ "$(grep -n '^## ' "$T/library/index.md" | cut -d: -f2- | tr '\n' ,)" = "## Operations,## Incidents," ] ||
	fail "the index's sections are not in category order: $idx"
cmp -s "$T/library/svc-down.md" <(printf '%s\n' "$doc") || fail "the page differs from runbook show"
pass "rota runbook show --markdown and rota runbook docs render the catalog with the policy's tiers"

# ---- a real incident: alert, remediation, delivery, ack, notes, resolve ----
payload=$(cat <<JSON
{"receiver": "rota", "status": "firing", "version": "4", "groupKey": "{}:{alertname=\"ServiceDown\"}",
 "alerts": [{"status": "firing",
   "labels": {"alertname": "ServiceDown", "instance": "web-1:9100", "service": "api"},
   "annotations": {"summary": "api is down on web-1"},
   "startsAt": "2026-11-23T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "1d5a"}]}
JSON
)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$payload" "http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$code" 202 "the alert"
run=$(store "SELECT id FROM runs WHERE runbook = 'svc-down'")
[ -n "$run" ] || fail "the alert started no run"
wait_for "[ \"\$(run_status $run)\" = 3 ]" 10 "the remediation to succeed"
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM outbox WHERE kind = 'trigger' AND delivered_ms > 0\")\" = 1 ]" 10 \
	"the pager to be told"
run_rota 0 -- ack INC-1 --note "looking"
run_rota 0 -- note INC-1 "restarted the api on web-1" --kind action
run_rota 0 -- note INC-1 "the api ran out of file descriptors" --kind finding
run_rota 0 -- note INC-1 "a leak of sockets in the new client" --kind cause
run_rota 0 -- note "$run" "output looked normal" --kind finding
run_rota 0 -- resolve INC-1 --note "api answers again"
run_rota 0 -- note INC-1 "alert on open descriptors" --kind prevention

run_rota 0 -- incident review INC-1 --out "$T/review.md"
has_line "$OUT" "^wrote the review of INC-1 to $T/review.md$" "review --out"
review=$(cat "$T/review.md")
run_rota 0 -- incident review inc-1
[ "$OUT" = "$review" ] || fail "the review on stdout differs from --out's"

has_line "$review" "^# Incident review: INC-1: " "review: the title"
has_line "$review" "^\*\*Severity:\*\* P2  $" "review: severity"
has_line "$review" "^\*\*Status:\*\* resolved  $" "review: status"
has_line "$review" "^\*\*Started:\*\* [0-9-]+ [0-9:]+ UTC  $" "review: start"
has_line "$review" "^\*\*Acknowledged:\*\* [0-9-]+ [0-9:]+ UTC by [^ ]+  $" "review: acknowledgement"
has_line "$review" "^\*\*Resolved:\*\* [0-9-]+ [0-9:]+ UTC  $" "review: resolution"
has_line "$review" "^\| Time to acknowledge \| [0-9.hms]+ \|$" "review: time to acknowledge"
has_line "$review" "^\| Time to resolve \| [0-9.hms]+ \|$" "review: time to resolve"

# Every event of the incident's timeline, in the order incident show gives.
timeline=$(sed -n '/^## Timeline$/,/^## Runs$/p' "$T/review.md")
rota incident show INC-1 --json | jq -r '.timeline[] | .text' >"$T/events.txt"
[ "$(wc -l <"$T/events.txt")" -ge 9 ] || fail "incident show has too few events: $(cat "$T/events.txt")"
line=0
while IFS= read -r text; do
	at=$(grep -nF -- "$text" <<<"$timeline" | cut -d: -f1 | awk -v l="$line" '$1 > l { print; exit }')
	[ -n "$at" ] || fail "the review's timeline lacks, after line $line, the event '$text':
$timeline"
	line=$at
done <"$T/events.txt"
has_line "$timeline" "\| step \| run $run: remediate succeeded on web-1" "review timeline: the step"
has_line "$timeline" "\| notification \| trigger to pager delivered \|" "review timeline: the delivery"

has_line "$review" "^### Run $run of svc-down: succeeded$" "review: the run"
has_line "$review" "^\| web-1 \| remediate \| succeeded \| " "review: the step per host"
has_line "$review" "^\| pager \| trigger \| delivered \| 1 \| " "review: the notification"
has_line "$review" "^Acknowledgements: by [^ ]+ at .* UTC, after [0-9.hms]+\.$" "review: acknowledgements"
has_line "$review" "^- \*\*Hosts:\*\* web-1$" "review: impact hosts"
has_line "$review" "^- \*\*Runs:\*\* 1 \(1 succeeded, 0 failed\)$" "review: impact runs"
section() { sed -n "/^## $1\$/,/^## /p" "$T/review.md"; }
has_line "$(section 'Root cause')" "^- a leak of sockets in the new client \(" "review: root cause"
has_line "$(section 'Resolution')" "^- restarted the api on web-1 \(" "review: resolution (action)"
has_line "$(section 'Resolution')" "^- Resolved with the note: api answers again$" "review: resolution note"
has_line "$(section 'Prevention')" "^- alert on open descriptors \(" "review: prevention"
has_line "$(section 'Notes')" "^- output looked normal \(finding; .*; on run $run\)$" "review: the run's note"
pass "rota incident review: every event in order, runs, notifications, notes, impact, cause and prevention"

# The console's copy: the same document from the coordinator, as Markdown.
curl -s -D "$T/review.headers" -o "$T/review.http" "http://$HTTP_EP/v1/incidents/INC-1/review" ||
	fail "GET /v1/incidents/INC-1/review failed"
grep -qi '^content-type: text/markdown' "$T/review.headers" ||
	fail "the review is not served as Markdown: $(cat "$T/review.headers")"
diff "$T/review.md" "$T/review.http" >"$T/review.diff" ||
	fail "the review over HTTP differs from rota incident review's: $(cat "$T/review.diff")"
code=$(curl -s -o "$T/review.404" -w '%{http_code}' "http://$HTTP_EP/v1/incidents/INC-99/review")
assert_eq "$code" 404 "the review of an unknown incident over HTTP"
pass "GET /v1/incidents/INC-1/review serves the same review"

run_rota 0 -- incident open tidy --title "nothing written" --target web-1
run_rota 0 -- incident review INC-2
has_line "$(sed -n '/^## Root cause$/,/^## Resolution$/p' <<<"$OUT")" "^To be written\.$" "a review without notes"
has_line "$OUT" "^\*\*Status:\*\* triggered  $" "an open incident's status"
has_line "$OUT" "^\| Time to resolve \| open for " "an open incident's time"
run_rota 4 -- incident review INC-99
assert_contains "$ERR" "no incident INC-99" "review of an unknown incident"
run_rota 2 -- incident review
assert_contains "$ERR" "incident review needs an incident id" "review without an id"
pass "a review without notes says what is to be written; bad ids are refused"
