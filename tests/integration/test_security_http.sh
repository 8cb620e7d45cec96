# The HTTP endpoint beyond loopback: refused at start without a bearer
# token (or with a token file others can read) unless --insecure; with a
# token the alert intake answers 401 without it and 202 with it, while
# /metrics and /healthz stay open unless http_protect_metrics. And
# `rota status` says when a coordinator runs without CURVE.
. "$(dirname "$0")/lib.sh"
rota_setup
mkdir -p "$T/empty"
export RUNBOOKS=$T/empty

# try_coordinator DATA [flags...]: runs it until it exits or listens (then
# stops it: RC 124, see try_daemon); sets RC and LOG.
try_coordinator() {
	local data=$1
	shift
	try_daemon "$T/try.log" "$data" "$ROTA_BIN/rota-coordinator" --data-dir "$data" \
		--runbooks "$T/empty" --worker-endpoint "tcp://127.0.0.1:*" \
		--api-endpoint "tcp://127.0.0.1:*" "$@"
	LOG=$(cat "$T/try.log")
}

try_coordinator "$T/d1" --http 0.0.0.0:0
assert_eq "$RC" 1 "HTTP beyond loopback without a token: exit code"
assert_contains "$LOG" "refusing to serve HTTP on 0.0.0.0:0 without a bearer token" "refusal"
assert_contains "$LOG" "--http-token FILE" "refusal names the fix"
printf 'an-open-token-0123456789\n' >"$T/open.token"
chmod 644 "$T/open.token"
try_coordinator "$T/d2" --http 0.0.0.0:0 --http-token "$T/open.token"
assert_eq "$RC" 1 "a token file others can read: exit code"
assert_contains "$LOG" "chmod 600 $T/open.token" "token file mode"
try_coordinator "$T/d3" --http 0.0.0.0:0 --insecure
assert_eq "$RC" 124 "--insecure: runs until stopped"
assert_contains "$LOG" "INSECURE: HTTP on 0.0.0.0:0 takes alerts without a bearer token" "loud warning"
pass "no HTTP beyond loopback without a token (or with a readable one) unless --insecure"

TOKEN=tok-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && printf '%s\n' "$TOKEN" >"$T/http.token")
start_coordinator --http 0.0.0.0:0 --http-token "$T/http.token"
port=${HTTP_EP##*:}
url=http://127.0.0.1:$port
alert='{"version":"4","status":"firing","alerts":[]}'
post() { # post [curl args]: prints the status code of a POST of $alert
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "$alert" "$@" "$url/v1/alerts/alertmanager"
}
assert_eq "$(post)" 401 "alert without a token"
assert_eq "$(post -H "Authorization: Bearer wrong-$TOKEN")" 401 "alert with a wrong token"
assert_eq "$(post -H "Authorization: Bearer $TOKEN")" 202 "alert with the token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 200 "/metrics stays open"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" 200 "/healthz stays open"
run_rota 0 -- status
has_line "$OUT" '^security +no CURVE \(loopback only; every caller is an admin\)$' "status: no CURVE"
has_line "$OUT" '^you +anonymous \(admin\)$' "status: caller"
has_line "$OUT" "^http +0\.0\.0\.0:$port \(alert intake requires a bearer token\)$" "status: http"
run_rota 0 -- status --json
assert_contains "$OUT" '"curve":false,"insecure":false,"http_token":true' "status --json"
# Without CURVE every caller is an admin: reload and audit work.
run_rota 0 -- reload
run_rota 0 -- audit
has_line "$OUT" ' anonymous +admin +reload +runbooks +ok ' "audit without CURVE"
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true
pass "the alert intake takes the bearer token (401 without, 202 with); status says no CURVE"

# http_protect_metrics: /metrics and /healthz need the token too.
printf 'http_token_file: %s\nhttp_protect_metrics: true\n' "$T/http.token" >"$T/coordinator.yaml"
start_coordinator --http 0.0.0.0:0 --config "$T/coordinator.yaml"
port=${HTTP_EP##*:}
url=http://127.0.0.1:$port
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/metrics")" 401 "/metrics without the token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url/metrics")" \
	200 "/metrics with the token"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")" 401 "/healthz without the token"
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true

# --insecure on every address without CURVE: status says so.
start_coordinator --insecure --worker-endpoint "tcp://0.0.0.0:*"
run_rota 0 -- --coordinator "$API_EP" status
has_line "$OUT" '^security +INSECURE' "status: insecure"
pass "http_protect_metrics guards /metrics and /healthz; status says INSECURE"
