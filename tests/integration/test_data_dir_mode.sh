# The store holds every run's output and the audit log: rota.db and its
# WAL files are created 0600 whatever the umask, and a coordinator started
# on a data directory that others may read says so at start, with the fix.
. "$(dirname "$0")/lib.sh"
rota_setup

# A data directory made by someone else, group- and world-readable.
mkdir -m 755 "$T/data"
umask 022
start_coordinator
wait_for "[ -f '$T/data/rota.db' ]" 10 "the store"
assert_eq "$(stat -c %a "$T/data/rota.db")" 600 "rota.db's mode"
for f in "$T/data/rota.db-wal" "$T/data/rota.db-shm"; do
	[ -f "$f" ] && assert_eq "$(stat -c %a "$f")" 600 "$(basename "$f")'s mode"
done
grep -q "data directory $T/data is readable by others (mode 0755).*chmod 700 $T/data" "$T/coordinator.log" \
	|| fail "no warning about the readable data directory"
kill -TERM "$COORD_PID"; wait "$COORD_PID" 2>/dev/null || true

# Fixed: no warning.
chmod 700 "$T/data"
: >"$T/coordinator.log"
restart_coordinator
grep -q "is readable by others" "$T/coordinator.log" && fail "a warning about a 0700 data directory"
pass "rota.db is 0600; a readable data directory is warned about at start"
