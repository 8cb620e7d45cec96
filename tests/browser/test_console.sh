#!/usr/bin/env bash
# The web console in headless Chromium (console.py, Selenium) against a
# real coordinator with CURVE and roles, and a real worker: the overview,
# a run's output appearing live, a manual step approved from the keyboard,
# a note added to a run, every page's labels, contrast and focus, an
# incident acknowledged by a click (and so in `rota incident show`), a POST
# without the CSRF token refused, the incident page at 390 px with its ack
# button on the screen, and a viewer who sees no action button and whose
# forged POST is refused (403) and audited. A failure leaves a screenshot
# of the page under the build directory (browser-shots/).
. "$(dirname "$0")/../integration/lib.sh"
command -v chromium >/dev/null && command -v chromedriver >/dev/null &&
	/usr/bin/python3 -c 'import selenium' 2>/dev/null || {
	echo "SKIP: chromium, chromium-driver or python3-selenium is missing (deploy/install-deps.sh)"
	exit 77
}
rota_setup
secure_init
worker_key w1 authorize
rota keygen vera --out "$T/keys" >/dev/null || fail "rota keygen vera"
printf '  - name: vera\n    key: "%s"\n    role: viewer\n' \
	"$(sed -n 's/^public-key = //p' "$T/keys/vera.key")" >>"$T/data/operators.yaml"
mkdir -p "$T/runbooks"
# A step that prints a line a second (long enough to watch it, cancelled
# at the end), and a run that waits for an approval before its last step.
cat >"$T/runbooks/ticker.yaml" <<'YAML'
name: ticker
targets: {all: true}
steps:
  - id: tick
    shell: {run: "for i in $(seq 120); do echo tick $i; sleep 1; done"}
YAML
cat >"$T/runbooks/gated.yaml" <<'YAML'
name: gated
targets: {all: true}
steps:
  - id: prepare
    shell: {run: "echo prepared"}
  - id: confirm
    manual: {prompt: "Go ahead?"}
  - id: finish
    shell: {run: "echo finished"}
YAML
cat >"$T/runbooks/calm.yaml" <<'YAML'
name: calm
targets: {all: true}
steps:
  - {id: look, noop: {}}
YAML
# A rotation for the on-call page.
cat >"$T/config.yaml" <<'YAML'
people:
  alice: { webhook: "http://127.0.0.1:9/alice" }
  bob: { webhook: "http://127.0.0.1:9/bob" }
rotations:
  primary: { people: [alice, bob], shift: 1w, handoff: "MON 09:00", timezone: Europe/London }
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_secure_worker w1 w1
wait_workers 1

login() { # login [rota flags]: a one-time sign-in URL
	local out
	out=$(rota "$@" web login 2>&1) || fail "rota web login $*: $out"
	grep -Eo 'https?://[^ ]+' <<<"$out" | head -n 1
}
ROTA_LOGIN_ADMIN=$(login)
ROTA_LOGIN_VIEWER=$(login --key "$T/keys/vera.key_secret")
RUN_TICKER=$(rota submit ticker)
RUN_GATED=$(rota submit gated)
INC_ACK=$(rota incident open calm --severity P2 --title "browser: ack me" --target w1 |
	head -n 1 | cut -d' ' -f1)
INC_PHONE=$(rota incident open calm --severity P3 --title "browser: on a phone" \
	--target w1 | head -n 1 | cut -d' ' -f1)
wait_for '[ "$(rota show "$RUN_GATED" --json | grep -c "\"status\":\"waiting\"")" -ge 1 ]' 10 \
	"the gated run to wait for its approval"

# What the viewer's maintenance page lists (no host of the runs above).
rota maintenance start --target db-8 --for 1h --reason "browser: viewer sees" >/dev/null ||
	fail "rota maintenance start"

SHOTS=${ROTA_BROWSER_SHOTS:-$(cd "$ROTA_TESTS_BIN/.." && pwd)/browser-shots}
rm -rf "$SHOTS"
export ROTA_URL=http://$HTTP_EP ROTA_LOGIN_ADMIN ROTA_LOGIN_VIEWER RUN_TICKER RUN_GATED \
	GATED_STEP=confirm INC_ACK INC_PHONE SHOTS
/usr/bin/python3 "$(dirname "$0")/console.py" 2>&1 | tee "$T/browser.log" >&2
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "the browser checks failed (screenshots in $SHOTS)"

# What the clicks did, as the CLI sees it.
run_rota 0 -- incident show "$INC_ACK"
has_line "$OUT" 'acknowledged' "rota incident show $INC_ACK after the click"
has_line "$OUT" 'by .*admin|admin' "the ack names who clicked"
assert_contains "$OUT" "browser: looking at it" "the note added in the browser"
run_rota 0 -- show "$RUN_GATED" --json
assert_contains "$OUT" '"status":"succeeded"' "the approved run"
assert_contains "$OUT" '"text":"browser: run looked fine"' "the note added to the run in the browser"
run_rota 0 -- incident show "$INC_PHONE"
assert_not_contains "$OUT" "acknowledged by" "the incident the refused POSTs aimed at"
run_rota 0 -- audit --json
has_line "$(tr '{' '\n' <<<"$OUT")" '"actor":"vera".*"outcome":"(refused|denied)' \
	"the viewer's refused POST in the audit trail"
# Audited under the clicking operator's name, exactly as the ack was.
acker=$(store "SELECT actor FROM audit WHERE action = 'ack' AND outcome = 'ok' LIMIT 1")
[ -n "$acker" ] || fail "the ack's audit row names no one"
assert_eq "$(store "SELECT actor || ' ' || action || ' ' || outcome FROM audit WHERE detail LIKE '%browser: patching%' ORDER BY id")" \
	"$acker maintenance start ok
$acker maintenance end ok" "the window started and ended by clicks, audited"
run_rota 0 -- maintenance list --json
assert_not_contains "$OUT" "browser: patching" "the window the click ended"
pass "acknowledged, approved, a window started and ended by clicks, as rota sees it; the viewer's refusal audited"
rota cancel "$RUN_TICKER" >/dev/null 2>&1 || true
