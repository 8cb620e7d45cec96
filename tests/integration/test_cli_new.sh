# The newer operator commands end to end, against a coordinator that
# answers ListRunbooks, Reload, ListSchedules and Approve.
#
#   rota runbooks   valid and invalid files, with file:line:column
#   rota reload     good->bad keeps the old version (stale); bad->good loads
#                   it; a removed file is counted
#   rota schedules  the table, --next N by name, and the same times computed
#                   from the file by the CLI alone
#   rota approve / reject  a manual step on two hosts; a second answer is
#                   refused (exit 4); submit --wait says once what waits
#
# Last, an every-minute schedule fires, to see trigger "schedule" and its
# slot in runs and show: the coordinator restarts 3 s before a minute of its
# test clock (ROTA_FAKE_NOW), so this takes seconds, not up to two minutes
# (it used to, and ran only with ROTA_TEST_SLOW=1, which CI never set).
. "$(dirname "$0")/lib.sh"
rota_setup

RB=$T/runbooks
mkdir -p "$RB"
cp "$ROTA_SOURCE_DIR"/runbooks/*.yaml "$RB/"
cat >"$RB/morning.yaml" <<'EOF'
name: morning
description: a weekday schedule, for the schedules table
schedule: { cron: "0 8 * * 1-5", timezone: Europe/London }
steps:
  - id: hello
    shell: { run: "echo good morning" }
EOF
cat >"$RB/gate.yaml" <<'EOF'
name: gate
description: a manual step between two shell steps
steps:
  - id: before
    shell: { run: "until [ -e \"$ROTA_TEST_TMP/gate.open\" ]; do sleep 0.05; done; echo before the gate" }
  - id: confirm
    manual: { prompt: "Is the dashboard green?", timeout: 10m }
  - id: after
    shell: { run: "echo through the gate" }
EOF
# Invalid from the start: never served.
printf 'name: half\nsteps:\n  - id: a\n    shell: {run: "true", timout: 5s}\n' >"$RB/half.yaml"

RUNBOOKS=$RB start_coordinator
start_worker w1 --label role=db
start_worker w2 --label role=db
wait_workers 2

# ---- runbooks -------------------------------------------------------------
run_rota 0 -- runbooks
has_line "$OUT" "^NAME +STATE +SCHEDULE +STEPS +PATH$" "runbooks header"
has_line "$OUT" "^morning +loaded +0 8 \* \* 1-5 Europe/London +1 +.*morning.yaml$" "scheduled runbook"
has_line "$OUT" "^gate +loaded +- +3 +.*gate.yaml$" "manual runbook"
has_line "$OUT" "^daily-health-check +loaded " "shipped runbook"
has_line "$OUT" " invalid +- +- +.*half.yaml$" "invalid runbook"
has_line "$OUT" "half.yaml\)? is invalid and not served:$" "invalid heading"
has_line "$OUT" "^  .*half.yaml:4:[0-9]+: .*unknown key 'timout'.*did you mean 'timeout'" "error line"
run_rota 0 -- runbooks --json
assert_contains "$OUT" '"state":"invalid"' "runbooks --json"
assert_contains "$OUT" "half.yaml:4:" "runbooks --json errors"

# ---- reload ---------------------------------------------------------------
# bad -> good: half is fixed and loaded.
printf 'name: half\nsteps:\n  - id: a\n    shell: {run: "true", timeout: 5s}\n' >"$RB/half.yaml"
run_rota 0 -- reload
has_line "$OUT" "^reloaded: [0-9]+ loaded \([0-9]+ added, [0-9]+ changed, 0 removed\), 0 invalid$" "reload summary"
run_rota 0 -- runbooks
has_line "$OUT" "^half +loaded +- +1 " "half loaded after the fix"
assert_not_contains "$OUT" "is invalid" "runbooks after the fix"

# good -> bad: morning breaks; the version loaded before still serves.
sed -i 's/timezone: Europe\/London/timezone: Europe\/Lundon/' "$RB/morning.yaml"
run_rota 1 -- reload
has_line "$OUT" "^reloaded: [0-9]+ loaded \([0-9]+ added, [0-9]+ changed, 0 removed\), 1 invalid$" "reload summary"
has_line "$OUT" "morning.yaml\)? is invalid; the version loaded .* is still served:$" "stale heading"
has_line "$OUT" "^  .*morning.yaml:3:[0-9]+: .*Europe/Lundon" "stale error"
# The coordinator's log counts the stale file as invalid, as reload does.
grep -q "loaded [0-9]* runbook(s) from .* (1 invalid, 1 of them served from their last good version)" \
	"$T/coordinator.log" || fail "the coordinator's log does not count the stale file"
run_rota 0 -- runbooks
has_line "$OUT" "^morning +stale +0 8 \* \* 1-5 Europe/London +1 " "stale row keeps the served schedule"
run_rota 1 -- reload --json
assert_contains "$OUT" '"invalid":1' "reload --json"
# What is served is the old version: it still runs.
run_rota 0 -- submit morning --target w1 --wait
assert_contains "$OUT" "good morning" "the stale runbook's old version runs"

# bad -> good again, and a removed file is counted.
sed -i 's/Europe\/Lundon/Europe\/London/' "$RB/morning.yaml"
rm "$RB/half.yaml"
run_rota 0 -- reload
has_line "$OUT" "^reloaded: [0-9]+ loaded \([0-9]+ added, [0-9]+ changed, 1 removed\), 0 invalid$" "reload after a removal"
run_rota 0 -- runbooks
has_line "$OUT" "^morning +loaded " "morning loaded again"
assert_not_contains "$OUT" "half" "removed runbook"

# ---- schedules ------------------------------------------------------------
run_rota 0 -- schedules
has_line "$OUT" "^RUNBOOK +CRON +TIMEZONE +NEXT +NEXT \(UTC\) +LAST RUN$" "schedules header"
has_line "$OUT" "^morning +0 8 \* \* 1-5 +Europe/London +20[0-9-]+ 08:00:00 (GMT|BST) +20[0-9-]+ 0[78]:00:00 +never$" "schedule row"
assert_not_contains "$OUT" "gate" "an unscheduled runbook in schedules"
run_rota 0 -- schedules --next 3 morning
assert_eq "$(echo "$OUT" | wc -l)" 3 "schedules --next 3"
has_line "$OUT" "^20[0-9-]+ 08:00:00 (GMT|BST)  \(20[0-9-]+ 0[78]:00:00 UTC\)$" "a fire time"
remote=$OUT
# The CLI alone, from the file, agrees with the coordinator.
run_rota 0 -- --coordinator tcp://127.0.0.1:1 schedules --next 3 "$RB/morning.yaml"
assert_eq "$OUT" "$remote" "fire times computed from the file"
run_rota 0 -- schedules --next 2 morning --json
assert_contains "$OUT" '"runbook":"morning","cron":"0 8 * * 1-5","timezone":"Europe/London","upcoming":[{"at_ms":' "schedules --json"
run_rota 4 -- schedules --next 2 gate
assert_contains "$ERR" "has no schedule" "an unscheduled runbook"

# ---- approve / reject -----------------------------------------------------
# The note must name every host waiting, so the follower may not look
# before both are at the gate: `before` waits for gate.open on both hosts,
# and the follower is stopped while they get there. It follows the event
# stream from a cursor, so stopping it anywhere (even with a window in
# flight, which then times out and is asked for again) loses nothing.
"$ROTA_BIN/rota" submit gate --target role=db --wait >"$T/wait.out" 2>"$T/wait.err" &
waiter=$!
wait_for "[ -s '$T/wait.out' ]" 20 "submit --wait to print the run id"
run=$(head -n 1 "$T/wait.out")
[ -n "$run" ] || fail "submit --wait printed no run id"
kill -STOP "$waiter"
assert_not_contains "$(cat "$T/wait.err")" "waiting for approval" "--wait before the gate opened"
touch "$T/gate.open"
wait_for "rota show $run | grep -q '^step confirm is waiting for approval on w1, w2'" 20 \
	"both hosts to wait at the gate"
kill -CONT "$waiter"
wait_for "grep -q 'waiting for approval' '$T/wait.err'" 20 "submit --wait to see the waiting step"
assert_contains "$(cat "$T/wait.err")" "step confirm is waiting for approval on w1, w2: rota approve $run confirm" "--wait note"
run_rota 0 -- show "$run"
has_line "$OUT" "^  before +succeeded +0 " "the step before the gate"
has_line "$OUT" "^  confirm +waiting +- +.*Is the dashboard green\?" "the waiting step"
has_line "$OUT" "^step confirm is waiting for approval on w1, w2" "waiting block"
has_line "$OUT" "^  approve with: rota approve $run confirm$" "approve hint"
has_line "$OUT" "^  reject with: rota reject $run confirm$" "reject hint"
# A running run says since when, not only once it has ended.
has_line "$OUT" "^started +20[0-9-]+ [0-9:]+$" "started of a waiting run"
run_rota 0 -- runs
has_line "$OUT" "^$run +gate +manual +running +0/0/2 +20[0-9-]+ [0-9:]+ +[0-9.]+m?s" "runs row of a waiting run"
# A wrong step name says which steps can be answered.
run_rota 4 -- approve "$run" before
assert_eq "$ERR" "rota: refused: run $run (gate) has no manual step 'before'; its manual steps: confirm" "approve of a shell step"
run_rota 4 -- approve "$run" confrim
assert_eq "$ERR" "rota: refused: run $run (gate) has no step 'confrim'; its manual steps: confirm" "approve of a typo"
run_rota 0 -- approve last confirm --note "dashboard is green"
assert_eq "$OUT" "approved step confirm of run $run on 2 hosts" "approve"
wait "$waiter" || fail "submit --wait after approval: exit $? $(cat "$T/wait.err")"
assert_eq "$(grep -c 'waiting for approval' "$T/wait.err")" 1 "waiting notes under --wait"
assert_contains "$(cat "$T/wait.out")" "through the gate" "the step after the gate"
assert_eq "$(run_status "$run")" 3 "approved run (succeeded)"
run_rota 4 -- approve "$run" confirm
assert_eq "$ERR" "rota: refused: run $run (gate) has already ended (succeeded), so no step of it waits for approval; rota show $run says what happened" "a second approval"

run_rota 0 -- submit gate --target role=db
run=$OUT
wait_for "rota show $run | grep -q 'approve with'" 20 "the second run to wait"
run_rota 0 -- reject "${run: -6}" confirm --json
assert_eq "$OUT" "{\"run_id\":\"$run\",\"step_id\":\"confirm\",\"decision\":\"rejected\",\"hosts\":2,\"note\":null}" "reject --json"
wait_for "[ \"\$(run_status $run)\" = 4 ]" 20 "the rejected run to fail"
run_rota 0 -- show "$run"
has_line "$OUT" "^  confirm +failed " "the rejected step"
assert_not_contains "$OUT" "through the gate" "a step after a rejected gate"
run_rota 4 -- reject "$run" confirm

run_rota 0 -- runs
has_line "$OUT" "^$run +gate +manual +failed " "runs shows the trigger"

# ---- a schedule that fires ------------------------------------------------
cat >"$RB/every-minute.yaml" <<'EOF'
name: every-minute
schedule: { cron: "* * * * *", timezone: UTC }
targets: { labels: { role: db } }
steps:
  - id: tick
    shell: { run: "echo tick" }
EOF
stop_coordinator
ROTA_FAKE_NOW=$(date -u +%Y-%m-%dT%H:%M:57Z) RUNBOOKS=$RB restart_coordinator
wait_workers 2
wait_for "rota runs --json | grep -q '\"trigger\":\"schedule\"'" 30 "the schedule to fire"
run_rota 0 -- show last
has_line "$OUT" "^trigger +schedule$" "show trigger"
has_line "$OUT" "^slot +20[0-9-]+ [0-9:]{5}:00 UTC$" "show slot"
run_rota 0 -- schedules
has_line "$OUT" "^every-minute .* [0-9]{8}-[0-9]{6}-[0-9a-f]+ [a-z]+$" "last run in schedules"
pass "runbooks, reload, schedules and approvals end to end"
