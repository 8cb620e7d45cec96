#!/usr/bin/env bash
# make demo: a coordinator on a fresh SQLite data directory and three workers
# on loopback, with CURVE keys end to end (rota-coordinator --init, rota
# keygen), run the shipped daily-health-check runbook; the result is shown.
# Then a copy of it scheduled every minute is added with `rota reload`, and
# the demo waits for the scheduler to fire it on its own. Last, it opens a
# P1 incident whose escalation policy climbs three tiers in seconds, to a
# webhook receiver started here, until the demo acknowledges it. Everything
# started here is stopped again.
#
# The web console is served by the coordinator: the demo prints its address
# and a one-time sign-in link (`rota web login`). With KEEP=1 (`make demo
# KEEP=1`) it leaves everything running until Ctrl-C, with a run that
# prints a line a second and then waits for an approval, and an incident
# nobody has acknowledged, so a newcomer can follow the one live, approve
# it and acknowledge the other in the browser.
set -euo pipefail

BIN=${1:-build/bin}
BIN=$(cd "$BIN" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/rota-demo.XXXXXX")
PIDS=()

stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
on_exit() {
	local rc=$?
	stop_all
	if [ $rc -ne 0 ]; then
		echo
		echo "demo failed (exit $rc); logs are in $DEMO:"
		for f in "$DEMO"/*.log; do echo "--- $f"; tail -n 20 "$f"; done
	else
		rm -rf "$DEMO"
	fi
}
trap on_exit EXIT

say() {
	if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi
}

say "rota lint runbooks/*.yaml"
"$BIN/rota" lint "$ROOT"/runbooks/*.yaml

mkdir -p "$DEMO/runbooks"
cp "$ROOT"/runbooks/*.yaml "$DEMO/runbooks/"

say "starting a webhook receiver for the demo's escalation policy"
"$BIN/rota-testreceiver" "$DEMO/receiver.port" "$DEMO/receiver.jsonl" >"$DEMO/receiver.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$DEMO/receiver.port" ] && break; sleep 0.05; done
RECV=http://127.0.0.1:$(cat "$DEMO/receiver.port")
echo "receiver on $RECV"
# Tiers seconds apart instead of minutes, so the demo shows the climb.
cat >"$DEMO/coordinator.yaml" <<YAML
channels:
  oncall:   { webhook: { url: "$RECV/oncall" } }
  lead:     { webhook: { url: "$RECV/team-lead" } }
  managers: { webhook: { url: "$RECV/managers" } }
escalation:
  deadlines: { P1: 8s }
  policies:
    default:
      - { after: 0s, notify: [oncall] }
      - { after: 5s, notify: [lead] }
      - { after: 10s, notify: [managers] }
YAML
say "rota-coordinator --init: keys for the coordinator and an admin; a key per worker"
"$BIN/rota-coordinator" --init "$DEMO/data" >"$DEMO/init.log"
export ROTA_CONFIG=$DEMO/data/cli.conf # rota speaks with the admin key
mkdir -p "$DEMO/keys"
for id in web-1 web-2 db-1; do
	"$BIN/rota" keygen "$id" --out "$DEMO/keys" >/dev/null
	cp "$DEMO/keys/$id.key" "$DEMO/data/authorized_workers/$id"
done
echo "CURVE on both endpoints; authorized workers: $(ls "$DEMO/data/authorized_workers" | tr '\n' ' ')"

say "starting rota-coordinator (data in $DEMO/data)"
"$BIN/rota-coordinator" --data-dir "$DEMO/data" --runbooks "$DEMO/runbooks" \
	--config "$DEMO/coordinator.yaml" \
	--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" --http 127.0.0.1:0 \
	>"$DEMO/coordinator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -f "$DEMO/data/endpoints" ] && break; sleep 0.05; done
[ -f "$DEMO/data/endpoints" ] || { echo "the coordinator did not start"; exit 1; }
WORKER_EP=$(sed -n 's/^worker=//p' "$DEMO/data/endpoints")
export ROTA_COORDINATOR=$(sed -n 's/^api=//p' "$DEMO/data/endpoints")
echo "workers connect to $WORKER_EP; rota talks to $ROTA_COORDINATOR"
CONSOLE=http://$(sed -n 's/^http=//p' "$DEMO/data/endpoints")/

# sign_in: the console's address and a one-time sign-in link for the
# admin key the demo's rota uses (short-lived: it is printed again at the
# end with KEEP=1).
sign_in() {
	echo "web console: $CONSOLE"
	local out
	if out=$("$BIN/rota" web login 2>&1); then
		echo "sign in (one-time link, opens the console): $(grep -Eo 'https?://[^ ]+' <<<"$out" | head -n 1)"
	else
		echo "no sign-in link: rota web login said: $out"
	fi
}
sign_in

say "starting three workers"
start_worker() {
	local id=$1
	shift
	"$BIN/rota-worker" --coordinator "$WORKER_EP" --id "$id" --spool "$DEMO/spool-$id" \
		--key "$DEMO/keys/$id.key_secret" --coordinator-key "$DEMO/data/coordinator.key" "$@" \
		>"$DEMO/worker-$id.log" 2>&1 &
	PIDS+=($!)
}
start_worker web-1 --label role=web --label zone=a
start_worker web-2 --label role=web --label zone=b
start_worker db-1 --label role=db --label zone=a
for _ in $(seq 100); do
	[ "$("$BIN/rota" workers 2>/dev/null | grep -c ' connected ')" -ge 3 ] && break
	sleep 0.1
done
"$BIN/rota" workers
"$BIN/rota" status

say "rota submit daily-health-check --wait"
set +e
"$BIN/rota" submit daily-health-check --wait
rc=$?
set -e
RUN=$("$BIN/rota" runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)

say "rota show $RUN"
"$BIN/rota" show "$RUN"

say "adding a copy of daily-health-check scheduled every minute: rota reload"
sed -e 's/^name: daily-health-check$/name: health-every-minute/' \
	-e '/^schedule:/,/^targets:/{/^targets:/!d;}' \
	-e 's/^targets:/schedule: { cron: "* * * * *", timezone: UTC }\ntargets:/' \
	"$ROOT/runbooks/daily-health-check.yaml" >"$DEMO/runbooks/health-every-minute.yaml"
"$BIN/rota" reload
"$BIN/rota" schedules

now=$(date -u +%s)
wait_s=$((60 - now % 60))
say "waiting ${wait_s}s for the scheduler to fire health-every-minute on its own"
SCHED=""
for _ in $(seq $(((wait_s + 30) * 4))); do
	SCHED=$("$BIN/rota" runs --json | tr '{' '\n' |
		sed -n '/"runbook": *"health-every-minute"/s/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
	[ -n "$SCHED" ] && break
	sleep 0.25
done
[ -n "$SCHED" ] || { echo "the schedule did not fire"; exit 1; }
for _ in $(seq 120); do
	"$BIN/rota" show "$SCHED" --json | grep -q '"status": *"running"' || break
	sleep 0.25
done

say "rota show $SCHED (started by the scheduler)"
"$BIN/rota" show "$SCHED"

say "rota runs"
"$BIN/rota" runs

say "rota incident open service-down --severity P1 --title 'demo: api down on web-1' -p service=app --target web-1"
OPENED=$("$BIN/rota" incident open service-down --severity P1 --title "demo: api down on web-1" -p service=app \
	--target web-1)
echo "$OPENED"
# A scheduled run that failed above has opened an incident of its own: this
# one's id is the first word.
INC=$(head -n 1 <<<"$OPENED" | cut -d' ' -f1)
say "nobody acknowledges: waiting 11s while it escalates"
sleep 11
"$BIN/rota" incident show "$INC"
say "what the receiver got (one line per notification)"
sed -e 's/.*"path":"\([^"]*\)".*"status":\([0-9]*\).*"idempotency_key":"\([^"]*\)".*/  POST \1 -> \2 (\3)/' \
	"$DEMO/receiver.jsonl"
say "rota ack $INC, then rota resolve $INC"
"$BIN/rota" ack "$INC" --note "demo: on it"
"$BIN/rota" resolve "$INC" --note "demo: the api is back"
sleep 1
"$BIN/rota" incidents

if [ -n "${KEEP:-}" ] && [ "${KEEP:-}" != 0 ]; then
	# A runbook for the console: a step that prints a line a second (follow
	# it live), then one that waits for someone to approve it.
	cat >"$DEMO/runbooks/console-tour.yaml" <<'YAML'
name: console-tour
description: Prints a line a second for a minute, then waits for an approval in the console.
targets: { labels: { role: web } }
steps:
  - id: count
    shell: { run: "for i in $(seq 60); do echo \"line $i of 60\"; sleep 1; done" }
  - id: go_ahead
    manual:
      prompt: Approve to finish the tour (or reject it).
      timeout: 1h
  - id: done
    shell: { run: "echo approved: the run went on" }
YAML
	"$BIN/rota" reload >/dev/null
	TOUR=$("$BIN/rota" submit console-tour)
	OPEN=$("$BIN/rota" incident open service-down --severity P2 \
		--title "demo: acknowledge me in the console" --target web-2 | head -n 1 | cut -d' ' -f1)
	say "the demo keeps running (KEEP=1): open the console"
	sign_in
	echo "a run to follow live and approve: ${CONSOLE}runs/$TOUR"
	echo "an incident to acknowledge:      ${CONSOLE}incidents/$OPEN"
	echo "another sign-in link: ROTA_CONFIG=$ROTA_CONFIG ROTA_COORDINATOR=$ROTA_COORDINATOR $BIN/rota web login"
	echo "press Ctrl-C to stop the demo"
	# The tour's run is cancelled first: a worker stopping waits for the
	# step it runs (its drain), which would hold the demo's end.
	trap 'echo; "$BIN/rota" cancel "$TOUR" >/dev/null 2>&1 || true; exit 0' INT TERM
	while kill -0 "${PIDS[1]}" 2>/dev/null; do sleep 1; done
	echo "the coordinator stopped"
	exit 1
fi

say "stopping"
stop_all
PIDS=()
echo "stopped the coordinator and the workers"
if [ $rc -eq 0 ]; then
	echo "daily-health-check succeeded on every host."
else
	echo "daily-health-check failed on at least one host (see above); the demo itself worked."
fi
