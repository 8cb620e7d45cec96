# halib.sh: what the two high-availability benchmarks (ha.sh, hafleet.sh)
# share, sourced by each once it has set BENCH (its name, as die says it),
# BIN, W (its work directory), PGCLUSTER and PG_STATE.

die() {
	echo "bench $BENCH: $*" >&2
	for f in "$W"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
	exit 1
}

# No fork (bash 5's EPOCHREALTIME): a `date` would put milliseconds between
# the clock read and what it times.
now_ms() {
	local us=${EPOCHREALTIME/[.,]/}
	echo $((us / 1000))
}

# bench_pg_start DB: the private cluster started (from the build's template),
# its state (PG_SOCKET, PG_PORT ...) read, an empty database DB made; sets URL,
# the coordinators' --store, and sql's database.
bench_pg_start() {
	ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$BIN/../pg/template} bash "$PGCLUSTER" --state "$PG_STATE" start \
		>"$W/pg-start.log" 2>&1 || die "could not start PostgreSQL: $(tail -n 5 "$W/pg-start.log")"
	# shellcheck disable=SC1090
	. "$PG_STATE"
	bash "$PGCLUSTER" --state "$PG_STATE" newdb "$1" >/dev/null || die "newdb $1"
	URL="postgresql:///$1?host=$PG_SOCKET&port=$PG_PORT&user=rota"
	SQL_DB=$1
}

# sql QUERY: QUERY's rows on the benchmark's database, unaligned.
sql() { psql -X -q -At -h "$PG_SOCKET" -p "$PG_PORT" -U rota -d "$SQL_DB" -c "$1"; }
