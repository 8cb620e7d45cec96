#!/usr/bin/env bash
# rota-coordinator --check and rota-worker --check (issue 13, item 8): read
# what the program would read at start, print every problem (runbooks as
# file:line:column, all of a file's errors at once) or "configuration OK",
# exit 0 or 1, and start nothing (no store, no endpoints file, no spool),
# even beside a running coordinator on the same data directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

C=$ROTA_BIN/rota-coordinator
W=$ROTA_BIN/rota-worker

# exits_1 WHAT PROGRAM ARG...: runs PROGRAM (a --check), which must exit
# 1 (WHAT names the case); what it printed is in $T/out, what it said on
# stderr in $T/err and in err.
exits_1() {
	local what=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq "$rc" 1 "$what"
	err=$(cat "$T/err")
}

# The shipped library and no configuration: OK, and nothing written.
out=$("$C" --check --data-dir "$T/fresh" --runbooks "$ROTA_SOURCE_DIR/runbooks" 2>"$T/err") ||
	fail "--check on the shipped runbooks exited $?: $(cat "$T/err")"
# Counted, not written down: the library grows.
assert_contains "$out" "configuration OK: $(ls "$ROTA_SOURCE_DIR"/runbooks/*.yaml | wc -l) runbooks"
[ ! -e "$T/fresh" ] || fail "--check created the data directory $T/fresh"
pass "the shipped runbooks check OK and nothing is created"

# A runbook directory with two broken files: every error of each, by
# position; a good file beside them is counted, not listed.
mkdir -p "$T/rb"
cp "$ROTA_SOURCE_DIR/runbooks/log-rotation.yaml" "$T/rb/"
cat >"$T/rb/two-errors.yaml" <<'YAML'
name: two-errors
steps:
  - id: a
    shell: "true"
    timeout: forever
  - id: b
    nosuchkind: {}
YAML
cat >"$T/rb/unclosed.yaml" <<'YAML'
name: unclosed
steps: [
YAML
exits_1 "--check exit code with broken runbooks" "$C" --check --data-dir "$T/d1" --runbooks "$T/rb"
assert_contains "$err" "$T/rb/two-errors.yaml:5:"
assert_contains "$err" "$T/rb/two-errors.yaml:7:"
assert_contains "$err" "$T/rb/unclosed.yaml:"
assert_not_contains "$err" "log-rotation"
assert_not_contains "$(cat "$T/out")" "configuration OK"
[ ! -e "$T/d1" ] || fail "--check created the data directory"
pass "broken runbooks: every error by file:line:column, exit 1"

# A configuration file with two errors: both, by position; a notify step naming a
# channel the configuration lacks is a warning, not an error.
cat >"$T/bad.yaml" <<'YAML'
outbox:
  give_up_after: soon
http_protect_metrics: maybe
YAML
exits_1 "--check exit code with a bad configuration" \
	"$C" --check --data-dir "$T/d2" --runbooks "$ROTA_SOURCE_DIR/runbooks" --config "$T/bad.yaml"
assert_contains "$(cat "$T/err")" "$T/bad.yaml:2:18: give_up_after: 'soon' is not a duration"
assert_contains "$(cat "$T/err")" "$T/bad.yaml:3:23: http_protect_metrics must be true or false"
mkdir -p "$T/rb2"
cat >"$T/rb2/tell.yaml" <<'YAML'
name: tell
steps:
  - id: say
    notify: { message: hello, channel: nowhere }
YAML
printf 'channels:\n  ops: { webhook: { url: "http://127.0.0.1:9/" } }\n' >"$T/good.yaml"
out=$("$C" --check --data-dir "$T/d3" --runbooks "$T/rb2" --config "$T/good.yaml" 2>"$T/err") ||
	fail "a warning made --check fail: $(cat "$T/err")"
assert_contains "$out" "configuration OK: 1 runbook, 1 channel"
assert_contains "$(cat "$T/err")" "$T/rb2/tell.yaml:3:5: warning: step 'say' notifies channel 'nowhere'"
pass "configuration errors by position; unknown channels are warnings"

# A runbook's own warnings (what rota lint says, and a start logs) are
# said by --check too, by position, and do not fail it.
mkdir -p "$T/rb3"
cat >"$T/rb3/raw.yaml" <<'YAML'
name: raw
params:
  cmd: { default: "true" }
steps:
  - id: a
    shell: "{{ params.cmd | raw }}"
YAML
out=$("$C" --check --data-dir "$T/d4" --runbooks "$T/rb3" 2>"$T/err") ||
	fail "a runbook warning made --check fail: $(cat "$T/err")"
assert_contains "$(cat "$T/err")" "$T/rb3/raw.yaml:6:13: warning: run: {{ params.cmd | raw }}"
assert_contains "$out" "see the warnings above"
pass "a runbook's warnings are said by --check, by position"

# With keys: a damaged operators file is named; a running coordinator on
# the same data directory is not disturbed (no lock taken, no store opened).
secure_init
start_coordinator
out=$("$C" --check --data-dir "$T/data" --runbooks "$ROTA_SOURCE_DIR/runbooks" 2>"$T/err") ||
	fail "--check beside a running coordinator exited $?: $(cat "$T/err")"
assert_contains "$out" "1 operator admitted"
kill -0 "$COORD_PID" || fail "the running coordinator died"
cp "$T/data/operators.yaml" "$T/operators.good"
printf 'operators:\n  - name: x\n    key: not-a-key\n    role: admin\n' >"$T/data/operators.yaml"
exits_1 "--check exit code with a bad operators file" \
	"$C" --check --data-dir "$T/data" --runbooks "$ROTA_SOURCE_DIR/runbooks"
assert_contains "$(cat "$T/err")" "operators.yaml"
cp "$T/operators.good" "$T/data/operators.yaml"
rota workers >/dev/null || fail "the running coordinator stopped answering after --check"
pass "key files checked; a running coordinator is untouched"

# The worker: every problem at once, and no spool made.
exits_1 "rota-worker --check exit code" "$W" --check --id w1 --spool "$T/no/such/spool" \
	--allow-user rota-no-such-user --workdir "$T/nowhere" --check-helper "$T/nothing"
assert_contains "$err" "--allow-user rota-no-such-user: no such user"
assert_contains "$err" "--spool (its parent) $T/no/such"
assert_contains "$err" "--workdir $T/nowhere: not a directory"
assert_contains "$err" "--check-helper $T/nothing: not executable"
assert_contains "$err" "4 errors"
out=$("$W" --check --id w1 --spool "$T/spool-ok" --key "$T/keys/coordinator.key" \
	--coordinator-key "$T/keys/coordinator.key" 2>"$T/err") && fail "a public key taken as --key"
assert_contains "$(cat "$T/err")" "--key $T/keys/coordinator.key"
out=$("$W" --check --id w1 --spool "$T/spool-ok" 2>"$T/err") ||
	fail "rota-worker --check exited $?: $(cat "$T/err")"
assert_contains "$out" "configuration OK: worker w1"
[ ! -e "$T/spool-ok" ] || fail "rota-worker --check made its spool"
pass "rota-worker --check: every problem at once, OK otherwise, nothing made"
