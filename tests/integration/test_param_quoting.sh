#!/usr/bin/env bash
# Template values in a shell step's run: are data, never shell
# (docs/runbooks.md "Templates in run", docs/security.md): rota inserts each
# value as exactly one shell word, quoted by rota. A param that tries to
# inject a command is echoed literally as one argument and runs nothing; a
# secret with spaces and glob characters arrives intact as one argument and
# is masked in the output; a template inside a quoted string is a lint error
# at its line and column that says how to write it, and such a file is
# refused at submit; `| raw` pastes a value as shell and draws a warning.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

mkdir -p "$T/runbooks" "$T/glob"
# Files a split, globbed secret would have expanded to.
touch "$T/glob/a.yaml" "$T/glob/b.yaml"
SECRET='p@ss word *.yaml'
printf '%s' "$SECRET" >"$T/expected"

cat >"$T/inject.yaml" <<'YAML'
name: inject
params:
  x: { default: "" }
steps:
  - id: greet
    shell:
      run: |
        echo hello {{ params.x }}
        printf '<%s>\n' {{ params.x }}
        printf 'count=%s\n' $(set -- {{ params.x }}; echo $#)
YAML

cat >"$T/secret.yaml" <<YAML
name: secret-word
params:
  tok: { default: "", secret: true }
steps:
  - id: use
    shell:
      run: |
        cd $T/glob
        set -- {{ params.tok }}
        echo "args=\$#"
        printf 'arg1=%s\n' "\$1"
        [ "\$1" = "\$(cat $T/expected)" ] && echo intact
        set -- --token={{ params.tok }}
        echo "joined args=\$#"
        [ "\$1" = "--token=\$(cat $T/expected)" ] && echo joined-intact
YAML

start_coordinator
start_worker w1
wait_workers 1

# run_ok WHAT FILE [ARG...]: rota submit FILE --target w1 ARG..., and the
# run (in run) must succeed (WHAT names it); its output in logs.
run_ok() {
	local what=$1 file=$2
	shift 2
	run=$(rota submit "$file" --target w1 "$@")
	wait_for '[ "$(run_status "$run")" = 3 ]' 20 "the $what run to succeed"
	logs=$(rota logs "$run")
}

# --- a param that tries to inject a command: one literal word, nothing run
run_rota 0 -- lint "$T/inject.yaml"
assert_eq "$OUT" "ok: 1 file" "lint of a runbook with templates as words"
PAYLOAD="\$(id -u); touch $T/PWNED"
run_ok injection "$T/inject.yaml" -p "x=$PAYLOAD"
assert_contains "$logs" "w1 greet | hello $PAYLOAD" "the value echoed literally"
assert_contains "$logs" "w1 greet | <$PAYLOAD>" "the value as one argument"
assert_contains "$logs" "w1 greet | count=1" "the number of words"
[ ! -e "$T/PWNED" ] || fail "the param's value ran as shell: $T/PWNED was created"
assert_not_contains "$logs" "hello $(id -u)" "the output"
pass "an injected param is echoed literally as one word and runs nothing"

# A value with a single quote in it stays one word too.
run_ok quote "$T/inject.yaml" -p "x=it's a \"test\"; id"
assert_contains "$logs" "w1 greet | <it's a \"test\"; id>" "a value with quotes"
assert_contains "$logs" "w1 greet | count=1" "a value with quotes: words"
# An empty value is one (empty) word, not none.
run_ok empty "$T/inject.yaml" -p "x="
assert_contains "$logs" "w1 greet | <>" "an empty value"
pass "quotes in a value and an empty value stay one word"

# --- a secret with spaces and glob characters: one argument, intact, masked
run_ok secret "$T/secret.yaml" -p "tok=$SECRET"
assert_contains "$logs" "w1 use | args=1" "the secret's words"
assert_contains "$logs" "w1 use | arg1=****" "the secret, masked"
assert_contains "$logs" "w1 use | intact" "the secret's value"
assert_contains "$logs" "w1 use | joined args=1" "the secret joined to text"
assert_contains "$logs" "w1 use | joined-intact" "the secret joined to text: value"
assert_not_contains "$logs" "p@ss" "the output"
assert_not_contains "$logs" "a.yaml" "the output (a globbed secret)"
pass "a secret with spaces and glob characters arrives intact as one argument, masked"

# --- templates inside quoted strings: lint errors that say how to write it
cat >"$T/quoted.yaml" <<'YAML'
name: quoted
params:
  x: { default: "" }
  tok: { default: "", secret: true }
steps:
  - id: dq
    shell:
      run: |
        echo "hello {{ params.x }}"
        echo 'hello {{ params.x }}'
        curl -H "Authorization: {{ params.tok }}" http://127.0.0.1:9/
YAML
run_rota 1 -- lint "$T/quoted.yaml"
has_line "$OUT" "^$T/quoted.yaml:9:21: run: \{\{ params.x \}\} is inside a \"...\" string" "lint: double quotes"
has_line "$OUT" "^$T/quoted.yaml:10:21: run: \{\{ params.x \}\} is inside a '...' string" "lint: single quotes"
has_line "$OUT" "^$T/quoted.yaml:11:33: run: \{\{ params.tok \}\} is inside a \"...\" string" "lint: a secret in double quotes"
assert_contains "$OUT" "close the quotes before it and open them again after it" "lint: how to write it"
run_rota 4 -- submit "$T/quoted.yaml" --target w1
assert_contains "$ERR" "is inside a \"...\" string" "submit of a quoted template"
pass "a template inside quotes is a lint error at its line and column; submit refuses it"

# --- | raw: the explicit opt-out, pasted as shell, with a warning
cat >"$T/raw.yaml" <<'YAML'
name: raw
params:
  cmd: { default: "echo raw-ran" }
steps:
  - id: pasted
    shell: { run: '{{ params.cmd | raw }}' }
YAML
run_rota 0 -- lint "$T/raw.yaml"
has_line "$OUT" "^$T/raw.yaml:6:20: warning: run: \{\{ params.cmd \| raw \}\} is pasted into the command as shell" "lint: raw warning"
run_ok raw "$T/raw.yaml"
assert_contains "$logs" "w1 pasted | raw-ran" "a raw value runs as shell"
pass "| raw pastes a value as shell, with a lint warning"
