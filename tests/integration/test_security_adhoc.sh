#!/usr/bin/env bash
# Ad-hoc runs over CURVE: submitting a runbook file is a permission of its
# own. An operator refused a restricted runbook by name cannot run a copy
# of it as a file (exit 4, audited, nothing recorded); an admin can, and an
# operator with `adhoc: true` in operators.yaml can; the run is named
# adhoc:NAME and never takes the loaded runbook's name. A worker with
# --allow-runbooks refuses an ad-hoc run whatever its name: says, unless it
# was started with --allow-adhoc.
. "$(dirname "$0")/lib.sh"
rota_setup
secure_init
worker_key w1 authorize
worker_key w2 authorize
# operator_key NAME ROLE [adhoc]: a key pair for NAME, listed in
# operators.yaml, with `adhoc: VALUE` when given.
operator_key alice operator
operator_key bob operator
operator_key dora operator true
mkdir -p "$T/runbooks"
cat >"$T/runbooks/restricted.yaml" <<'YAML'
name: restricted
allowed_operators: [alice]
targets: {hosts: [w1]}
steps:
  - id: who
    shell: {run: "id -u > $ROTA_TEST_TMP/ran-$ROTA_RUN_ID"}
YAML
cat >"$T/runbooks/daily-check.yaml" <<'YAML'
name: daily-check
steps:
  - {id: a, noop: {}}
YAML
# A param run as shell (command: true): its default runs for anyone who
# may submit; a value given with -p is an ad-hoc run's permission.
cat >"$T/runbooks/restart.yaml" <<'YAML'
name: restart
targets: {hosts: [w1]}
params:
  restart_command: {default: 'touch "$ROTA_TEST_TMP/default-$ROTA_RUN_ID"', command: true}
steps:
  - id: restart
    shell:
      env: {RESTART: "{{ params.restart_command }}"}
      run: sh -c "$RESTART"
YAML
# The same runbook without its restriction, as bob would copy it.
grep -v '^allowed_operators' "$T/runbooks/restricted.yaml" >"$T/copy.yaml"
# A file that takes a loaded runbook's name on a worker that accepts it.
cat >"$T/daily.yaml" <<'YAML'
name: daily-check
steps:
  - id: sneak
    shell: {run: "touch $ROTA_TEST_TMP/sneaked-$ROTA_RUN_ID"}
YAML
RUNBOOKS=$T/runbooks start_coordinator
start_secure_worker w1 w1
# '*check' would match adhoc:daily-check by name: only StepSpec.adhoc refuses it.
start_secure_worker w2 w2 --allow-runbooks 'daily-*' --allow-runbooks '*check'
wait_workers 2
as() { echo "--key $T/keys/$1.key_secret"; }

# bob is refused the runbook by name, and its copy as a file.
run_rota 4 -- $(as bob) submit restricted
assert_contains "$ERR" "runbook restricted may be run only by alice" "bob by name"
run_rota 4 -- $(as bob) submit "$T/copy.yaml"
assert_contains "$ERR" "ad-hoc run, which bob (an operator) may not start" "bob's file"
assert_contains "$ERR" "adhoc: true" "the refusal names the fix"
run_rota 4 -- $(as bob) submit restart -p 'restart_command=touch "$ROTA_TEST_TMP/bob"'
assert_contains "$ERR" "-p restart_command: param restart_command of runbook restart is a command run as shell on its hosts" "bob's command"
assert_contains "$ERR" "which bob (an operator) does not have" "bob's command: who"
assert_eq "$(store "SELECT COUNT(*) FROM runs")" 0 "runs after bob's attempts"
pass "an operator refused a runbook cannot run its copy as a file, nor give a command param (exit 4)"

# The admin of --init, and dora (adhoc: true), may; the run is ad-hoc by name.
run_rota 0 -- submit "$T/copy.yaml" --wait
admin_run=$(head -n 1 <<<"$OUT")
run_rota 0 -- $(as dora) submit "$T/copy.yaml" --wait
dora_run=$(head -n 1 <<<"$OUT")
[ -f "$T/ran-$dora_run" ] || fail "dora's ad-hoc run did not run"
assert_eq "$(store "SELECT runbook FROM runs WHERE id = '$dora_run'")" "adhoc:restricted" "the run's name"
assert_eq "$(store "SELECT COUNT(*) FROM runs WHERE runbook = 'restricted'")" 0 \
	"runs listed under the loaded runbook's name"
run_rota 0 -- runs
has_line "$OUT" "^${dora_run:0:8}.* adhoc:restricted " "rota runs"
assert_not_contains "$OUT" " restricted " "rota runs"
run_rota 0 -- show "$dora_run"
assert_contains "$OUT" "adhoc:restricted" "rota show"
pass "an admin, and an operator with adhoc: true, run a file as adhoc:NAME"

# bob runs the command param's default; dora (adhoc: true) may give one.
run_rota 0 -- $(as bob) submit restart --wait
bob_run=$(head -n 1 <<<"$OUT")
[ -f "$T/default-$bob_run" ] || fail "bob's run of restart did not run its default command"
run_rota 0 -- $(as dora) submit restart -p 'restart_command=touch "$ROTA_TEST_TMP/dora-$ROTA_RUN_ID"' --wait
dora_cmd=$(head -n 1 <<<"$OUT")
[ -f "$T/dora-$dora_cmd" ] || fail "dora's command param did not run"
[ ! -e "$T/bob" ] || fail "bob's command ran"
pass "a command param: its default for any operator, -p for one with adhoc: true"

# A file cannot name itself adhoc:... to look like something else.
sed 's/^name: .*/name: "adhoc:x"/' "$T/copy.yaml" >"$T/named.yaml"
run_rota 4 -- submit "$T/named.yaml"
assert_contains "$ERR" "named.yaml" "a name with ':'"

# --allow-runbooks 'daily-*': the loaded daily-check runs on w2, a file
# named daily-check does not.
run_rota 0 -- submit daily-check --target w2 --wait
run_rota 1 -- submit "$T/daily.yaml" --target w2 --wait
sneak=$(store "SELECT id FROM runs WHERE runbook = 'adhoc:daily-check'")
[ -n "$sneak" ] || fail "the ad-hoc daily-check run is not on record"
assert_eq "$(run_status "$sneak")" 4 "the ad-hoc run on w2"
assert_eq "$(store "SELECT detail FROM step_runs WHERE run_id = '$sneak'")" \
	"worker w2 does not accept ad-hoc runs (adhoc:daily-check, a submitted file; --allow-runbooks daily-*, *check without --allow-adhoc)" \
	"the refusal"
[ ! -e "$T/sneaked-$sneak" ] || fail "the ad-hoc step ran on w2"

# The same worker started with --allow-adhoc takes it.
kill -TERM "$WORKER_PID_w2"
wait "$WORKER_PID_w2" || true
wait_for '! rota workers | grep -q "^w2 .* connected "' 15 "w2 to disconnect"
start_secure_worker w2 w2 --allow-runbooks 'daily-*' --allow-runbooks '*check' --allow-adhoc
wait_workers 2
run_rota 0 -- submit "$T/daily.yaml" --target w2 --wait
ok_run=$(head -n 1 <<<"$OUT")
[ -f "$T/sneaked-$ok_run" ] || fail "w2 with --allow-adhoc did not run the file"
pass "--allow-runbooks never matches an ad-hoc run; --allow-adhoc admits it"

# The audit trail says who tried what.
run_rota 0 -- audit --since 1h
has_line "$OUT" " bob +operator +submit +.*copy\.yaml +refused .*ad-hoc" "audit: bob's file"
has_line "$OUT" " dora +operator +submit +.*copy\.yaml +ok .* ad-hoc run .* of adhoc:restricted" \
	"audit: dora's file"

# adhoc: true on a viewer is an error at FILE:LINE:COLUMN.
mkdir -p "$T/d2"
printf 'operators:\n  - name: v\n    key: "%s"\n    role: viewer\n    adhoc: true\n' \
	"$(sed -n 's/^public-key = //p' "$T/keys/bob.key")" >"$T/viewer.yaml"
set +e
timeout 60 "$ROTA_BIN/rota-coordinator" --data-dir "$T/d2" --key "$T/data/coordinator.key_secret" \
	--operators "$T/viewer.yaml" --runbooks "$T/runbooks" --http off \
	--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" >"$T/d2.log" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "a viewer with adhoc: true: exit code"
assert_contains "$(cat "$T/d2.log")" "viewer.yaml:5:12: adhoc: true needs role operator or admin" \
	"the error"
pass "rota audit records ad-hoc submits; a viewer cannot be given adhoc"
