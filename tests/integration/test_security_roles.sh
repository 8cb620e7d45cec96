# Roles and the audit trail over CURVE: a viewer lists but cannot submit or
# cancel, an operator cannot reload, an admin can; a runbook's
# allowed_operators / allowed_roles refuse everyone else (exit 4, the
# message says who may); `rota audit` (admin only) shows every
# state-changing request with its outcome and the handshake of an unlisted
# key; /metrics counts that refusal; `rota status` names the caller, the
# role and CURVE.
. "$(dirname "$0")/lib.sh"
rota_setup
secure_init
worker_key w1 authorize
# operator_key NAME ROLE: a key pair for NAME, listed in operators.yaml.
operator_key alice operator
operator_key bob viewer
operator_key carol operator
rota keygen mallory --out "$T/keys" >/dev/null # never listed
mkdir -p "$T/runbooks"
cat >"$T/runbooks/open.yaml" <<'YAML'
name: open
targets: {all: true}
steps:
  - id: wait
    shell: {run: "sleep 30"}
YAML
cat >"$T/runbooks/restricted.yaml" <<'YAML'
name: restricted
allowed_operators: [alice]
allowed_roles: [admin]
targets: {all: true}
steps:
  - {id: a, noop: {}}
YAML
RUNBOOKS=$T/runbooks start_coordinator
start_secure_worker w1 w1
wait_workers 1
as() { # as NAME: the flags that make rota speak with NAME's key
	echo "--key $T/keys/$1.key_secret"
}

# A viewer reads, and is refused what changes anything.
run_rota 0 -- $(as bob) runs
run_rota 0 -- $(as bob) workers
run_rota 4 -- $(as bob) submit open
assert_eq "$ERR" "rota: refused: rota submit needs the operator role; bob is a viewer" "viewer submit"
run_rota 4 -- $(as bob) cancel last
assert_eq "$ERR" "rota: refused: rota cancel needs the operator role; bob is a viewer" "viewer cancel"
run_rota 4 -- $(as bob) audit
assert_contains "$ERR" "rota audit needs the admin role; bob is a viewer" "viewer audit"
run_rota 4 -- $(as bob) note last "looked at it"
assert_eq "$ERR" "rota: refused: rota note needs the operator role; bob is a viewer" "viewer note"
run_rota 0 -- $(as bob) status
has_line "$OUT" '^security +CURVE' "status security"
has_line "$OUT" '^you +bob \(viewer\)$' "status caller"
has_line "$OUT" '^fleet +1 of 1 worker\(s\) connected' "status fleet"
pass "a viewer lists, and cannot submit, cancel, write a note or read the audit trail (exit 4)"

# An operator submits and cancels, and cannot reload.
run_rota 0 -- $(as alice) submit open
run_id=$OUT
run_rota 0 -- $(as alice) cancel "$run_id"
# A note is the key's operator's, whatever the login name.
USER=mallory run_rota 0 -- $(as alice) note "$run_id" "wrong host, cancelled"
has_line "$OUT" "^noted on run $run_id \(action\) by alice at " "alice's note"
run_rota 4 -- $(as alice) reload
assert_eq "$ERR" "rota: refused: rota reload needs the admin role; alice is an operator" "operator reload"
run_rota 0 -- reload # the admin of --init
run_rota 4 -- $(as alice) prune --dry-run
assert_eq "$ERR" "rota: refused: rota prune needs the admin role; alice is an operator" "operator prune"
run_rota 0 -- prune --dry-run
has_line "$OUT" '^runs +0 ' "the admin's prune --dry-run"
pass "an operator cannot reload or prune, an admin can"

# allowed_operators / allowed_roles: alice by name, the admin by role;
# carol (an operator) neither submits it nor opens an incident with it.
run_rota 0 -- $(as alice) submit restricted --wait
run_rota 0 -- submit restricted --wait
run_rota 4 -- $(as carol) submit restricted
assert_contains "$ERR" "runbook restricted may be run only by alice or any admin" "carol submit"
assert_contains "$ERR" "carol is an operator" "carol submit: who she is"
run_rota 4 -- $(as carol) incident open restricted --title "disk" --severity P3
assert_contains "$ERR" "runbook restricted may be run only by alice or any admin" "carol incident"
run_rota 0 -- $(as carol) submit open
pass "allowed_operators and allowed_roles refuse others, naming who may"

# An unlisted key: refused at the handshake, audited and counted.
run_rota 4 -- $(as mallory) workers
mallory_fp=$(sed -n 's/^public-key = //p' "$T/keys/mallory.key" | cut -c1-8)
wait_for "[ \"\$(store \"SELECT COUNT(*) FROM audit WHERE action = 'auth' AND key = '\$mallory_fp'\")\" -ge 1 ]" \
	10 "the unlisted key's audit row"
metric=$(curl -s "http://$HTTP_EP/metrics" |
	awk '$1 == "rota_auth_failures_total{endpoint=\"operators\",reason=\"unlisted_key\"}" { print $2 }')
[ "${metric:-0}" -ge 1 ] || fail "rota_auth_failures_total for the unlisted key: '$metric'"

# The audit trail, as the admin sees it.
run_rota 0 -- audit --since 1h
has_line "$OUT" ' bob +viewer +submit +open +refused ' "audit: bob's submit"
has_line "$OUT" ' bob +viewer +cancel +last +refused ' "audit: bob's cancel"
has_line "$OUT" ' alice +operator +submit +open +ok .* run .* on 1 host' "audit: alice's submit"
has_line "$OUT" ' alice +operator +cancel +[0-9a-f-]+ +ok ' "audit: alice's cancel"
has_line "$OUT" ' alice +operator +reload +runbooks +refused .*needs the admin role' "audit: alice's reload"
has_line "$OUT" ' admin +admin +reload +runbooks +ok ' "audit: the admin's reload"
has_line "$OUT" ' alice +operator +prune +store +refused .*needs the admin role' "audit: alice's prune"
has_line "$OUT" ' admin +admin +prune +store +ok .*dry run: would delete runs=0 ' "audit: the admin's prune"
has_line "$OUT" ' carol +operator +submit +restricted +refused .*may be run only by alice' "audit: carol"
has_line "$OUT" ' carol +operator +incident open +restricted +refused ' "audit: carol's incident"
fp_re=$(printf '%s' "$mallory_fp" | sed 's/[][\.*^$?+(){}|/]/\\&/g')
has_line "$OUT" " - +- +auth +operators +refused +127\.0\.0\.1 +$fp_re .*not in operators.yaml" \
	"audit: the unlisted key"
# Reads are not audited (only refusals of them).
assert_not_contains "$OUT" " runs " "audit: reads"
run_rota 0 -- audit --json --limit 2
n=$(grep -o '"action"' <<<"$OUT" | wc -l)
assert_eq "$n" 2 "audit --limit 2"
run_rota 2 -- audit --since yesterday
assert_contains "$ERR" "RFC 3339" "audit --since: bad value"
assert_eq "$(store "SELECT outcome || ' ' || substr(peer, 1, 10) FROM audit WHERE actor = 'bob' AND action = 'submit'")" \
	"refused 127.0.0.1:" "store: bob's submit row"
kill -0 "$COORD_PID" || fail "coordinator died"
pass "rota audit lists the requests with their outcome and the refused key; metrics count it"
