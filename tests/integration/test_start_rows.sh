# A start over a library larger than the coordinator writes at once
# (COORDINATOR_SAVE_AT_ONCE rows): the runbooks' and schedules' rows are
# written after the first answer, a slice a loop turn (coordinator_save.c).
#   - rota schedules and rota runbooks list every next slot and runbook at
#     a start's first answer, whatever the store holds yet;
#   - a SIGKILL right after the first answers (the rows half written, or
#     not yet) loses nothing: the restart writes every row, and the store's
#     next slots are the ones rota schedules shows;
#   - a schedule due right after the start fires once, across restarts,
#     with its runbook's and its own rows written in the same commit as the
#     run or before.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
N=20000
for ((i = 0; i < N; i++)); do
	printf -v name 'b%05d' "$i"
	printf 'name: %s\nschedule: { cron: "%d %d %d %d *", timezone: UTC }\ntargets: { all: true }\nsteps:\n  - id: s\n    noop: {}\n' \
		"$name" $((i % 60)) $(((i / 60) % 24)) $(((i / 1440) % 28 + 1)) $((i % 12 + 1)) \
		>"$RUNBOOKS/$name.yaml"
done
cat >"$RUNBOOKS/zz-due.yaml" <<'EOF2'
name: zz-due
schedule: { cron: "1 10 * * *", timezone: UTC }
targets: { all: true }
steps:
  - id: s
    noop: {}
EOF2
ALL=$((N + 1))
count() { store "SELECT COUNT(*) FROM $1"; }
kill_coordinator() {
	kill -KILL "$COORD_PID"
	wait "$COORD_PID" 2>/dev/null || true
}

# 1. The schedules at the first answer, then killed at once.
ROTA_FAKE_NOW=2026-06-01T10:00:40Z start_coordinator
scheds=$(rota schedules)
kill_coordinator
written="$(count runbooks) runbooks, $(count schedules) schedules"
echo "rows in the store when killed after the first answer: $written (of $ALL each)"
assert_eq "$(grep -c '^ *b[0-9]\{5\} ' <<<"$scheds")" "$N" "schedules listed at the first answer"
assert_contains "$scheds" "2026-06-01 10:01:00 UTC" "zz-due's next slot at the first answer"
grep -q "rows are written" "$T/coordinator.log" &&
	echo "(the slices had ended before the kill: this run did not catch them half way)"

# 2. The restart writes what was missing; the store's slots are the lists'.
ROTA_FAKE_NOW=2026-06-01T10:00:50Z restart_coordinator
books=$(rota runbooks)
assert_eq "$(grep -c '^ *b[0-9]\{5\} ' <<<"$books")" "$N" "runbooks listed at the first answer"
wait_for "[ \"\$(count runbooks)\" = $ALL ] && [ \"\$(count schedules)\" = $ALL ]" 30 \
	"every runbook's and schedule's row"
assert_eq "$(store "SELECT next_ms FROM schedules WHERE runbook = 'b00061'")" \
	"$(($(date -u -d 2027-02-01T01:01:00Z +%s) * 1000))" "b00061's next slot in the store"
assert_eq "$(store "SELECT COUNT(*) FROM schedules WHERE last_slot_ms != 0 AND runbook != 'zz-due'")" 0 \
	"no schedule but zz-due fired"

# 3. zz-due fires once (no worker: recorded as not started), with its rows.
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM runs WHERE runbook = 'zz-due'\")\" = 1 ]" 30 \
	"zz-due's 10:01 slot to fire"
assert_eq "$(store "SELECT COUNT(*) FROM runbooks WHERE name = 'zz-due'")" 1 "zz-due's runbook row"
slot=$(($(date -u -d 2026-06-01T10:01:00Z +%s) * 1000))
assert_eq "$(store "SELECT last_slot_ms FROM schedules WHERE runbook = 'zz-due'")" "$slot" \
	"zz-due's fired slot in the store"
kill_coordinator
ROTA_FAKE_NOW=2026-06-01T10:01:30Z restart_coordinator
wait_for "rota status >/dev/null 2>&1" 30 "the coordinator's first answer"
sleep 2
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE runbook = 'zz-due'")" 1 \
	"runs of zz-due after a kill and a restart in its minute"
assert_eq "$(store "SELECT last_slot_ms FROM schedules WHERE runbook = 'zz-due'")" "$slot" \
	"zz-due's fired slot kept across the restart"
assert_eq "$(count runbooks) $(count schedules)" "$ALL $ALL" "rows after the last restart"
pass "the start's rows written after it: lists whole at once, nothing lost to a kill"
