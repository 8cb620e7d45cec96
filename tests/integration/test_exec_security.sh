#!/usr/bin/env bash
# Execution on the worker (docs/security.md): a secret param reaches its
# step only through the environment; its value is in no command line, no
# byte of the data directory, no log and no webhook body, and output that
# echoes it (even split across two reads) shows ****; after a coordinator
# restart a step that still needs it ends error with the reason. Steps get a
# clean environment and the worker's umask; run_as needs --allow-user;
# --allow-runbooks and --allow-step-types refuse with a recorded reason.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

SECRET=zq$(od -An -tx8 -N8 /dev/urandom | tr -d ' \n')
printf '%s' "$SECRET" >"$T/expected"

start_receiver
receiver_config hook

mkdir -p "$T/runbooks"
cat >"$T/secret.yaml" <<YAML
name: secret-use
severity: P2
params:
  token: { default: "", secret: true }
steps:
  - id: inline
    shell: { run: 'test {{ params.token }} = "\$(cat $T/expected)" && echo inline-ok' }
  - id: viaenv
    shell:
      env: { TOKEN: "{{ params.token }}" }
      run: |
        test "\$TOKEN" = "\$(cat $T/expected)" || exit 3
        echo "whole:\$TOKEN"
        half=\${TOKEN%?????????}
        printf 'split:%s' "\$half"; sleep 0.5; printf '%s\n' "\${TOKEN#"\$half"}"
  - id: ps
    shell: { run: 'echo \$\$ >$T/step.pid; sleep 2; echo {{ params.token }} >/dev/null' }
  - id: tell
    notify: { message: "token is {{ params.token }}", channel: hook }
  - id: fail
    shell: { run: 'echo bad {{ params.token }} >&2; exit 1' }
YAML
RUNBOOKS=$T/runbooks start_coordinator --config "$T/config.yaml"
# w1 inherits an open fd 7 (as from a careless parent): no step may see it.
PASSME=passed LEAKME=leaked start_worker w1 --pass-env PASSME --allow-user nobody --umask 027 \
	7>"$T/inherited-fd"
start_worker w2 --allow-runbooks 'daily-*' --allow-runbooks 'weekly-*'
start_worker w3 --allow-step-types http_check,noop
wait_workers 3

# --- a secret used through the environment
run=$(rota submit "$T/secret.yaml" --target w1 -p "token=$SECRET")
wait_for '[ -s "$T/step.pid" ]' 20 "the ps step to start"
pid=$(cat "$T/step.pid")
cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline")
assert_contains "$cmd" 'ROTA_SECRET_token' "the step's command line"
assert_not_contains "$cmd" "$SECRET" "the step's command line"
for p in /proc/[0-9]*; do
	if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "$SECRET"; then
		fail "process ${p#/proc/} has the secret on its command line"
	fi
done
wait_for '[ "$(run_status "$run")" = 4 ]' 30 "the secret run to fail (its last step fails)"
st() { store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = '$1'"; }
assert_eq "$(st inline)" 4 "inline step (the value compared through its env reference)"
assert_eq "$(st viaenv)" 4 "env step"
assert_eq "$(st tell)" 4 "notify step"
logs=$(rota logs "$run")
assert_contains "$logs" "inline-ok" "logs"
assert_contains "$logs" "whole:****" "the echoed secret"
assert_contains "$logs" "split:****" "the secret printed in two writes half a second apart"
assert_contains "$logs" "bad ****" "stderr of the failing step"
params=$(store "SELECT params FROM runs WHERE id = '$run'")
assert_contains "$params" "token=****" "the run's stored params"
wait_for 'grep -q "token is" "$T/recv.jsonl"' 10 "the notify step's webhook"
grep -qF 'token is ****' "$T/recv.jsonl" || fail "the webhook body has no masked token: $(cat "$T/recv.jsonl")"
for f in "$T"/data/* "$T"/recv.jsonl "$T"/*.log "$T"/spool-w1/*; do
	[ -f "$f" ] || continue
	if grep -aqF "$SECRET" "$f"; then fail "the secret is in $f"; fi
done
pass "a secret reaches its step only through its environment; masked in output (split too), params, webhooks; in no file, log or command line"

# --- the same secret from a file (--param-file): off rota's command line too
printf '%s\n' "$SECRET" >"$T/token.txt"
run=$(rota submit "$T/secret.yaml" --target w1 --param-file "token=$T/token.txt")
wait_for '[ "$(run_status "$run")" = 4 ]' 30 "the --param-file run to end"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'inline'")" 4 \
	"inline step with the value from --param-file (its trailing newline dropped)"
run_rota 2 -- submit "$T/secret.yaml" --target w1 --param-file "token=$T/missing"
assert_contains "$ERR" "--param-file token=$T/missing: cannot read it" "a missing --param-file"
pass "--param-file gives a param's value from a file"

# --- a clean environment and the umask
cat >"$T/env.yaml" <<'YAML'
name: env-show
steps:
  - id: env
    shell: { run: 'env | cut -d= -f1 | sort | tr "\n" " "; echo; umask; pwd' }
YAML
run=$(rota submit "$T/env.yaml" --target w1)
wait_for '[ "$(run_status "$run")" = 3 ]' 15 "the env run"
logs=$(rota logs "$run")
names=$(grep -o 'HOME .*' <<<"$logs" | head -1)
# (ROTA_TEST_TMP: lib.sh starts every worker with --pass-env ROTA_TEST_TMP.)
assert_eq "$names" "HOME LOGNAME PASSME PATH PWD ROTA_ATTEMPT ROTA_HOST ROTA_RUNBOOK ROTA_RUN_ID ROTA_STEP_ID ROTA_TEST_TMP USER " "the step's variables"
assert_contains "$logs" "0027" "umask"
assert_contains "$logs" "env | /" "the default workdir"
pass "a step sees PATH, HOME, USER, LOGNAME, --pass-env and ROTA_* only; --umask 027 applies"

# --- run_as
cat >"$T/runas.yaml" <<'YAML'
name: runas
steps:
  - id: who
    run_as: nobody
    shell: { run: 'echo "i am $(id -un) $USER $HOME"' }
YAML
run=$(rota submit "$T/runas.yaml" --target w1)
wait_for '[ "$(run_status "$run")" = 3 ]' 15 "the run_as run"
assert_contains "$(rota logs "$run")" "i am nobody nobody" "run_as output"
# --- no fd of the worker's reaches a step, run_as or not: only 0, 1, 2
# (and the directory ls itself reads).
cat >"$T/fds.yaml" <<'YAML'
name: fds
steps:
  - id: root
    shell: { run: 'ls -l /proc/self/fd' }
  - id: nobody
    run_as: nobody
    shell: { run: 'ls -l /proc/self/fd' }
YAML
run=$(rota submit "$T/fds.yaml" --target w1)
wait_for '[ "$(run_status "$run")" = 3 ]' 15 "the fds run"
logs=$(rota logs "$run")
for step in root nobody; do
	fds=$(sed -n "s/^w1 $step | .* \([0-9][0-9]*\) -> .*/\1/p" <<<"$logs" | tr '\n' ' ')
	assert_eq "$fds" "0 1 2 3 " "the fds of a step ($step)"
done
assert_not_contains "$logs" "inherited-fd" "an fd the worker inherited"
assert_not_contains "$logs" "socket:" "the worker's sockets"
pass "a step, run_as nobody included, holds none of the worker's fds"

# Loaded, not a file: w2's --allow-runbooks refuses every ad-hoc run.
cat >"$T/runbooks/runas-2.yaml" <<'YAML'
name: weekly-runas
steps:
  - id: who
    run_as: nobody
    shell: { run: 'id' }
YAML
rota reload >/dev/null
run=$(rota submit weekly-runas --target w2)
wait_for '[ "$(run_status "$run")" = 4 ]' 15 "the refused run_as run"
detail=$(store "SELECT detail FROM step_runs WHERE run_id = '$run'")
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 10 "refused run_as status (error)"
assert_contains "$detail" "worker w2 does not allow steps to run as nobody (--allow-user: none)" "detail"
pass "run_as switches user when --allow-user lists it, and is refused with the reason when not"

# --- --allow-runbooks and --allow-step-types
run=$(rota submit "$T/env.yaml" --target w2)
wait_for '[ "$(run_status "$run")" = 4 ]' 15 "the refused runbook"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run'")" 10 "refused status"
assert_eq "$(store "SELECT detail FROM step_runs WHERE run_id = '$run'")" \
	"worker w2 does not accept ad-hoc runs (adhoc:env-show, a submitted file; --allow-runbooks daily-*, weekly-* without --allow-adhoc)" "detail"
run=$(rota submit "$T/env.yaml" --target w3)
wait_for '[ "$(run_status "$run")" = 4 ]' 15 "the refused step type"
assert_eq "$(store "SELECT detail FROM step_runs WHERE run_id = '$run'")" \
	"worker w3 does not accept shell steps (--allow-step-types http_check, noop)" "detail"
pass "--allow-runbooks and --allow-step-types refuse with the recorded reason"

# --- after a restart the secret is gone: the step ends error, says why
cat >"$T/restart.yaml" <<YAML
name: secret-restart
params:
  token: { default: "", secret: true }
steps:
  - id: first
    shell: { run: 'sleep 2' }
  - id: second
    shell: { run: 'echo {{ params.token }}' }
YAML
run=$(rota submit "$T/restart.yaml" --target w1 -p "token=$SECRET")
wait_for '[ "$(store "SELECT status FROM step_runs WHERE run_id = '"'$run'"' AND step_id = '"'first'"'")" = 3 ]' 10 "the first step to run"
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
RUNBOOKS=$T/runbooks restart_coordinator --config "$T/config.yaml"
wait_for '[ "$(run_status "$run")" = 4 ]' 30 "the restarted run to end"
assert_eq "$(store "SELECT status FROM step_runs WHERE run_id = '$run' AND step_id = 'second'")" 10 "second step (error)"
assert_contains "$(store "SELECT detail FROM step_runs WHERE run_id = '$run' AND step_id = 'second'")" \
	"secret params are kept in memory only; the coordinator restarted before this step was sent" "detail"
for f in "$T"/data/* "$T"/*.log; do
	if grep -aqF "$SECRET" "$f"; then fail "the secret is in $f"; fi
done
pass "after a coordinator restart a step that needs a secret ends error with the reason"
