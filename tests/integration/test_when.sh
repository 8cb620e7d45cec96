# when, retries and always on real workers: the remediation runs only on the
# host whose check failed (and handles it), a flaky step is retried as
# attempt 2, the cleanup runs everywhere; a known worker that is away is
# listed as unreachable and fails the run.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1 --label role=web
start_worker w2 --label role=api
start_worker w3 --label role=db
wait_workers 3
# A crash (SIGKILL): w3 is lost. One stopped with SIGTERM says Goodbye
# and is stopped, which runs skip instead (test_worker_stopped).
kill -KILL "$WORKER_PID_w3"
wait_for "rota workers | grep -q 'w3 .* lost'" 20 "w3 to be lost"
mkdir -p "$T/state"

# submit_wait NAME FILE [ARG...]: rota submit FILE ARG... --wait, whatever
# it ends with: what it printed in $T/NAME.out, its exit code in rc, and
# the run (of runbook adhoc:NAME) in run.
submit_wait() {
	local name=$1 file=$2
	shift 2
	rc=0
	rota submit "$file" "$@" --wait >"$T/$name.out" 2>&1 || rc=$?
	run=$(store "SELECT id FROM runs WHERE runbook = 'adhoc:$name'")
}

submit_wait remediate "$FIXTURES/remediate.yaml" -p state="$T/state"
steps=$(store "SELECT host || ':' || step_id || '#' || attempt || ':' || status FROM step_runs WHERE run_id = '$run' ORDER BY host, position, attempt" | tr '\n' ' ')
assert_eq "$steps" "w1:check#1:4 w1:restart#1:8 w1:flaky#1:5 w1:flaky#2:4 w1:cleanup#1:4 w2:check#1:5 w2:restart#1:4 w2:flaky#1:5 w2:flaky#2:4 w2:cleanup#1:4 w3:check#1:12 w3:restart#1:12 w3:flaky#1:12 w3:cleanup#1:12 " \
	"steps, attempts and statuses"
assert_contains "$(rota logs "$run" --host w2)" "restarted on w2" "w2's remediation output"
assert_not_contains "$(rota logs "$run" --host w1)" "restarted" "w1's output"
assert_eq "$(store "SELECT detail FROM step_runs WHERE run_id = '$run' AND host = 'w1' AND step_id = 'restart'")" \
	"not run: it runs when step check fails, and it succeeded" "why w1 skipped the restart"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run' AND host = 'w3' AND step_id = 'check'")" \
	"worker w3 was not connected when the run started" "w3's detail"
# w1 and w2 are fine (w2's failure was handled); unreachable w3 fails the run.
assert_eq "$(store "SELECT hosts_ok || '/' || hosts_failed FROM runs WHERE id = '$run'")" "2/1" "hosts ok/failed"
assert_eq "$rc" 1 "submit --wait exit code"
show=$(rota show "$run")
assert_contains "$show" "unreachable" "rota show"
assert_contains "$show" "flaky#2" "rota show numbers the second attempt"
# The host lines under --wait and rota show follow the run's verdict: w2's
# check failed but was handled, so w2 is not a failed host.
grep -Eq '^w2 +succeeded +' "$T/remediate.out" ||
	fail "submit --wait calls remediated w2 failed: $(cat "$T/remediate.out")"
grep -Eq '^w3 +unreachable +' "$T/remediate.out" ||
	fail "submit --wait host line of w3: $(cat "$T/remediate.out")"
grep -Eq '^  check +failed \(handled\) ' <<<"$show" || fail "rota show marks w2's check handled: $show"
pass "when: failed remediates only where the check failed; retries and always work; unreachable hosts are listed"

# A continue_on_failure step that fails does not fail its host: the run
# succeeds, and neither --wait's host line nor rota show calls it failed.
cat >"$T/optional.yaml" <<'EOF'
name: optional
targets: { hosts: w1 }
steps:
  - id: extra
    continue_on_failure: true
    shell: "echo optional check failed; exit 1"
  - id: main
    shell: "echo main ok"
EOF
rota submit "$T/optional.yaml" --wait >"$T/optional.out" 2>&1 || fail "optional run failed: $(cat "$T/optional.out")"
grep -Eq '^w1 +succeeded +1/2 *$' "$T/optional.out" || fail "submit --wait host line: $(cat "$T/optional.out")"
assert_contains "$(cat "$T/optional.out")" "1 ok, 0 failed" "run line"
show=$(rota show last)
grep -Eq '^  extra +failed \(handled\) +1 ' <<<"$show" || fail "rota show of a continue_on_failure step: $show"
assert_contains "$(rota show last --json)" '"step_id":"extra","position":0,"attempt":1,"status":"failed","handled":true' "show --json"
assert_contains "$(rota show last --json)" '"step_id":"main","position":1,"attempt":1,"status":"succeeded","handled":false' "show --json"
pass "a failure that does not count (continue_on_failure, remediated) is not shown as a failed host"

# A label given a list of values matches any of them.
cat >"$T/pick.yaml" <<'EOF'
name: pick
targets: { labels: { role: [web, db] } }
steps:
  - id: say
    shell: 'echo picked {{ host.id }}'
EOF
submit_wait pick "$T/pick.yaml"
assert_eq "$(store "SELECT host || ':' || status FROM step_runs WHERE run_id = '$run' ORDER BY host" | tr '\n' ' ')" \
	"w1:4 w3:12 " "hosts of role web or db (w3 unreachable)"
pass "a label with a list of values matches any of them"

# A field its params leave invalid ends the step `error` with the reason,
# even on a host whose worker is away; a gated one is never judged.
cat >"$T/optin.yaml" <<'EOF'
name: optin
targets: { all: true }
params:
  url: { default: "" }
steps:
  - id: probe
    http_check: { url: "{{ params.url }}" }
  - id: after
    when: always
    shell: "echo after"
EOF
submit_wait optin "$T/optin.yaml"
assert_eq "$(store "SELECT host || ':' || step_id || ':' || status FROM step_runs WHERE run_id = '$run' ORDER BY host, position" | tr '\n' ' ')" \
	"w1:probe:10 w1:after:4 w2:probe:10 w2:after:4 w3:probe:12 w3:after:12 " "steps of optin"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run' AND host = 'w1' AND step_id = 'probe'")" \
	"must be an http:// or https:// URL" "why probe could not run"
pass "a field left invalid by its params ends the step error with the reason"
