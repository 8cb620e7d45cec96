# The library's operations runbooks end to end, on one coordinator and one
# real worker, against real local fixtures: a real Alertmanager (Debian's
# prometheus-alertmanager) holding posted alerts for alert-review; a TLS
# server (openssl s_server) with a self-signed certificate and an access
# log for security-monitoring; a directory of files and a private
# PostgreSQL cluster (tests/pg/pgcluster.sh) for backup-take,
# backup-verify, backup-restore (approved through `rota approve`) and
# data-validation. Each runbook's success path and at least one failure
# path, with what the operator would read in `rota logs`.
. "$(dirname "$0")/lib.sh"
rota_setup

SUCCEEDED=4
FAILED=5
SKIPPED=8
WAITING=11
RUN_SUCCEEDED=3

for tool in prometheus-alertmanager jq openssl pg_dump pg_restore psql zstd; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (deploy/install-deps.sh installs it)"
done

# ---- the slow fixtures first, in the background: PostgreSQL, Alertmanager --
PGSTATE=$T/pgc/cluster.env
mkdir -p "$T/pgc"
ROTA_TEST_PG_STATE=$PGSTATE ROTA_PG_TEMPLATE=${ROTA_PG_TEMPLATE:-$ROTA_BIN/../pg/template} \
	bash "$PGCLUSTER" start >"$T/pgc/start.log" 2>&1 &
PG_START_PID=$!
pg_stop() { ROTA_TEST_PG_STATE=$PGSTATE bash "$PGCLUSTER" stop >/dev/null 2>&1 || true; }
trap 'wait "$PG_START_PID" 2>/dev/null; pg_stop; cleanup' EXIT

cat >"$T/am.yml" <<YAML
route: { receiver: none, group_wait: 1h }
receivers: [ { name: none } ]
YAML
start_alertmanager() {
	AM_PORT=$(free_port)
	prometheus-alertmanager --config.file="$T/am.yml" --storage.path="$T/am" \
		--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
		>>"$T/alertmanager.log" 2>&1 &
	AM_PID=$!
	PIDS+=("$AM_PID")
	AM="http://127.0.0.1:$AM_PORT"
}
start_alertmanager

# ---- a TLS server with a certificate for localhost that expires in 40 days --
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 40 -nodes -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/tls.key" -out "$T/tls.crt" \
	>"$T/openssl.log" 2>&1 || fail "openssl could not make a certificate: $(cat "$T/openssl.log")"
openssl s_server -accept 127.0.0.1:0 -cert "$T/tls.crt" -key "$T/tls.key" -www \
	>"$T/s_server.out" 2>&1 &
PIDS+=("$!")
start_coordinator
start_worker w1
wait_workers 1

newest_run() { store "SELECT id FROM runs ORDER BY created_ms DESC, id DESC LIMIT 1"; }
last_status() {
	store "SELECT status FROM step_runs WHERE run_id = '$1' AND step_id = '$2' AND host = 'w1'
	       ORDER BY attempt DESC LIMIT 1"
}
# submit NAME ARGS...: rota submit --wait on w1; sets RUN, RC and LOG (the
# run's output as rota logs prints it).
submit() {
	local name=$1
	shift
	set +e
	rota submit "$name" --target w1 --wait "$@" >"$T/submit.out" 2>&1
	RC=$?
	set -e
	RUN=$(newest_run)
	LOG=$(rota logs "$RUN" 2>&1 || true)
}
# statuses RUN STEP=STATUS...: each step's last status on w1 (one query).
statuses() {
	local run=$1 kv got
	shift
	got=" $(store "SELECT s.step_id || '=' || s.status FROM step_runs s WHERE s.run_id = '$run' AND s.host = 'w1'
	               AND s.attempt = (SELECT MAX(attempt) FROM step_runs a WHERE a.run_id = s.run_id
	                                AND a.host = s.host AND a.step_id = s.step_id)" | tr '\n' ' ')"
	for kv in "$@"; do
		assert_contains "$got" " $kv " "the steps of run $run (STEP=STATUS)"
	done
}
# ==== security-monitoring ===================================================
wait_for "grep -q '^ACCEPT' '$T/s_server.out'" 10 "openssl s_server to listen"
TLS_URL="https://127.0.0.1:$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$T/s_server.out")"
# An access log in the combined format: 3 refused requests (two sources)
# in the last hours, 4 refused two days ago (outside the window), 2 served.
now_ts() { LC_ALL=C date -d "@$(($(date +%s) - $1))" '+%d/%b/%Y:%H:%M:%S %z'; }
{
	for i in 1 2 3 4; do
		echo "10.9.9.9 - - [$(now_ts 172800)] \"POST /login HTTP/1.1\" 401 12 \"-\" \"curl\""
	done
	echo "10.0.0.7 - - [$(now_ts 3600)] \"POST /login HTTP/1.1\" 401 12 \"-\" \"curl\""
	echo "10.0.0.7 - - [$(now_ts 3500)] \"POST /login HTTP/1.1\" 401 12 \"-\" \"curl\""
	echo "10.0.0.8 - - [$(now_ts 60)] \"GET /admin HTTP/1.1\" 403 9 \"-\" \"curl\""
	echo "10.0.0.1 - - [$(now_ts 30)] \"GET /health HTTP/1.1\" 200 2 \"-\" \"curl\""
	echo "10.0.0.1 - - [$(now_ts 20)] \"GET /api HTTP/1.1\" 200 401 \"-\" \"curl\""
} >"$T/access.log"
SEC=(-p tls_url="$TLS_URL" -p tls_server_name=localhost -p tls_ca_file="$T/tls.crt"
	-p access_log="$T/access.log")
submit security-monitoring "${SEC[@]}" -p max_refused=3
[ "$RC" -eq 0 ] || fail "security-monitoring (exit $RC): $(cat "$T/submit.out") $LOG"
statuses "$RUN" tls_configured=$SUCCEEDED certificate=$SUCCEEDED log_configured=$SUCCEEDED refused=$SUCCEEDED
has_line "$LOG" "refused: 3 of 5 requests in the last 24h were refused \(401/403\)" "the refused count"
has_line "$LOG" "^w1 refused \|   2 10\.0\.0\.7$" "the source refused most"
assert_contains "$(rota show "$RUN" 2>&1)" "(localhost): certificate " "the certificate in rota show"
# Failure: the certificate has 39-40 days, 60 are needed; 3 refused > 2.
submit security-monitoring "${SEC[@]}" -p max_refused=2 -p min_days_left=60
[ "$RC" -ne 0 ] || fail "security-monitoring passed with an expiring certificate: $LOG"
statuses "$RUN" certificate=$FAILED refused=$FAILED
has_line "$LOG" "refused: 3 refused requests in 24h, more than the 2 allowed FAILED" "too many refused"
grep -Eq "in (39|40) days; needs at least 60" <<<"$(rota show "$RUN" 2>&1)" ||
	fail "the expiring certificate's detail: $(rota show "$RUN" 2>&1)"
# Nothing configured: both gates say so, both checks skip, the host is ok.
submit security-monitoring
[ "$RC" -eq 0 ] || fail "security-monitoring with nothing configured (exit $RC): $LOG"
statuses "$RUN" tls_configured=$FAILED certificate=$SKIPPED log_configured=$FAILED refused=$SKIPPED
pass "security-monitoring: certificate and refused requests pass, fail past their limits, skip when not configured"

# ==== alert-review against a real Alertmanager ==============================
post_alert() { # NAME SEVERITY INSTANCE
	curl -fsS -o /dev/null -H 'Content-Type: application/json' -X POST "$AM/api/v2/alerts" --data-binary \
		"[{\"labels\":{\"alertname\":\"$1\",\"severity\":\"$2\",\"instance\":\"$3\"},\"annotations\":{\"summary\":\"$1 on $3\"}}]"
}
am_count() { curl -fsS "$AM/api/v2/alerts" 2>/dev/null | jq length 2>/dev/null || echo -1; }
for try in 1 2 3; do # a port chosen free may be taken before it binds
	end=$((SECONDS + $(patience 10)))
	while [ $SECONDS -lt $end ] && kill -0 "$AM_PID" 2>/dev/null &&
		! curl -fsS -o /dev/null "$AM/-/ready" 2>/dev/null; do sleep 0.1; done
	curl -fsS -o /dev/null "$AM/-/ready" 2>/dev/null && break
	kill "$AM_PID" 2>/dev/null || true
	start_alertmanager
done
curl -fsS -o /dev/null "$AM/-/ready" || fail "Alertmanager did not start: $(tail -5 "$T/alertmanager.log")"
post_alert DiskFilling warning db-1:9100 || fail "could not post an alert to Alertmanager"
wait_for '[ "$(am_count)" = 1 ]' 10 "Alertmanager to hold the warning"
submit alert-review -p alertmanager_url="$AM"
[ "$RC" -eq 0 ] || fail "alert-review with one warning (exit $RC): $LOG"
statuses "$RUN" reachable=$SUCCEEDED review=$SUCCEEDED
has_line "$LOG" "^w1 review \|   1 warning[[:space:]]firing$" "the summary by severity"
has_line "$LOG" "^w1 review \|   warning +new +firing .* DiskFilling on db-1:9100: DiskFilling on db-1:9100$" "the alert's line"
has_line "$LOG" "review: 1 alerts firing, none unsilenced with a severity in 'critical' OK" "the verdict"
post_alert ApiDown critical api-1:8080
wait_for '[ "$(am_count)" = 2 ]' 10 "Alertmanager to hold the critical alert"
submit alert-review -p alertmanager_url="$AM"
[ "$RC" -ne 0 ] || fail "alert-review passed over a critical alert: $LOG"
statuses "$RUN" reachable=$SUCCEEDED review=$FAILED
has_line "$LOG" "^w1 review \|   critical +new +firing .* ApiDown on api-1:8080" "the critical alert listed first"
has_line "$LOG" "review: 1 of 2 alerts are firing unsilenced with a severity in 'critical' FAILED" "the verdict"
# Silenced, the critical alert no longer fails the review; the matcher
# narrows the review to it.
curl -fsS -o /dev/null -H 'Content-Type: application/json' -X POST "$AM/api/v2/silences" --data-binary \
	"{\"matchers\":[{\"name\":\"alertname\",\"value\":\"ApiDown\",\"isRegex\":false}],
	  \"startsAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"endsAt\":\"$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\",
	  \"createdBy\":\"test\",\"comment\":\"being fixed\"}" || fail "could not silence ApiDown"
am_suppressed() { curl -fsS "$AM/api/v2/alerts" 2>/dev/null | jq -r '.[] | select(.labels.alertname == "ApiDown") | .status.state' 2>/dev/null; }
wait_for '[ "$(am_suppressed)" = suppressed ]' 10 "Alertmanager to silence ApiDown"
submit alert-review -p alertmanager_url="$AM" -p 'filter=instance=~"api-.*"'
[ "$RC" -eq 0 ] || fail "alert-review with the critical alert silenced (exit $RC): $LOG"
has_line "$LOG" "^w1 review \|   critical +new +silenced .* ApiDown on api-1:8080" "the silenced alert"
has_line "$LOG" "review: 1 alerts firing, none unsilenced with a severity in 'critical' OK" "the filtered review"
pass "alert-review reads Alertmanager's alerts by severity and fails on an unsilenced critical one, not a silenced one"

# ==== the backups: take, verify, restore; data-validation ===================
wait "$PG_START_PID" || fail "could not start PostgreSQL: $(cat "$T/pgc/start.log")"
PG_PORT=$(sed -n 's/^PG_PORT=//p' "$PGSTATE")
pgc() { ROTA_TEST_PG_STATE=$PGSTATE bash "$PGCLUSTER" "$@"; }
pgc newdb appdb >/dev/null || fail "pgcluster newdb appdb"
pgc newdb restoredb >/dev/null || fail "pgcluster newdb restoredb"
pgc psql appdb -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || fail "could not fill appdb"
CREATE TABLE patients (id int PRIMARY KEY, age int NOT NULL);
INSERT INTO patients VALUES (1, 50), (2, 61), (3, 47);
CREATE TABLE predictions (patient int REFERENCES patients, score real);
INSERT INTO predictions VALUES (1, 0.2);
SQL
PG=(-p pg_host=127.0.0.1 -p pg_port="$PG_PORT" -p pg_user=rota)
APP=$T/app
mkdir -p "$APP/saved_models" "$APP/conf/monitoring" "$APP/data" "$T/backups" "$T/uploaded"
head -c 4096 /dev/urandom >"$APP/saved_models/model.bin"
echo "threshold: 0.5" >"$APP/conf/app.yml"
echo "rules: []" >"$APP/conf/monitoring/rules.yml"
printf 'id,age\n1,50\n' >"$APP/data/a.csv"
printf 'id,age\n2,61\n' >"$APP/data/b.csv"

TAKE=(-p backup_dir="$T/backups" -p files="$APP/saved_models" -p config="$APP/conf" -p min_free=1M)
submit backup-take "${TAKE[@]}" "${PG[@]}" -p pg_database=appdb -p keep=2 \
	-p upload_command="cp -- \"\$1\" '$T/uploaded/'"
[ "$RC" -eq 0 ] || fail "backup-take (exit $RC): $(cat "$T/submit.out") $LOG"
statuses "$RUN" prepare=$SUCCEEDED space=$SUCCEEDED archive=$SUCCEEDED dump=$SUCCEEDED \
	fresh=$SUCCEEDED retention=$SUCCEEDED upload=$SUCCEEDED
FIRST=$RUN
fresh=$(store "SELECT detail FROM step_runs WHERE run_id = '$RUN' AND step_id = 'fresh'")
assert_contains "$fresh" ": 3 files; newest $T/backups/" "the fresh check of the run's backups"
assert_not_contains "$fresh" ".sha256" "the fresh check of the run's backups"
for f in "files-$RUN.tar.gz" "config-$RUN.tar.gz" "db-$RUN.dump"; do
	[ -s "$T/backups/$f" ] || fail "backup-take wrote no $f: $(ls "$T/backups")"
	(cd "$T/backups" && sha256sum --status -c "$f.sha256") || fail "$f does not match its .sha256"
	cmp -s "$T/backups/$f" "$T/uploaded/$f" || fail "upload_command did not copy $f"
done
grep -qx "${APP#/}/saved_models/model.bin" <<<"$(tar -tzf "$T/backups/files-$RUN.tar.gz")" ||
	fail "the files archive lacks the model: $(tar -tzf "$T/backups/files-$RUN.tar.gz")"
has_line "$LOG" "dump: .*/db-$RUN\.dump, [0-9]+ bytes, 2 tables OK" "the dump's tables"
# Failure: the upload hook fails; the run fails, saying for which file.
submit backup-take "${TAKE[@]}" -p keep=2 -p upload_command="echo no bucket >&2; exit 3"
[ "$RC" -ne 0 ] || fail "backup-take passed with a failing upload: $LOG"
statuses "$RUN" archive=$SUCCEEDED dump=$SUCCEEDED upload=$FAILED
has_line "$LOG" "upload: the upload command failed for .*/files-$RUN\.tar\.gz FAILED" "the failed upload"
# Failure: a path that is not there stops it before anything is written.
submit backup-take -p backup_dir="$T/backups" -p files="$APP/nothing-here"
[ "$RC" -ne 0 ] || fail "backup-take passed with a missing path: $LOG"
statuses "$RUN" prepare=$FAILED archive=$SKIPPED
has_line "$LOG" "prepare: $APP/nothing-here does not exist FAILED" "the missing path"
# zstd, and keep 1: the first run's sets are removed, this one's stay.
submit backup-take "${TAKE[@]}" "${PG[@]}" -p pg_database=appdb -p keep=1 -p compress=zstd
[ "$RC" -eq 0 ] || fail "backup-take with zstd (exit $RC): $LOG"
LAST=$RUN
assert_eq "$(cd "$T/backups" && ls | sort | tr '\n' ' ')" \
	"config-$LAST.tar.zst config-$LAST.tar.zst.sha256 db-$LAST.dump db-$LAST.dump.sha256 files-$LAST.tar.zst files-$LAST.tar.zst.sha256 " \
	"the backups kept with keep=1"
[ ! -e "$T/backups/files-$FIRST.tar.gz" ] || fail "retention kept the first backup"
pass "backup-take archives files and config (gzip, zstd), dumps PostgreSQL, uploads, keeps N; fails on a failing upload or a missing path"

submit backup-verify -p backup_dir="$T/backups" -p sets="files config db" -p max_age=1h -p min_size=64
[ "$RC" -eq 0 ] || fail "backup-verify (exit $RC): $LOG"
statuses "$RUN" files_fresh=$SUCCEEDED config_fresh=$SUCCEEDED db_fresh=$SUCCEEDED integrity=$SUCCEEDED
has_line "$LOG" "integrity: db-$LAST\.dump: checksum matches, pg_restore reads it, 2 tables of data OK" "the dump"
has_line "$LOG" "integrity: files-$LAST\.tar\.zst: checksum matches, [0-9]+ entries read OK" "the files set"
submit backup-verify -p backup_dir="$T/backups" -p sets="files" -p min_size=64
[ "$RC" -eq 0 ] || fail "backup-verify of the files set only (exit $RC): $LOG"
statuses "$RUN" files_fresh=$SUCCEEDED config_wanted=$FAILED config_fresh=$SKIPPED db_fresh=$SKIPPED
pass "backup-verify checks each set's freshness, checksum and readability"

# backup-restore: the files set into a directory of the test, after approval.
rota submit backup-restore --target w1 -p backup_dir="$T/backups" -p target_dir="$T/restored" \
	-p scratch_dir="$T" >"$T/restore.out" 2>&1 || fail "backup-restore refused: $(cat "$T/restore.out")"
RUN=$(newest_run)
wait_for '[ "$(last_status "$RUN" approve)" = "$WAITING" ]' 30 "the restore's approval to wait"
[ ! -e "$T/restored" ] || fail "backup-restore wrote before its approval"
has_line "$(rota logs "$RUN")" "plan: will extract $T/backups/files-$LAST\.tar\.zst \([0-9]+ entries\) into $T/restored \(absent\)" "the plan"
rota approve "$RUN" approve --note "restore drill" >/dev/null || fail "rota approve"
wait_for '[ "$(run_status "$RUN")" = "$RUN_SUCCEEDED" ]' 30 "the restore to succeed"
cmp -s "$APP/saved_models/model.bin" "$T/restored$APP/saved_models/model.bin" ||
	fail "the restored model differs: $(ls -R "$T/restored" | head)"
has_line "$(rota logs "$RUN")" "verify: all [0-9]+ entries of .* are in $T/restored OK" "the verification"
[ ! -e "$T/rota-restore-$RUN" ] || fail "backup-restore left its plan"
# The db set, by its name, into another database; then data-validation
# reads it there.
rota submit backup-restore --target w1 -p backup_dir="$T/backups" -p set=db -p backup="db-$LAST.dump" -p pg_database=restoredb \
	"${PG[@]}" -p scratch_dir="$T" >"$T/restore.out" 2>&1 || fail "backup-restore refused: $(cat "$T/restore.out")"
RUN=$(newest_run)
wait_for '[ "$(last_status "$RUN" approve)" = "$WAITING" ]' 30 "the db restore's approval to wait"
rota approve "$RUN" approve >/dev/null || fail "rota approve"
wait_for '[ "$(run_status "$RUN")" = "$RUN_SUCCEEDED" ]' 30 "the db restore to succeed"
assert_eq "$(pgc psql restoredb -At -c 'SELECT count(*) FROM patients')" 3 "rows restored into restoredb"
pass "backup-restore restores a files set and a database after approval"

# quarterly-dr-test, mode postgresql: the newest dump backup-take wrote is
# restored into a scratch database of the run, which must answer with data,
# and is dropped whatever happened; a plain .sql dump too.
DR=(-p mode=postgresql -p backup_dir="$T/backups" -p scratch_dir="$T" -p scratch_min_free=1M
	-p report_dir="$T/dr" "${PG[@]}")
submit quarterly-dr-test "${DR[@]}" -p verify_sql="SELECT count(*) FROM patients"
[ "$RC" -eq 0 ] || fail "quarterly-dr-test of the dump (exit $RC): $LOG"
has_line "$LOG" "restore: .*/db-$LAST\.dump restored into the scratch database rota_dr_" "the dump restored"
has_line "$LOG" "verify: the restored database rota_dr_[0-9a-z_]+ answers 'SELECT count\(\*\) FROM patients' with 3 \(2 tables\) OK" "the restored data"
has_line "$LOG" "cleanup: dropped the scratch database rota_dr_" "the scratch database dropped"
assert_eq "$(pgc psql postgres -At -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'rota_dr_%'")" 0 \
	"scratch databases left"
mkdir -p "$T/sqldumps"
pg_dump -h 127.0.0.1 -p "$PG_PORT" -U rota appdb >"$T/sqldumps/app.sql" || fail "pg_dump of appdb"
submit quarterly-dr-test "${DR[@]}" -p backup_dir="$T/sqldumps" -p backup_glob="*.sql" \
	-p verify_sql="SELECT count(*) FROM patients WHERE age > 200"
[ "$RC" -ne 0 ] || fail "quarterly-dr-test passed with a query that finds no data: $LOG"
statuses "$RUN" restore=$SUCCEEDED verify=$FAILED cleanup=$SUCCEEDED
has_line "$LOG" "verify: 'SELECT count\(\*\) FROM patients WHERE age > 200' in the restored database rota_dr_[0-9a-z_]+ answers '0': no data FAILED" "no data"
assert_eq "$(pgc psql postgres -At -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'rota_dr_%'")" 0 \
	"scratch databases left after a failure"
pass "quarterly-dr-test restores a database dump (custom and plain) into a scratch database, checks it answers with data, and drops it"

# The passing run connects as the role that must give a password (rota_pw),
# from a password file: pg_passfile, never a password in a param.
printf '127.0.0.1:%s:*:rota_pw:%s\n' "$PG_PORT" "$(cat "$(sed -n 's/^PG_PW_FILE=//p' "$PGSTATE")")" >"$T/pgpass"
chmod 600 "$T/pgpass"
pgc psql restoredb -q -c 'GRANT SELECT ON ALL TABLES IN SCHEMA public TO rota_pw' >/dev/null ||
	fail "could not grant rota_pw its reads"
VAL=(-p data_path="$APP/data/*.csv" -p pg_database=restoredb -p pg_host=127.0.0.1 -p pg_port="$PG_PORT")
submit data-validation "${VAL[@]}" -p pg_user=rota_pw -p pg_passfile="$T/pgpass" -p min_count=2 -p required_columns="patients.id public.patients.age" \
	-p min_rows="patients:3 public.predictions:1"
[ "$RC" -eq 0 ] || fail "data-validation (exit $RC): $LOG"
statuses "$RUN" files=$SUCCEEDED db_ready=$SUCCEEDED schema=$SUCCEEDED rows=$SUCCEEDED
has_line "$LOG" "rows: public\.patients has 3 rows \(at least 3\) OK" "the row count"
submit data-validation "${VAL[@]}" -p pg_user=rota -p min_count=3 -p required_columns="patients.id patients.weight" \
	-p min_rows="patients:100 nosuch:1"
[ "$RC" -ne 0 ] || fail "data-validation passed bad data: $LOG"
statuses "$RUN" files=$FAILED db_ready=$SUCCEEDED schema=$FAILED rows=$FAILED
has_line "$LOG" "schema: public\.patients\.weight is missing FAILED" "the missing column"
has_line "$LOG" "rows: public\.patients has 3 rows, fewer than 100 FAILED" "too few rows"
has_line "$LOG" "rows: cannot count public\.nosuch: .* FAILED" "a missing table"
pass "data-validation checks files, schema and row counts, and fails on each"

# A corrupt backup: backup-verify names it, backup-restore refuses to plan it.
printf 'x' >>"$T/backups/config-$LAST.tar.zst"
submit backup-verify -p backup_dir="$T/backups" -p sets="files config db" -p min_size=1G
[ "$RC" -ne 0 ] || fail "backup-verify passed a corrupt, too small backup: $LOG"
statuses "$RUN" files_fresh=$FAILED config_fresh=$FAILED db_fresh=$FAILED integrity=$FAILED
has_line "$LOG" "integrity: config-$LAST\.tar\.zst does not match its checksum" "the corrupt archive"
has_line "$LOG" "integrity: files-$LAST\.tar\.zst: checksum matches" "the sound archive still checked"
submit backup-restore -p backup_dir="$T/backups" -p set=config -p target_dir="$T/never" -p scratch_dir="$T"
[ "$RC" -ne 0 ] || fail "backup-restore planned a corrupt backup: $LOG"
statuses "$RUN" plan=$FAILED approve=$SKIPPED restore=$SKIPPED
has_line "$LOG" "plan: config-$LAST\.tar\.zst does not match its checksum FAILED" "the refused plan"
pass "a corrupt backup fails backup-verify and is never restored"
