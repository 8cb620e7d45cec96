#!/usr/bin/env bash
# The web console over real HTTP from a real coordinator: every page path
# answers the page shell, its scripts and sheet are served from the binary
# with their types, every answer carries the Content-Security-Policy that
# forbids inline script and other origins, no page pulls anything from
# elsewhere, and what is not the console's is 404 (405 for a POST to a
# page). The pages' behaviour in a browser is tests/browser/.
. "$(dirname "$0")/lib.sh"
rota_setup
mkdir -p "$T/empty"
RUNBOOKS=$T/empty start_coordinator
U=http://$HTTP_EP

# get PATH: sets CODE, TYPE, CSP and BODY.
get() {
	local h=$T/headers
	BODY=$(curl -sS -o - -D "$h" "$U$1") || fail "curl $1"
	CODE=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$h")
	TYPE=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$h" | tr -d '\r')
	CSP=$(sed -n 's/^[Cc]ontent-[Ss]ecurity-[Pp]olicy: *//p' "$h" | tr -d '\r')
}

for page in / /incidents /incidents/INC-7 /runs /runs/0123abcd /workers /schedules \
	/runbooks /runbooks/daily-health-check /audit /oncall /maintenance; do
	get "$page"
	assert_eq "$CODE" 200 "GET $page"
	assert_eq "$TYPE" "text/html; charset=utf-8" "GET $page: type"
	assert_contains "$CSP" "default-src 'self'" "GET $page: policy"
	assert_contains "$CSP" "script-src 'self'" "GET $page: policy"
	assert_not_contains "$CSP" "unsafe-inline" "GET $page: policy"
	assert_contains "$BODY" '<script src="/static/main.js" defer></script>' "GET $page: shell"
done
pass "the ten page paths answer the shell with the policy"

# Every script and sheet the shell names is served, with its type, from
# this origin; the shell has no inline script and names no other origin.
grep -q '<script>' <<<"$BODY" && fail "the shell has an inline script"
grep -Eq '(src|href)="(https?:)?//' <<<"$BODY" && fail "the shell loads from another origin"
n=0
for asset in $(grep -o '\(src\|href\)="/static/[^"]*"' <<<"$BODY" | sed 's/.*="\(.*\)"/\1/'); do
	get "$asset"
	assert_eq "$CODE" 200 "GET $asset"
	assert_contains "$CSP" "default-src 'self'" "GET $asset: policy"
	case $asset in
	*.js) assert_eq "$TYPE" "text/javascript; charset=utf-8" "GET $asset: type" ;;
	*.css) assert_eq "$TYPE" "text/css; charset=utf-8" "GET $asset: type" ;;
	esac
	case $asset in # (an SVG names its XML namespace, which is not a load)
	*.js | *.css) grep -Eq 'https?://' <<<"$BODY" && fail "$asset names another origin" ;;
	esac
	n=$((n + 1))
done
[ "$n" -ge 7 ] || fail "the shell names $n files, expected the sheet, the icon and five scripts"
pass "its $n files are served from the binary with their types"

for other in /static/index.html /static/nope.js /runs/a/b /incidents/ /nope; do
	get "$other"
	assert_eq "$CODE" 404 "GET $other"
done
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$U/runs")
assert_eq "$code" 405 "POST /runs"
pass "what is not the console's is 404; a POST to a page 405"
