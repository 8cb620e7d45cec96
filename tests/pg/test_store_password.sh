#!/usr/bin/env bash
# A PostgreSQL store whose role must give a password (the suite's cluster
# has one such role, rota_pw, and its password in a 0600 file): the
# coordinator logs in with --store-password-file, or with libpq's
# PGPASSFILE; without a password, or with a wrong one, it refuses to start
# and says why, and no password is ever on its command line or in its log.
set -euo pipefail
ROTA_TEST_STORE=postgresql
source "$(dirname "$0")/../integration/lib.sh"
rota_setup

# shellcheck disable=SC1090
. "$ROTA_TEST_PG_STATE"
PW=$(head -n 1 "$PG_PW_FILE")
# A database of the password role's own (it may create tables there).
PW_DB=${STORE_DB}_pw
url=$(bash "$PGCLUSTER" newdb "$PW_DB" "$PG_PW_ROLE") || fail "newdb $PW_DB"
trap 'bash "$PGCLUSTER" dropdb "$PW_DB" >/dev/null 2>&1 || true; cleanup' EXIT
assert_contains "$url" "$PG_PW_ROLE@" "the password role's URL"
assert_not_contains "$url" ":$PW" "the password role's URL"
cp "$PG_PW_FILE" "$T/store.password"
chmod 600 "$T/store.password"

# pw_store SQL: reads the password role's database as that role.
pw_store() {
	PGPASSWORD=$PW psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$url" -c "$1"
}

# refused LOG [flags...]: the coordinator on the password role's database
# refuses to start (exit 1) and its log names no password.
refused() {
	local log=$1
	shift
	rm -rf "$T/data"
	try_daemon "$log" "$T/data" "$ROTA_BIN/rota-coordinator" --data-dir "$T/data" \
		--runbooks "$ROTA_SOURCE_DIR/runbooks" --http off \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
		--store "$url" "$@"
	assert_eq "$RC" 1 "exit code ($*)"
	assert_not_contains "$(cat "$log")" "$PW" "the log of a refused start"
}

# No password anywhere: refused, naming the database, not hanging on a
# prompt.
PGPASSFILE=/nonexistent refused "$T/nopw.log"
assert_contains "$(cat "$T/nopw.log")" "$PG_PW_ROLE" "the refusal without a password"
pass "without a password the coordinator refuses to start"

# A wrong password: refused, and the wrong one is not logged either.
printf 'not-the-password\n' >"$T/wrong.password"
chmod 600 "$T/wrong.password"
PGPASSFILE=/nonexistent refused "$T/wrong.log" --store-password-file "$T/wrong.password"
assert_not_contains "$(cat "$T/wrong.log")" "not-the-password" "the refusal of a wrong password"
assert_contains "$(cat "$T/wrong.log")" "password authentication failed" \
	"the refusal of a wrong password"
pass "a wrong password is refused and not logged"

# --store-password-file: it starts, writes its store, runs a runbook.
STORE_FLAGS=(--store "$url" --store-password-file "$T/store.password")
PGPASSFILE=/nonexistent start_coordinator
if tr '\0' ' ' <"/proc/$COORD_PID/cmdline" | grep -qF -- "$PW"; then
	fail "the password is on the coordinator's command line"
fi
start_worker w1
wait_workers 1
run_rota 0 -- submit "$FIXTURES/short.yaml" --target w1 --wait
wait_for "[ \"\$(pw_store \"SELECT COUNT(*) FROM runs WHERE status = 3\")\" = 1 ]" 10 \
	"the run recorded in the password role's database"
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
assert_not_contains "$(cat "$T/coordinator.log")" "$PW" "the coordinator's log"
pass "--store-password-file logs in, and the run is in the store"

# libpq's own password file, with no rota option: it starts again on the
# same store and finds the run there.
printf '127.0.0.1:%s:%s:%s:%s\n' "$PG_PORT" "$PW_DB" "$PG_PW_ROLE" "$PW" >"$T/pgpass"
chmod 600 "$T/pgpass"
STORE_FLAGS=(--store "$url")
PGPASSFILE=$T/pgpass restart_coordinator
run_rota 0 -- runs
assert_contains "$OUT" "short" "rota runs after a restart through PGPASSFILE"
pass "PGPASSFILE works without --store-password-file"
