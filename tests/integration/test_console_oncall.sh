#!/usr/bin/env bash
# The console's on-call and maintenance API over real HTTP (curl) against
# one real coordinator with CURVE keys, an operator and a viewer signed in
# with `rota web login` links: GET /v1/oncall and /v1/maintenance are the
# documents of `rota oncall --json` and `rota maintenance list --json` (an
# override and a recurring window of the configuration included); an
# operator starts and ends a window with its CSRF token, audited under its
# name; a viewer's POST and a POST without the token are refused (403). A
# calendar feed link (`rota oncall feed`, operator, audited without its
# secret) opens that one rotation's .ics without a session; a wrong token,
# another rotation or an unknown one get the same 403, no token 401; the
# store keeps only the hash, and --revoke ends the link.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

cat >"$T/config.yaml" <<'YAML'
people:
  alice: { webhook: "http://127.0.0.1:9/alice" }
  bob:   { webhook: "http://127.0.0.1:9/bob" }
  carol: { webhook: "http://127.0.0.1:9/carol" }
rotations:
  primary: { people: [alice, bob], shift: 1w, handoff: "MON 09:00",
             timezone: Europe/London, start: 2026-11-30 }
  secondary: { people: [carol] }
maintenance:
  - name: patch-night
    cron: "0 2 * * TUE"
    duration: 2h
    target: role=db
    reason: weekly patching
YAML
mkdir -p "$T/runbooks"

# req METHOD PATH [BODY [CURL ARGS...]]: sets CODE and BODY.

secure_init
operator_key vic viewer
operator_key olga operator
# signin NAME: the session cookie of NAME, from a `rota web login` link.
signin() {
	run_rota 0 -- --key "$T/keys/$1.key_secret" web login
	curl -s -o /dev/null -D "$T/hdrs" "$(head -1 <<<"$OUT")" >/dev/null
	sed -n 's/^Set-Cookie: \(rota_session=[0-9a-f]*\);.*/\1/p' "$T/hdrs"
}
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
BASE=http://$HTTP_EP
OC=(-H "Cookie: $(signin olga)")
VC=(-H "Cookie: $(signin vic)")
req GET /v1/session "" "${OC[@]}"
ocsrf=$(jget .csrf_token)
req GET /v1/session "" "${VC[@]}"
vcsrf=$(jget .csrf_token)

# ---- on call: the CLI's document -------------------------------------------
run_rota 0 -- --key "$T/keys/olga.key_secret" oncall override secondary --person alice \
	--from "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	--until "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
run_rota 0 -- oncall
has_line "$OUT" '^override: alice covers secondary from .* UTC until .* UTC \(set by olga\)$' \
	"rota oncall names the override"
run_rota 0 -- oncall --json
cli=$OUT
req GET /v1/oncall "" "${VC[@]}"
expect_code 200 "GET /v1/oncall as a viewer"
assert_eq "$(jq -S 'del(.at)' <<<"$BODY")" "$(jq -S 'del(.at)' <<<"$cli")" \
	"/v1/oncall is rota oncall --json"
assert_eq "$(jget '[.rotations[].rotation] | join(",")')" "primary,secondary" "every rotation"
assert_eq "$(jget '.rotations[1] | "\(.person) \(.override) \(.overrides[0].person) \(.overrides[0].by)"')" \
	"alice true alice olga" "the override, with who set it"
assert_eq "$(jget '.rotations[0].until_ms > 0 and (.rotations[0].next | length) > 0')" true \
	"primary's handoff and who is next"
pass "GET /v1/oncall is rota oncall --json: now, next, handoff, overrides"

# ---- maintenance: list, start, end; roles and CSRF --------------------------
req GET /v1/maintenance "" "${VC[@]}"
expect_code 200 "GET /v1/maintenance as a viewer"
run_rota 0 -- maintenance list --json
assert_eq "$(jq -S . <<<"$BODY")" "$(jq -S . <<<"$OUT")" "/v1/maintenance is rota maintenance list --json"
assert_eq "$(jget '.windows[0] | "\(.id) \(.recurring) \(.target)"')" "MW-patch-night true role=db" \
	"the recurring window of the configuration"

req POST /v1/maintenance '{"target": "db-1", "for": "2h", "reason": "kernel upgrade"}' "${VC[@]}" \
	-H "X-CSRF-Token: $vcsrf"
expect_code 403 "a viewer's start"
assert_contains "$(jget .error.message)" "operator role" "403 names the role"
req POST /v1/maintenance '{"target": "db-1", "for": "2h", "reason": "kernel upgrade"}' "${OC[@]}"
expect_code 403 "a start without the CSRF token"
assert_eq "$(jget .error.code)" csrf "refused for the token"
req POST /v1/maintenance '{"target": "db-1", "for": "soon", "reason": "x"}' "${OC[@]}" \
	-H "X-CSRF-Token: $ocsrf"
expect_code 400 "a bad duration"
assert_contains "$(jget .error.message)" 'param "for"' "400 names the field"
req POST /v1/maintenance '{"target": "db-1", "for": "2h", "reason": "kernel upgrade"}' "${OC[@]}" \
	-H "X-CSRF-Token: $ocsrf"
expect_code 200 "the operator's start"
mw=$(jget .id)
assert_eq "$(jget '"\(.state) \(.target) \(.by)"')" "active db-1 olga" "the window started"
run_rota 0 -- maintenance list --json
assert_eq "$(jq -r --arg id "$mw" '.windows[] | select(.id == $id) | .reason' <<<"$OUT")" \
	"kernel upgrade" "rota maintenance list shows it"
req POST "/v1/maintenance/$mw/end" "" "${OC[@]}" -H "X-CSRF-Token: $ocsrf"
expect_code 200 "the operator's end"
assert_eq "$(jget .ended_by)" olga "ended by olga"
req POST "/v1/maintenance/$mw/end" "" "${OC[@]}" -H "X-CSRF-Token: $ocsrf"
expect_code 404 "ending it twice"
assert_eq "$(store "SELECT actor || ' ' || action || ' ' || target || ' ' || outcome FROM audit WHERE action LIKE 'maintenance%' ORDER BY id")" \
	"vic maintenance start db-1 refused
olga maintenance start MW-1 ok
olga maintenance end MW-1 ok
olga maintenance end MW-1 refused" "audited under the operators' names"
pass "the console's maintenance: the CLI's list, start and end by an operator (audited), a viewer's and a tokenless POST refused 403"

# ---- calendar feed links --------------------------------------------------
run_rota 4 -- --key "$T/keys/vic.key_secret" oncall feed primary
assert_contains "$ERR" "operator role" "a viewer makes no feed link"
run_rota 0 -- --key "$T/keys/olga.key_secret" oncall feed primary
url=$(head -1 <<<"$OUT")
assert_contains "$url" "http://$HTTP_EP/v1/oncall/primary.ics?token=" "the link"
token=${url##*token=}
[ ${#token} -ge 32 ] || fail "a short token: $token"
CODE=$(curl -s -o "$T/ics" -w '%{http_code}' "$url")
assert_eq "$CODE" 200 "the link opens the calendar without a session"
has_line "$(cat "$T/ics")" '^BEGIN:VCALENDAR' "an iCalendar"
has_line "$(cat "$T/ics")" '^SUMMARY:.*(alice|bob)' "with primary's shifts"
req GET "/v1/oncall/primary.ics"
expect_code 401 "no token, no session"
# The same token but for its last digit (never the same one).
last=${token: -1}
req GET "/v1/oncall/primary.ics?token=${token%?}$([ "$last" = 0 ] && echo 1 || echo 0)"
expect_code 403 "a wrong token"
wrong=$(jget .error.message)
req GET "/v1/oncall/secondary.ics?token=$token"
expect_code 403 "primary's link on another rotation"
assert_eq "$(jget .error.message)" "$wrong" "the same refusal"
req GET "/v1/oncall/nosuch.ics?token=$token"
expect_code 403 "an unknown rotation"
assert_eq "$(jget .error.message)" "$wrong" "the same refusal: nothing said of the rotation"
req GET "/v1/runs?token=$token"
expect_code 401 "the link opens no other endpoint"
assert_eq "$(store "SELECT count(*) FROM oncall_feeds WHERE token_hash = '$token'")" 0 \
	"the store keeps no secret"
assert_eq "$(store "SELECT count(*) FROM oncall_feeds WHERE rotation = 'primary'")" 1 "one hash"
run_rota 0 -- --key "$T/keys/olga.key_secret" oncall feed primary --revoke --json
assert_eq "$(jq -r .revoked <<<"$OUT")" 1 "one link revoked"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "$url")
assert_eq "$CODE" 403 "a revoked link"
run_rota 4 -- --key "$T/keys/olga.key_secret" oncall feed nosuch
assert_contains "$ERR" "no rotation nosuch" "an unknown rotation for the operator"
audit=$(store "SELECT actor || ' ' || action || ' ' || target || ' ' || outcome || ' ' || detail FROM audit WHERE action = 'oncall feed' ORDER BY id")
assert_not_contains "$audit" "$token" "the audit trail keeps no secret"
assert_contains "$audit" "olga oncall feed primary ok a calendar feed link of primary" "the link audited"
assert_contains "$audit" "olga oncall feed primary ok revoked 1 calendar feed link(s) of primary" \
	"the revocation audited"
assert_contains "$audit" "vic oncall feed primary refused" "the viewer's try audited"
pass "rota oncall feed: a secret link opens one rotation's calendar without a session; wrong, foreign and unknown get one 403; hashed, audited, revocable"
