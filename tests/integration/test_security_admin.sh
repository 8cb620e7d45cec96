# The admin's requests beyond reload and audit, over CURVE: `rota keys`
# lists the keys the coordinator admits (workers, connected or not;
# operators with their roles; fingerprints as `rota keygen` printed them),
# and `rota workers remove ID` forgets a decommissioned worker, in memory
# and in the store, so it neither shows as lost nor is recorded unreachable
# by new runs, and stays forgotten across a restart. It is refused for a
# connected worker, one an active run still has a step for (naming the
# run), and an unknown id (naming the known ones); every attempt is
# audited. An operator can do neither (exit 4, naming the admin role).
# Without CURVE, `rota keys` says there are no keys.
. "$(dirname "$0")/lib.sh"
rota_setup
secure_init
worker_key w1 authorize
worker_key w2 authorize
worker_key w3 authorize # listed, never started
operator_key alice operator
mkdir -p "$T/runbooks"
cat >"$T/runbooks/open.yaml" <<'YAML'
name: open
targets: {all: true}
steps:
  - {id: a, noop: {}}
YAML
# One host at a time: while w1 sleeps, w2's steps wait for their batch.
cat >"$T/runbooks/rolling.yaml" <<'YAML'
name: rolling
targets: {hosts: [w1, w2], batch: 1}
steps:
  - id: wait
    shell: {run: "sleep 60"}
YAML
RUNBOOKS=$T/runbooks start_coordinator --heartbeat 200ms
start_secure_worker w1 w1
start_secure_worker w2 w2
wait_workers 2
as_alice="--key $T/keys/alice.key_secret"
fp() { # fp FILE: the first 8 characters of the public key in a key file
	sed -n 's/^public-key = //p' "$1" | cut -c1-8
}
re() { # re TEXT: TEXT as an extended regex (Z85 has its characters)
	printf '%s' "$1" | sed 's/[][\.*^$?+(){}|/]/\\&/g'
}

# An operator may do neither.
run_rota 4 -- $as_alice keys
assert_eq "$ERR" "rota: refused: rota keys needs the admin role; alice is an operator" "operator keys"
run_rota 4 -- $as_alice workers remove w2
assert_eq "$ERR" "rota: refused: rota workers remove needs the admin role; alice is an operator" \
	"operator workers remove"
pass "an operator cannot list keys or remove a worker (exit 4, the admin role named)"

# The admin lists the keys: what keygen printed, cut to a fingerprint.
run_rota 0 -- keys
has_line "$OUT" "^coordinator +$(re "$(fp "$T/data/coordinator.key")") " "keys: the coordinator's"
has_line "$OUT" "^w1 +$(re "$(fp "$T/keys/w1.key")") +connected$" "keys: w1"
has_line "$OUT" "^w2 +$(re "$(fp "$T/keys/w2.key")") +connected$" "keys: w2"
has_line "$OUT" "^w3 +$(re "$(fp "$T/keys/w3.key")") +never seen$" "keys: w3"
has_line "$OUT" "^admin +admin +$(re "$(fp "$T/data/admin.key")") *$" "keys: the admin"
has_line "$OUT" "^alice +operator +$(re "$(fp "$T/keys/alice.key")") *$" "keys: alice"
# A key listed on SIGHUP is listed at once, as keygen printed it.
printed=$(rota keygen w4 --out "$T/keys" | sed -n 's/^public key of w4: //p')
[ ${#printed} = 40 ] || fail "keygen printed no key: '$printed'"
cp "$T/keys/w4.key" "$T/data/authorized_workers/w4"
kill -HUP "$COORD_PID"
wait_for "rota keys | grep -q '^w4 '" 10 "w4's key to be listed"
run_rota 0 -- keys
has_line "$OUT" "^w4 +$(re "${printed:0:8}") +never seen$" "keys: w4 as keygen printed it"
run_rota 0 -- keys --json
assert_eq "$(jq -r '.curve' <<<"$OUT")" true "keys --json: curve"
assert_eq "$(jq -r '.workers[] | select(.id == "w1") | "\(.fingerprint) \(.connected)"' <<<"$OUT")" \
	"$(fp "$T/keys/w1.key") true" "keys --json: w1"
assert_eq "$(jq -r '.workers[] | select(.id == "w3") | .connected' <<<"$OUT")" false "keys --json: w3"
assert_eq "$(jq -r '.operators[] | select(.name == "alice") | "\(.role) \(.fingerprint)"' <<<"$OUT")" \
	"operator $(fp "$T/keys/alice.key")" "keys --json: alice"
assert_eq "$(jq -r '.coordinator.fingerprint' <<<"$OUT")" "$(fp "$T/data/coordinator.key")" \
	"keys --json: the coordinator's"
pass "an admin lists worker and operator keys with fingerprints, roles and connections"

# Refused: a connected worker, an unknown id.
run_rota 4 -- workers remove w1
assert_eq "$ERR" "rota: refused: worker w1 is connected; stop it first (and remove its key from authorized_workers/ if it must not come back)" \
	"remove a connected worker"
run_rota 4 -- workers remove nope
assert_eq "$ERR" "rota: refused: unknown worker 'nope'; the coordinator knows: w1, w2" \
	"remove an unknown worker"

# Refused while an active run has a step left for it (here: w2's batch).
run_rota 0 -- submit rolling
run_id=$OUT
wait_for "[ \"\$(store \"SELECT status FROM step_runs WHERE run_id = '$run_id' AND host = 'w1'\")\" = 3 ]" \
	10 "w1's step to run"
# A crash (SIGKILL), so w2 is lost and its batch still waits for it (a
# worker stopped with SIGTERM is stopped, and its untouched host skipped).
kill -KILL "$WORKER_PID_w2"
wait_for "rota workers | grep -Eq '^w2 .* lost '" 10 "w2 to be lost"
run_rota 4 -- workers remove w2
assert_contains "$ERR" "worker w2 still has step wait pending in run $run_id" "remove a busy worker"
assert_contains "$ERR" "rota cancel $run_id --host w2" "remove a busy worker: the way out"
pass "remove is refused for a connected worker, an unknown id and one a run still needs"

# Once the run lets go of it, it is forgotten: listing, store, new runs.
run_rota 0 -- cancel "$run_id"
run_rota 0 -- workers remove w2
has_line "$OUT" '^removed worker w2 \(lost, last seen .*\)$' "remove w2"
assert_contains "$OUT" "its key is still listed ($T/data/authorized_workers/w2): it can connect again" \
	"remove w2: its key"
run_rota 0 -- workers
assert_not_contains "$OUT" "w2" "rota workers after the removal"
assert_eq "$(store "SELECT COUNT(*) FROM workers WHERE id = 'w2'")" 0 "store: w2's row"
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$run_id' AND host = 'w2'")" 1 \
	"store: w2's past step runs are kept"
run_rota 0 -- submit open --wait
new_run=$(head -1 <<<"$OUT")
assert_eq "$(store "SELECT COUNT(*) FROM step_runs WHERE run_id = '$new_run' AND host = 'w2'")" 0 \
	"a new run does not record w2 as unreachable"
run_rota 0 -- keys
has_line "$OUT" "^w2 +$(re "$(fp "$T/keys/w2.key")") +never seen$" "keys: w2 after the removal"

# Audited: the refusals and the removal, by whom.
run_rota 0 -- audit
has_line "$OUT" ' alice +operator +workers remove +w2 +refused .*needs the admin role' "audit: alice"
has_line "$OUT" ' alice +operator +keys +- +refused ' "audit: alice's keys"
has_line "$OUT" ' admin +admin +workers remove +w1 +refused .*is connected' "audit: w1"
has_line "$OUT" ' admin +admin +workers remove +nope +refused .*unknown worker' "audit: nope"
has_line "$OUT" " admin +admin +workers remove +w2 +refused .*in run $run_id" "audit: w2 busy"
has_line "$OUT" ' admin +admin +workers remove +w2 +ok .*forgot worker w2' "audit: w2 removed"

# A restart reads the store: w2 stays forgotten.
stop_coordinator
RUNBOOKS=$T/runbooks restart_coordinator --heartbeat 200ms
wait_workers 1
run_rota 0 -- workers
assert_not_contains "$OUT" "w2" "rota workers after a restart"
pass "a removed worker is gone from rota workers, the store and new runs, and is audited"

# Without CURVE there are no keys to list, and it says so.
stop_coordinator
mv "$T/data" "$T/data-secure"
unset ROTA_CONFIG
start_coordinator
run_rota 0 -- keys
assert_contains "$OUT" "no CURVE: the coordinator admits no keys and checks none; every caller is an admin" \
	"keys without CURVE"
run_rota 0 -- keys --json
assert_eq "$(jq -c '[.curve, .workers, .operators]' <<<"$OUT")" '[false,[],[]]' "keys --json without CURVE"
pass "without CURVE rota keys says there are no keys"
