#!/usr/bin/env bash
# pgcluster.sh: a private PostgreSQL cluster for one run of the test suite.
#
#   pgcluster.sh start          initdb in a fresh temporary directory, start it
#   pgcluster.sh stop           stop it (leaving nothing running) and remove it
#   pgcluster.sh url [DB]       the URL of DB (default: rota), for --store
#   pgcluster.sh newdb NAME [OWNER]
#                               an empty database NAME owned by OWNER (rota by
#                               default), dropped first if it exists; prints
#                               its URL
#   pgcluster.sh dropdb NAME    drops NAME (connections to it are ended)
#   pgcluster.sh psql [DB] [psql args...]
#                               psql as the role rota on DB (default: rota)
#   pgcluster.sh env            the state file (KEY=VALUE lines)
#   pgcluster.sh down | up      stops the server (a fast shutdown: every
#                               session ended) and starts it again on the
#                               same port and data, for a test of a
#                               database restart (tests/ha)
#   pgcluster.sh run CMD [ARGS...]
#                               runs CMD with ROTA_TEST_PG_URL (the database
#                               rota), ROTA_TEST_PG_PW_URL and
#                               ROTA_TEST_PG_PW_FILE (the password role) set:
#                               ctest's pg.* tests run through it, since the
#                               port is only known once the cluster runs
#
# The state file (ROTA_TEST_PG_STATE, or --state FILE before the command)
# says where the cluster is: PG_DIR, PG_BIN, PG_PORT, PG_SOCKET, PG_URL
# (the database rota), PG_BASE_URL (append a database name), and the
# password role's PG_PW_ROLE, PG_PW_URL_BASE and PG_PW_FILE. `start` over a
# state file whose cluster still runs (a suite killed before its cleanup)
# stops that one first.
#
# The cluster: PostgreSQL refuses to run as root, so as root (CI) initdb,
# postgres and pg_ctl run as the `postgres` user (runuser), in a directory
# it owns; as anyone else they run as that user. It listens on a unix
# socket in its directory and on 127.0.0.1, on a port chosen free at run
# time below the kernel's ephemeral range (so a test's port-0 bind never
# takes it). Authentication: trust for every role but rota_pw, which must
# give its password (scram-sha-256); PG_PW_FILE holds that password (mode
# 0600), for the tests of --store-password-file.
#
# fsync stays on (with synchronous_commit): the fault suite checks that a
# result acknowledged to a worker survives a crash, and with fsync off a
# PostgreSQL crash could lose an acknowledged commit, so a pass would prove
# less. The cost is a flush a commit (the coordinator commits once a loop
# turn, so a few ms a turn on a virtual disk). initdb itself runs with
# --no-sync: a crash during initdb only fails this start.
#
# PGCLUSTER_CONF (optional): lines added to the server's configuration at
# start, e.g. "shared_preload_libraries = 'pg_stat_statements'" for make
# bench's statement counts.
set -Eeuo pipefail # -E: the ERR trap of start holds inside functions too

PGCLUSTER_ROLE=rota
PGCLUSTER_PW_ROLE=rota_pw
# pg_ctl start -w waits at most this long for the server to accept
# connections; a normal start takes well under a second.
PGCLUSTER_START_WAIT_S=60
PGCLUSTER_STOP_WAIT_S=30

die() {
	echo "pgcluster: $*" >&2
	exit 1
}

state=${ROTA_TEST_PG_STATE:-}
if [ "${1:-}" = --state ]; then
	[ $# -ge 2 ] || die "--state needs a file"
	state=$2
	shift 2
fi
cmd=${1:-}
[ -n "$cmd" ] || die "usage: pgcluster.sh [--state FILE] start|stop|url|newdb|dropdb|psql|env|down|up|run"
shift
[ -n "$state" ] || die "no state file: set ROTA_TEST_PG_STATE or give --state FILE"

# The newest installed server's binaries: Debian keeps each major version
# in /usr/lib/postgresql/VERSION/bin; elsewhere initdb is on the PATH.
# ROTA_PG_BIN overrides.
pgcluster_bin() {
	if [ -n "${ROTA_PG_BIN:-}" ]; then
		echo "$ROTA_PG_BIN"
		return
	fi
	local d best=
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && best=$d
	done
	if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
		best=$(dirname "$(command -v initdb)")
	fi
	[ -n "$best" ] || die "no PostgreSQL server found (install Debian's postgresql: bash deploy/install-deps.sh)"
	echo "$best"
}

# as_owner CMD...: runs CMD as the cluster's owner (postgres when root).
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# A port below the ephemeral range, not listened on now. A race with
# another process remains; start retries with another port when the
# server cannot bind.
pgcluster_pick_port() {
	local low=32768 port i
	if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
		read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	fi
	[ "$low" -gt 11000 ] || low=65000 # an unusual range: take ports above it
	for i in $(seq 50); do
		if [ "$low" = 65000 ]; then
			port=$((65001 + RANDOM % 500))
		else
			port=$((10000 + RANDOM % (low - 10000)))
		fi
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	die "found no free port"
}

pgcluster_load() {
	[ -f "$state" ] || die "no cluster (no state file $state): run pgcluster.sh start"
	# shellcheck disable=SC1090
	. "$state"
}

# pgcluster_kill DIR BIN: stops the cluster in DIR however it can: an
# immediate shutdown, then SIGKILL to its postmaster (from
# DIR/data/postmaster.pid, checked to be a postgres process), so nothing
# of it is left running. Then removes DIR.
pgcluster_kill() {
	local dir=$1 bin=$2 pid
	if [ -f "$dir/data/postmaster.pid" ]; then
		# Immediate: the cluster is removed next, so the shutdown
		# checkpoint of a fast stop (seconds of writes on a busy disk)
		# would be wasted.
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t "$PGCLUSTER_STOP_WAIT_S" stop \
			>/dev/null 2>&1 || true
	fi
	if [ -f "$dir/data/postmaster.pid" ]; then
		pid=$(head -n 1 "$dir/data/postmaster.pid")
		if [ -n "$pid" ] && grep -q postgres "/proc/$pid/comm" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		fi
	fi
	case "$dir" in
	*/rota-pg.*)
		# A whole suite leaves a few GB of test databases: removing
		# them took 12-17 s at the end of each pass, on its critical
		# path. The server is gone, so nothing reads the directory any
		# more: rename it, then remove it in the background, detached
		# from ctest's pipes so the pass does not wait for it.
		mv "$dir" "$dir.gone"
		setsid rm -rf "$dir.gone" </dev/null >/dev/null 2>&1 &
		;;
	*) die "refusing to remove $dir (not a pgcluster directory)" ;;
	esac
}

pgcluster_stop() {
	[ -f "$state" ] || return 0
	local PG_DIR='' PG_BIN=''
	# shellcheck disable=SC1090
	. "$state"
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR" ] && pgcluster_kill "$PG_DIR" "$PG_BIN"
	rm -f "$state"
}

# sql DB SQL: runs SQL as the superuser over the socket.
pgcluster_sql() {
	PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET" -p "$PG_PORT" -U postgres -d "$1" -c "$2" \
		>/dev/null
}

# pgcluster_template BIN: sets PGCLUSTER_TEMPLATE to a data directory
# fresh from initdb for this server version, made once and kept beside the
# state file (ROTA_PG_TEMPLATE overrides where): initdb takes 1-2 s on an
# idle machine and 15 s on a loaded one, a copy a fraction of that. Each
# start copies it, so no run sees another's data. A template is complete
# once renamed into place; a half-made one is never used.
pgcluster_template() {
	local bin=$1 version root tmp
	version=$("$bin/postgres" --version | awk '{print $3}')
	root=${ROTA_PG_TEMPLATE:-$(dirname "$state")/pg-template}
	PGCLUSTER_TEMPLATE=$root/$version
	[ -f "$PGCLUSTER_TEMPLATE/PG_VERSION" ] && return 0
	mkdir -p "$root"
	# initdb runs where the postgres user can reach (the build directory
	# may be under a home it cannot enter); the result is copied over.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/rota-pg.XXXXXX")
	[ "$(id -u)" -ne 0 ] || chown postgres:postgres "$tmp"
	if ! as_owner "$bin/initdb" -D "$tmp/data" -U postgres --auth=trust --encoding=UTF8 \
		--locale=C --no-sync >"$tmp/initdb.log" 2>&1; then
		cat "$tmp/initdb.log" >&2
		rm -rf "$tmp"
		return 1
	fi
	cp -a "$tmp/data" "$root/.new.$$"
	rm -rf "$tmp"
	# Another run may have made it meanwhile: theirs is as good.
	mv -T "$root/.new.$$" "$PGCLUSTER_TEMPLATE" 2>/dev/null || rm -rf "$root/.new.$$"
	[ -f "$PGCLUSTER_TEMPLATE/PG_VERSION" ]
}

pgcluster_start() {
	pgcluster_stop
	local bin dir port tries=0 pw
	bin=$(pgcluster_bin)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/rota-pg.XXXXXX")
	# From here a failure removes what was made, and stops what runs.
	trap 'pgcluster_kill "$dir" "$bin"' ERR
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$dir"
		runuser -u postgres -- test -w "$dir" ||
			{ pgcluster_kill "$dir" "$bin"; die "the postgres user cannot write $dir: set TMPDIR to a directory it can reach"; }
	fi
	chmod 0700 "$dir"
	pgcluster_template "$bin" || { pgcluster_kill "$dir" "$bin"; die "initdb failed (its output is above)"; }
	cp -a "$PGCLUSTER_TEMPLATE/." "$dir/data"
	[ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$dir/data"
	chmod 0700 "$dir/data"
	# Trust on the socket and loopback for every role but the password
	# role: the cluster lives for one suite run and only this machine
	# reaches it. The first matching line wins.
	cat >"$dir/data/pg_hba.conf" <<EOF
local all $PGCLUSTER_PW_ROLE scram-sha-256
host all $PGCLUSTER_PW_ROLE 127.0.0.1/32 scram-sha-256
local all all trust
host all all 127.0.0.1/32 trust
EOF
	chown --reference="$dir/data" "$dir/data/pg_hba.conf"
	while :; do
		port=$(pgcluster_pick_port)
		# The coordinators of the HA tests hold a few connections each,
		# and ctest -j2 runs two such tests at once: 200 is plenty.
		# Small buffers: the machine runs the whole suite beside it.
		cat >"$dir/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_buffers = 32MB
fsync = on
synchronous_commit = on
full_page_writes = on
log_min_messages = warning
log_connections = off
log_line_prefix = '%m [%p] %d %u: '
${PGCLUSTER_CONF:-}
EOF
		chown --reference="$dir/data" "$dir/data/postgresql.auto.conf"
		if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
			-t "$PGCLUSTER_START_WAIT_S" start </dev/null >/dev/null 2>&1; then
			break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 5 ] || ! grep -q "could not bind\|could not create any TCP" "$dir/postgres.log"; then
			tail -n 20 "$dir/postgres.log" >&2 || true
			pgcluster_kill "$dir" "$bin"
			die "the server did not start (log above)"
		fi
	done
	PG_SOCKET=$dir
	PG_PORT=$port
	pw=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	pgcluster_sql postgres "CREATE ROLE $PGCLUSTER_ROLE LOGIN CREATEDB"
	pgcluster_sql postgres "CREATE DATABASE $PGCLUSTER_ROLE OWNER $PGCLUSTER_ROLE"
	pgcluster_sql postgres "CREATE ROLE $PGCLUSTER_PW_ROLE LOGIN PASSWORD '$pw'"
	# The password file as an operator would keep it: the password on its
	# first line, readable by its owner only.
	(umask 077 && printf '%s\n' "$pw" >"$dir/$PGCLUSTER_PW_ROLE.password")
	local tmp=$state.tmp.$$
	{
		echo "PG_DIR=$dir"
		echo "PG_BIN=$bin"
		echo "PG_PORT=$port"
		echo "PG_SOCKET=$dir"
		echo "PG_URL=postgresql://$PGCLUSTER_ROLE@127.0.0.1:$port/$PGCLUSTER_ROLE"
		echo "PG_BASE_URL=postgresql://$PGCLUSTER_ROLE@127.0.0.1:$port/"
		echo "PG_PW_ROLE=$PGCLUSTER_PW_ROLE"
		echo "PG_PW_URL_BASE=postgresql://$PGCLUSTER_PW_ROLE@127.0.0.1:$port/"
		echo "PG_PW_FILE=$dir/$PGCLUSTER_PW_ROLE.password"
	} >"$tmp"
	mv "$tmp" "$state"
	trap - ERR
	echo "pgcluster: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') in $dir," \
		"127.0.0.1:$port (state: $state)"
}

# A database or role name the URL and the SQL can carry as they are.
pgcluster_check_name() {
	[[ "$1" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
		die "'$1' is not a database name (lower-case letters, digits and _, 63 at most)"
}

case "$cmd" in
start)
	pgcluster_start
	;;
stop)
	pgcluster_stop
	;;
url)
	pgcluster_load
	echo "$PG_BASE_URL${1:-$PGCLUSTER_ROLE}"
	;;
newdb)
	[ $# -ge 1 ] || die "newdb NAME [OWNER]"
	pgcluster_check_name "$1"
	owner=${2:-$PGCLUSTER_ROLE}
	pgcluster_check_name "$owner"
	pgcluster_load
	pgcluster_sql postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
	pgcluster_sql postgres "CREATE DATABASE $1 OWNER $owner"
	if [ "$owner" = "$PGCLUSTER_PW_ROLE" ]; then
		echo "$PG_PW_URL_BASE$1"
	else
		echo "$PG_BASE_URL$1"
	fi
	;;
dropdb)
	[ $# -ge 1 ] || die "dropdb NAME"
	pgcluster_check_name "$1"
	pgcluster_load
	pgcluster_sql postgres "DROP DATABASE IF EXISTS $1 WITH (FORCE)"
	;;
psql)
	pgcluster_load
	db=$PGCLUSTER_ROLE
	if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
		db=$1
		shift
	fi
	exec psql -X -h "$PG_SOCKET" -p "$PG_PORT" -U "$PGCLUSTER_ROLE" -d "$db" "$@"
	;;
env)
	pgcluster_load
	cat "$state"
	;;
down)
	pgcluster_load
	as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t "$PGCLUSTER_STOP_WAIT_S" stop \
		>/dev/null || die "the server did not stop"
	;;
up)
	pgcluster_load
	as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w \
		-t "$PGCLUSTER_START_WAIT_S" start </dev/null >/dev/null || die "the server did not start"
	;;
run)
	[ $# -ge 1 ] || die "run CMD [ARGS...]"
	pgcluster_load
	export ROTA_TEST_PG_STATE=$state
	export ROTA_TEST_PG_URL=$PG_URL
	export ROTA_TEST_PG_PW_URL=$PG_PW_URL_BASE$PGCLUSTER_ROLE
	export ROTA_TEST_PG_PW_FILE=$PG_PW_FILE
	exec "$@"
	;;
*)
	die "unknown command '$cmd' (start, stop, url, newdb, dropdb, psql, env, down, up, run)"
	;;
esac
