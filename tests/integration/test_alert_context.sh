#!/usr/bin/env bash
# An alert's context reaches its runbook, over real HTTP, with real workers:
# - an Alertmanager alert for a full /data (a temporary directory standing
#   for it) runs the shipped low-disk-space against that path, not /, and
#   with no cleanup configured it says so rather than "cleaning up";
# - one group of three alerts for three hosts, each named by address
#   (instance=ADDRESS:9100, the address its worker reported), runs the
#   runbook on each host with that alert's own labels;
# - the configuration's vars give each host its values (a later entry
#   wins), and `rota show` says where every value came from;
# - a run started by hand takes alert values with -p and says so
#   (test_alert_host_label.sh: host_label, and a host two workers share).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks" "$T/datadir"
cp "$ROTA_SOURCE_DIR/runbooks/low-disk-space.yaml" "$T/runbooks/"
cat >"$T/runbooks/ctx-echo.yaml" <<'YAML'
name: ctx-echo
description: says what its alert told it
severity: P3
triggers:
  - alertmanager: { alertname: CtxDown }
targets: { labels: { role: api } }
params:
  service: { from_alert: [service, job] }
  health_url: { default: "http://default/health" }
steps:
  - id: say
    shell:
      env:
        S: "{{ params.service }}"
        A: "{{ alert.labels.alertname }}"
        H: "{{ host.id }}"
        U: "{{ params.health_url }}"
        AT: "{{ alert.starts_at }}"
      run: echo "ctx service=$S alert=$A host=$H url=$U since=$AT"
YAML
cat >"$T/config.yaml" <<'YAML'
vars:
  - match: { role: api }
    params: { health_url: "http://api/health" }
  - host: web-2
    params: { health_url: "http://web-2/health" }
  - host: web-1
    params: { min_free_pct: 100 }
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
start_worker web-1 --label role=api --address 10.0.0.5
start_worker web-2 --label role=api --address 10.0.0.6
start_worker web-3 --label role=api --address 10.0.0.7
wait_workers 3

# alert NAME FINGERPRINT LABELS-JSON: one firing alert of a payload.
alert() {
	cat <<JSON
    {"status": "firing", "labels": {"alertname": "$1", $3},
     "annotations": {"summary": "$1"}, "startsAt": "2026-11-23T03:00:00Z",
     "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "$2"}
JSON
}
# payload GROUP ALERT...: an Alertmanager (version 4) webhook body.
payload() {
	local group=$1
	shift
	local IFS=,
	local alerts="$*" # joined by commas
	cat <<JSON
{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "$group",
 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
 "alerts": [$alerts]}
JSON
}
post() {
	BODY_OUT=$(curl -s -o - -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data-binary "$1" "http://$HTTP_EP/v1/alerts/alertmanager")
	CODE=$(tail -n 1 <<<"$BODY_OUT")
}
ended() { # ended RUN: its status is final (succeeded, failed or cancelled)
	case "$(run_status "$1")" in 3 | 4 | 5) return 0 ;; *) return 1 ;; esac
}
run_on() { # run_on RUNBOOK HOST: the run of RUNBOOK whose step ran on HOST
	store "SELECT r.id FROM runs r JOIN step_runs s ON s.run_id = r.id
	       WHERE r.runbook = '$1' AND s.host = '$2' LIMIT 1"
}

# ---- low-disk-space checks the alert's mountpoint ----
post "$(payload 'group-fs' \
	"$(alert NodeFilesystemAlmostOutOfSpace fs1 \
		"\"instance\": \"web-1:9100\", \"mountpoint\": \"$T/datadir\", \"fstype\": \"ext4\",
		 \"note\": \"a\\tdefault\\nb=c\"")")"
assert_eq "$CODE" 202 "the filesystem alert"
wait_for '[ -n "$(run_on low-disk-space web-1)" ]' 10 "low-disk-space to start on web-1"
RUN=$(run_on low-disk-space web-1)
wait_for 'ended "$RUN"' 20 "low-disk-space to end"
run_rota 0 -- logs "$RUN"
assert_contains "$OUT" "$T/datadir: " "the disk check's output (it checked the alert's path)"
assert_contains "$OUT" "needs at least 100%" "min_free_pct from the host's vars"
run_rota 0 -- show "$RUN"
has_line "$OUT" "^path +$T/datadir +alert \(label mountpoint\) +every host$" "rota show: path"
has_line "$OUT" "^min_free_pct +100 +vars \(host web-1, line 6\) +web-1$" "rota show: vars"
has_line "$OUT" "^alert.labels.mountpoint +$T/datadir +alert" "rota show: the alert's label"
# A label's tab or newline cannot forge a line or a source in rota show.
has_line "$OUT" "^alert.labels.note +a default b=c +alert +every host$" "rota show: a label with a tab"
assert_not_contains "$OUT" $'\nb=c' "rota show"
# Nothing is configured to clean: the notice says so; "cleaning up" never.
steps=$(store "SELECT step_id || ' ' || status || ' ' || detail FROM step_runs
               WHERE run_id = '$RUN' AND step_id IN ('no_cleanup', 'announce', 'clean_tmp')
               ORDER BY position")
has_line "$steps" "^no_cleanup 4 .*No cleanup is configured" "the no-cleanup notice"
has_line "$steps" "^announce 8" "the cleanup announcement is skipped"
assert_not_contains "$steps" "cleaning up" "what the run said"
assert_eq "$(run_status "$RUN")" 4 "a full filesystem nobody may clean fails its run"

# ---- one group, three hosts by address, each with its own labels ----
group='group-ctx'
post "$(payload "$group" \
	"$(alert CtxDown c1 '"instance": "10.0.0.5:9100", "service": "svc-a"')" \
	"$(alert CtxDown c2 '"instance": "10.0.0.6:9100", "service": "svc-b"')" \
	"$(alert CtxDown c3 '"instance": "10.0.0.7:9100", "job": "svc-c"')")"
assert_eq "$CODE" 202 "the group of three alerts"
assert_contains "$BODY_OUT" '"runs_started": 3' "one run per alert"
for h in web-1 web-2 web-3; do
	wait_for '[ -n "$(run_on ctx-echo '$h')" ]' 10 "ctx-echo to start on $h"
	r=$(run_on ctx-echo $h)
	wait_for '[ "$(run_status "'$r'")" = 3 ]' 15 "ctx-echo on $h to succeed"
	eval "RUN_${h//-/_}=$r"
done
out() { rota logs "$1" | grep -o 'ctx service=.*'; }
assert_eq "$(out "$RUN_web_1")" \
	"ctx service=svc-a alert=CtxDown host=web-1 url=http://api/health since=2026-11-23T03:00:00Z" \
	"web-1 (10.0.0.5): its alert's service, the role's vars"
assert_eq "$(out "$RUN_web_2")" \
	"ctx service=svc-b alert=CtxDown host=web-2 url=http://web-2/health since=2026-11-23T03:00:00Z" \
	"web-2 (10.0.0.6): its alert's service, its own vars (the later entry wins)"
assert_eq "$(out "$RUN_web_3")" \
	"ctx service=svc-c alert=CtxDown host=web-3 url=http://api/health since=2026-11-23T03:00:00Z" \
	"web-3 (10.0.0.7): the job label when there is no service label"
assert_eq "$(store "SELECT COUNT(*) FROM incidents WHERE runbook = 'ctx-echo'")" 1 \
	"one incident for the group"
run_rota 0 -- show "$RUN_web_2"
has_line "$OUT" "^service +svc-b +alert \(label service\) +every host$" "rota show: service"
has_line "$OUT" "^health_url +http://default/health +default +every host$" "rota show: default"
has_line "$OUT" "^health_url +http://web-2/health +vars \(host web-2, line 4\) +web-2$" \
	"rota show: the host's vars"
run_rota 0 -- show "$RUN_web_3" --json
assert_contains "$OUT" '{"name":"service","value":"svc-c","source":"alert (label job)","host":""}' \
	"rota show --json: the param's source"

# ---- by hand: alert values come with -p, and say so ----
run_rota 4 -- submit ctx-echo --target web-1
assert_contains "$ERR" "needs param 'service' on web-1 (it takes the alert's label service or job" \
	"a manual run without the alert's value"
run_rota 4 -- submit ctx-echo --target web-1 -p alert.labels.service=svc-m \
	-p alert.labels.alertname=ByHand
assert_contains "$ERR" "step say uses {{ alert.starts_at }} but the run has no such alert value" \
	"a manual run without an alert value a step uses"
run_rota 0 -- submit ctx-echo --target web-1 -p alert.labels.service=svc-m \
	-p alert.labels.alertname=ByHand -p alert.starts_at=2026-12-01T00:00:00Z --wait
MANUAL=$(store "SELECT id FROM runs WHERE trigger = 'manual' AND status = 3")
run_rota 0 -- show "$MANUAL"
has_line "$OUT" "^service +svc-m +alert \(label service, given by -p\) +every host$" \
	"rota show: an alert value given by hand"
has_line "$OUT" "^alert.labels.service +svc-m +-p +every host$" "rota show: the -p alert value"
# -p wins over the alert's value and over the host's vars.
run_rota 0 -- submit ctx-echo --target web-2 -p service=svc-p -p alert.labels.service=svc-m \
	-p alert.labels.alertname=ByHand -p alert.starts_at=2026-12-01T00:00:00Z \
	-p health_url=http://given/health
GIVEN=$OUT
run_rota 0 -- show "$GIVEN"
has_line "$OUT" "^service +svc-p +-p +every host$" "rota show: -p over the alert"
has_line "$OUT" "^health_url +http://given/health +-p +every host$" "rota show: -p over vars"
assert_not_contains "$OUT" "vars (" "rota show of a run whose -p covers every vars value"
run_rota 4 -- submit low-disk-space --target web-2 -p alert.bogus=1
assert_contains "$ERR" "an alert value is alert.labels.NAME" "a -p that is no alert value"

echo "ok"
