#!/usr/bin/env bash
# The library's change and incident runbooks end to end, on two real
# workers against real local fixtures: rota-testhttp serving a directory
# ($T/www: a service is up while its file exists, a version URL shows what
# a deploy command wrote, a metrics page holds what the test writes), and
# commands given as params that write marker files instead of touching the
# machine. Each runbook's success path and at least one failure path:
# - service-restart: started by an alert naming the service (the restart
#   command sees it), the service answers again; a restart command that
#   fails fails the host and the health wait never runs;
# - service-scale: reaches the count; a count above max_count changes
#   nothing;
# - config-change: installs, validates, reloads; a file the validator
#   rejects is rolled back to the saved copy and never reloaded, one the
#   reload fails on is rolled back and reloaded;
# - release-deploy: staging first, then the two production hosts one at a
#   time, each held healthy (for a hold given as a param); a hold the
#   interval does not fit, or that is no duration, is refused at submit; a
#   release whose smoke test fails on the first host is rolled back there
#   (the rollback command ran, the version is the old one) and the second
#   host is never deployed (max_failures 0); one that fails on staging
#   never reaches production;
# - security-incident: evidence saved and checksummed, the busiest source
#   of the access log blocked after approval; started by an alert naming
#   another source, a rejection blocks nothing;
# - model-drift: accuracy and drift recorded and compared with their
#   median; an accuracy drop past 5% fails the run with both values.
# Every runbook is served as shipped: release-deploy's 15-minute hold is
# given as a param (-p hold=1s).
. "$(dirname "$0")/lib.sh"
rota_setup

LIB=$ROTA_SOURCE_DIR/runbooks
mkdir -p "$T/runbooks" "$T/www" "$T/etc"
for b in service-restart service-scale config-change release-deploy security-incident model-drift; do
	cp "$LIB/$b.yaml" "$T/runbooks/"
done

start_testhttp "$T/www"
echo ok >"$T/www/health"
# Fleet data gives the alert-started run its commands (an alert has no -p).
cat >"$T/config.yaml" <<YAML
vars:
  - params:
      health_url: "$U/file/health"
      restart_command: 'echo "\$SERVICE" >> "\$ROTA_TEST_TMP/restarted"'
      status_command: 'test -e "\$ROTA_TEST_TMP/restarted"'
      access_log: "$T/access.log"
      evidence_dir: "$T/evidence"
      block_command: 'echo "\$SOURCE" >> "\$ROTA_TEST_TMP/blocked"'
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker w1 --label role=web
start_worker w2 --label role=web
wait_workers 2

SUCCEEDED=4 FAILED=5 SKIPPED=8 WAITING=11
RUN_SUCCEEDED=3 RUN_FAILED=4
# submit ARGS...: rota submit, the run in RUN.
submit() {
	RUN=$(rota submit "$@" 2>&1) || fail "rota submit $*: $RUN"
}
ended() { [ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null; }
# finish STATUS WHAT: waits for RUN to end with STATUS.
finish() {
	wait_for ended 30 "$2 to end"
	[ "$(run_status "$RUN")" = "$1" ] ||
		fail "$2: run $RUN ended $(run_status "$RUN"), expected $1:
$(rota show "$RUN" 2>&1)
$(rota logs "$RUN" 2>&1 | tail -n 40)"
}
# st STEP [HOST]: the status of the step's last attempt.
st() {
	store "SELECT status FROM step_runs WHERE run_id = '$RUN' AND step_id = '$1'
	       AND host = '${2:-w1}' ORDER BY attempt DESC LIMIT 1"
}
detail() {
	store "SELECT detail FROM step_runs WHERE run_id = '$RUN' AND step_id = '$1'
	       AND host = '${2:-w1}' ORDER BY attempt DESC LIMIT 1"
}
# steps_are STATUS HOST STEP...: each step's last attempt ended STATUS
# (one query for all of them).
steps_are() {
	local want=$1 host=$2 s got
	shift 2
	got=$(store "SELECT step_id || '=' || status FROM step_runs s WHERE run_id = '$RUN' AND host = '$host'
	             AND attempt = (SELECT MAX(attempt) FROM step_runs t WHERE t.run_id = s.run_id
	                            AND t.host = s.host AND t.step_id = s.step_id)")
	for s in "$@"; do
		grep -qx "$s=$want" <<<"$got" ||
			fail "run $RUN ($(store "SELECT runbook FROM runs WHERE id = '$RUN'")) step $s on $host: expected $want, got: $(grep "^$s=" <<<"$got")"
	done
}

# alert NAME FINGERPRINT LABELS-JSON: posts one firing Alertmanager alert
# for w1 and sets RUN to the run it started for RUNBOOK.
alert() {
	local body code
	body=$(
		cat <<JSON
{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "g-$2",
 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
 "alerts": [{"status": "firing", "labels": {"alertname": "$1", "instance": "w1:9100", $3},
   "annotations": {}, "startsAt": "2026-12-06T03:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
   "fingerprint": "$2"}]}
JSON
	)
	code=$(curl -s -o "$T/alert.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$body" "http://$HTTP_EP/v1/alerts/alertmanager")
	assert_eq "$code" 202 "the $1 alert: $(cat "$T/alert.out")"
	wait_for '[ -n "$(store "SELECT r.id FROM runs r JOIN step_runs s ON s.run_id = r.id
	                         WHERE r.trigger <> '"'manual'"' AND s.step_id = '"'$4'"' LIMIT 1")" ]' 10 \
		"the $1 alert to start a run"
	RUN=$(store "SELECT r.id FROM runs r JOIN step_runs s ON s.run_id = r.id
	             WHERE r.trigger <> 'manual' AND s.step_id = '$4' LIMIT 1")
}

# ---- service-restart: the alert names the service ----
alert ServiceRestartRequired r1 '"service": "billing-api"' restart
finish $RUN_SUCCEEDED "service-restart started by the alert"
steps_are $SUCCEEDED w1 before announce restart running healthy
assert_eq "$(cat "$T/restarted")" billing-api "the service the restart command was given"
run_rota 0 -- show "$RUN"
has_line "$OUT" "^service +billing-api +alert \(label service\)" "rota show: the service from the alert"
has_line "$OUT" "^restart_command +echo .* +vars \(every host, line [0-9]+\) +w1$" "rota show: the restart command from vars"
pass "service-restart restarts the service the alert names and waits for its health"

submit service-restart --target w1 -p service=billing-api -p restart_command='exit 3'
finish $RUN_FAILED "service-restart with a failing restart command"
steps_are $FAILED w1 restart
steps_are $SKIPPED w1 running healthy
assert_contains "$(rota logs "$RUN" 2>&1)" "'exit 3' exited 3 for billing-api FAILED" "restart's output"
pass "service-restart: a failing restart fails the host, nothing reports it healthy"

# ---- service-scale ----
scale_args=(-p service=worker-pool -p health_url="$U/file/health"
	-p scale_command='echo "$COUNT" > "$ROTA_TEST_TMP/replicas-$SERVICE"'
	-p count_command='cat "$ROTA_TEST_TMP/replicas-$SERVICE" 2>/dev/null || echo 0')
submit service-scale --target w1 -p count=3 "${scale_args[@]}"
finish $RUN_SUCCEEDED "service-scale to 3"
steps_are $SUCCEEDED w1 current bounds announce scale reached healthy
assert_eq "$(cat "$T/replicas-worker-pool")" 3 "the count the scale command was given"
submit service-scale --target w1 -p count=50 "${scale_args[@]}"
finish $RUN_FAILED "service-scale to 50"
steps_are $FAILED w1 bounds
steps_are $SKIPPED w1 announce scale reached healthy
assert_eq "$(cat "$T/replicas-worker-pool")" 3 "the count after a refused scale"
assert_contains "$(rota logs "$RUN" 2>&1)" "count 50 is outside 1..20" "the refusal"
# A service name that would be read as an option (an alert's label, say).
submit service-scale --target w1 -p count=2 "${scale_args[@]}" -p service=--all
finish $RUN_FAILED "service-scale of '--all'"
steps_are $SKIPPED w1 announce scale reached healthy
assert_contains "$(rota logs "$RUN" 2>&1)" "'--all' is not a service name" "the refused name"
assert_eq "$(cat "$T/replicas-worker-pool")" 3 "the count after a refused name"
pass "service-scale reaches its count; a count past max_count changes nothing"

# ---- config-change ----
printf 'listen 80\nvalid\n' >"$T/etc/app.conf"
printf 'listen 8080\nvalid\n' >"$T/etc/app.conf.new"
printf 'listen 8081\nbroken\n' >"$T/etc/app.conf.bad"
cc_args=(-p config_path="$T/etc/app.conf" -p service=app -p health_url="$U/file/health"
	-p validate_command='grep -qx valid "$CONFIG"'
	-p reload_command='if grep -q 8082 "$CONFIG"; then echo "bind 8082: in use" >&2; exit 1; fi; cp "$CONFIG" "$ROTA_TEST_TMP/loaded"')
submit config-change --target w1 -p new_config="$T/etc/app.conf.new" "${cc_args[@]}"
finish $RUN_SUCCEEDED "config-change with a valid file"
steps_are $SUCCEEDED w1 plan install validate reload healthy applied rollback
cmp -s "$T/etc/app.conf" "$T/etc/app.conf.new" || fail "config-change did not install the new file"
cmp -s "$T/loaded" "$T/etc/app.conf.new" || fail "config-change did not reload the new file"
[ -f "$T/etc/app.conf.rota-$RUN" ] || fail "config-change kept no saved copy"
assert_contains "$(rota logs "$RUN" 2>&1)" "the change is applied; nothing to roll back" "rollback's output"
good_run=$RUN
submit config-change --target w1 -p new_config="$T/etc/app.conf.bad" "${cc_args[@]}"
finish $RUN_FAILED "config-change with a file the validator rejects"
steps_are $SUCCEEDED w1 plan install rollback
steps_are $FAILED w1 validate
steps_are $SKIPPED w1 reload healthy applied
cmp -s "$T/etc/app.conf" "$T/etc/app.conf.new" || fail "the rejected file was not rolled back: $(cat "$T/etc/app.conf")"
cmp -s "$T/loaded" "$T/etc/app.conf.new" || fail "the service was reloaded with the rejected file"
assert_contains "$(rota logs "$RUN" 2>&1)" "restored $T/etc/app.conf from $T/etc/app.conf.rota-$RUN" "rollback's output"
[ ! -e "/var/tmp/rota-config-$good_run-w1.applied" ] || fail "config-change left its marker"
# Valid, but the service cannot load it: rolled back and loaded again.
printf 'listen 8082\nvalid\n' >"$T/etc/app.conf.busy"
submit config-change --target w1 -p new_config="$T/etc/app.conf.busy" "${cc_args[@]}"
finish $RUN_FAILED "config-change with a file the service cannot load"
steps_are $SUCCEEDED w1 plan install validate rollback
steps_are $FAILED w1 reload
steps_are $SKIPPED w1 healthy applied
cmp -s "$T/etc/app.conf" "$T/etc/app.conf.new" || fail "the file the reload failed on was not rolled back"
assert_contains "$(rota logs "$RUN" 2>&1)" "app reloaded with the old configuration OK" "rollback's output"
pass "config-change installs a valid file; a rejected one, or one the reload fails on, is rolled back"

# ---- release-deploy: staging, then the production hosts one at a time ----
echo v1 >"$T/www/staging"
echo v1 >"$T/www/version"
: >"$T/deploys"
# The deploy command writes the release where the target's version URL
# reads it; the rollback command puts v2 back.
rd_args=(-p service=app -p staging_url="$U/file/staging" -p health_url="$U/file/health"
	-p smoke_url="$U/file/version" -p hold=1s -p hold_interval=500ms
	-p rollback_command='echo "rollback $ROTA_HOST" >> "$ROTA_TEST_TMP/deploys"; echo v2 > "$ROTA_TEST_TMP/www/version"')
deploy='echo "$TARGET $ROTA_HOST $RELEASE" >> "$ROTA_TEST_TMP/deploys"; f=version; [ "$TARGET" = staging ] && f=staging; echo "$RELEASE" > "$ROTA_TEST_TMP/www/$f"'
submit release-deploy -p release=v2 -p deploy_command="$deploy" "${rd_args[@]}"
finish $RUN_SUCCEEDED "release-deploy of v2"
steps_are $SUCCEEDED w1 staging_deploy staging_smoke deploy ready smoke watch passed rollback
steps_are $FAILED w1 staging_current # handled: staging_deploy put v2 there
steps_are $SUCCEEDED w2 staging_current deploy ready smoke watch passed rollback
steps_are $SKIPPED w2 staging_deploy staging_smoke
assert_eq "$(cat "$T/deploys")" "staging w1 v2
production w1 v2
production w2 v2" "the deploys, in order: staging once, then one host at a time"
assert_contains "$(detail watch w2)" "checks passed" "the hold's detail"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$RUN' AND step_id = 'watch'
                    AND ended_ms - started_ms >= 1000")" 2 "holds of at least the 1s given"
# One host at a time: w2 started after w1 ended.
w1_end=$(store "SELECT MAX(ended_ms) FROM step_runs WHERE run_id = '$RUN' AND host = 'w1'")
w2_start=$(store "SELECT MIN(started_ms) FROM step_runs WHERE run_id = '$RUN' AND host = 'w2' AND started_ms > 0")
[ "$w2_start" -ge "$w1_end" ] || fail "w2 started ($w2_start) before w1 ended ($w1_end)"
pass "release-deploy: staging once, then production one host at a time, each held healthy"

# The hold is checked at submit, for the step that takes it: one shorter
# than its interval, or no duration at all, starts nothing.
runs_before=$(store "SELECT COUNT(*) FROM runs")
run_rota 4 -- submit release-deploy -p release=v9 -p deploy_command=true "${rd_args[@]}" -p hold=200ms
assert_contains "$ERR" "step watch re-checks every 500ms (param 'hold_interval'), longer than its hold of 200ms (param 'hold')" \
	"a hold shorter than its interval"
run_rota 4 -- submit release-deploy -p release=v9 -p deploy_command=true "${rd_args[@]}" -p hold=soon
assert_contains "$ERR" "param 'hold' must be a duration such as 30s, 5m or 1h30m, not 'soon' (from -p" \
	"a hold that is no duration"
assert_contains "$ERR" "step watch takes it as its hold" "a hold that is no duration"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" "$runs_before" "runs after refused holds"
pass "release-deploy: a hold param that does not fit is refused at submit, naming the param and the step"

: >"$T/deploys"
# v3 deploys to staging fine, but production then serves something else:
# the first host is rolled back and the rollout stops there.
submit release-deploy -p release=v3 "${rd_args[@]}" \
	-p deploy_command='echo "$TARGET $ROTA_HOST $RELEASE" >> "$ROTA_TEST_TMP/deploys"; if [ "$TARGET" = staging ]; then echo "$RELEASE" > "$ROTA_TEST_TMP/www/staging"; else echo broken > "$ROTA_TEST_TMP/www/version"; fi'
finish $RUN_FAILED "release-deploy of v3, whose smoke test fails"
steps_are $SUCCEEDED w1 staging_deploy staging_smoke deploy ready rollback
steps_are $FAILED w1 smoke
steps_are $SKIPPED w1 watch passed
assert_eq "$(cat "$T/deploys")" "staging w1 v3
production w1 v3
rollback w1" "the deploys and the rollback"
assert_eq "$(cat "$T/www/version")" v2 "the version after the rollback"
assert_contains "$(rota logs "$RUN" 2>&1)" "rolled back and answers $U/file/health" "rollback's output"
# max_failures 0: w2 was never deployed, and the run says which host stopped it.
steps_are $SKIPPED w2 staging_current staging_deploy staging_smoke deploy ready smoke watch passed rollback
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$RUN' AND host = 'w2' AND started_ms > 0")" 0 \
	"steps started on w2"
assert_eq "$(detail deploy w2)" "never started: w1 failed, and max_failures 0 stops the rollout at the first failed host" \
	"w2's note"
assert_contains "$(rota show "$RUN" 2>&1)" "stopped after 1 failed host(s) (w1; max_failures 0): 1 host(s) never started" \
	"the run's reason"
pass "release-deploy: a failed smoke test rolls the host back, and no further host is deployed"

# Staging first: a release staging cannot take never reaches production.
: >"$T/deploys"
submit release-deploy --target w1 -p release=v4 "${rd_args[@]}" \
	-p deploy_command='echo "$TARGET $ROTA_HOST $RELEASE" >> "$ROTA_TEST_TMP/deploys"; [ "$TARGET" != staging ]'
finish $RUN_FAILED "release-deploy of v4, which staging refuses"
steps_are $FAILED w1 staging_current staging_deploy
steps_are $SKIPPED w1 staging_smoke deploy ready smoke watch passed
steps_are $SUCCEEDED w1 rollback
assert_eq "$(cat "$T/deploys")" "staging w1 v4" "the deploys: staging only"
assert_contains "$(rota logs "$RUN" 2>&1)" "production was not touched on w1; nothing to roll back" "rollback's output"
pass "release-deploy: a release that fails on staging never reaches production"

# ---- security-incident: evidence, approval, block ----
for i in $(seq 30); do echo "203.0.113.9 - - [06/Dec/2026:03:00:00 +0000] \"POST /login HTTP/1.1\" 401 12"; done >"$T/access.log"
for i in $(seq 5); do echo "198.51.100.7 - - [06/Dec/2026:03:00:01 +0000] \"GET / HTTP/1.1\" 200 512"; done >>"$T/access.log"
echo "192.0.2.1 - - [06/Dec/2026:03:00:02 +0000] \"GET /admin HTTP/1.1\" 403 9" >>"$T/access.log"
# The log, the evidence directory and the block command come from the
# configuration's vars, as they would for a run an alert starts.
submit security-incident --target w1
wait_for '[ "$(st approve)" = "$WAITING" ]' 20 "security-incident to wait for approval"
steps_are $SUCCEEDED w1 evidence_dir sources announce
# connections needs ss (iproute2); without it the step says so and the
# host goes on (continue_on_failure).
if command -v ss >/dev/null 2>&1; then
	steps_are $SUCCEEDED w1 connections
	[ -s "$T/evidence/$RUN/connections.txt" ] || fail "no connections saved"
else
	steps_are $FAILED w1 connections
fi
[ ! -e "$T/blocked" ] || fail "security-incident blocked before the approval"
ev=$T/evidence/$RUN
assert_eq "$(head -n 1 "$ev/sources.txt")" "30 203.0.113.9" "the busiest source"
assert_eq "$(head -n 1 "$ev/refused.txt")" "30 203.0.113.9" "the most refused source"
assert_eq "$(stat -c %a "$ev")" 700 "the evidence directory's mode"
run_rota 0 -- approve "$RUN" approve --note "block it"
finish $RUN_SUCCEEDED "security-incident, approved"
steps_are $SUCCEEDED w1 act seal
assert_eq "$(cat "$T/blocked")" 203.0.113.9 "the source blocked"
(cd "$ev" && sha256sum --quiet -c SHA256SUMS) || fail "the evidence checksums do not verify"
grep -q ' block 203.0.113.9$' "$ev/actions.txt" || fail "the action was not recorded: $(cat "$ev/actions.txt")"
# An alert names the source; the operator rejects the block.
alert AnomalousTraffic a1 '"source_ip": "198.51.100.7"' act
wait_for '[ "$(st approve)" = "$WAITING" ]' 20 "security-incident to wait again"
run_rota 0 -- reject "$RUN" approve --note "false alarm"
finish $RUN_FAILED "security-incident, rejected"
steps_are $SKIPPED w1 act
steps_are $SUCCEEDED w1 seal
assert_eq "$(cat "$T/blocked")" 203.0.113.9 "nothing more blocked after a rejection"
assert_eq "$(cat "$T/evidence/$RUN/source")" 198.51.100.7 "the source the alert named"
# A source that is a whole address space is never offered for a block.
submit security-incident --target w1 -p source=0.0.0.0/0
finish $RUN_FAILED "security-incident for 0.0.0.0/0"
steps_are $FAILED w1 sources
steps_are $SKIPPED w1 act
assert_contains "$(rota logs "$RUN" 2>&1)" "0.0.0.0/0 is wider than a /8" "the refused range"
assert_eq "$(cat "$T/blocked")" 203.0.113.9 "nothing more blocked for a /0"
pass "security-incident: evidence saved and sealed, the source (the log's busiest, or the alert's) blocked only when approved"

# ---- model-drift: accuracy and drift against their median ----
metrics() { printf 'model_accuracy %s\nmodel_drift_score %s\n' "$1" "$2" >"$T/www/model.prom"; }
md_args=(-p metrics_url="$U/file/model.prom" -p evaluation_glob="$T/eval-*.json")
echo '{}' >"$T/eval-1.json"
for v in 0.95 0.94; do
	metrics "$v" 0.10
	submit model-drift --target w1 "${md_args[@]}"
	finish $RUN_SUCCEEDED "model-drift at accuracy $v"
done
steps_are $SUCCEEDED w1 evaluation_configured evaluation_fresh accuracy drift
assert_contains "$(detail accuracy)" "recorded model_accuracy = 0.94, -1.1% from the median of the last" "accuracy against its median"
metrics 0.86 0.10
submit model-drift --target w1 "${md_args[@]}"
finish $RUN_FAILED "model-drift after an accuracy drop"
steps_are $FAILED w1 accuracy
steps_are $SUCCEEDED w1 drift
assert_contains "$(detail accuracy)" "model_accuracy = 0.86, -9.0% from the median of the last" "the drop"
assert_contains "$(detail accuracy)" "a regression" "the drop's verdict"
# Drift doubled (still under max_drift: the baseline catches it) and the
# evaluation's output gone: both fail, in one run (its checks all run).
metrics 0.95 0.20
rm "$T/eval-1.json"
submit model-drift --target w1 "${md_args[@]}"
finish $RUN_FAILED "model-drift after drift doubled, with no evaluation output"
steps_are $SUCCEEDED w1 accuracy
steps_are $FAILED w1 drift evaluation_fresh
assert_contains "$(detail drift)" "model_drift = 0.2, +100.0% from the median of the last" "the drift"
pass "model-drift: values recorded against their median; a drop, a drift and a stale evaluation fail"
