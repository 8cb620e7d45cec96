#!/usr/bin/env bash
# test_backup_runbook: the shipped runbook rota-backup, end to end on a real
# worker on the coordinator's host, with CURVE on (the step's rota uses the
# admin's CLI configuration, as in production): it takes a backup with rota
# backup, keeps the newest `keep` (older ones go with their .sha256, other
# files stay), restores the newest into a scratch directory, starts a
# read-only coordinator on it that must count the runs the backup holds,
# and removes the scratch directory; quarterly-dr-test's mode=rota does
# the same for the newest of them. An operator may not take a backup
# (admin only), and the refusal is audited.
. "$(dirname "$0")/lib.sh"

rota_setup
secure_init
worker_key w1 authorize
operator_key alice operator
start_coordinator
start_secure_worker w1 w1 --label rota_coordinator=yes
wait_workers 1
mkdir -p "$T/backups" "$T/scratch"
# The admin's CLI configuration --init wrote, naming the port this test's
# coordinator bound.
sed "s|^coordinator = .*|coordinator = $API_EP|" "$T/data/cli.conf" >"$T/backup-cli.conf"
# Two older backups and a file that is not one.
for d in 20200101T000000Z 20200102T000000Z; do
	echo old >"$T/backups/rota-$d-x.db"
	echo "0  rota-$d-x.db" >"$T/backups/rota-$d-x.db.sha256"
done
echo mine >"$T/backups/notes.txt"
# The first backup holds its own run (in flight), the second both.
run_rota 0 -- submit rota-backup --target w1 --wait -p backup_dir="$T/backups" -p keep=2 \
	-p rota_config="$T/backup-cli.conf" -p bin_dir="$ROTA_BIN" -p scratch_dir="$T/scratch"
run=$(store "SELECT id FROM runs WHERE runbook = 'rota-backup'")
run_rota 0 -- logs "$run"
has_line "$OUT" "backup: $T/backups/rota-[0-9]{8}T[0-9]{6}Z-$run.db written OK" "the backup step"
has_line "$OUT" "prune: removed rota-20200101T000000Z-x.db \(keeping the newest 2\)" "the prune step"
has_line "$OUT" "verify: rota-[0-9TZ]+-$run.db restored and a coordinator on it answers with its 1 runs OK" "the verify step"
has_line "$OUT" "cleanup: $T/scratch/rota-backup-$run removed OK" "the cleanup step"
left=$(cd "$T/backups" && ls | tr '\n' ' ')
has_line "$left" "^notes.txt rota-20200102T000000Z-x.db rota-20200102T000000Z-x.db.sha256 rota-[0-9TZ]+-$run.db rota-[0-9TZ]+-$run.db.sha256 $" "what is left in backup_dir"
[ -z "$(ls -A "$T/scratch")" ] || fail "the scratch directory is left: $(ls -A "$T/scratch")"

# A second run: its backup holds the first run, and the verify counts it.
run_rota 0 -- submit rota-backup --target w1 --wait -p backup_dir="$T/backups" -p keep=2 \
	-p rota_config="$T/backup-cli.conf" -p bin_dir="$ROTA_BIN" -p scratch_dir="$T/scratch"
run2=$(store "SELECT id FROM runs WHERE runbook = 'rota-backup' AND id <> '$run'")
run_rota 0 -- logs "$run2"
has_line "$OUT" "verify: rota-[0-9TZ]+-$run2.db restored and a coordinator on it answers with its 2 runs OK" "the second verify"
# quarterly-dr-test's mode for rota's own backups: the newest one restored
# into its scratch directory, a read-only coordinator on it counting the
# runs it holds, the recovery time recorded, the scratch copy removed.
run_rota 0 -- submit quarterly-dr-test --target w1 --wait -p mode=rota \
	-p backup_dir="$T/backups" -p bin_dir="$ROTA_BIN" -p scratch_dir="$T/scratch" \
	-p scratch_min_free=1M -p report_dir="$T/dr"
dr=$(store "SELECT id FROM runs WHERE runbook = 'quarterly-dr-test'")
run_rota 0 -- logs "$dr"
has_line "$OUT" "pick: testing $T/backups/rota-[0-9TZ]+-$run2.db " "the DR test's pick"
has_line "$OUT" "verify: a read-only coordinator on the restored backup answers with its 2 runs OK" "the DR test's verify"
grep -q "rota-[0-9TZ]*-$run2.db" "$T/dr/dr-history.tsv" || fail "the DR test recorded no recovery time"
[ -z "$(ls -A "$T/scratch")" ] || fail "the DR test left its scratch copy: $(ls -A "$T/scratch")"
run_rota 0 -- status
has_line "$OUT" "^backup +ok: $T/backups/rota-[0-9TZ]+-$run2.db at .*\(.* bytes, 2 runs\)$" "rota status"
[ "$(cd "$T/backups" && ls rota-*.db | wc -l)" = 2 ] || fail "not 2 backups kept: $(ls "$T/backups")"
run_rota 4 -- --key "$T/keys/alice.key_secret" backup "$T/backups/alice.db"
assert_contains "$ERR" "rota backup needs the admin role"
[ ! -e "$T/backups/alice.db" ] || fail "an operator's backup was written"
run_rota 0 -- audit
has_line "$OUT" " alice +operator +backup +$T/backups/alice.db +refused " "audit: alice's backup"
pass "rota-backup took, pruned, restored and verified its backups"
