#!/usr/bin/env bash
# The console's sign-in over real HTTP (curl) against a real coordinator
# with CURVE keys: nothing without signing in, `rota web login` links are
# single use and set an HttpOnly SameSite=Strict cookie, a viewer reads but
# its action is refused 403 naming the role (and audited), sessions outlive
# a restart, and `rota web logout --all` (admin) ends them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks"
cp "$FIXTURES/hello.yaml" "$T/runbooks/"

# ---- with keys: sessions, roles -------------------------------------------
secure_init
operator_key bob viewer
operator_key alice operator
RUNBOOKS=$T/runbooks start_coordinator
BASE=http://$HTTP_EP

req GET /v1/runs
expect_code 401 "no session under keys"
assert_contains "$BODY" "rota web login" "401 says how to sign in"

run_rota 0 -- --key "$T/keys/bob.key_secret" web login
url=$(head -1 <<<"$OUT")
assert_contains "$url" "http://$HTTP_EP/v1/login?token=" "the login link"
CODE=$(curl -s -o /dev/null -D "$T/hdrs" -w '%{http_code}' "$url")
assert_eq "$CODE" 303 "the link signs in"
HDRS=$(cat "$T/hdrs")
has_line "$HDRS" '^Location: /' "redirect to /"
has_line "$HDRS" '^Set-Cookie: rota_session=[0-9a-f]{64}; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Strict' "the cookie"
cookie=$(sed -n 's/^Set-Cookie: \(rota_session=[0-9a-f]*\);.*/\1/p' "$T/hdrs")
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$url")
assert_eq "$CODE" 403 "a link is single use"
assert_contains "$(cat "$T/body")" "used already or has expired" "used link"
# A link not used in time is dead: its end moved into the past, as five
# minutes of waiting would.
run_rota 0 -- --key "$T/keys/bob.key_secret" web login
late=$(head -1 <<<"$OUT")
store "UPDATE web_sessions SET expires_ms = 1 WHERE kind = 'login'" >/dev/null
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$late")
assert_eq "$CODE" 403 "an expired link"
CODE=$(curl -s -o "$T/body" -w '%{http_code}' "http://$HTTP_EP/v1/login?token=short")
assert_eq "$CODE" 400 "a malformed link"
assert_contains "$(cat "$T/body")" 'param \"token\"' "400 names the token"
pass "rota web login: a single-use link sets an HttpOnly SameSite=Strict cookie and redirects to /; an expired one is refused"

C=(-H "Cookie: $cookie")
req GET /v1/session "" "${C[@]}"
expect_code 200 "session"
assert_eq "$(jget '.operator')" bob "signed in as bob"
assert_eq "$(jget '.role')" viewer "as a viewer"
bcsrf=$(jget '.csrf_token')
req GET /v1/runs "" "${C[@]}"
expect_code 200 "a viewer reads"
req GET /v1/incidents "" "${C[@]}"
expect_code 200 "a viewer reads incidents"
req POST /v1/runs '{"runbook":"hello"}' "${C[@]}" -H "X-CSRF-Token: $bcsrf"
expect_code 403 "a viewer's submit"
assert_contains "$BODY" "rota submit needs the operator role; bob is a viewer" "403 names the role"
req GET /v1/audit "" "${C[@]}"
expect_code 403 "a viewer's audit"
assert_contains "$BODY" "rota audit needs the admin role; bob is a viewer" "403 names admin"
refused=$(store "SELECT actor || ' ' || role || ' ' || action || ' ' || outcome FROM audit WHERE actor = 'bob'")
has_line "$refused" '^bob viewer submit refused$' "the refusal audited"
has_line "$refused" '^bob viewer audit refused$' "the read's refusal audited"
pass "a viewer reads, and its action is refused 403 naming the role, and audited"

# The event stream (GET /v1/events) takes the bearer token or a console
# session: the viewer's cookie follows; no cookie, or a made-up one, 401.
# sse ARGS...: the status of a 2-second look at the stream; its text in
# $T/sse.out.
sse() {
	curl -s -m 2 -o "$T/sse.out" -D "$T/sse.hdrs" -w '%{http_code}' "$@" "$BASE/v1/events" || true
}
assert_eq "$(sse)" 401 "the stream without a token or a session"
assert_contains "$(cat "$T/sse.out")" "console session" "401 names the session"
assert_eq "$(sse -H "Cookie: rota_session=$(printf '%064d' 7)")" 401 "a made-up session"
assert_eq "$(sse "${C[@]}")" 200 "the viewer's session follows"
grep -qi '^content-type: text/event-stream' "$T/sse.hdrs" || fail "the viewer got no event stream: $(cat "$T/sse.hdrs")"
assert_eq "$(sse -H "Authorization: Bearer $(cat "$T/data/alertmanager.token")")" 200 "the bearer token still does"
pass "GET /v1/events takes a console session (a viewer's) as well as the bearer token"

run_rota 0 -- --key "$T/keys/alice.key_secret" web login
CODE=$(curl -s -o /dev/null -D "$T/hdrs" -w '%{http_code}' "$(head -1 <<<"$OUT")")
acookie=$(sed -n 's/^Set-Cookie: \(rota_session=[0-9a-f]*\);.*/\1/p' "$T/hdrs")
# Sessions live in the store: they outlive a restart.
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
restart_coordinator
req GET /v1/session "" -H "Cookie: $acookie"
expect_code 200 "alice's session after a restart"
assert_eq "$(jget '.operator')" alice "still alice"
run_rota 4 -- --key "$T/keys/bob.key_secret" web logout --all
assert_contains "$ERR" "web logout --all needs the admin role; bob is a viewer" "viewer logout --all"
run_rota 0 -- web logout --all
req GET /v1/session "" -H "Cookie: $acookie"
expect_code 401 "a revoked session"
req GET /v1/session "" "${C[@]}"
expect_code 401 "bob's revoked session"
assert_eq "$(sse "${C[@]}")" 401 "a revoked session no longer follows"
pass "sessions survive a restart; rota web logout --all (admin) ends them"

# Beyond loopback over plain HTTP the console refuses to serve (sessions
# would cross the network in the clear); the probe still answers.
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
start_coordinator --http 0.0.0.0:0
BASE=http://127.0.0.1:${HTTP_EP##*:}
req GET /v1/session "" "${C[@]}"
expect_code 403 "plain HTTP beyond loopback"
assert_contains "$BODY" "need HTTPS beyond loopback" "names the fix"
assert_contains "$BODY" "--http-tls-cert" "names the flags"
req GET /healthz
expect_code 200 "the probe"
pass "beyond loopback without HTTPS the console refuses, naming --http-tls-cert or --insecure"
