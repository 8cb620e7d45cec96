#!/usr/bin/env bash
# Moving an install: a coordinator on SQLite runs runbooks (output with
# binary bytes, a failed step), an incident is opened, acknowledged and
# resolved (delivered outbox rows, audit rows); then `rota-coordinator
# --import-sqlite DATA_DIR --store URL` copies it into an empty PostgreSQL
# database, and a coordinator started on that database shows the same
# `rota runs`, `rota show`, `rota logs` and `rota incidents` as the SQLite
# one did. Also: the import is refused while the SQLite coordinator runs,
# refused into a database that is not empty (saying why), never prints the
# password, and ids go on past the imported ones (a new run after it).
#
# Needs the suite's private PostgreSQL (ctest's pg.import runs it through
# pgcluster.sh run); without it the test says so and is skipped.
set -euo pipefail
if [ -z "${ROTA_TEST_PG_STATE:-}" ] || [ ! -f "${ROTA_TEST_PG_STATE:-}" ]; then
	echo "SKIP: test_import needs the suite's PostgreSQL cluster (ROTA_TEST_PG_STATE);" \
		"run it as ctest -R pg.import"
	exit 77
fi
# The coordinator that makes the history runs on SQLite: the database is
# made here.
# shellcheck disable=SC2034 # read by lib.sh
ROTA_TEST_STORE=sqlite
# shellcheck source=../integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"
rota_setup

# shellcheck disable=SC1090
. "$ROTA_TEST_PG_STATE"
PW=$(head -n 1 "$PG_PW_FILE")
DB=t_import_$$
# Owned by the password role: the import logs in with a password file.
URL=$(bash "$PGCLUSTER" newdb "$DB" "$PG_PW_ROLE") || fail "newdb $DB"
trap 'bash "$PGCLUSTER" dropdb "$DB" >/dev/null 2>&1 || true; cleanup' EXIT
cp "$PG_PW_FILE" "$T/store.password"
chmod 600 "$T/store.password"
export PGPASSFILE=/nonexistent
pg() { PGPASSWORD=$PW psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 -d "$URL" -c "$1"; }

RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
cat >"$RUNBOOKS/speak.yaml" <<'EOF'
name: speak
targets: { all: true }
steps:
  - id: say
    shell: "printf 'line one\\n\\001\\377 raw bytes\\n'; echo to stderr >&2"
  - id: again
    shell: "seq 1 200"
EOF
cat >"$RUNBOOKS/broken.yaml" <<'EOF'
name: broken
targets: { all: true }
steps:
  - id: fail
    shell: "echo about to fail; exit 3"
EOF
start_receiver
CONFIG=$T/coordinator.yaml
cat >"$CONFIG" <<EOF
channels:
  oncall:
    webhook: { url: "$RECV/oncall" }
escalation:
  policies:
    default:
      - { after: 0s, notify: [oncall] }
EOF

# ---- a history on SQLite ----------------------------------------------------
start_coordinator --config "$CONFIG"
start_worker w1
start_worker w2
wait_workers 2
run_rota 0 -- submit speak --wait
run_rota 1 -- submit broken --target w1 --wait
run_rota 0 -- submit speak --target w2 --wait
run_rota 0 -- incident open speak --severity P2 --title "disk full on w1" --target w1
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM runs WHERE status IN (1, 2)')\" = 0 ]" 15 \
	"every run to end"
run_rota 0 -- ack INC-1 --note looking
run_rota 0 -- resolve INC-1 --note fixed
# Every notice delivered: the outbox no longer changes under the snapshot.
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM outbox WHERE delivered_ms = 0')\" = 0 ]" 15 \
	"the outbox to be delivered"
for t in runs step_runs outputs incidents incident_events incident_runs outbox audit; do
	[ "$(store "SELECT COUNT(*) FROM $t")" -gt 0 ] || fail "the SQLite store has no $t rows"
done

# snapshot DIR: what the CLI shows of the history (the words "Ns ago" are
# relative to now, so they are left out of the plain listings, and with them the
# columns' widths).
snapshot() {
	local d=$1 r
	mkdir -p "$d"
	rota runs --limit 50 --json >"$d/runs.json"
	rota runs --limit 50 | sed -E 's/[0-9]+[smhd] ago/AGO/g; s/ +/ /g' >"$d/runs.txt"
	rota incidents --json >"$d/incidents.json"
	rota incidents | sed -E 's/[0-9]+[smhd] ago/AGO/g; s/ +/ /g' >"$d/incidents.txt"
	rota incident show INC-1 --json >"$d/incident.json"
	for r in $(rota runs --limit 50 --json | grep -o '"id":"[^"]*"' | cut -d'"' -f4); do
		rota show "$r" --json >"$d/show-$r.json"
		rota show "$r" | sed -E 's/[0-9]+[smhd] ago/AGO/g; s/ +/ /g' >"$d/show-$r.txt"
		rota logs "$r" --raw >"$d/logs-$r.raw"
		rota logs "$r" >"$d/logs-$r.txt"
	done
}
snapshot "$T/before"
raws=("$T"/before/logs-*.raw)
[ "${#raws[@]}" -ge 4 ] || fail "fewer than 4 runs listed"
grep -q $'\001\377 raw bytes' "$T"/before/logs-*.raw || fail "no raw bytes in the logs"

# ---- refused while the SQLite coordinator runs ------------------------------
import() {
	set +e
	"$ROTA_BIN/rota-coordinator" --import-sqlite "$T/data" --store "$URL" \
		--store-password-file "$T/store.password" "$@" >"$T/import.out" 2>&1
	RC=$?
	set -e
	IMPORT_OUT=$(cat "$T/import.out")
	assert_not_contains "$IMPORT_OUT" "$PW" "the import's output"
}
import
assert_eq "$RC" 1 "the import's exit code beside a running coordinator"
assert_contains "$IMPORT_OUT" "in use by another rota-coordinator" "the refusal beside a coordinator"
assert_eq "$(pg "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'")" 0 \
	"tables made by the refused import"
pass "the import is refused while a coordinator runs on the data directory"

kill -TERM "$COORD_PID"
wait_exit "$COORD_PID" 15 || fail "the SQLite coordinator did not stop"
rm -f "$T/data/endpoints"

# ---- the import ----------------------------------------------------------------
sqlite_rows=$(sqlite3 "$T/data/rota.db" "SELECT COUNT(*) FROM outputs")
import
[ "$RC" = 0 ] || fail "the import failed (exit $RC): $IMPORT_OUT"
has_line "$IMPORT_OUT" "^imported $T/data/rota.db into postgresql://" "the import's first line"
has_line "$IMPORT_OUT" "^  outputs +$sqlite_rows$" "the outputs copied"
has_line "$IMPORT_OUT" "^  audit +[1-9][0-9]*$" "the audit rows copied"
has_line "$IMPORT_OUT" "^  total +[0-9]+ rows$" "the total"
# Every table, row for row (text as PostgreSQL prints it).
# Every notice delivered: the outbox no longer changes under the snapshot.
wait_for "[ \"\$(store 'SELECT COUNT(*) FROM outbox WHERE delivered_ms = 0')\" = 0 ]" 15 \
	"the outbox to be delivered"
for t in runs step_runs outputs incidents incident_events incident_runs escalations outbox audit; do
	n=$(sqlite3 "$T/data/rota.db" "SELECT COUNT(*) FROM $t")
	assert_eq "$(pg "SELECT COUNT(*) FROM $t")" "$n" "rows of $t in PostgreSQL"
done
assert_eq "$(pg "SELECT string_agg(encode(data, 'hex'), '' ORDER BY id) FROM outputs")" \
	"$(sqlite3 "$T/data/rota.db" "SELECT group_concat(hex(data), '') FROM (SELECT data FROM outputs ORDER BY id)" | tr 'A-F' 'a-f')" \
	"the outputs' bytes"
pass "the import copies every table (outputs byte for byte) and prints the rows per table"

import
assert_eq "$RC" 1 "a second import's exit code"
assert_contains "$IMPORT_OUT" "the database is not empty" "the refusal of a second import"
assert_contains "$IMPORT_OUT" "create a new database" "what to do instead"
pass "an import into a database that is not empty is refused, saying why and what to do"

# ---- the same history on PostgreSQL -----------------------------------------------
# On the same endpoints (and data directory: its keys and lock stay there),
# so the workers find it by themselves.
# shellcheck disable=SC2034 # read by start_coordinator
STORE_FLAGS=(--store "$URL" --store-password-file "$T/store.password")
restart_coordinator --config "$CONFIG"
snapshot "$T/after"
diff -r "$T/before" "$T/after" >"$T/snapshot.diff" || fail "the CLI shows another history on PostgreSQL:
$(head -n 40 "$T/snapshot.diff")"
pass "rota runs, show, logs and incidents show the same history on the imported database"

# New ids follow the imported ones: a new run records its steps and output.
max_step=$(pg "SELECT MAX(id) FROM step_runs")
wait_workers 2
run_rota 0 -- submit speak --target w1 --wait
[ "$(pg "SELECT MIN(id) FROM step_runs WHERE id > $max_step")" -gt "$max_step" ] ||
	fail "no step run recorded after the import"
run=$(rota runs --limit 1 --json | grep -o '"id":"[^"]*"' | head -n 1 | cut -d'"' -f4)
assert_contains "$(rota logs "$run")" "200" "the new run's logs"
pass "a run after the import gets new ids and its output is recorded"
