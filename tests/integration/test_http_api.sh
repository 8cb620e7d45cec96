#!/usr/bin/env bash
# The JSON API under /v1/ over real HTTP (curl) against a real coordinator
# and a real worker: the documents are the CLI's --json, bad input is 400
# naming the parameter, unknown ids 404, wrong methods 405, a POST without
# the CSRF token 403; the actions (submit, approve, cancel, ack, resolve)
# act and are audited. (Signing in under keys: test_http_sessions.sh.)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks"
cp "$FIXTURES/hello.yaml" "$T/runbooks/"
cat >"$T/runbooks/gate.yaml" <<'YAML'
name: gate
targets: { hosts: [w1] }
steps:
  - id: confirm
    manual: { prompt: "go on?" }
  - id: after
    shell: { run: "echo released" }
YAML
cat >"$T/runbooks/slow.yaml" <<'YAML'
name: slow
targets: { hosts: [w1] }
steps:
  - id: wait
    shell: { run: "sleep 30" }
YAML

# One runbook as a document (GET /v1/runbooks/NAME): params, targets, a
# schedule in a zone without daylight saving, steps of three kinds; and
# an invalid file.
cat >"$T/runbooks/nightly.yaml" <<'YAML'
name: nightly
description: rotates the logs at night
targets: { labels: { role: [web, api] }, batch: 25% }
params:
  region: { description: where }
  keep: { type: int, default: 7 }
  token: { secret: true, default: hunter2 }
schedule: { cron: "0 3 * * *", timezone: Asia/Kolkata }
steps:
  - id: rotate
    phase: resolve
    description: Rotates the logs.
    shell: { run: "logrotate -f /etc/logrotate.conf" }
    timeout: 5m
  - id: confirm
    phase: verify
    manual: { prompt: "keep going?" }
  - id: page
    notify: { message: "rotate failed" }
    when: { failed: rotate }
YAML
cat >"$T/runbooks/broken.yaml" <<'YAML'
name: broken
steps:
  - id: x
    shelll: { run: "true" }
YAML


RUNBOOKS=$T/runbooks start_coordinator
BASE=http://$HTTP_EP
start_worker w1
wait_workers 1

# ---- reads: the CLI's documents --------------------------------------------
run_rota 0 -- submit hello --wait
req GET /v1/runs
expect_code 200 "GET /v1/runs"
has_line "$HDRS" "^Content-Security-Policy: default-src 'self'; script-src 'self'" "CSP"
has_line "$HDRS" '^Content-Type: application/json' "content type"
run_id=$(jget '.runs[0].id')
# The same document as `rota show --json` (durations aside: measured at
# two moments for a run that ended they agree, so compare all).
req GET "/v1/runs/$run_id"
expect_code 200 "GET /v1/runs/ID"
run_rota 0 -- show "$run_id" --json
same=$(same_json "$BODY" "$OUT")
assert_eq "$same" True "GET /v1/runs/ID is rota show --json"
assert_contains "$BODY" '"tail":"hello from w1\n"' "the step's output"
req GET /v1/runs
run_rota 0 -- runs --json
same=$(same_json "$BODY" "$OUT")
assert_eq "$same" True "GET /v1/runs is rota runs --json"
pass "GET /v1/runs and /v1/runs/ID answer the CLI's --json documents, with a CSP"

req GET /v1/runs/no-such-run
expect_code 404 "unknown run"
assert_contains "$BODY" '{"error":{"code":"not_found","message":"no run' "404 body"
req GET "/v1/runs?limit=abc"
expect_code 400 "bad limit"
assert_contains "$BODY" 'param \"limit\": \"abc\" is not a whole number from 1 to 1000' "400 names the param"
req GET "/v1/runs?limit=0"
expect_code 400 "limit 0"
req GET "/v1/incidents?open=maybe"
expect_code 400 "bad open"
assert_contains "$BODY" 'param \"open\"' "400 names open"
req DELETE /v1/runs
expect_code 405 "DELETE /v1/runs"
has_line "$HDRS" '^Allow: ' "405 Allow"
req GET /v1/nothing-here
expect_code 404 "unknown endpoint"
req GET /v1/incidents/INC-999
expect_code 404 "unknown incident"
pass "400 names the parameter, 404 for unknown ids and endpoints, 405 with Allow"

for what in runbooks schedules; do
	req GET "/v1/$what"
	expect_code 200 "GET /v1/$what"
	run_rota 0 -- "$what" --json
	assert_eq "$(same_json "$BODY" "$OUT")" True "GET /v1/$what is rota $what --json"
done
req GET /v1/workers
expect_code 200 "GET /v1/workers"
assert_eq "$(jget '.workers[0].id + " " + .workers[0].state')" "w1 connected" "the worker"
req GET /v1/audit
expect_code 200 "GET /v1/audit (keyless: admin)"
req GET "/v1/schedules?next=1000"
expect_code 400 "next too large"

req GET /v1/runbooks/nightly
expect_code 200 "GET /v1/runbooks/NAME"
run_rota 0 -- runbooks nightly --json
assert_eq "$(same_json "$BODY" "$OUT")" True "GET /v1/runbooks/NAME is rota runbooks NAME --json"
assert_eq "$(jget '.description')" "rotates the logs at night" "description"
assert_eq "$(jget '[.params[] | "\(.name):\(.required):\(.default)"] | join(" ")')" \
	"region:true:null keep:false:7 token:false:****" "params, defaults, required; a secret's hidden"
assert_eq "$(jget '(.targets.labels.role | join(",")) + " " + .targets.batch')" "web,api 25%" "targets"
assert_eq "$(jget '.schedule.timezone + " " + (.schedule.next | length | tostring)')" \
	"Asia/Kolkata 5" "the schedule's zone and five fire times"
assert_contains "$(jget '.schedule.next[0].local')" "03:00" "the next fire time in its zone"
assert_contains "$(jget '.schedule.next[0].utc')" "21:30" "and in UTC"
assert_eq "$(jget '[.steps[] | .id + "/" + .kind + "/" + .runs_on + "/" + .when.kind] | join(" ")')" \
	"rotate/shell/worker/default confirm/manual/coordinator/default page/notify/coordinator/failed" \
	"the steps in order: kind, where, when"
assert_eq "$(jget '.steps[0].timeout_ms, .steps[1].manual_approval, .steps[2].when.step' | tr '\n' ' ')" \
	"300000 true rotate " "timeout, manual approval, the condition's step"
assert_contains "$(jget '.steps[0].what')" "logrotate -f" "what a step does"
# One model of a runbook's document: the Markdown (rota runbook show),
# the JSON above (which the console's page draws) and rota runbooks NAME
# (an alias) say the same steps in the same sections, doing the same.
run_rota 0 -- runbook show nightly
md=$OUT
run_rota 0 -- runbooks nightly
assert_eq "$OUT" "$md" "rota runbooks NAME is rota runbook show NAME"
run_rota 0 -- runbook show nightly --markdown
assert_eq "$OUT" "$md" "runbook show --markdown is the default"
has_line "$md" '^\| region \| string \| \(required\) \| where \|$' "the Markdown: the params"
has_line "$md" '^- cron: `0 3 \* \* \*` in Asia/Kolkata$' "the Markdown: the schedule"
assert_eq "$(grep -c '^  - .* (.* UTC)$' <<<"$md")" 5 "the Markdown: five fire times"
json_sections=$(jget '[.sections[] | .title + ":" + (.steps | join(","))] | join(" ")')
assert_eq "$json_sections" "Immediate actions: Investigation: Resolution:rotate Verification:confirm,page" \
	"the JSON's sections: a step under its phase, one without with the step before"
md_sections=$(awk 'function flush() { if (t != "") { printf "%s%s:%s", sep, t, ids; sep = " " }; t = "" }
	/^## / { flush() }
	/^## (Immediate actions|Investigation|Resolution|Verification|Steps)$/ { t = substr($0, 4); ids = ""; n = 0; next }
	t != "" && /^[0-9]+\. \*\*/ { id = $2; gsub(/\*/, "", id); ids = ids (n++ ? "," : "") id }' <<<"$md")
assert_eq "$md_sections" "$json_sections" "the Markdown's sections are the JSON's"
md_what=$(grep -A1 '^[0-9]*\. \*\*' <<<"$md" | grep '^   - ' | sed 's/^   - //; s/`//g')
assert_eq "$md_what" "$(jget '.steps[].what')" "each step does in the Markdown what the JSON says"
assert_eq "$(jget '.steps[0].description + " " + .steps[0].phase + " " + (.steps[2].phase | tostring)')" \
	"Rotates the logs. resolve null" "a step's description and the phase it gives"
assert_eq "$(jget '.policy.name + " " + (.policy.tiers | length | tostring)')" \
	"default $(grep -c '^| \(at once\|[0-9][0-9]*[smh]\) |' <<<"$md")" "the policy's tiers, in both"
run_rota 0 -- runbook docs --out "$T/library"
cmp -s "$T/library/nightly.md" <(printf '%s\n' "$md") || fail "rota runbook docs' page differs from runbook show"
run_rota 0 -- runbook show broken
has_line "$OUT" '^## Lint errors$' "an invalid runbook's document: its lint errors"
assert_contains "$OUT" "unknown key 'shelll'" "the lint error in the Markdown"
req GET /v1/runbooks/broken
expect_code 200 "an invalid runbook"
assert_eq "$(jget '.runbook.state + " " + (.steps | tostring)')" "invalid null" "invalid: no steps"
assert_eq "$(jget '[.lint[] | "\(.line):\(.column)"] | join(" ")')" "3:5 4:5" "its lint errors at line:column"
assert_contains "$(jget '.lint[1].message')" "unknown key 'shelll'" "its lint error's message"
req GET /v1/runbooks/nope
expect_code 404 "an unknown runbook"
assert_contains "$BODY" "unknown runbook 'nope'" "404 names it"
req GET "/v1/runbooks/..%2F..%2Fetc%2Fpasswd"
expect_code 404 "a path for a name"
req GET "/v1/runbooks/nightly?next=101"
expect_code 400 "next too large"
pass "GET /v1/runbooks, /v1/runbooks/NAME, /v1/schedules are the CLI's documents; /v1/workers, /v1/audit answer"

# Pagination by limit: two runs more, the newest first, one a page.
run_rota 0 -- submit hello --wait
run_rota 0 -- submit hello --wait
req GET "/v1/runs?limit=2"
expect_code 200 "limit 2"
assert_eq "$(jget '.runs | length')" 2 "two runs on a page of 2"

# Filters and the cursor: the newest hello run, then the page before it.
req GET "/v1/runs?runbook=hello&status=succeeded&trigger=manual&host=w1&limit=1"
expect_code 200 "filtered runs"
assert_eq "$(jget '.runs | length')" 1 "one run on the page"
first=$(jget '.runs[0].id')
req GET "/v1/runs?runbook=hello&limit=1&before=$first"
expect_code 200 "the next page"
second=$(jget '.runs[0].id')
[ -n "$second" ] && [ "$second" != "$first" ] || fail "before= gave '$second' after '$first'"
req GET "/v1/runs?runbook=hello&limit=10&before=$second"
assert_eq "$(jget '.runs | length')" 1 "the last page: the first run"
req GET "/v1/runs?runbook=nope"
assert_eq "$(jget '.runs | length')" 0 "no run of an unknown runbook"
req GET "/v1/runs?host=w9"
assert_eq "$(jget '.runs | length')" 0 "no run on another host"
req GET "/v1/runs?since=99999999999999"
assert_eq "$(jget '.runs | length')" 0 "none since the far future"
req GET "/v1/runs?status=bogus"
expect_code 400 "bad status"
assert_contains "$BODY" 'param \"status\": \"bogus\" is not a run status' "status named"
pass "runs filter by runbook, status, trigger, host and time, and page with before=ID"

# ---- actions: CSRF, then each one -----------------------------------------
req GET /v1/session
expect_code 200 "GET /v1/session"
csrf=$(jget '.csrf_token')
assert_eq "$(jget '.role')" admin "keyless callers are admins, as the CLI"
req POST /v1/runs '{"runbook":"hello"}'
expect_code 403 "POST without the CSRF token"
assert_contains "$BODY" '"code":"csrf"' "csrf refusal"
req POST /v1/runs '{"runbook":"hello"}' -H "X-CSRF-Token: wrong$csrf"
expect_code 403 "POST with a wrong CSRF token"
H=(-H "X-CSRF-Token: $csrf")
req POST /v1/runs '{"runbook":' "${H[@]}"
expect_code 400 "broken JSON"
assert_contains "$BODY" 'body: not JSON' "broken JSON named"
req POST /v1/runs '{"targets":["w1"]}' "${H[@]}"
expect_code 400 "submit without runbook"
assert_contains "$BODY" 'param \"runbook\": required' "missing runbook named"
req POST /v1/runs '{"runbook":"nope"}' "${H[@]}"
expect_code 404 "unknown runbook"
req POST /v1/runs '{"runbook":"gate"}' "${H[@]}"
expect_code 200 "submit gate"
gate=$(jget '.run_id')
assert_eq "$(jget '.hosts | join(",")')" "w1" "submitted to w1"
wait_for 'rota show "$gate" --json | grep -q "\"status\":\"waiting\""' 10 "the manual step to wait"
req POST "/v1/runs/$gate/steps/confirm/approve" '{"note":"looks fine"}' "${H[@]}"
expect_code 200 "approve"
assert_eq "$(jget '.decision')" approved "approved"
wait_for 'rota show "$gate" --json | grep -q "\"status\":\"succeeded\""' 15 "the gate run to go on"
req POST "/v1/runs/$gate/steps/confirm/approve" '' "${H[@]}"
expect_code 409 "approve a step not waiting"
req POST /v1/runs '{"runbook":"slow"}' "${H[@]}"
slow=$(jget '.run_id')
wait_for 'rota show "$slow" --json | grep -q "\"status\":\"running\""' 10 "the slow step to run"
req POST "/v1/runs/$slow/cancel" '{"note":"not now"}' "${H[@]}"
expect_code 200 "cancel"
assert_eq "$(jget '.run_id')" "$slow" "cancelled run"
wait_for '[ "$(rota show "$slow" --json | jq -r .run.status)" = cancelled ]' 15 "the run to be cancelled"
pass "POST needs the CSRF token; submit, approve (409 when not waiting) and cancel act"

run_rota 0 -- incident open hello --title "disk full" --severity P3
req GET "/v1/incidents?open=true"
inc=$(jget '.incidents[0].id')
req POST "/v1/incidents/$inc/ack" '{"note":"on it"}' "${H[@]}"
expect_code 200 "ack"
assert_eq "$(jget '.incident.status')" acknowledged "acked"
run_rota 0 -- incident show "$inc"
assert_contains "$OUT" "acknowledged" "rota incident show sees the ack"
req GET "/v1/incidents/$inc"
expect_code 200 "GET /v1/incidents/ID"
run_rota 0 -- incident show "$inc" --json
same=$(same_json "$BODY" "$OUT")
assert_eq "$same" True "GET /v1/incidents/ID is rota incident show --json"
req POST "/v1/incidents/$inc/notes" '{"text":"df says 100%","kind":"finding"}' "${H[@]}"
expect_code 200 "a note on the incident"
assert_eq "$(jget '.incident_id + " " + .note_kind')" "$inc finding" "the note"
req POST "/v1/runs/$gate/notes" '{"text":"approved from the console"}' "${H[@]}"
expect_code 200 "a note on a run"
assert_eq "$(jget '.run_id')" "$gate" "the run's note"
req POST "/v1/runs/$gate/notes" '{"kind":"cause"}' "${H[@]}"
expect_code 400 "a note without text"
req GET "/v1/runs/$gate"
assert_contains "$BODY" '"text":"approved from the console"' "the run shows its note"
req POST "/v1/incidents/$inc/resolve" '{"note":"freed space"}' "${H[@]}"
expect_code 200 "resolve"
assert_eq "$(jget '.incident.status')" resolved "resolved"
audit=$(store "SELECT action || ' ' || target || ' ' || outcome || ' ' || peer FROM audit WHERE action IN ('ack','resolve','approve','cancel') ORDER BY id")
has_line "$audit" "^ack $inc ok 127\.0\.0\.1:" "the ack audited with the HTTP peer"
has_line "$audit" "^approve $gate" "the approval audited"
pass "ack and resolve act, as rota incident show sees; every action audited"


# ---- HTTPS -----------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$T/tls.key" -out "$T/tls.crt" >/dev/null 2>&1 || fail "openssl req"
chmod 600 "$T/tls.key"
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
restart_coordinator --http-tls-cert "$T/tls.crt" --http-tls-key "$T/tls.key"
BASE=https://$HTTP_EP
req GET /v1/runs "" --cacert "$T/tls.crt"
expect_code 200 "GET over HTTPS"
run_rota 0 -- web login
assert_contains "$OUT" "https://$HTTP_EP/v1/login?token=" "an https link"
curl -s -o /dev/null -D "$T/hdrs" --cacert "$T/tls.crt" "$(head -1 <<<"$OUT")" || fail "open the link"
has_line "$(cat "$T/hdrs")" '^Set-Cookie: rota_session=.*; HttpOnly; SameSite=Strict; Secure' "Secure cookie over HTTPS"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP_EP/v1/runs" || true)
[ "$CODE" != 200 ] || fail "plain HTTP answered on the HTTPS endpoint"
pass "HTTPS with --http-tls-cert/--http-tls-key: links are https://, the cookie Secure"
