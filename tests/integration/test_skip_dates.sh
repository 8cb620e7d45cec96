# A schedule's skip_dates with a real coordinator, worker and store:
# ROTA_FAKE_NOW starts the coordinator's clock just before a slot on a date
# the schedule skips.
#   - the slot is not run: a run with status skipped is recorded, with the
#     date and its reason from the runbook;
#   - rota schedules --next (from the coordinator) shows which coming slots
#     are skipped and why, including the dates of the holiday file;
#   - a holiday file with a line that is not a date makes the runbook
#     invalid, said with both files' line and column.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"

cat >"$RUNBOOKS/scan.yaml" <<'EOF2'
name: scan
description: the daily scan, not on holidays
schedule:
  cron: "0 10 * * *"
  timezone: Europe/London
  skip_dates:
    - { date: 2026-12-25, reason: Christmas Day }
    - { file: holidays.txt }
targets: { all: true }
steps:
  - id: say
    shell: "echo scanned"
EOF2
printf '# the office is closed\n2026-12-26 Boxing Day\n' >"$RUNBOOKS/holidays.txt"

ROTA_FAKE_NOW=2026-12-25T09:59:57Z start_coordinator
start_worker w1
wait_workers 1
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM runs WHERE runbook = 'scan'\")\" -ge 1 ]" 15 \
	"the 2026-12-25 10:00 slot of scan to be recorded"
assert_eq "$(store "SELECT status || ' ' || reason FROM runs WHERE runbook = 'scan'")" \
	"6 skipped: 2026-12-25 (Christmas Day) is in the schedule's skip_dates" \
	"the skipped slot's run"
assert_contains "$(rota runs)" "skipped" "rota runs"

next=$(rota schedules --next 3 scan)
assert_eq "$(echo "$next" | sed -n 1p)" \
	"2026-12-26 10:00:00 GMT  (2026-12-26 10:00:00 UTC)  skipped: 2026-12-26 (Boxing Day) is in the schedule's skip_dates" \
	"the next slot, from the holiday file"
assert_eq "$(echo "$next" | sed -n 2p)" "2026-12-27 10:00:00 GMT  (2026-12-27 10:00:00 UTC)" \
	"the slot after it, not skipped"

# A bad holiday file: lint and the schedule preview refuse the runbook,
# naming the runbook's line and the holiday file's.
printf '2026-12-26 Boxing Day\n2026-12-32 nope\n' >"$RUNBOOKS/holidays.txt"
out=$(rota lint "$RUNBOOKS/scan.yaml" 2>&1) && fail "lint accepted a bad holiday file: $out"
assert_contains "$out" "scan.yaml:8:15: skip_dates: $RUNBOOKS/holidays.txt:2:1: '2026-12-32' is not a date" \
	"lint's error"
out=$(rota schedules --next 2 "$RUNBOOKS/scan.yaml" 2>&1) && fail "schedules accepted it: $out"
assert_contains "$out" "holidays.txt:2:1: '2026-12-32' is not a date" "schedules' error"
pass "a slot on a skip date is recorded as skipped with its reason; rota schedules --next shows skipped slots; a bad holiday file is refused at file:line:column"
