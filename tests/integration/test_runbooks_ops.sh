#!/usr/bin/env bash
# The shipped operations runbooks end to end on a real worker, against
# temporary directories and rota-testhttp, nothing of the host's own:
#   - deployment-rollback: current points at 1.10.0 of 1.8.0, 1.9.0 and
#     1.10.0; after approval it points at 1.9.0 (version order: in text
#     order 1.10.0 would be the oldest), the restart command named by a param restarts the alert's
#     service (a marker), and the health endpoint answers. Failure path: the
#     live release is the oldest, so the plan fails and nothing changes.
#     With rollback_command (a deployment not laid out as releases), the
#     command rolls back after approval, then the service is restarted; a
#     command that fails fails the run before any restart.
#   - log-rotation: logs older than older_than_days go into a dated
#     .tar.gz that reads back and are then deleted; newer logs, files below
#     the directory and recent archives stay; archives older than
#     keep_archives_days go. Failure path: the archive directory cannot be
#     made, the run fails and every log stays.
#   - weekly-security-scan: the scanner is a param (here a script that
#     needs no network); its report, the SBOM and a history line are kept.
#     Failure path: the scanner exits 1 on a finding, the run fails and the
#     history says so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks" "$T/state"
for rb in deployment-rollback log-rotation weekly-security-scan; do
	cp "$ROTA_SOURCE_DIR/runbooks/$rb.yaml" "$T/runbooks/"
done
start_testhttp "$T/state"
RUNBOOKS=$T/runbooks start_coordinator
start_worker w1 --label role=app
wait_workers 1
export ROTA_TEST_TMP=$T

submit() { # submit RUNBOOK ARGS...: starts a run on w1; sets R
	R=$(rota submit "$1" --target w1 "${@:2}" 2>&1) || fail "rota submit $1 refused: $R"
}
ended() { case "$(run_status "$1")" in 3 | 4 | 5) return 0 ;; *) return 1 ;; esac; }
step() { # step RUN STEP: "STATUS DETAIL" of the step, from rota show
	rota show "$1" | awk -v s="$2" '$1 == s { $1 = ""; sub(/^ +/, ""); print; exit }'
}

# ---- fixtures ------------------------------------------------------------------
# Releases: good (the restart marker and the health file) and oldest.
for d in good oldest; do mkdir -p "$T/$d/releases"; done
for v in 1.8.0 1.9.0 1.10.0; do mkdir "$T/good/releases/$v"; done
ln -s "$T/good/releases/1.10.0" "$T/good/current"
mkdir "$T/oldest/releases/1.0.0" "$T/oldest/releases/2.0.0"
ln -s "$T/oldest/releases/1.0.0" "$T/oldest/current"
cat >"$T/restart" <<'SH'
#!/bin/sh
# A service restarted: it runs what current points at, and is healthy.
echo "$1 $(readlink "$ROTA_TEST_TMP/good/current")" >>"$ROTA_TEST_TMP/restarts.log"
echo ok >"$ROTA_TEST_TMP/state/app.health"
SH
# Logs: two old ones, a new one, an old one below, an old and a new archive.
L=$T/logs
mkdir -p "$L/sub" "$L/archive"
for f in a.log b.log.old sub/deep.log; do echo "line of $f" >"$L/$f"; done
echo "today" >"$L/new.log"
touch -d '10 days ago' "$L/a.log" "$L/b.log.old" "$L/sub/deep.log"
tar -czf "$L/archive/logs-20200101-000000.tar.gz" -C "$L" new.log
cp "$L/archive/logs-20200101-000000.tar.gz" "$L/archive/logs-20260101-000000.tar.gz"
touch -d '40 days ago' "$L/archive/logs-20200101-000000.tar.gz"
touch -d '5 days ago' "$L/archive/logs-20260101-000000.tar.gz"
mkdir -p "$T/logs2"
echo "old" >"$T/logs2/c.log"
touch -d '10 days ago' "$T/logs2/c.log"
echo "a file, not a directory" >"$T/notadir"
# Scanners: one that finds nothing (and an SBOM), one that finds a problem.
mkdir -p "$T/repo"
cat >"$T/repo/scan-ok.sh" <<'SH'
#!/bin/sh
echo "scanned $(pwd) FAIL_ON_MEDIUM=$FAIL_ON_MEDIUM: 0 findings"
SH
cat >"$T/repo/scan-bad.sh" <<'SH'
#!/bin/sh
echo "HIGH CVE-2026-0001 in libexample 1.2.3"
exit 1
SH
cat >"$T/repo/sbom.sh" <<'SH'
#!/bin/sh
echo '{"bomFormat": "CycloneDX"}' >"$SBOM_FILE"
SH
cat >"$T/undo" <<'SH'
#!/bin/sh
echo "undo $1" >>"$ROTA_TEST_TMP/restarts.log"
SH
chmod +x "$T/restart" "$T/undo" "$T/repo/"*.sh

# ---- all six runs at once --------------------------------------------------------
submit deployment-rollback -p service=app-web -p restart_command="$T/restart" \
	-p releases_dir="$T/good/releases" -p current_link="$T/good/current" \
	-p health_url="$U/file/app.health"
RB_OK=$R
submit deployment-rollback -p service=app-web -p restart_command="$T/restart" \
	-p releases_dir="$T/oldest/releases" -p current_link="$T/oldest/current" \
	-p health_url="$U/file/app.health"
RB_BAD=$R
submit deployment-rollback -p service=app-helm -p restart_command="$T/restart" \
	-p rollback_command="$T/undo app-helm" -p health_url="$U/file/app.health"
RB_CMD=$R
submit deployment-rollback -p service=app-gone -p restart_command="$T/restart" \
	-p rollback_command="echo no such release >&2; exit 3" -p health_url="$U/file/app.health"
RB_CMD_BAD=$R
submit log-rotation -p log_dir="$L" -p older_than_days=7 -p keep_archives_days=30 -p min_free_mb=1
LR_OK=$R
submit log-rotation -p log_dir="$T/logs2" -p archive_dir="$T/notadir/archive" -p min_free_mb=1
LR_BAD=$R
submit weekly-security-scan -p scanner=./scan-ok.sh -p scan_dir="$T/repo" \
	-p report_dir="$T/reports" -p sbom_command=./sbom.sh
SC_OK=$R
wait_for 'ended "$SC_OK"' 20 "the first scan to end" # one history file, lines in order
submit weekly-security-scan -p scanner=./scan-bad.sh -p scan_dir="$T/repo" \
	-p report_dir="$T/reports"
SC_BAD=$R

wait_for 'step "$RB_OK" approve | grep -q ^waiting' 20 "the rollback to wait for approval"
run_rota 0 -- logs "$RB_OK"
has_line "$OUT" "plan: $T/good/current: 1.10.0 -> 1.9.0 .*OK" "the plan, in version order"
assert_eq "$(readlink "$T/good/current")" "$T/good/releases/1.10.0" "nothing switched before approval"
run_rota 0 -- approve "$RB_OK" approve
for r in "$RB_CMD" "$RB_CMD_BAD"; do
	wait_for 'step "$r" approve | grep -q ^waiting' 20 "run $r to wait for approval"
	run_rota 0 -- approve "$r" approve
done
for r in "$RB_OK" "$RB_BAD" "$RB_CMD" "$RB_CMD_BAD" "$LR_OK" "$LR_BAD" "$SC_OK" "$SC_BAD"; do
	wait_for 'ended "$r"' 30 "run $r to end"
done

# ---- deployment-rollback ---------------------------------------------------------
assert_eq "$(run_status "$RB_OK")" 3 "the rollback succeeds: $(rota show "$RB_OK")"
assert_eq "$(readlink "$T/good/current")" "$T/good/releases/1.9.0" "current after the rollback"
assert_eq "$(grep '^app-web ' "$T/restarts.log")" "app-web $T/good/releases/1.9.0" \
	"the restart command restarted the named service on the old release, once"
has_line "$(step "$RB_OK" verify)" "^succeeded" "the health check after the rollback"
has_line "$(step "$RB_OK" live_health)" "^failed" "the live release was unhealthy before"
assert_eq "$(run_status "$RB_BAD")" 4 "no older release: the rollback fails"
run_rota 0 -- logs "$RB_BAD"
assert_contains "$OUT" "1.0.0 is the oldest release" "why it failed"
assert_eq "$(readlink "$T/oldest/current")" "$T/oldest/releases/1.0.0" "nothing switched"
has_line "$(step "$RB_BAD" restart)" "^skipped" "nothing restarted"
assert_eq "$(run_status "$RB_CMD")" 3 "rollback_command: $(rota show "$RB_CMD")"
assert_eq "$(grep -E '^(undo app-helm$|app-helm )' "$T/restarts.log" | cut -d' ' -f1)" "undo
app-helm" "rollback_command ran once, then the restart"
assert_eq "$(run_status "$RB_CMD_BAD")" 4 "a failing rollback_command fails the run"
run_rota 0 -- logs "$RB_CMD_BAD"
assert_contains "$OUT" "no such release" "the command's own message"
has_line "$(step "$RB_CMD_BAD" restart)" "^skipped" "no restart after a failed rollback"
assert_not_contains "$(cat "$T/restarts.log")" "app-gone" "the restart log"
assert_eq "$(ls /var/tmp | grep -c -e "rota-rollback-$RB_OK" -e "rota-rollback-$RB_BAD" -e "rota-rollback-$RB_CMD" || true)" 0 \
	"the plan files are removed"

# ---- log-rotation ----------------------------------------------------------------
assert_eq "$(run_status "$LR_OK")" 3 "log rotation succeeds: $(rota show "$LR_OK")"
new_archive=$(find "$L/archive" -name 'logs-*.tar.gz' -newer "$L/new.log")
[ -n "$new_archive" ] || fail "no new archive in $L/archive: $(ls -l "$L/archive")"
assert_eq "$(tar -tzf "$new_archive" | sort | tr '\n' ' ')" "./a.log ./b.log.old " "what was archived"
assert_eq "$(tar -xzOf "$new_archive" ./a.log)" "line of a.log" "the archive reads back"
[ ! -e "$L/a.log" ] && [ ! -e "$L/b.log.old" ] || fail "the archived logs were not deleted"
[ -f "$L/new.log" ] && [ -f "$L/sub/deep.log" ] || fail "a new log or one below was deleted"
[ ! -e "$L/archive/logs-20200101-000000.tar.gz" ] || fail "the 40-day-old archive was kept"
[ -f "$L/archive/logs-20260101-000000.tar.gz" ] || fail "the 5-day-old archive was pruned"
assert_eq "$(run_status "$LR_BAD")" 4 "an archive directory that cannot be made fails the run"
run_rota 0 -- logs "$LR_BAD"
assert_contains "$OUT" "cannot create archive directory $T/notadir/archive" "why it failed"
[ -f "$T/logs2/c.log" ] || fail "a log was deleted though it was never archived"

# ---- weekly-security-scan --------------------------------------------------------
assert_eq "$(run_status "$SC_OK")" 3 "a clean scan succeeds: $(rota show "$SC_OK")"
run_rota 0 -- logs "$SC_OK"
assert_contains "$OUT" "scanned $T/repo FAIL_ON_MEDIUM=true: 0 findings" "the scanner ran in scan_dir"
assert_eq "$(cat "$T/reports/sbom-$SC_OK.json")" '{"bomFormat": "CycloneDX"}' "the SBOM"
assert_contains "$(cat "$T/reports/scan-$SC_OK.log")" "0 findings" "the report"
assert_eq "$(run_status "$SC_BAD")" 4 "a finding fails the run"
run_rota 0 -- logs "$SC_BAD"
assert_contains "$OUT" "CVE-2026-0001" "the finding is shown"
assert_contains "$OUT" "the scanner exited 1" "the verdict"
assert_eq "$(cut -f2,3,4 "$T/reports/history.tsv" | tail -n 2)" "$SC_OK	w1	pass scanner exit 0
$SC_BAD	w1	fail scanner exit 1" "the scan history"

pass "ops runbooks: rollback, log rotation and security scan, success and failure"
