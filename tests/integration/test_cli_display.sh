# What rota prints for the answers of the operator API's newer requests
# (runbooks, reload, schedules, approve) and fields (trigger, slot, reason,
# waiting and unreachable steps, retries), against rota-testpeer's canned
# coordinator: the CLI's half, independent of the coordinator's.
. "$(dirname "$0")/lib.sh"
rota_setup

# start_fake_api: a canned coordinator (tests/tools/testpeer.c, "api") on an
# ephemeral port; sets FAKE_PID and ROTA_COORDINATOR.
start_fake_api() {
	rm -f "$T/endpoints"
	"$ROTA_TESTS_BIN/rota-testpeer" api "$T" >>"$T/fake-api.log" 2>&1 &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	wait_for "[ -f '$T/endpoints' ]" 10 "the fake API's endpoint"
	export ROTA_COORDINATOR=$(sed -n 's/^api=//p' "$T/endpoints")
}

AAA=20261123-080000-aaaaaa
BBB=20261123-090000-bbbbbb
CCC=20261123-100000-cccccc
start_fake_api

# runs: how each run started, and why one was skipped.
run_rota 0 -- runs
has_line "$OUT" "^ID +RUNBOOK +TRIGGER +STATUS +OK/FAIL/ALL +STARTED +DURATION +REASON$" "runs header"
has_line "$OUT" "^$AAA +daily-health-check +schedule +succeeded +2/0/2 " "scheduled run"
has_line "$OUT" "^$BBB +daily-health-check +schedule +skipped +0/0/0 +- +- +skipped: previous run $AAA still running$" "skipped run"
has_line "$OUT" "^$CCC +restart-api +manual +running " "manual run"
run_rota 0 -- runs --json
assert_contains "$OUT" '"trigger":"schedule","slot_ms":1795424400000,"reason":"skipped: previous run' "runs --json"
assert_contains "$OUT" '"status":"skipped"' "runs --json"

# show of a skipped scheduled slot: trigger, slot in UTC, reason.
run_rota 0 -- show bbbbbb
has_line "$OUT" "^trigger +schedule$" "show trigger"
has_line "$OUT" "^slot +2026-11-23 09:00:00 UTC$" "show slot"
has_line "$OUT" "^status +skipped$" "show status"
has_line "$OUT" "^reason +skipped: previous run $AAA still running$" "show reason"
assert_contains "$OUT" "the run was skipped; no step ran" "show skipped"
run_rota 0 -- show bbbbbb --json
assert_contains "$OUT" '"trigger":"schedule","slot_ms":1795424400000' "show --json"
# Following a skipped run ends at once: it is over.
run_rota 0 -- logs -f bbbbbb
assert_contains "$ERR" "run bbbbbb skipped" "logs -f of a skipped run"

# show of a run waiting for approval: retries numbered, waiting and
# unreachable steps, and the commands that answer the waiting step.
run_rota 0 -- show last
has_line "$OUT" "^trigger +manual$" "show trigger"
has_line "$OUT" "^  health +succeeded +0 " "first step"
has_line "$OUT" "^  restart#1 +failed +1 +[0-9a-z.]+ +exited with status 1$" "first try"
has_line "$OUT" "^  restart#2 +succeeded +0 " "second try"
has_line "$OUT" "^  confirm +waiting +- +[0-9a-z.]+ +Is the dashboard green\?$" "waiting step"
has_line "$OUT" "^  health +unreachable +- +[0-9a-z.]+ +worker w3 was not connected" "unreachable step"
has_line "$OUT" "^step confirm is waiting for approval on w1, w2: Is the dashboard green\?$" "waiting block"
has_line "$OUT" "^  approve with: rota approve $CCC confirm$" "approve hint"
has_line "$OUT" "^  reject with: rota reject $CCC confirm$" "reject hint"
run_rota 0 -- show last --json
assert_contains "$OUT" '"step_id":"restart","position":1,"attempt":2,"status":"succeeded"' "show --json retry"
assert_contains "$OUT" '"status":"waiting"' "show --json waiting"
assert_contains "$OUT" '"status":"unreachable"' "show --json unreachable"

# runbooks: the table, then why each file that is not loaded is not.
run_rota 0 -- runbooks
has_line "$OUT" "^NAME +STATE +SCHEDULE +STEPS +PATH$" "runbooks header"
has_line "$OUT" "^daily-health-check +loaded +0 8 \* \* 1-5 Europe/London +5 +/etc/rota/runbooks/daily-health-check.yaml$" "loaded runbook"
has_line "$OUT" "^half +invalid +- +- +/etc/rota/runbooks/half.yaml$" "invalid runbook"
has_line "$OUT" "^log-rotation +stale +@daily UTC +3 +/etc/rota/runbooks/log-rotation.yaml$" "stale runbook"
has_line "$OUT" "^- +invalid +- +- +/etc/rota/runbooks/empty.yaml$" "nameless runbook"
has_line "$OUT" "^half \(/etc/rota/runbooks/half.yaml\) is invalid and not served:$" "invalid heading"
has_line "$OUT" "^  /etc/rota/runbooks/half.yaml:4:24: unknown key 'timout'; did you mean 'timeout'\?$" "error line"
has_line "$OUT" "^  /etc/rota/runbooks/half.yaml:6:5: step 'b': \?\[31mno step type$" "escape cleaned"
has_line "$OUT" "^log-rotation \(/etc/rota/runbooks/log-rotation.yaml\) is invalid; the version loaded 2026-11-22 08:00:00 UTC is still served:$" "stale heading"
has_line "$OUT" "^/etc/rota/runbooks/empty.yaml is invalid and not served:$" "nameless heading"
run_rota 0 -- runbooks --json
assert_contains "$OUT" '"state":"stale","errors":["/etc/rota/runbooks/log-rotation.yaml:3:13: schedule: cron: hour 25 is out of range 0-23"]' "runbooks --json"
assert_contains "$OUT" '"name":null,"path":"/etc/rota/runbooks/empty.yaml"' "runbooks --json nameless"

# reload: the counts and the errors; some invalid is exit 1.
run_rota 1 -- reload
has_line "$OUT" "^reloaded: 2 loaded \(1 added, 1 changed, 0 removed\), 2 invalid$" "reload summary"
has_line "$OUT" "^  /etc/rota/runbooks/empty.yaml: the file is empty$" "reload errors"
run_rota 1 -- reload --json
assert_contains "$OUT" '{"loaded":2,"invalid":2,"added":1,"changed":1,"removed":0,"runbooks":[' "reload --json"

# schedules: next in its zone and in UTC, the last run; --next N.
run_rota 0 -- schedules
has_line "$OUT" "^RUNBOOK +CRON +TIMEZONE +NEXT +NEXT \(UTC\) +LAST RUN$" "schedules header"
has_line "$OUT" "^daily-health-check +0 8 \* \* 1-5 +Europe/London +2026-11-23 08:00:00 GMT +2026-11-23 08:00:00 +$AAA succeeded$" "schedule line"
has_line "$OUT" "^log-rotation +@daily +UTC +2026-11-23 00:00:00 UTC +2026-11-23 00:00:00 +never$" "never-run schedule"
run_rota 0 -- schedules --next 3 daily-health-check
assert_eq "$OUT" "2026-11-23 08:00:00 GMT  (2026-11-23 08:00:00 UTC)
2026-11-24 08:00:00 GMT  (2026-11-24 08:00:00 UTC)
2026-11-25 08:00:00 GMT  (2026-11-25 08:00:00 UTC)" "schedules --next 3"
run_rota 0 -- schedules --next 2 daily-health-check --json
assert_eq "$OUT" '{"runbook":"daily-health-check","cron":"0 8 * * 1-5","timezone":"Europe/London","upcoming":[{"at_ms":1795420800000,"local":"2026-11-23 08:00:00 GMT"},{"at_ms":1795507200000,"local":"2026-11-24 08:00:00 GMT"}]}' "schedules --next --json"
run_rota 4 -- schedules --next 2 restart-api
assert_contains "$ERR" "runbook 'restart-api' has no schedule" "unscheduled runbook"

# approve: a step that is not waiting is refused (4); a follower says once
# that confirm waits, and ends when the approval ends the run.
run_rota 4 -- approve last health
assert_contains "$ERR" "step 'health' of run $CCC is not waiting for approval" "conflict"
run_rota 4 -- approve nope confirm
assert_contains "$ERR" "no run 'nope'" "no run"
rota logs -f last >"$T/follow.out" 2>"$T/follow.err" &
follow=$!
wait_for "grep -q 'waiting for approval' '$T/follow.err'" 10 "the follower to see the waiting step"
sleep 2.5 # more than CLI_WAITING_CHECK_MS: it asks again, and must not repeat itself
run_rota 0 -- approve last confirm --note "dashboard is green"
assert_eq "$OUT" "approved step confirm of run $CCC on 2 hosts" "approve"
wait_for "! kill -0 $follow 2>/dev/null" 10 "the follower to end"
wait "$follow" || fail "logs -f exited $?: $(cat "$T/follow.err")"
assert_eq "$(grep -c 'waiting for approval' "$T/follow.err")" 1 "waiting notes"
assert_contains "$(cat "$T/follow.err")" "rota: step confirm is waiting for approval on w1, w2: rota approve $CCC confirm" "waiting note"
assert_contains "$(cat "$T/follow.err")" "succeeded" "follower's last line"
run_rota 4 -- approve last confirm
assert_contains "$ERR" "is not waiting" "second approval"

# reject, on a fresh canned coordinator.
kill "$FAKE_PID"
start_fake_api
run_rota 0 -- reject last confirm --json
assert_eq "$OUT" "{\"run_id\":\"$CCC\",\"step_id\":\"confirm\",\"decision\":\"rejected\",\"hosts\":2,\"note\":null}" "reject --json"
run_rota 0 -- show last
has_line "$OUT" "^  confirm +failed +- +[0-9a-z.]+ +rejected: not green$" "rejected step"
assert_not_contains "$OUT" "approve with" "no hint once answered"
# schedules FILE is computed here: no coordinator is asked (this endpoint
# has none), and every line is the slot in its zone, then in UTC.
printf 'name: nightly\nschedule: { cron: "30 2 * * *", timezone: UTC }\nsteps:\n  - id: a\n    shell: "true"\n' >"$T/nightly.yaml"
run_rota 0 -- --coordinator tcp://127.0.0.1:1 schedules --next 4 "$T/nightly.yaml"
assert_eq "$(echo "$OUT" | wc -l)" 4 "fire times from a file"
echo "$OUT" | grep -Evq '^(20[0-9]{2}-[0-9]{2}-[0-9]{2}) 02:30:00 UTC  \(\1 02:30:00 UTC\)$' &&
	fail "fire times from a file: $OUT"
printf 'name: london\nschedule: { cron: "0 8 * * 1-5", timezone: Europe/London }\nsteps:\n  - id: a\n    shell: "true"\n' >"$T/london.yaml"
run_rota 0 -- --coordinator tcp://127.0.0.1:1 schedules "$T/london.yaml" --json
assert_contains "$OUT" '{"runbook":"london","cron":"0 8 * * 1-5","timezone":"Europe/London","upcoming":[{"at_ms":' "schedules FILE --json"
assert_eq "$(echo "$OUT" | grep -o '"local":"[0-9-]* 08:00:00 \(GMT\|BST\)"' | wc -l)" 5 "five weekday mornings"
printf 'name: typo\nschedule: { cron: "0 25 * * *" }\nsteps:\n  - id: a\n    shell: "true"\n' >"$T/typo.yaml"
run_rota 1 -- --coordinator tcp://127.0.0.1:1 schedules --next 2 "$T/typo.yaml"
assert_contains "$ERR" "typo.yaml:2:" "cron error position"
assert_contains "$ERR" "25 is out of range 0-23" "cron error"
pass "runbooks, reload, schedules, approve and the new run fields"
