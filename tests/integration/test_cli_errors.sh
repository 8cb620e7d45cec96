# Refusals exit 4 with a message that says what and how to fix it; usage
# errors exit 2; an invalid runbook file is refused with file:line:column.
. "$(dirname "$0")/lib.sh"
rota_setup
# The runbook directory holds the shipped runbooks, a small one of this
# test's own (the refusals below are about the CLI, not the library), and
# one broken file: the coordinator reports the broken one with
# file:line:column and serves the rest.
mkdir -p "$T/runbooks"
cp "$ROTA_SOURCE_DIR"/runbooks/*.yaml "$T/runbooks/"
cat >"$T/runbooks/probe.yaml" <<'YAML'
name: probe
description: A shell-only runbook with a required and a defaulted param
targets: { all: true }
params:
  log_dir: { description: "no default, so that submit asks for it" }
  path: /
steps:
  - id: look
    shell:
      env: { D: "{{ params.log_dir }}", P: "{{ params.path }}" }
      run: ls -d -- "$D" "$P"
YAML
printf 'name: half\nsteps:\n  - id: a\n    shell: {run: "true", timout: 5s}\n' >"$T/runbooks/half.yaml"
RUNBOOKS=$T/runbooks start_coordinator
grep -q "half.yaml:4:.*unknown key 'timout'.*did you mean 'timeout'" "$T/coordinator.log" ||
	fail "the coordinator did not report half.yaml with its position"
nvalid=$(($(ls "$ROTA_SOURCE_DIR"/runbooks/*.yaml | wc -l) + 1))
grep -q "loaded $nvalid runbook(s) .* (1 invalid)" "$T/coordinator.log" || fail "valid runbooks not served"
start_worker w1 --label role=db
wait_workers 1

expect() { # expect CODE TEXT -- rota args...
	local code=$1 text=$2
	shift 3
	set +e
	local out
	out=$(rota "$@" 2>&1)
	local rc=$?
	set -e
	[ "$rc" = "$code" ] || fail "rota $*: exit $rc, expected $code: $out"
	assert_contains "$out" "$text" "rota $*"
}

expect 4 "unknown runbook 'no-such-book'" -- submit no-such-book
expect 4 "unknown runbook 'half'" -- submit half
expect 4 "daily-health-check" -- submit no-such-book
expect 4 "no param 'nope'" -- submit probe -p nope=1
expect 4 "needs param 'log_dir'" -- submit probe --target w1
expect 4 "no connected worker matches role=web" -- submit probe --target role=web -p log_dir=/
expect 4 "worker 'w9' is unknown" -- submit probe --target w9 -p log_dir=/
expect 4 "no run 'nonexistent'" -- show nonexistent
expect 2 "" -- submit probe -p novalue
expect 2 "" -- frobnicate
expect 2 "" --
# Usage errors of the newer commands name the fix, before any request.
expect 2 "approve needs RUN and STEP: rota approve last confirm" -- approve
expect 2 "reject needs RUN and STEP: rota reject last confirm" -- reject
expect 2 "got only 'last': rota approve last STEP" -- approve last
expect 2 "got 'dashboard' too; a note with spaces goes in quotes" -- approve last confirm dashboard green
expect 2 "--note needs text" -- approve last confirm --note ""
expect 2 "option '--note' needs a value" -- reject last confirm --note
expect 2 "the run id is empty" -- approve "" confirm
expect 2 "the step id is empty" -- reject last ""
expect 2 "unknown option '--force'" -- approve last confirm --force
expect 2 "runbooks takes one runbook name at most, got 'weekly'" -- runbooks daily-health-check weekly
expect 2 "reload takes no arguments" -- reload now
expect 2 "unknown option '--all'" -- reload --all
expect 2 "--next needs a whole number from 1 to 1000, got '0'" -- schedules --next 0 daily-health-check
expect 2 "--next needs a whole number" -- schedules --next soon daily-health-check
expect 2 "schedules --next needs a runbook name or file: rota schedules --next 3 daily-health-check" -- schedules --next 3
expect 2 "schedules takes one runbook, got 'b' too" -- schedules a b
expect 2 "cannot read runbook file '$T/nope.yaml'" -- schedules --next 3 "$T/nope.yaml"
expect 2 "is a directory" -- schedules "$T/"
# schedules FILE needs no coordinator: a file without a schedule, or an
# invalid one, is exit 1 with the reason.
printf 'name: plain\nsteps:\n  - id: a\n    shell: "true"\n' >"$T/plain.yaml"
expect 1 "has no schedule; add one like" -- --coordinator tcp://127.0.0.1:1 schedules "$T/plain.yaml"
printf 'name: bad\nsteps:\n  - id: a\n    shel: "true"\n' >"$T/bad.yaml"
expect 1 "bad.yaml:4:" -- --coordinator tcp://127.0.0.1:1 schedules --next 2 "$T/bad.yaml"

printf 'name: broken\nsteps:\n  - id: a\n    shell: echo\n  - id: a\n    shel: echo\n' >"$T/broken.yaml"
expect 4 "broken.yaml:5:" -- submit "$T/broken.yaml" --target w1
set +e
out=$(rota submit "$T/broken.yaml" --target w1 2>&1)
set -e
assert_contains "$out" "did you mean 'shell'" "did-you-mean"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 0 "runs recorded by refused submits"
# Operator conveniences and the messages around them.
printf '' >"$T/empty.yaml"
expect 4 "empty" -- submit "$T/empty.yaml" --target w1
expect 4 "cannot be empty" -- submit probe --target w1 -p log_dir=
printf 'name: zoned\nsteps:\n  - id: hi\n    shell: "echo {{ host.labels.zone }}"\n' >"$T/zoned.yaml"
expect 4 "worker w1 has no label 'zone' (its labels: role=db)" -- submit "$T/zoned.yaml" --target w1
expect 4 "(every label must match)" -- submit probe --target role=db --target zone=a -p log_dir=/
expect 4 "w1 (role=db)" -- submit probe --target role=web -p log_dir=/
out=$(rota submit "$FIXTURES/two-step.yaml" --target w1 --wait 2>&1) || fail "a run: $out"
run=$(rota runs --limit 1 --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n 1)
assert_contains "$(rota show last)" "run       $run" "rota show last"
assert_contains "$(rota show "${run: -6}")" "run       $run" "rota show by the end of the id"
expect 4 "did not run on host 'nope' (its hosts: w1)" -- logs "$run" --host nope
follow_err=$(rota logs "$run" -f 2>&1 >/dev/null)
assert_contains "$follow_err" "run $run succeeded" "logs -f closing line"
expect 4 "is where workers connect; rota talks to the operator API at $API_EP" -- --coordinator "$WORKER_EP" runs
"$ROTA_BIN/rota-worker" --coordinator "$API_EP" --id misdial --spool "$T/spool-misdial" >"$T/misdial.log" 2>&1 &
misdial=$!
wait_for "grep -q 'is the operator API; workers connect to $WORKER_EP' '$T/misdial.log'" 10 "the misdialled worker to be told"
kill "$misdial"
set +e
out=$("$ROTA_BIN/rota-worker" --id all --coordinator "$WORKER_EP" --spool "$T/spool-all" 2>&1)
rc=$?
set -e
assert_eq "$rc" 2 "worker id all"
assert_contains "$out" "reserved" "worker id all"

# A second coordinator on the same data directory, or a second worker on the
# same spool, is refused with a message naming the holder.
set +e
out=$("$ROTA_BIN/rota-coordinator" --data-dir "$T/data" --worker-endpoint "tcp://127.0.0.1:*" \
	--api-endpoint "tcp://127.0.0.1:*" --runbooks "$T/runbooks" --http 127.0.0.1:0 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "second coordinator exit"
assert_contains "$out" "in use by another rota-coordinator (pid $COORD_PID)" "second coordinator"
set +e
out=$("$ROTA_BIN/rota-worker" --coordinator "$WORKER_EP" --id w1b --spool "$T/spool-w1" 2>&1)
rc=$?
set -e
assert_eq "$rc" 1 "second worker exit"
assert_contains "$out" "in use by another rota-worker" "second worker"
kill -0 "$COORD_PID" || fail "the first coordinator died"
pass "refusals and usage errors"
