# Answers that would not fit one frame (issue 12, defect 8): every one of
# these once made the CLI say "cannot reach the coordinator" (exit 3) for
# good, because libzmq drops a connection that brings a frame over
# WIRE_MAX_FRAME_BYTES.
#   - a run whose steps print long lines: `rota show` cuts each step's
#     preview (and the answer's previews together) and says so;
#   - a Hello with labels over the bounds is refused, the worker told why,
#     and `rota workers` keeps answering;
#   - an incident title over the bound is refused by the CLI and the
#     coordinator, naming the limit; titles already stored that would make
#     `rota incidents` too large get "answer too large", never "unreachable",
#     and --limit gets the rest.
. "$(dirname "$0")/lib.sh"
rota_setup
RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
# 12 steps each printing 10 lines of 50,000 characters: 6 MB of previews
# (the same as 300 steps of 10 lines of 2,000, in a fraction of the time).
{
	echo "name: chatty"
	echo "steps:"
	for i in $(seq 12); do
		echo "  - id: s$i"
		echo "    shell: \"for i in 1 2 3 4 5 6 7 8 9 10; do head -c 50000 /dev/zero | tr '\\\\0' x; echo; done\""
	done
} >"$RUNBOOKS/chatty.yaml"
cp "$FIXTURES/short.yaml" "$RUNBOOKS/"
cat >"$RUNBOOKS/paged.yaml" <<'YAML'
name: paged
triggers:
  - alertmanager: { alertname: LongSummary }
steps:
  - id: look
    shell: { run: "echo looking" }
YAML
rota lint "$RUNBOOKS/chatty.yaml" >/dev/null || fail "chatty.yaml does not lint: $(rota lint "$RUNBOOKS/chatty.yaml" 2>&1)"
start_coordinator
start_worker w1
wait_workers 1

# ---- rota show of a chatty run ------------------------------------------
run_rota 0 -- submit chatty --target w1
wait_for 'grep -q "(chatty) succeeded" "$T/coordinator.log"' 120 "the chatty run to succeed"
run_rota 0 -- show last
# (grep, not assert_contains: a failure would print megabytes)
grep -q "output preview cut; rota logs .* --host w1 shows all of it" <<<"$OUT" ||
	fail "rota show does not say a preview was cut"
grep -q "^  s12 " <<<"$OUT" || fail "rota show does not list step s12"
[ "${#OUT}" -lt 200000 ] || fail "rota show printed ${#OUT} bytes of previews"
run_rota 0 -- show last --json
grep -q '"tail_cut":true' <<<"$OUT" || fail "rota show --json has no tail_cut"
pass "rota show of 12 steps of 500 KB output answers, previews cut and said"

# ---- Hellos over the label bounds -----------------------------------------
for id in big1 big2; do
	got=$("$ROTA_TESTS_BIN/rota-testpeer" hello "$WORKER_EP" "$id" 64 51200) ||
		fail "no answer to $id's Hello"
	assert_contains "$got" "refused Hello refused: label k0 has a value of 51200 bytes; the limit is 256 bytes" "$id's Hello"
done
got=$("$ROTA_TESTS_BIN/rota-testpeer" hello "$WORKER_EP" many 65 8) || fail "no answer to many's Hello"
assert_contains "$got" "it has 65 labels; the limit is 64 labels" "a Hello with 65 labels"
got=$("$ROTA_TESTS_BIN/rota-testpeer" hello "$WORKER_EP" fits 64 256) || fail "no answer to fits' Hello"
assert_eq "$got" "welcome" "a Hello at the bounds"
run_rota 0 -- workers
assert_not_contains "$OUT" "big1" "rota workers"
assert_contains "$OUT" "fits" "rota workers"
# The worker itself refuses such a label before it connects.
set +e
"$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w9 --spool "$T/spool-w9" \
	--label "role=$(head -c 300 /dev/zero | tr '\0' v)" >"$T/w9.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "rota-worker started with a 300-byte label"
assert_contains "$(cat "$T/w9.out")" "its value is 300 bytes; the limit is 256 bytes" "rota-worker --label"
pass "Hellos over the label bounds are refused and told why; rota workers answers"

# ---- incident titles -------------------------------------------------------
LONG=$(head -c 600 /dev/zero | tr '\0' t)
run_rota 2 -- incident open short --title "$LONG" --target w1
assert_contains "$ERR" "--title is 600 bytes; the limit is 512 bytes" "incident open with a long title"
run_rota 0 -- incident open short --title "disk full" --target w1
run_rota 0 -- incident open short --title "disk full again" --target w1
# An alert is not refused for a long summary: its title is cut to the bound.
SUMMARY=$(head -c 2000 /dev/zero | tr '\0' s)
code=$(curl -s -o "$T/alert.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data-binary '{"receiver":"rota","status":"firing","alerts":[{"status":"firing",
	"labels":{"alertname":"LongSummary","instance":"w1:9100"},
	"annotations":{"summary":"'"$SUMMARY"'"},"startsAt":"2026-11-23T03:00:00Z",
	"endsAt":"0001-01-01T00:00:00Z","fingerprint":"5d1e"}],"groupLabels":{},
	"commonLabels":{},"commonAnnotations":{},"version":"4","groupKey":"{}:{a=\"b\"}",
	"truncatedAlerts":0}' "http://$HTTP_EP/v1/alerts/alertmanager")
assert_eq "$code" 202 "an alert with a 2000-byte summary: $(cat "$T/alert.out")"
assert_eq "$(store "SELECT length(title) || ' ' || substr(title, -4) FROM incidents WHERE source = 'alertmanager'")" \
	"512 s..." "the alert's incident title"
# Titles stored before the bound (or by a store edited by hand): 3 MiB each.
store "UPDATE incidents SET title = replace(hex(zeroblob(1572864)), '0', 'x')"
run_rota 4 -- incidents
assert_contains "$ERR" "rota: refused: answer too large (" "rota incidents over the frame limit"
assert_contains "$ERR" "--limit" "rota incidents over the frame limit"
assert_not_contains "$ERR" "cannot reach" "rota incidents over the frame limit"
run_rota 0 -- incidents --limit 1
pass "incident titles are bounded; an answer too large says so, --limit gets the rest"

# ---- workers stored before the bounds ---------------------------------------
# Two workers whose labels were stored when no bound held (3 MiB each), gone
# since: after a restart they are in every `rota workers` answer.
for id in old1 old2; do
	store "INSERT INTO workers (id, hostname, labels, version, state, last_seen_ms)
	       VALUES ('$id', 'h', 'role=' || replace(hex(zeroblob(1572864)), '0', 'x'), 'v', 'lost', 1)"
done
kill -TERM "$COORD_PID"
wait "$COORD_PID" || true
restart_coordinator
run_rota 4 -- workers
assert_contains "$ERR" "rota: refused: answer too large (" "rota workers with 6 MiB of stored labels"
assert_contains "$ERR" "--limit" "rota workers with 6 MiB of stored labels"
run_rota 0 -- workers --limit 1
has_line "$OUT" "^fits " "rota workers --limit 1"
has_line "$OUT" "^\(1 of 4 workers shown; --limit N for more\)" "rota workers --limit 1"
run_rota 0 -- workers remove old1
run_rota 0 -- workers remove old2
run_rota 0 -- workers
pass "stored workers over the bounds: answer too large, --limit, and workers remove"

# ---- the CLI given an oversized answer -------------------------------------
# No coordinator sends one now; a stand-in does, and the CLI says what it got.
mkdir -p "$T/fake"
"$ROTA_TESTS_BIN/rota-testpeer" api "$T/fake" >>"$T/fake-api.log" 2>&1 &
PIDS+=($!)
wait_for "[ -s '$T/fake/endpoints' ]" 10 "the stand-in to listen"
FAKE_EP=$(sed -n 's/^api=//p' "$T/fake/endpoints")
ROTA_COORDINATOR=$FAKE_EP run_rota 4 -- runs --limit 4321
assert_contains "$ERR" "sent an answer too large" "rota given an oversized answer"
assert_not_contains "$ERR" "cannot reach" "rota given an oversized answer"
pass "the CLI says an oversized answer is too large, not that the coordinator is unreachable"
