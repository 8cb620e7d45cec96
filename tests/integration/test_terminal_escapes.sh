# Nothing a step prints, a worker says or an alert carries reaches a
# terminal or a log raw: `rota logs` and `rota show` show ESC, an OSC
# title, CR and invalid UTF-8 visibly (\x1b, U+FFFD; tabs kept) and
# `rota logs --raw` gives the bytes; a worker's hostname with a newline
# cannot forge a coordinator log line; the alert intake refuses overlong
# UTF-8 with 400 naming where.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

has_byte() { # has_byte FILE OCTAL: the file holds that byte
	[ "$(tr -dc "\\$2" <"$1" | wc -c)" -gt 0 ]
}

run=$(rota submit "$FIXTURES/escapes.yaml" --target w1)
wait_for "[ \"\$(run_status $run)\" = 3 ]" 30 "the run to succeed"

rota logs "$run" >"$T/logs.out"
for b in 033 007 015; do
	if has_byte "$T/logs.out" "$b"; then
		fail "rota logs printed the raw byte \\$b: $(od -c "$T/logs.out" | head -20)"
	fi
done
logs=$(cat "$T/logs.out")
assert_contains "$logs" 'w1 print | colour \x1b[31mred\x1b[0m' "the colour, shown"
assert_contains "$logs" 'w1 print | title \x1b]0;pwned\x07 after' "the OSC title, shown"
assert_contains "$logs" 'w1 print | fake\x0dw1 print | forged' "the CR, shown on its own line"
assert_contains "$logs" "w1 print | bad $(printf '\357\277\275\357\277\275') bytes" "invalid UTF-8 as U+FFFD"
assert_contains "$logs" "w1 print | tab$(printf '\t')kept" "a tab, kept"

rota logs "$run" --raw >"$T/raw.out"
has_byte "$T/raw.out" 033 || fail "rota logs --raw did not print the ESC byte"
has_byte "$T/raw.out" 015 || fail "rota logs --raw did not print the CR byte"
grep -q "$(printf 'bad \300\257 bytes')" "$T/raw.out" || fail "rota logs --raw changed the bytes"

rota show "$run" >"$T/show.out"
for b in 033 007 015; do
	has_byte "$T/show.out" "$b" && fail "rota show printed the raw byte \\$b"
done
grep -qF 'colour \x1b[31mred' "$T/show.out" || fail "rota show does not show the escape visibly"

# A worker's hostname with a newline and a byte that is not UTF-8: in the
# coordinator's log the rest of it is an indented continuation of the line
# that names it (never a line of its own), with U+FFFD for the byte.
"$ROTA_TESTS_BIN/rota-testpeer" oddhello "$WORKER_EP" evil \
	"$(printf 'box\n2020-01-01T00:00:00.000Z rota-coordinator INFO forged line \377')" \
	|| fail "the test peer was not welcomed"
wait_for "grep -q 'worker evil connected' '$T/coordinator.log'" 10 "the peer's Hello in the log"
grep -q '^2020-01-01T00:00:00.000Z' "$T/coordinator.log" && fail "a hostname forged a coordinator log line"
grep -A1 'worker evil connected' "$T/coordinator.log" | grep -qF "    2020-01-01T00:00:00.000Z rota-coordinator INFO forged line $(printf '\357\277\275')" \
	|| fail "the hostname is not shown as an indented continuation: $(grep -A1 'worker evil' "$T/coordinator.log")"
has_byte "$T/coordinator.log" 377 && fail "the coordinator log holds a byte that is not UTF-8"

# The alert intake: strict UTF-8. An overlong '/' (C0 AF) is refused with
# 400, naming what and where, and nothing is recorded.
printf '{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"A\300\257"}}]}' >"$T/alert.json"
code=$(curl -s -o "$T/alert.reply" -w '%{http_code}' -X POST --data-binary @"$T/alert.json" \
	"http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$code" 400 "an overlong UTF-8 alert"
assert_contains "$(cat "$T/alert.reply")" "invalid UTF-8: an overlong encoding at offset 86" "the 400's reason"
assert_eq "$(store "SELECT COUNT(*) FROM incidents")" 0 "incidents after the refused alert"
pass "escapes and invalid bytes are shown, never obeyed; --raw gives the bytes; intake is strict UTF-8"
