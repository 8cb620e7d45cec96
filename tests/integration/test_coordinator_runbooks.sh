# Runbooks with targets: { coordinator: true } run with no worker at all
# (none is started here): the shipped reminders and sign-offs end to end.
# - monthly-performance-optimization fires on its schedule (the third Monday,
#   MON#3: ROTA_FAKE_NOW starts the clock seconds before it) on the one host
#   @coordinator, and its checklist reaches a real webhook receiver;
# - monthly-alert-tuning by rota submit: checklist and test notice delivered,
#   its sign-off waits; --target naming a worker is refused;
# - a runbook an alert starts runs on the coordinator whatever host the
#   alert names, with the alert's values;
# - the coordinator SIGKILLed while both sign-offs wait: after its restart
#   they still wait, nothing is sent twice, rota approve ends one run
#   succeeded and rota reject the other failed;
# - a Hello as @coordinator is refused;
# - a maintenance window on a host (a recurring one, open when the schedule
#   fires; one started by hand) does not hold such a runbook; one on "all"
#   does (a manual submit needs --force);
# - the console's API shows the run and its approve button ends it.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
cp "$ROTA_SOURCE_DIR/runbooks/monthly-performance-optimization.yaml" \
	"$ROTA_SOURCE_DIR/runbooks/monthly-alert-tuning.yaml" "$RUNBOOKS/"
cat >"$RUNBOOKS/cert-reminder.yaml" <<'YAML'
name: cert-reminder
targets: { coordinator: true }
triggers:
  - alertmanager: { alertname: CertExpiringSoon }
steps:
  - id: tell
    notify: { message: "renew the certificate of {{ alert.labels.instance }} ({{ host.id }})" }
YAML

start_receiver
receiver_config oncall
cat >>"$T/config.yaml" <<YAML
maintenance:
  - { name: db-patching, cron: "0 8 * * *", duration: 2h, target: db-1, reason: patching }
YAML
# sent TEXT: how many notices holding TEXT the receiver took (2xx).
sent() { grep -F "$1" "$T/recv.jsonl" | grep -c '"ok":true' || true; }
step_status() {
	store "SELECT status FROM step_runs WHERE run_id = '$1' AND step_id = '$2'
	       AND host = '@coordinator' ORDER BY attempt DESC LIMIT 1"
}
run_of() { store "SELECT id FROM runs WHERE runbook = '$1' ORDER BY created_ms DESC LIMIT 1"; }
WAITING=11
SUCCEEDED=4
RUN_SUCCEEDED=3
RUN_FAILED=4

# December 2026: the 21st is its third Monday.
ROTA_FAKE_NOW=2026-12-21T08:59:57Z start_coordinator --config "$T/config.yaml"

# --- the schedule fires with no worker connected
wait_for '[ -n "$(run_of monthly-performance-optimization)" ]' 15 "the 09:00 slot to fire"
perf=$(run_of monthly-performance-optimization)
assert_eq "$(store "SELECT trigger FROM runs WHERE id = '$perf'")" schedule "its trigger"
wait_for '[ "$(step_status "$perf" sign_off)" = $WAITING ]' 10 "its sign-off to wait"
wait_for '[ "$(sent "Monthly performance optimization is due")" = 1 ]' 10 "its checklist"
run_rota 0 -- maintenance list
has_line "$OUT" "MW-db-patching .*db-1" "the host's window, open when the slot fired"
pass "monthly-performance-optimization fires on MON#3 with no worker and sends its checklist"

# --- by hand; a worker target does not apply
run_rota 0 -- submit monthly-alert-tuning
tune=$(run_of monthly-alert-tuning)
wait_for '[ "$(step_status "$tune" sign_off)" = $WAITING ]' 10 "the tuning sign-off to wait"
wait_for '[ "$(sent "Monthly alert tuning is due")" = 1 ]' 10 "the tuning checklist"
wait_for '[ "$(sent "TEST of alert delivery")" = 1 ]' 10 "the test notice"
assert_eq "$(step_status "$tune" delivery_test)" $SUCCEEDED "the test notice's step"
run_rota 0 -- show "$tune"
assert_contains "$OUT" "@coordinator" "rota show of a coordinator run"
run_rota 0 -- runs
has_line "$OUT" "$tune .*monthly-alert-tuning" "rota runs"
run_rota 4 -- submit monthly-alert-tuning --target w1
assert_contains "$ERR" "runs on the coordinator (targets: { coordinator: true }), not on workers" \
	"--target w1"
pass "monthly-alert-tuning by hand: checklist and test notice delivered, sign-off waits"

# --- started by an alert for a host no worker is
body='{"version": "4", "status": "firing", "receiver": "rota", "groupKey": "g1",
 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "truncatedAlerts": 0,
 "alerts": [{"status": "firing", "labels": {"alertname": "CertExpiringSoon",
   "instance": "10.0.0.5:9100"}, "annotations": {}, "startsAt": "2026-12-21T08:00:00Z",
   "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"}]}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary "$body" "http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$code" 202 "the alert"
wait_for '[ -n "$(run_of cert-reminder)" ]' 10 "the alert's run"
cert=$(run_of cert-reminder)
wait_for '[ "$(run_status "$cert")" = $RUN_SUCCEEDED ]' 10 "the alert's run to succeed"
wait_for '[ "$(sent "renew the certificate of 10.0.0.5:9100 (@coordinator)")" = 1 ]' 10 \
	"the alert's reminder"
assert_eq "$(store "SELECT trigger FROM runs WHERE id = '$cert'")" alert "its trigger"
pass "an alert starts a coordinator runbook with its values, whatever host it names"

# --- no worker can take the pseudo-host's name
got=$("$ROTA_TESTS_BIN/rota-testpeer" hello "$WORKER_EP" @coordinator 1 8) ||
	fail "no answer to a Hello as @coordinator"
assert_contains "$got" "refused Hello refused: worker id @coordinator is the host of runbooks" \
	"a Hello as @coordinator"
run_rota 0 -- workers
assert_not_contains "$OUT" "@coordinator" "rota workers"
pass "a Hello as @coordinator is refused, saying why"

# --- a restart while both sign-offs wait
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
ROTA_FAKE_NOW=2026-12-21T09:01:00Z restart_coordinator --config "$T/config.yaml"
run_rota 0 -- show "$tune"
has_line "$OUT" "sign_off .*waiting" "the tuning sign-off after the restart"
run_rota 0 -- approve "$tune" sign_off --note "all channels got it"
wait_for '[ "$(run_status "$tune")" = $RUN_SUCCEEDED ]' 10 "the approved tuning run to succeed"
run_rota 0 -- history monthly-alert-tuning --since 2026-12-01T00:00:00Z
assert_contains "$OUT" "runs: 1 (1 succeeded, 0 failed" "rota history of the tuning runbook"
run_rota 0 -- reject "$perf" sign_off --note "not done this month"
wait_for '[ "$(run_status "$perf")" = $RUN_FAILED ]' 10 "the rejected review to fail"
for text in "Monthly performance optimization is due (run $perf)" \
	"Monthly alert tuning is due (run $tune)" "TEST of alert delivery from rota (run $tune)" \
	"renew the certificate"; do
	assert_eq "$(sent "$text")" 1 "notices '$text' after the restart"
done
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$tune'")" 3 \
	"step rows of the tuning run (one attempt of each step)"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE runbook = 'monthly-performance-optimization'")" \
	1 "scheduled runs after the restart"
pass "after a SIGKILL the sign-offs still wait; approve and reject end them; nothing sent twice"

# --- maintenance: a host's window does not hold it, one on all does
run_rota 0 -- maintenance start --target db-1 --for 1h --reason "db patching"
run_rota 0 -- submit monthly-alert-tuning --target @coordinator
run_rota 0 -- maintenance start --target all --for 1h --reason "datacenter move"
run_rota 4 -- submit monthly-alert-tuning
assert_contains "$ERR" "host @coordinator is in maintenance" "a submit during a window on all"
assert_contains "$ERR" "datacenter move" "the refusal names the window"
run_rota 0 -- submit monthly-alert-tuning --force
pass "a window on all holds a coordinator runbook (--force overrides); one on a host does not"

# --- the console's API: the run on its one host, approved by its button
forced=$(run_of monthly-alert-tuning)
wait_for '[ "$(step_status "$forced" sign_off)" = $WAITING ]' 10 "the forced run's sign-off"
csrf=$(curl -s "http://$HTTP_EP/v1/session" | jq -r .csrf_token)
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' --data '{"note":"from the console"}' \
	"http://$HTTP_EP/v1/runs/$forced/steps/sign_off/approve")
assert_eq "$code" 200 "the console's approve: $(cat "$T/body")"
wait_for '[ "$(run_status "$forced")" = $RUN_SUCCEEDED ]' 10 "the console-approved run to succeed"
assert_contains "$(curl -s "http://$HTTP_EP/v1/runs/$forced")" '"host":"@coordinator"' \
	"GET /v1/runs/ID"
pass "the console's API shows the run on @coordinator and its approve button ends it"
