#!/usr/bin/env bash
# The store options of rota-coordinator (--store, ROTA_STORE, store: in the
# configuration; --store-password-file, store_password_file:): --check and
# a start refuse the same mistakes with the same words, a URL holding a
# password is refused without the password being repeated (not on the
# terminal, not in the log), and without any of them the store is SQLite in
# the data directory as before. Connecting to a real PostgreSQL is
# pg.store_password (tests/pg/).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup
unset ROTA_STORE

C=$ROTA_BIN/rota-coordinator
RB=$ROTA_SOURCE_DIR/runbooks

# check_refuses WHAT WANT [args...]: --check exits 1 saying WANT, and never
# the password s3cret.
check_refuses() {
	local what=$1 want=$2
	shift 2
	set +e
	"$C" --check --data-dir "$T/d" --runbooks "$RB" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	set -e
	assert_eq "$rc" 1 "--check exit code ($what)"
	assert_contains "$(cat "$T/err")" "$want" "--check's errors ($what)"
	assert_not_contains "$(cat "$T/out" "$T/err")" "s3cret" "--check's output ($what)"
	assert_not_contains "$(cat "$T/out")" "configuration OK" "--check's output ($what)"
}

# No store option: SQLite in the data directory, as always.
out=$("$C" --check --data-dir "$T/d" --runbooks "$RB" 2>"$T/err") ||
	fail "--check without a store option: $(cat "$T/err")"
assert_contains "$out" "configuration OK"
assert_not_contains "$out" "PostgreSQL"
start_coordinator
wait_for "[ -f '$T/data/rota.db' ]" 10 "the SQLite store in the data directory"
kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 10 || fail "the coordinator did not stop"
pass "without a store option the store is DATA_DIR/rota.db"

# A password in the URL, by the flag, the environment or the file.
check_refuses "--store with a password" \
	"--store: the URL holds a password, which would be seen in the process list and the logs; take it out and give it in a file: --store-password-file FILE" \
	--store "postgresql://rota:s3cret@127.0.0.1:1/rota"
ROTA_STORE="postgresql://rota@127.0.0.1:1/rota?password=s3cret" check_refuses \
	"ROTA_STORE with a password" "ROTA_STORE: the URL holds a password"
printf 'http: off\nstore: "postgres://rota:s3cret@db/rota"\n' >"$T/pw.yaml"
check_refuses "store: with a password" "$T/pw.yaml:2:8: store: the URL holds a password" \
	--config "$T/pw.yaml"
pass "a URL holding a password is refused, and the password is not repeated"

# The flag wins over the environment, which wins over the file: a bad
# value where the winner is good is never read.
printf 'http: off\nstore: postgresql://rota@127.0.0.1:1/from-config\n' >"$T/ok.yaml"
ROTA_STORE="mysql://rota@db/rota" check_refuses "a bad ROTA_STORE over a good store:" \
	"ROTA_STORE: 'mysql://rota@db/rota' is not a PostgreSQL URL" --config "$T/ok.yaml"
out=$(ROTA_STORE="mysql://rota@db/rota" "$C" --check --data-dir "$T/d" --runbooks "$RB" \
	--config "$T/ok.yaml" --store "postgresql://rota@127.0.0.1:1/rota" 2>"$T/err") ||
	fail "--store did not win over ROTA_STORE: $(cat "$T/err")"
assert_contains "$out" "configuration OK"
assert_contains "$out" "store on PostgreSQL"
pass "--store wins over ROTA_STORE, which wins over store:"

# The password file: only with a PostgreSQL store, private, not empty.
printf 's3cret\n' >"$T/pw"
chmod 600 "$T/pw"
check_refuses "a password file for SQLite" \
	"--store-password-file is for a PostgreSQL store (--store postgresql://...); without one the store is SQLite in the data directory ($T/d/rota.db)" \
	--store-password-file "$T/pw"
chmod 644 "$T/pw"
check_refuses "a password file others can read" \
	"the store's password file $T/pw is readable by others (mode 0644)" \
	--store "postgresql://rota@127.0.0.1:1/rota" --store-password-file "$T/pw"
: >"$T/empty"
chmod 600 "$T/empty"
printf 'http: off\nstore: postgresql://rota@127.0.0.1:1/rota\nstore_password_file: %s\n' \
	"$T/empty" >"$T/empty.yaml"
check_refuses "an empty password file from store_password_file:" \
	"the store's password file $T/empty is empty: write the password on its first line" \
	--config "$T/empty.yaml"
pass "the password file is checked like a key file"

# A start refuses what --check refuses, in the same words, and logs no
# password.
rm -rf "$T/data"
try_daemon "$T/start.log" "$T/data" "$C" --data-dir "$T/data" --runbooks "$RB" --http off \
	--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" \
	--store "postgresql://rota:s3cret@127.0.0.1:1/rota"
assert_eq "$RC" 1 "exit code of a start with a password in --store"
assert_contains "$(cat "$T/start.log")" "--store: the URL holds a password"
assert_not_contains "$(cat "$T/start.log")" "s3cret" "the start's log"
pass "a start refuses a password in the URL as --check does"
