#!/usr/bin/env bash
# Recurring maintenance windows of the configuration, with one coordinator
# under CURVE (a real worker, the store, the audit trail): an operator ends
# a recurring window's current occurrence early by the id `rota maintenance
# list` shows (audited; still ended after a restart; the list shows its next
# occurrence); `rota reload` and SIGHUP apply a changed `maintenance:` list
# (a removed window ends at once, an added one starts), and a bad file is
# refused with file:line:column while the windows in use stay; a freeze, or
# --target all beyond 4h, needs the admin role (refused and audited), a few
# hours on one host stays an operator's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup
secure_init
worker_key w1 authorize
operator_key alice operator
alice="--key $T/keys/alice.key_secret"
mkdir -p "$T/runbooks"
# 2026-06-02 is a Tuesday: at 02:30 both windows are in their occurrence.
cat >"$T/config.yaml" <<'YAML'
maintenance:
  - { name: patch, cron: "0 2 * * TUE", duration: 2h, target: role=db, reason: patching }
  - { name: nightly, cron: "0 2 * * *", duration: 1h, target: w1, reason: backups }
YAML
ROTA_FAKE_NOW=2026-06-02T02:30:00Z RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_secure_worker w1 w1 --label role=db
# (wait_workers counts " connected " lines: w1's says "connected, maintenance")
wait_for "rota workers | grep -q '^w1 .* connected, maintenance MW-patch '" 10 "w1 to connect, in MW-patch"

# ---- a recurring occurrence ended early, across a restart ---------------------
run_rota 0 -- maintenance list
has_line "$OUT" "^MW-patch +active +role=db " "list: MW-patch"
has_line "$OUT" "^MW-nightly +active +w1 " "list: MW-nightly"
run_rota 0 -- $alice maintenance end MW-patch
assert_contains "$OUT" "ended MW-patch (role=db) at 2026-06-02" "end MW-patch"
assert_contains "$OUT" "next occurrence begins on schedule" "end MW-patch"
run_rota 4 -- $alice maintenance end MW-patch
assert_contains "$ERR" "window MW-patch is not running now; its next occurrence starts at 2026-06-09 02:00:00 UTC" "ending it twice"
run_rota 4 -- $alice maintenance end MW-nosuch
assert_contains "$ERR" "no window 'MW-nosuch'" "an unknown id"
assert_eq "$(store "SELECT actor || ' ' || action || ' ' || target || ' ' || outcome FROM audit WHERE action = 'maintenance end' ORDER BY id")" \
	"alice maintenance end MW-patch ok
alice maintenance end MW-patch refused
alice maintenance end MW-nosuch refused" "the audit rows of end"
stop_coordinator
ROTA_FAKE_NOW=2026-06-02T02:31:00Z RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
run_rota 0 -- maintenance list
has_line "$OUT" "^MW-patch +planned +role=db .*2026-06-09 02:00" "list after a restart: MW-patch's next occurrence"
has_line "$OUT" "^MW-nightly +active " "list after a restart: MW-nightly"
pass "a recurring window's occurrence ends early, audited, and stays ended across a restart"

# ---- the role a window needs ----------------------------------------------------
run_rota 4 -- $alice maintenance start --target all --for 1h --freeze --reason "change freeze"
assert_eq "$ERR" "rota: refused: rota maintenance start needs the admin role for --freeze (it pauses every schedule); alice is an operator" "an operator's freeze"
run_rota 4 -- $alice maintenance start --target all --for 5h --reason "network move"
assert_contains "$ERR" "needs the admin role for --target all longer than 4h" "an operator's long all"
run_rota 0 -- $alice maintenance start --target w1 --for 3h --reason "kernel upgrade"
assert_contains "$OUT" ": w1 in maintenance until" "an operator's window on one host"
run_rota 0 -- maintenance start --target all --for 5h --reason "network move"
assert_eq "$(store "SELECT actor || ' ' || outcome || ' ' || detail FROM audit WHERE action = 'maintenance start' ORDER BY id")" \
	"alice refused rota maintenance start needs the admin role for --freeze (it pauses every schedule); alice is an operator
alice refused rota maintenance start needs the admin role for --target all longer than 4h (it silences every host's alerts); alice is an operator
alice ok w1 for 3h00m: kernel upgrade
admin ok all for 5h00m: network move" "the audit rows of start"
pass "a freeze or all beyond 4h needs the admin role (refused, audited); 3h on one host is an operator's"

# ---- reload: rota reload and SIGHUP apply the maintenance: list ---------------
cat >"$T/config.yaml" <<'YAML'
maintenance:
  - { name: patch, cron: "0 2 * * TUE", duration: 2h, target: role=db, reason: patching }
  - { name: late, cron: "0 6 * * *", duration: 1h, target: all }
YAML
run_rota 0 -- reload
assert_contains "$OUT" "maintenance: 2 recurring window(s) in the configuration (1 added, 0 changed, 1 removed)" "reload"
run_rota 0 -- maintenance list
assert_not_contains "$OUT" "MW-nightly" "list: the removed window ended"
has_line "$OUT" "^MW-late +planned +all " "list: the added window"
printf 'maintenance:\n  - { name: patch, cron: "0 2 * * TUE", duration: 5s, target: role=db }\n' >"$T/config.yaml"
run_rota 4 -- reload
assert_contains "$ERR" "the configuration has errors; nothing reloaded" "a bad reload"
assert_contains "$ERR" "config.yaml:2:51: maintenance: duration '5s' must be from 1m to 30d" "a bad reload's place"
run_rota 0 -- maintenance list
has_line "$OUT" "^MW-late +planned " "list after a bad reload: the windows in use stay"
assert_eq "$(store "SELECT outcome FROM audit WHERE action = 'reload' ORDER BY id")" "ok
refused" "the audit rows of reload"
cat >"$T/config.yaml" <<'YAML'
maintenance:
  - { name: nightly, cron: "0 2 * * *", duration: 1h, target: w1, reason: backups }
YAML
kill -HUP "$COORD_PID"
wait_for "rota maintenance list | grep -q '^MW-nightly .*active'" 10 "SIGHUP to apply the maintenance: list"
run_rota 0 -- maintenance list
assert_not_contains "$OUT" "MW-late" "list after SIGHUP"
pass "reload and SIGHUP apply a changed maintenance: list; a bad file is refused at file:line:column"
