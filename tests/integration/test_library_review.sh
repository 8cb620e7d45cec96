# The library's review runbooks end to end, on one coordinator and one real
# worker:
# - capacity-review against a real Prometheus (Debian's prometheus) that
#   holds eight days of node_exporter and HTTP series, written as blocks by
#   promtool before it starts (nothing is scraped, so nothing is waited
#   for): its shipped queries over [1w] and [1d] pass on a healthy fleet,
#   recording the busiest instance's weekly CPU; the same queries with
#   lower triggers fail, each naming the instance or job past its trigger,
#   every trigger checked, and a doubled weekly CPU fails as a regression
#   against the last review; it runs on the host labelled
#   capacity_review=yes;
# - monthly-security-audit on the coordinator alone: its checklist reaches a
#   real webhook receiver, the two sign-offs wait in turn and rota approve
#   ends the run succeeded with the closing notice; a rejected access review
#   fails the run and skips the rest;
# - documentation-review on the coordinator alone: checklist, sign-off;
# - the three schedules' next slots (first Mondays, Wednesdays);
# - docs/library.md is exact: its index names every file in runbooks/, each
#   test it cites exists, and it points at nothing outside the repository.
. "$(dirname "$0")/lib.sh"
rota_setup

# ==== docs/library.md against the tree =======================================
# One python3 run (a process per file would cost seconds on a loaded machine).
problems=$(python3 - "$ROTA_SOURCE_DIR" <<'PY'
import os, re, sys
src = sys.argv[1]
doc = open(os.path.join(src, "docs/library.md")).read()
books = sorted(f[:-5] for f in os.listdir(os.path.join(src, "runbooks")) if f.endswith(".yaml"))
index = doc.split("## Every runbook and its test", 1)[1].split("\n## ", 1)[0]
rows = re.findall(r"^\| `([a-z0-9-]+)` \|.*\| integration\.([a-z0-9_]+) \|$", index, re.M)
named = [b for b, _ in rows]
for b in books:
    if named.count(b) != 1:
        print(f"docs/library.md's index has {named.count(b)} rows for runbooks/{b}.yaml, not 1")
for b in set(named) - set(books):
    print(f"docs/library.md's index names {b}, which is not in runbooks/")
def script(kind, name):
    return os.path.join(src, "tests", kind, "test_" + name + (".sh" if kind == "integration" else ".c"))
for b, t in rows:
    path = script("integration", t)
    if os.path.exists(path) and b not in open(path).read():
        print(f"docs/library.md says integration.{t} runs {b}, but test_{t}.sh never names it")
for kind, name in set(re.findall(r"\b(integration|unit)\.([a-z0-9_]+)", doc)):
    if not os.path.exists(script(kind, name)):
        print(f"docs/library.md cites {kind}.{name}, which is not a test ({os.path.relpath(script(kind, name), src)})")
for n, line in enumerate(doc.splitlines(), 1):
    if "../shared" in line or "/work/" in line:
        print(f"docs/library.md:{n} points outside the repository: {line.strip()}")
PY
) || fail "the check of docs/library.md did not run"
[ -z "$problems" ] || fail "docs/library.md is not exact:
$problems"
pass "docs/library.md names every shipped runbook once and only tests that exist"

SUCCEEDED=4
FAILED=5
WAITING=11
RUN_SUCCEEDED=3
RUN_FAILED=4
for tool in prometheus promtool python3; do
	command -v "$tool" >/dev/null || fail "$tool is not installed (deploy/install-deps.sh installs it)"
done

# ---- eight days of hourly samples up to now, as OpenMetrics --------------
# CPU busy on average: a 30%, b 45% (one core each); memory in use: a 50%,
# b 60%; response time: api 0.2 s, batch 0.5 s, idle served nothing;
# errors: api 1 in 1000 (0.1%), batch none (no 5xx series at all).
python3 - "$(date +%s)" >"$T/history.om" <<'PY'
import sys
now = int(sys.argv[1])
hours = 8 * 24
ts = [now - (hours - i) * 3600 for i in range(hours + 1)]
def family(name, series):
    for labels, per_hour in series:
        for i, t in enumerate(ts):
            value = per_hour(i)
            print(f'{name}{{{labels}}} {value} {t}')
family("node_cpu_seconds_total", [
    ('instance="a:9100",cpu="0",mode="idle"', lambda i: 0.70 * 3600 * i),
    ('instance="b:9100",cpu="0",mode="idle"', lambda i: 0.55 * 3600 * i)])
family("node_memory_MemTotal_bytes", [
    ('instance="a:9100"', lambda i: 8e9), ('instance="b:9100"', lambda i: 8e9)])
family("node_memory_MemAvailable_bytes", [
    ('instance="a:9100"', lambda i: 4e9), ('instance="b:9100"', lambda i: 3.2e9)])
family("http_request_duration_seconds_sum", [
    ('instance="api-1:8080",job="api"', lambda i: 200 * i),
    ('instance="batch-1:8080",job="batch"', lambda i: 50 * i),
    ('instance="idle-1:8080",job="idle"', lambda i: 0)])
family("http_request_duration_seconds_count", [
    ('instance="api-1:8080",job="api"', lambda i: 1000 * i),
    ('instance="batch-1:8080",job="batch"', lambda i: 100 * i),
    ('instance="idle-1:8080",job="idle"', lambda i: 0)])
family("http_requests_total", [
    ('instance="api-1:8080",job="api",code="200"', lambda i: 999 * i),
    ('instance="api-1:8080",job="api",code="500"', lambda i: 1 * i),
    ('instance="batch-1:8080",job="batch",code="200"', lambda i: 100 * i)])
print("# EOF")
PY
# Written while the coordinator and the workers start.
promtool tsdb create-blocks-from openmetrics --max-block-duration=240h "$T/history.om" "$T/prom" \
	>"$T/promtool.log" 2>&1 &
PROMTOOL_PID=$!
echo 'global: { scrape_interval: 1m }' >"$T/prometheus.yml"

RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS"
cp "$ROTA_SOURCE_DIR/runbooks/capacity-review.yaml" "$ROTA_SOURCE_DIR/runbooks/documentation-review.yaml" \
	"$ROTA_SOURCE_DIR/runbooks/monthly-security-audit.yaml" "$RUNBOOKS/"
start_receiver
receiver_config security
start_coordinator --config "$T/config.yaml"
start_worker w1 --label capacity_review=yes
start_worker w2
wait_workers 2
wait "$PROMTOOL_PID" || fail "promtool could not write the blocks: $(tail -5 "$T/promtool.log")"
start_prometheus # it opens the blocks while the audit runs

# sent TEXT: how many notices holding TEXT the receiver took (2xx).
sent() { grep -F "$1" "$T/recv.jsonl" | grep -c '"ok":true' || true; }
run_of() { store "SELECT id FROM runs WHERE runbook = '$1' ORDER BY created_ms DESC, id DESC LIMIT 1"; }
# step RUN HOST STEP: STATUS|DETAIL of the step's last attempt.
step() {
	store "SELECT status || '|' || COALESCE(detail, '') FROM step_runs WHERE run_id = '$1'
	       AND host = '$2' AND step_id = '$3' ORDER BY attempt DESC LIMIT 1"
}

# ==== monthly-security-audit (no worker involved) ============================
run_rota 0 -- submit monthly-security-audit
audit=$(run_of monthly-security-audit)
wait_for '[ "$(sent "The monthly security audit is due (run $audit)")" = 1 ]' 10 "the audit checklist"
assert_contains "$(grep -F "audit is due (run $audit)" "$T/recv.jsonl")" \
	"rota approve $audit access_review" "the checklist says how to sign off"
wait_for '[ "$(step "$audit" @coordinator access_review | cut -d"|" -f1)" = $WAITING ]' 10 \
	"the access review to wait"
run_rota 0 -- show "$audit"
has_line "$OUT" "access_review .*waiting" "rota show of the waiting access review"
run_rota 0 -- approve "$audit" access_review --note "removed bob's key"
wait_for '[ "$(step "$audit" @coordinator infrastructure_review | cut -d"|" -f1)" = $WAITING ]' 10 \
	"the infrastructure review to wait"
run_rota 0 -- approve "$audit" infrastructure_review --note "ports and rules as listed"
wait_for '[ "$(run_status "$audit")" = $RUN_SUCCEEDED ]' 10 "the signed-off audit to succeed"
wait_for '[ "$(sent "The monthly security audit $audit is signed off")" = 1 ]' 10 "the closing notice"
pass "monthly-security-audit: checklist sent, two sign-offs in turn, closing notice"

run_rota 0 -- submit monthly-security-audit
rejected=$(run_of monthly-security-audit)
wait_for '[ "$(step "$rejected" @coordinator access_review | cut -d"|" -f1)" = $WAITING ]' 10 \
	"the second audit's access review to wait"
run_rota 0 -- reject "$rejected" access_review --note "leavers not checked"
wait_for '[ "$(run_status "$rejected")" = $RUN_FAILED ]' 10 "the rejected audit to fail"
assert_not_contains "$(step "$rejected" @coordinator infrastructure_review)" "$WAITING|" \
	"the infrastructure review after a rejected access review"
assert_eq "$(sent "The monthly security audit $rejected is signed off")" 0 \
	"closing notices of the rejected audit"
pass "monthly-security-audit: a rejected access review fails the run and nothing more is asked"

# ==== documentation-review (no worker involved) ==============================
run_rota 0 -- submit documentation-review
docs=$(run_of documentation-review)
wait_for '[ "$(sent "The monthly documentation review is due (run $docs)")" = 1 ]' 10 \
	"the documentation checklist"
wait_for '[ "$(step "$docs" @coordinator sign_off | cut -d"|" -f1)" = $WAITING ]' 10 \
	"the documentation sign-off to wait"
run_rota 0 -- approve "$docs" sign_off --note "high-cpu: a missing step added"
wait_for '[ "$(run_status "$docs")" = $RUN_SUCCEEDED ]' 10 "the signed-off review to succeed"
pass "documentation-review: checklist sent, sign-off waits, rota approve ends it"

# ==== capacity-review against Prometheus ======================================
# A port chosen free may be taken before prometheus binds it: then it exits
# and is started again on another.
for try in 1 2 3; do
	end=$((SECONDS + $(patience 15)))
	while [ $SECONDS -lt $end ] && kill -0 "$PROM_PID" 2>/dev/null &&
		! curl -fsS "$P/-/ready" >/dev/null 2>&1; do sleep 0.1; done
	curl -fsS "$P/-/ready" >/dev/null 2>&1 && break
	kill "$PROM_PID" 2>/dev/null || true
	start_prometheus
done
curl -fsS "$P/-/ready" >/dev/null 2>&1 || fail "prometheus did not start: $(tail -5 "$T/prometheus.log")"

# submit_capacity ARGS...: rota submit --wait (no --target: the label picks
# w1); sets RUN and RC.
submit_capacity() {
	set +e
	rota submit capacity-review --wait -p "prometheus_url=$P" "$@" >"$T/submit.out" 2>&1
	RC=$?
	set -e
	RUN=$(run_of capacity-review)
}
submit_capacity
[ "$RC" -eq 0 ] || fail "capacity-review on a healthy fleet (exit $RC): $(cat "$T/submit.out") $(rota logs "$RUN" 2>&1)"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$RUN' AND host = 'w2'")" 0 \
	"steps on w2, which has no capacity_review label"
assert_contains "$(step "$RUN" w1 cpu)" "$SUCCEEDED|all 2 series of " "cpu over a week"
assert_contains "$(step "$RUN" w1 cpu)" " are < 70 (" "cpu over a week"
assert_contains "$(step "$RUN" w1 memory)" "$SUCCEEDED|all 2 series of " "memory over a week"
# The idle job served nothing over the day: it is left out, not a failure.
assert_contains "$(step "$RUN" w1 latency)" "$SUCCEEDED|all 2 series of " "response time over a day"
# batch has no 5xx series at all: 0, not "no data".
assert_contains "$(step "$RUN" w1 errors)" "$SUCCEEDED|all 2 series of " "error rate over a day"
assert_contains "$(step "$RUN" w1 cpu_trend)" "recorded cpu_week_peak_pct = 45" "the weekly peak recorded"
assert_contains "$(step "$RUN" w1 cpu_trend)" "the first: no baseline yet" "the first review"
pass "capacity-review: the shipped [1w] and [1d] queries pass on a healthy fleet, on the labelled host"

# Lower triggers, and a weekly CPU that doubled since the last review.
default_cpu=$(sed -n '/^  cpu_query:/,/^    description/p' "$RUNBOOKS/capacity-review.yaml" |
	sed -n 's/^      \(100 .*\)$/\1/p')
[ -n "$default_cpu" ] || fail "cpu_query's default not found in capacity-review.yaml"
submit_capacity -p "cpu_query=2 * ($default_cpu)" -p max_memory_pct=55 -p max_latency_seconds=0.3 \
	-p max_error_ratio=0.0005
[ "$RC" -ne 0 ] || fail "capacity-review past its triggers succeeded: $(cat "$T/submit.out")"
assert_contains "$(step "$RUN" w1 cpu)" "$FAILED|1 of 2 series of " "cpu past its trigger"
assert_contains "$(step "$RUN" w1 cpu)" '{instance="b:9100"} = 90' "the instance past the cpu trigger"
assert_contains "$(step "$RUN" w1 memory)" '{instance="b:9100"} = 60' "the instance past the memory trigger"
assert_contains "$(step "$RUN" w1 memory)" "$FAILED|" "memory, checked after cpu failed"
assert_contains "$(step "$RUN" w1 latency)" '{job="batch"} = 0.5' "the job past the response time trigger"
assert_contains "$(step "$RUN" w1 errors)" '{job="api"} = 0.001' "the job past the error rate trigger"
assert_contains "$(step "$RUN" w1 cpu_trend)" "$FAILED|" "a doubled weekly CPU"
assert_contains "$(step "$RUN" w1 cpu_trend)" "more than the +25% allowed, a regression" "a doubled weekly CPU"
assert_eq "$(run_status "$RUN")" $RUN_FAILED "the run past its triggers"
pass "capacity-review: every trigger past its value fails, naming the series; a doubled CPU is a regression"

# ==== schedules ==================================================================
for book in monthly-security-audit capacity-review documentation-review; do
	ROTA_FAKE_NOW=2026-12-06T12:00:00Z run_rota 0 -- schedules --next 2 "$RUNBOOKS/$book.yaml"
	echo "$OUT" >"$T/next-$book"
done
assert_eq "$(cat "$T/next-monthly-security-audit")" "2026-12-07 13:00:00 UTC  (2026-12-07 13:00:00 UTC)
2027-01-04 13:00:00 UTC  (2027-01-04 13:00:00 UTC)" "the audit's next slots (first Mondays)"
assert_eq "$(cat "$T/next-capacity-review")" "2026-12-09 10:00:00 UTC  (2026-12-09 10:00:00 UTC)
2026-12-16 10:00:00 UTC  (2026-12-16 10:00:00 UTC)" "the capacity review's next slots (Wednesdays)"
assert_eq "$(cat "$T/next-documentation-review")" "2026-12-07 15:00:00 UTC  (2026-12-07 15:00:00 UTC)
2027-01-04 15:00:00 UTC  (2027-01-04 15:00:00 UTC)" "the documentation review's next slots (first Mondays)"
pass "the audit and the documentation review are due on the first Monday, the capacity review on Wednesdays"
