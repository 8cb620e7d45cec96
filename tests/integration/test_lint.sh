# `rota lint` on the real binary: every broken runbook in tests/data/lint/bad
# prints exactly its .expected lines and exits 1; each in warn/ prints its
# warnings and exits 0; the good ones, the shipped
# library and the DESIGN.md example lint clean and exit 0; usage errors exit
# 2; no coordinator is needed. Then a coordinator loads what lints clean,
# and reports the rest with the same messages.
. "$(dirname "$0")/lib.sh"
rota_setup
DATA=$ROTA_SOURCE_DIR/tests/data/lint
# Nothing listens here: lint must not care.
export ROTA_COORDINATOR=tcp://127.0.0.1:1

lint() { # lint ARGS...: sets OUT, ERR, RC
	set +e
	OUT=$(rota lint "$@" 2>"$T/stderr")
	RC=$?
	set -e
	ERR=$(cat "$T/stderr")
}

# Each broken file on its own, from its directory, so names match.
cd "$DATA/bad"
n=0
for f in *.yaml; do
	lint "$f"
	assert_eq "$RC" 1 "rota lint $f: exit"
	want="$(cat "${f%.yaml}.expected")
1 file, 1 with errors"
	assert_eq "$OUT" "$want" "rota lint $f: output"
	assert_eq "$ERR" "" "rota lint $f: stderr"
	n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "only $n broken runbooks"
lint *.yaml
assert_eq "$RC" 1 "all broken: exit"
assert_contains "$OUT" "$n files, $n with errors" "all broken: summary"
pass "$n broken runbooks give their exact errors"

# Warnings: the file is valid (exit 0), each warning at its position, then
# the count in the summary.
cd "$DATA/warn"
for f in *.yaml; do
	lint "$f"
	assert_eq "$RC" 0 "rota lint $f: exit"
	assert_eq "$OUT" "$(cat "${f%.yaml}.expected")" "rota lint $f: output"
done
lint --json raw-filter.yaml
assert_contains "$OUT" '"errors":[],"warnings":[{"file":"raw-filter.yaml","line":11,"column":12,"message":"run: {{ params.extra_flags | raw }} is pasted' "json warnings"
pass "warnings are printed at their position and leave the exit code 0"

cd "$DATA"
lint good/*.yaml
assert_eq "$RC" 0 "good: exit ($OUT)"
assert_eq "$OUT" "ok: $(ls good/*.yaml | wc -l) files" "good: output"
lint good/design-example.yaml
assert_eq "$OUT" "ok: 1 file" "the DESIGN.md example"
lint "$ROTA_SOURCE_DIR"/runbooks/*.yaml
assert_eq "$RC" 0 "shipped runbooks: exit ($OUT)"
assert_eq "$OUT" "ok: $(ls "$ROTA_SOURCE_DIR"/runbooks/*.yaml | wc -l) files" "shipped runbooks: no warnings"
pass "good runbooks, the DESIGN.md example and the shipped library lint clean"

# Good and bad together: only the bad one's errors, counted in the summary.
lint good/incident.yaml bad/bad-severity.yaml
assert_eq "$RC" 1 "mixed: exit"
assert_eq "$OUT" "bad/bad-severity.yaml:2:11: 'severity' must be one of P1, P2, P3, P4, not 'P5'
bad/bad-severity.yaml:3:13: escalation policy name 'on call' is not valid (1 to 100 of A-Z a-z 0-9 . _ -)
2 files, 1 with errors" "mixed: output"

# A file that cannot be read is an error of that file, not a usage error.
lint "$T/missing.yaml" good/incident.yaml
assert_eq "$RC" 1 "missing file: exit"
assert_contains "$OUT" "$T/missing.yaml: cannot open: No such file or directory" "missing file"
assert_contains "$OUT" "2 files, 1 with errors" "missing file: summary"

# Two files with one runbook name: a coordinator would serve only one.
cp good/incident.yaml "$T/copy.yaml"
lint good/incident.yaml "$T/copy.yaml" good/incident.yaml
assert_eq "$RC" 1 "duplicate name: exit"
assert_eq "$OUT" "$T/copy.yaml: runbook name 'service-down' is already used by good/incident.yaml; a coordinator loads only one of them
3 files, 1 with errors" "duplicate name"
pass "mixed files, unreadable files and duplicate names"

# --json: one document with every error.
lint --json bad/bad-cron.yaml good/incident.yaml
assert_eq "$RC" 1 "json: exit"
assert_eq "$OUT" '{"ok":false,"files":2,"files_with_errors":1,"errors":[{"file":"bad/bad-cron.yaml","line":3,"column":22,"message":"bad cron expression: hour: 25 is out of range 0-23"}],"warnings":[]}' "json"
lint --json good/incident.yaml
assert_eq "$OUT" '{"ok":true,"files":1,"files_with_errors":0,"errors":[],"warnings":[]}' "json clean"
pass "--json"

# Usage errors: exit 2, a message on stderr, nothing on stdout.
lint
assert_eq "$RC" 2 "no files: exit"
assert_eq "$OUT" "" "no files: stdout"
assert_contains "$ERR" "lint: no files given; usage: rota lint [--json] FILE..." "no files"
lint --frobnicate good/incident.yaml
assert_eq "$RC" 2 "unknown option: exit"
assert_contains "$ERR" "unknown option '--frobnicate'" "unknown option"
lint --help
assert_eq "$RC" 0 "--help: exit"
assert_contains "$OUT" "lint [--json] FILE..." "--help"
pass "usage errors"

# What lints clean, a coordinator loads (saying its warnings, as lint
# does); what lints with errors, it does not.
mkdir -p "$T/runbooks"
cp good/*.yaml warn/raw-filter.yaml bad/bad-cron.yaml "$T/runbooks/"
unset ROTA_COORDINATOR
RUNBOOKS=$T/runbooks start_coordinator
ngood=$(($(ls good/*.yaml | wc -l) + 1))
grep -q "loaded $ngood runbook(s) .* (1 invalid)" "$T/coordinator.log" ||
	fail "the coordinator did not load the $ngood valid runbooks"
grep -q "bad-cron.yaml:3:22: bad cron expression: hour: 25 is out of range 0-23" \
	"$T/coordinator.log" || fail "the coordinator did not report bad-cron.yaml as lint does"
grep -q "WARN runbook $T/runbooks/raw-filter.yaml loaded with warnings" "$T/coordinator.log" &&
	grep -q "raw-filter.yaml:11:12: run: {{ params.extra_flags | raw }} is pasted into the command as shell" \
		"$T/coordinator.log" || fail "the coordinator did not log raw-filter.yaml's warnings"

# Its runbooks are served: rota runbooks lists them and the broken file.
out=$(rota runbooks)
assert_contains "$out" "templated-numbers" "rota runbooks"
assert_contains "$out" "bad-cron.yaml:3:22: bad cron expression: hour: 25 is out of range 0-23" \
	"rota runbooks shows the invalid file's error"
kill -0 "$COORD_PID" || fail "the coordinator died"
pass "a coordinator loads what lints clean and reports what does not, as lint does"
