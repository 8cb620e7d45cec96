# A runbook step runs another runbook of the catalog on the same host,
# through a real coordinator, worker and store: the called runbook's steps
# run as the caller's own (ids "cleanup.ID"), with the param the step
# passes; `rota show` groups them under the step; a change of the called
# runbook reaches its caller on reload; a cycle is refused at load; a file
# sent with `rota submit FILE` may call the catalog's runbooks too; and a
# called runbook's manual step is approved after a coordinator restart.
. "$(dirname "$0")/lib.sh"
rota_setup

RUNBOOKS=$T/runbooks
mkdir -p "$RUNBOOKS" "$T/data"
echo old >"$T/data/a.log"
cat >"$RUNBOOKS/clean-dir.yaml" <<'YAML'
name: clean-dir
description: what is in a directory, and a cleanup when it holds too many files
params:
  path: { default: /nonexistent }
  keep: { default: 5, type: int }
steps:
  - id: count
    file_check: { path: "{{ params.path }}/*.log", min_count: "{{ params.keep }}" }
    record: logs
  - id: clean
    when: { failed: count }
    shell: "echo cleaning {{ params.path }}"
  - id: after
    shell: "echo v1 kept {{ params.keep }} in {{ params.path }}"
YAML
cat >"$RUNBOOKS/nightly.yaml" <<'YAML'
name: nightly
description: nightly duties, one of them another runbook
params:
  dir: { default: /nonexistent }
steps:
  - id: hello
    shell: "echo nightly starts"
  - id: cleanup
    runbook: clean-dir
    params: { path: "{{ params.dir }}" }
  - id: bye
    shell: "echo nightly ends"
YAML
cat >"$RUNBOOKS/loop-a.yaml" <<'YAML'
name: loop-a
steps:
  - id: to-b
    runbook: loop-b
YAML
cat >"$RUNBOOKS/loop-b.yaml" <<'YAML'
name: loop-b
steps:
  - id: to-a
    runbook: loop-a
YAML

start_coordinator
start_worker w1
wait_workers 1

# run_it ARGS...: submits, waits for the end; sets RUN.
run_it() {
	RUN=$(rota submit "$@" --target w1) || fail "submit refused"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "run $RUN to end"
}
steps() {
	store "SELECT $(sql_agg "step_id || ':' || status" ' ') FROM (SELECT step_id, status FROM step_runs WHERE run_id = '$RUN' ORDER BY position, attempt) s"
}

# ---- the called runbook's steps run with the param the step passes --------
run_it nightly -p dir="$T/data"
assert_eq "$(run_status "$RUN")" 3 "the run of nightly succeeded"
# count fails (1 file, keep 5), clean remedies it, after runs.
assert_eq "$(steps)" "hello:4 cleanup.count:5 cleanup.clean:4 cleanup.after:4 bye:4" \
	"the called runbook's steps in the caller's run, in order"
show=$(rota show "$RUN")
has_line "$show" "^  cleanup +runbook +the steps of the runbook cleanup runs" || fail "rota show: no line for the call: $show"
has_line "$show" "^    cleanup.count +failed \(handled\) +1 .*$T/data/\*.log: 1 file" || fail "rota show: cleanup.count: $show"
has_line "$show" "^    cleanup.after +succeeded +0 " || fail "rota show: cleanup.after: $show"
has_line "$show" "^  bye +succeeded" || fail "rota show: bye, not in the group: $show"
assert_contains "$show" "v1 kept 5 in $T/data" "the bound param and the called runbook's default"
has_line "$show" "^cleanup.path +$T/data +runbook step cleanup \(clean-dir\) +w1$" || fail "rota show: where cleanup.path came from: $show"
has_line "$show" "^cleanup.keep +5 +runbook step cleanup \(clean-dir\) +w1$" || fail "rota show: where cleanup.keep came from: $show"
assert_contains "$show" "cleaning $T/data" "the remedy of the called runbook ran"
logs=$(rota logs "$RUN" --raw)
assert_contains "$logs" "w1 cleanup.after | v1 kept 5 in $T/data" "rota logs of a called step"
assert_contains "$logs" "w1 hello | nightly starts" "rota logs of the caller's step"
assert_eq "$(store "SELECT value FROM recorded_values WHERE runbook = 'nightly' AND name = 'logs'")" "" \
	"a failed check records nothing"

# ---- a cycle is an error at load; the rest is served ------------------------
runbooks=$(rota runbooks 2>&1)
assert_contains "$runbooks" "loop-a.yaml:3:5: runbook step 'to-b' makes a cycle: loop-a -> loop-b -> loop-a" \
	"a cycle named at the step"
assert_contains "$runbooks" "loop-b.yaml:3:5: runbook step 'to-a' makes a cycle: loop-b -> loop-a -> loop-b" \
	"the cycle named in the other file too"
run_rota 4 -- submit loop-a --target w1
assert_contains "$ERR" "unknown runbook 'loop-a'" "a runbook in a cycle is not served"

# ---- the called runbook changes: its caller runs the new one after reload ----
sed -i 's/echo v1 kept/echo v2 kept/' "$RUNBOOKS/clean-dir.yaml"
touch "$T/data/b.log"
run_rota 1 -- reload # 1: the two runbooks of the cycle are still invalid
run_it nightly -p dir="$T/data"
assert_contains "$(rota logs "$RUN" --raw)" "w1 cleanup.after | v2 kept 5 in $T/data" "the new version after reload"

# ---- a file sent with rota submit calls the catalog's runbook -------------
cat >"$T/adhoc.yaml" <<YAML
name: adhoc-compose
steps:
  - id: check
    runbook: clean-dir
    params: { path: "$T/data", keep: 2 }
YAML
run_it "$T/adhoc.yaml"
assert_eq "$(steps)" "check.count:4 check.clean:8 check.after:4" "an ad-hoc file's runbook step"
assert_eq "$(store "SELECT value FROM recorded_values WHERE runbook = 'adhoc:adhoc-compose' AND name = 'logs'")" "2" \
	"a called check records under the caller's name"
cat >"$T/bad.yaml" <<YAML
name: adhoc-bad
steps:
  - id: check
    runbook: clean-dir
    params: { pth: /x }
YAML
run_rota 4 -- submit "$T/bad.yaml" --target w1
assert_contains "$ERR" "bad.yaml:3:5: runbook clean-dir has no param 'pth' (its params: path, keep)" \
	"an unknown param, at the step"
# ---- a called runbook's approval, across a coordinator restart -------------
# The run keeps the runbooks it called: restarted, the coordinator resumes
# it with the called runbook's own `when` (the fallback stays skipped).
cat >"$RUNBOOKS/confirm-it.yaml" <<'YAML'
name: confirm-it
params:
  what: { default: nothing }
steps:
  - id: ask
    manual: { prompt: "go on with {{ params.what }}?" }
  - id: fallback
    when: { failed: ask }
    shell: "echo fallback"
  - id: done
    shell: "echo confirmed {{ params.what }}"
YAML
cat >"$RUNBOOKS/gated.yaml" <<'YAML'
name: gated
params:
  thing: { default: a-release }
steps:
  - id: gate
    runbook: confirm-it
    params: { what: "{{ params.thing }}" }
YAML
run_rota 1 -- reload
RUN=$(rota submit gated --target w1) || fail "submit of gated refused"
wait_for '[ "$(store "SELECT status FROM step_runs WHERE run_id = '"'$RUN'"' AND step_id = '"'gate.ask'"'")" = 11 ]' 30 \
	"gate.ask to wait for approval"
assert_contains "$(rota show "$RUN")" "go on with a-release?" "the prompt with the bound param"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
restart_coordinator
wait_workers 1
run_rota 0 -- approve "$RUN" gate.ask
wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "run $RUN to end"
assert_eq "$(steps)" "gate.ask:4 gate.fallback:8 gate.done:4" "the called runbook's when after a restart"
assert_not_contains "$(cat "$T/coordinator.log")" "no longer parses" "the run's copy read back"
assert_contains "$(rota logs "$RUN" --raw)" "w1 gate.done | confirmed a-release" "the step after the approval"
pass "runbook steps: params bound, steps grouped in rota show, reload, cycles, ad-hoc files, an approval across a restart"
