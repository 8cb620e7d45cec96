# The scheduler with a real coordinator, worker and store. ROTA_FAKE_NOW
# starts the coordinator's clock a few seconds before a slot, so a cron line
# fires without waiting for the real minute.
#   - a slot fires exactly once, across a SIGTERM and a SIGKILL restart in
#     the middle of its minute;
#   - after a downtime covering three slots, catchup latest starts one run
#     (for the latest slot) and catchup none starts none;
#   - concurrency forbid records a skipped run, with the reason, for a slot
#     that comes while the previous run still runs.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"

cat >"$RUNBOOKS/nobody.yaml" <<'EOF'
name: nobody
schedule: { cron: "1 10 * * *", timezone: UTC }
targets: { labels: { role: [gpu, tpu] } }
steps:
  - id: say
    shell: "echo never"
EOF

# everywhere NAME SCHEDULE STEP SHELL: runbook NAME on every worker, on
# SCHEDULE (its schedule: as YAML), with the one step STEP running SHELL
# (its shell: as YAML).
everywhere() {
	cat >"$RUNBOOKS/$1.yaml" <<EOF
name: $1
schedule: $2
targets: { all: true }
steps:
  - id: $3
    shell: $4
EOF
}
everywhere tick '{ cron: "1 10 * * *", timezone: UTC }' say '"echo tick {{ run.id }}"'
everywhere latest '{ cron: "*/5 * * * *", catchup: latest, concurrency: allow }' say '"echo latest"'
everywhere none '{ cron: "*/5 * * * *", catchup: none, concurrency: allow }' say '"echo none"'
everywhere slow '{ cron: "30 12 * * *", concurrency: forbid }' nap '{ run: "sleep 12", timeout: 1m }'
everywhere swap '{ cron: "30 12 * * *", concurrency: replace }' nap '{ run: "sleep 12", timeout: 1m }'

ms() { echo $(($(date -u -d "$1" +%s) * 1000)); }
count() { store "SELECT COUNT(*) FROM runs WHERE runbook = '$1'"; }
stop_coordinator() {
	kill "-$1" "$COORD_PID"
	wait "$COORD_PID" 2>/dev/null || true
}

# 1. Exactly once across restarts in the middle of the minute.
ROTA_FAKE_NOW=2026-06-01T10:00:57Z start_coordinator
start_worker w1
wait_workers 1
wait_for "[ \"\$(count tick)\" -ge 1 ]" 15 "the 10:01 slot of tick to fire"
assert_eq "$(store "SELECT trigger || ' ' || slot_ms FROM runs WHERE runbook = 'tick'")" \
	"schedule $(ms 2026-06-01T10:01:00Z)" "tick's run: trigger and slot"
run=$(store "SELECT id FROM runs WHERE runbook = 'tick'")
wait_for "[ \"\$(run_status $run)\" = 3 ]" 15 "tick's run to succeed"
assert_contains "$(rota logs "$run")" "tick $run" "the scheduled run's output"
assert_eq "$(store "SELECT next_ms FROM schedules WHERE runbook = 'tick'")" \
	"$(ms 2026-06-02T10:01:00Z)" "tick's next slot"
stop_coordinator TERM
ROTA_FAKE_NOW=2026-06-01T10:01:20Z restart_coordinator
wait_workers 1
sleep 2
stop_coordinator KILL
ROTA_FAKE_NOW=2026-06-01T10:01:40Z restart_coordinator
wait_workers 1
sleep 2
assert_eq "$(count tick)" 1 "runs of tick after two restarts within its minute"
sched=$(rota schedules)
echo "$sched" | grep -E "^tick +1 10 \* \* \* +UTC +2026-06-02 10:01:00 UTC +2026-06-02 10:01:00 +$run succeeded" \
	>/dev/null || fail "rota schedules does not show tick's next slot and last run: $sched"
next=$(rota schedules --next 3 latest)
assert_eq "$(echo "$next" | head -n 1)" "2026-06-01 10:05:00 UTC  (2026-06-01 10:05:00 UTC)" \
	"first of rota schedules --next 3 latest"
assert_eq "$(echo "$next" | wc -l)" 3 "lines of rota schedules --next 3"
assert_eq "$(count nobody)" 1 "runs of nobody (no worker matches)"
assert_eq "$(store "SELECT status || ' ' || trigger || ' ' || reason FROM runs WHERE runbook = 'nobody'")" \
	"4 schedule no connected worker matches role=gpu|tpu (connected workers: w1)" \
	"a scheduled run with no matching worker is a failed run with the reason"
# A scheduled runbook can be submitted by hand at any time: a manual run.
rota submit tick --wait >/dev/null
assert_eq "$(store "SELECT trigger || ' ' || slot_ms FROM runs WHERE runbook = 'tick' ORDER BY created_ms DESC LIMIT 1")" \
	"manual 0" "a manual submit of a scheduled runbook"
assert_eq "$(store "SELECT last_run_id FROM schedules WHERE runbook = 'tick'")" "$run" \
	"the schedule's last run (a manual run is not a slot)"
pass "a slot fires once, and never again after SIGTERM and SIGKILL restarts in its minute"

# 2. Catchup after a downtime of three slots (10:05, 10:10, 10:15).
latest_before=$(count latest)
none_before=$(count none)
stop_coordinator TERM
ROTA_FAKE_NOW=2026-06-01T10:16:10Z restart_coordinator
wait_workers 1
wait_for "[ \"\$(count latest)\" -gt $latest_before ]" 10 "latest to catch up"
sleep 2
assert_eq "$(count latest)" $((latest_before + 1)) "runs of latest after three missed slots"
assert_eq "$(store "SELECT slot_ms FROM runs WHERE runbook = 'latest' ORDER BY created_ms DESC LIMIT 1")" \
	"$(ms 2026-06-01T10:15:00Z)" "the slot latest caught up"
assert_eq "$(count none)" "$none_before" "runs of none after three missed slots"
grep -q "schedule none: 3 slot(s) due since 2026-06-01 10:05:00 UTC were missed" "$T/coordinator.log" ||
	fail "the coordinator did not log the slots none missed"
pass "catchup latest runs the latest of three missed slots once, catchup none runs none"

# 3. Forbid: the 12:30 slot's run is still running at the next day's slot.
stop_coordinator TERM
ROTA_FAKE_NOW=2026-06-01T12:29:58Z restart_coordinator
wait_workers 1
wait_for "[ \"\$(count slow)\" -ge 1 ]" 10 "slow's 12:30 slot"
first=$(store "SELECT id FROM runs WHERE runbook = 'slow'")
wait_for "[ \"\$(count swap)\" -ge 1 ]" 10 "swap's 12:30 slot"
swap1=$(store "SELECT id FROM runs WHERE runbook = 'swap'")
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM step_runs WHERE run_id = '$first' AND status = 3\")\" = 1 ]" 10 \
	"slow's step to run"
stop_coordinator TERM
# A day later by the coordinator's clock; the worker still runs the nap.
ROTA_FAKE_NOW=2026-06-02T12:29:59Z restart_coordinator
wait_workers 1
wait_for "[ \"\$(count slow)\" -ge 2 ]" 10 "slow's next slot"
skipped=$(store "SELECT status || ' ' || reason FROM runs WHERE runbook = 'slow' AND id != '$first'")
assert_eq "$skipped" "6 skipped: run $first of slow is still running (concurrency: forbid)" \
	"the overlapping slot's run"
runs=$(rota runs)
assert_contains "$runs" "skipped" "rota runs"
wait_for "[ \"\$(count swap)\" -ge 2 ]" 10 "swap's next slot"
assert_eq "$(store "SELECT status || ' ' || reason FROM runs WHERE id = '$swap1'")" \
	"5 cancelled: replaced by the 2026-06-02 12:30:00 UTC slot of its schedule (concurrency: replace)" \
	"the replaced run"
swap2=$(store "SELECT id FROM runs WHERE runbook = 'swap' AND id != '$swap1'")
wait_for "grep -q 'step $swap1/nap#1 finished: .*cancelled' '$T/worker-w1.log'" 10 \
	"the worker to kill the replaced run's step"
wait_for "[ \"\$(run_status $first)\" = 3 ]" 20 "the first run of slow to finish"
wait_for "[ \"\$(run_status $swap2)\" = 3 ]" 20 "the replacing run of swap to finish"
pass "concurrency forbid skips an overlapping slot and records why; replace cancels the running one"

# 4. SIGHUP reloads the directory: a new schedule appears, a broken file
# keeps its last good version.
cat >"$RUNBOOKS/weekly.yaml" <<'EOF'
name: weekly
schedule: { cron: "0 6 * * MON", timezone: Europe/London }
targets: { all: true }
steps:
  - id: say
    shell: "echo weekly"
EOF
echo "  - id: broken" >>"$RUNBOOKS/tick.yaml"
kill -HUP "$COORD_PID"
wait_for "rota schedules | grep -q '^weekly '" 10 "the SIGHUP reload"
sched=$(rota schedules)
echo "$sched" | grep -E "^weekly +0 6 \* \* MON +Europe/London +2026-06-08 06:00:00 BST +2026-06-08 05:00:00 " \
	>/dev/null || fail "rota schedules after SIGHUP: $sched"
books=$(rota runbooks)
echo "$books" | grep -E "^tick +stale " >/dev/null || fail "tick is not stale after SIGHUP: $books"
assert_contains "$sched" "tick" "tick's schedule is still served"
pass "SIGHUP reloads: a new schedule appears, a broken file keeps its last good version"
