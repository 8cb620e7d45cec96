#!/usr/bin/env bash
# test_backup_refusals: what `rota backup` and `rota-coordinator --restore`
# refuse, each with its reason, and what they leave behind. rota backup:
# a relative path, one outside the configuration's backup_dir (also through
# ".."), a directory that does not exist, a file that exists; each answer
# and refusal audited. --restore: a truncated backup, a bit-flipped one,
# one from a newer schema, one without its checksum, a file that is no
# store; a data directory that is not empty without --force. The last
# backup is in rota status and /metrics, also after a restart. On
# PostgreSQL (pg.integration.backup_refusals), rota backup says pg_dump.
. "$(dirname "$0")/lib.sh"

rota_setup
mkdir -p "$T/backups" "$T/elsewhere"
printf 'backup_dir: %s\n' "$T/backups" >"$T/coordinator.yaml"
start_coordinator --config "$T/coordinator.yaml"

if [ "$ROTA_TEST_STORE" = postgresql ]; then
	run_rota 4 -- backup "$T/backups/pg.db"
	assert_contains "$ERR" "PostgreSQL database: rota does not copy it" "rota backup on PostgreSQL"
	assert_contains "$ERR" "pg_dump" "rota backup on PostgreSQL"
	[ ! -e "$T/backups/pg.db" ] && [ ! -e "$T/backups/pg.db.partial" ] || fail "a file was made"
	metrics=$(curl -sf "http://$HTTP_EP/metrics") || fail "no /metrics"
	has_line "$metrics" '^rota_store_bytes [1-9][0-9]*$' "/metrics on PostgreSQL"
	has_line "$metrics" '^rota_backup_last_success_timestamp_seconds 0$' "/metrics on PostgreSQL"
	pass "on PostgreSQL rota backup points to pg_dump"
	exit 0
fi

run_rota 4 -- backup rota.db
assert_contains "$ERR" "rota.db is relative: give an absolute path on the coordinator's host"
run_rota 4 -- backup "$T/elsewhere/b.db"
assert_contains "$ERR" "$T/elsewhere/b.db is outside the backup directory $T/backups"
run_rota 4 -- backup "$T/backups/../elsewhere/b.db"
assert_contains "$ERR" "is outside the backup directory"
run_rota 4 -- backup "$T/backups/missing/b.db"
assert_contains "$ERR" "$T/backups/missing/b.db: its directory cannot be used on the coordinator's host: No such file or directory"
run_rota 2 -- backup
assert_contains "$ERR" "backup takes one FILE"
[ -z "$(ls -A "$T/elsewhere")" ] || fail "a refused backup left files: $(ls -A "$T/elsewhere")"

run_rota 0 -- backup "$T/backups/good.db"
has_line "$OUT" "^holds +0 runs, schema version [0-9]+, [0-9]+ bytes" "rota backup"
has_line "$OUT" "paused at most [0-9.]+ ms at a time" "rota backup"
run_rota 4 -- backup "$T/backups/good.db"
assert_contains "$ERR" "$T/backups/good.db (or $T/backups/good.db.sha256) already exists"
[ ! -e "$T/backups/good.db.partial" ] || fail "a partial file was left"
run_rota 0 -- audit
has_line "$OUT" " backup +$T/backups/good.db +ok +.* backup to $T/backups/good.db started$" "audit"
has_line "$OUT" " backup +rota.db +refused +.* rota.db is relative" "audit"
has_line "$OUT" " backup +$T/elsewhere/b.db +refused .*outside the backup directory" "audit"

# /metrics and rota status say when the last one succeeded, after a restart too.
metrics=$(curl -sf "http://$HTTP_EP/metrics") || fail "no /metrics"
has_line "$metrics" '^rota_backup_last_success_timestamp_seconds [1-9][0-9.]+$' "/metrics"
has_line "$metrics" '^rota_store_bytes [1-9][0-9]*$' "/metrics"
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator does not stop"
restart_coordinator --config "$T/coordinator.yaml"
run_rota 0 -- status
has_line "$OUT" "^backup +ok: $T/backups/good.db at .* UTC \([0-9]+ bytes, 0 runs\)$" "rota status"

# --restore refuses what it cannot trust, and leaves no store behind.
restore() {
	set +e
	OUT=$("$ROTA_BIN/rota-coordinator" --restore "$1" --data-dir "$2" "${@:3}" 2>&1)
	RC=$?
	set -e
}
refused() { # FILE WHY
	restore "$1" "$T/r-refused"
	assert_eq "$RC" 1 "--restore $1: exit code"
	assert_contains "$OUT" "$2" "--restore $1"
	[ ! -e "$T/r-refused/rota.db" ] && [ ! -e "$T/r-refused/rota.db.restoring" ] ||
		fail "--restore $1 left a store in the data directory"
}
b=$T/backups/good.db
size=$(stat -c %s "$b")
cp "$b" "$T/trunc.db"; cp "$b.sha256" "$T/trunc.db.sha256"
truncate -s $((size / 2)) "$T/trunc.db"
refused "$T/trunc.db" "is refused: its checksum does not match $T/trunc.db.sha256 (the file is $((size / 2)) bytes"
cp "$b" "$T/flip.db"; cp "$b.sha256" "$T/flip.db.sha256"
off=$((size / 3))
byte=$(od -An -tu1 -j "$off" -N1 "$T/flip.db" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 16)))" | dd of="$T/flip.db" bs=1 seek="$off" conv=notrunc status=none
refused "$T/flip.db" "the file is damaged or truncated; restore another backup"
cp "$b" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = 999"
(cd "$T" && sha256sum newer.db >newer.db.sha256)
refused "$T/newer.db" "its schema version 999 is newer than this rota-coordinator's"
cp "$b" "$T/nosum.db"
refused "$T/nosum.db" "cannot read its checksum $T/nosum.db.sha256"
echo "not a store" >"$T/text.db"
(cd "$T" && sha256sum text.db >text.db.sha256)
refused "$T/text.db" "is refused: "

# A data directory that is not empty: only with --force, which keeps the rest.
mkdir -p "$T/r-full"
echo keep >"$T/r-full/operators.yaml"
restore "$b" "$T/r-full"
assert_eq "$RC" 1 "--restore into a full directory: exit code"
assert_contains "$OUT" "$T/r-full is not empty (it holds operators.yaml): restore into an empty or new directory, or give --force"
restore "$b" "$T/r-full" --force
assert_eq "$RC" 0 "--restore --force: exit code ($OUT)"
assert_contains "$OUT" "restored $b into $T/r-full/rota.db: 0 runs"
assert_eq "$(cat "$T/r-full/operators.yaml")" keep "what --force keeps"
set +e
"$ROTA_BIN/rota-coordinator" --force --data-dir "$T/r-full" >/dev/null 2>&1
assert_eq "$?" 2 "--force without --restore"
out=$("$ROTA_BIN/rota-coordinator" --restore "$b" --data-dir "$T/r-pg" \
	--store postgresql://rota@127.0.0.1/rota 2>&1)
assert_eq "$?" 2 "--restore with --store"
set -e
assert_contains "$out" "a PostgreSQL store is restored with pg_restore"
pass "bad paths, bad backups and full directories refused with their reasons"
