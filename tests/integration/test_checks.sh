# Runbooks of built-in checks run end to end through a real coordinator and
# worker, against a real HTTP server (rota-testhttp) on loopback: a run of
# passing checks succeeds with each check's report as its output and its
# summary as its detail; a failing check fails its step (and skips the rest
# of the host), a check that cannot be made is an error.
# (test_worker_checks.sh covers the worker's side alone, with rota-testpeer
# playing the coordinator.)
. "$(dirname "$0")/lib.sh"
rota_setup

start_testhttp
mkdir -p "$T/disk"

start_coordinator
start_worker w1
wait_workers 1

# book NAME STEPS-YAML: writes a runbook of those steps to $T/NAME.yaml.
book() {
	{
		echo "name: $1"
		echo "description: built-in checks, integration test"
		echo "steps:"
		cat
	} >"$T/$1.yaml"
}

# run_book NAME: runs $T/NAME.yaml on w1 to its end; sets RUN.
run_book() {
	RUN=$(rota submit "$T/$1.yaml" --target w1 2>&1) || fail "submit of $1 refused: $RUN"
	[ -n "$RUN" ] || fail "submit of $1 gave no run id"
	wait_for '[ "$(run_status "$RUN")" -ge 3 ] 2>/dev/null' 30 "the run of $1 to end"
}

# step ID: "status|exit_code|detail" of a step of $RUN.
step() {
	store "SELECT status || '|' || exit_code || '|' || COALESCE(detail, '') FROM step_runs WHERE run_id = '$RUN' AND step_id = '$1' AND host = 'w1'"
}

# recorded NAME: the values kept as NAME on w1, oldest first, comma-separated.
recorded() {
	store "SELECT group_concat(value, ',') FROM recorded_values WHERE host = 'w1' AND name = '$1'"
}

# stored ID: the output stored for a step of $RUN, as rota logs gives it
# back (the store keeps it packed: docs/operations.md).
stored() {
	rota logs "$RUN" --raw | sed -n "s/^w1 $1 [|!] //p"
}

# ---- every check passes --------------------------------------------------
book checks-ok <<YAML
  - id: health
    http_check: { url: "$U/health", expect_status: 200, timeout: 5s }
  - id: body
    http_check: { url: "$U/body", method: GET, body_contains: "rota-testhttp" }
  - id: down-expected
    http_check: { url: "$U/down", expect_status: 503 }
  - id: disk
    disk_check: { path: "$T/disk", min_free_pct: 0, min_free_bytes: 1 }
    record: disk_used_pct
  - id: errors
    metric_check: { url: "$U/metrics", metric: 'errors_total{job="api"}', op: "<", value: 10 }
  - id: requests
    metric_check: { url: "$U/metrics", metric: 'http_requests_total{code="500"}', op: ">", value: 0 }
  - id: nothing
    noop: {}
YAML
run_book checks-ok
assert_eq "$(run_status "$RUN")" 3 "run of passing checks (succeeded)"
assert_eq "$(store "SELECT group_concat(step_id || ':' || status, ' ') FROM step_runs WHERE run_id = '$RUN' ORDER BY position")" \
	"health:4 body:4 down-expected:4 disk:4 errors:4 requests:4 nothing:4" "step statuses"
assert_contains "$(step health)" "4|0|GET $U/health -> 200 in " "health detail"
assert_contains "$(stored health)" "GET $U/health -> 200 in " "health output"
assert_contains "$(step body)" "; body contains \"rota-testhttp\"" "body detail"
assert_contains "$(step disk)" "4|0|$T/disk: " "disk detail"
assert_contains "$(step disk)" "; needs at least 1 B" "disk detail"
# disk_check records the used percentage: 100 minus the free one it prints
# (rounded down to a tenth there).
free=$(step disk | sed -n 's/.*: \([0-9.]*\)% free (.*/\1/p')
used=$(recorded disk_used_pct)
awk -v f="$free" -v u="$used" 'BEGIN { d = f + u - 100; exit !(u != "" && d > -0.11 && d < 0.11) }' ||
	fail "disk_check records the used %: '$used' with $free% free"
assert_eq "$(step errors)" "4|0|errors_total{job=\"api\"} is 3, < 10 ($U/metrics)" "metric detail"
assert_contains "$(step requests)" "all 2 matching samples are > 0" "several samples"
assert_contains "$(stored requests)" "ok      http_requests_total{code=\"500\",instance=\"b\"} 150" "samples listed"
assert_eq "$(step nothing)" "4|0|" "noop"
show=$(rota show "$RUN")
assert_contains "$show" "errors_total{job=\"api\"} is 3, < 10" "rota show"

# ---- a check that fails stops the host -------------------------------------
book checks-down <<YAML
  - id: health
    http_check: { url: "$U/down", timeout: 5s }
  - id: after
    noop: {}
YAML
run_book checks-down
assert_eq "$(run_status "$RUN")" 4 "run with a failing check (failed)"
assert_contains "$(step health)" "5|1|GET $U/down -> 503 (expected 200) in " "failed http_check"
assert_contains "$(stored health)" "| service unavailable" "the error page in the output"
assert_contains "$(step after)" "8|" "the step after a failed check (skipped)"

book checks-metric <<YAML
  - id: errors
    metric_check: { url: "$U/metrics", metric: 'http_requests_total{code="500"}', op: "<", value: 100 }
YAML
run_book checks-metric
assert_contains "$(step errors)" "5|1|http_requests_total{code=\"500\"}: 1 of 2 matching samples are not < 100; all must be" "failed metric_check"

book checks-absent <<YAML
  - id: errors
    metric_check: { url: "$U/metrics", metric: 'errors_total{job="web"}', op: "<", value: 10 }
YAML
run_book checks-absent
assert_eq "$(step errors)" "5|1|metric errors_total{job=\"web\"} not found at $U/metrics (5 samples read)" "absent metric"

book checks-slow <<YAML
  - id: slow
    http_check: { url: "$U/slow", timeout: 1s }
YAML
run_book checks-slow
assert_contains "$(step slow)" "5|1|GET $U/slow -> Operation timed out after" "http_check timeout"

book checks-full <<YAML
  - id: disk
    disk_check: { path: "$T/disk", min_free_pct: 100 }
YAML
run_book checks-full
assert_contains "$(step disk)" "5|1|$T/disk: " "full disk"
assert_contains "$(step disk)" "; needs at least 100%" "full disk"

# ---- a check that cannot be made is an error ------------------------------
book checks-nopath <<YAML
  - id: disk
    disk_check: { path: "$T/missing", min_free_pct: 10 }
YAML
run_book checks-nopath
assert_eq "$(step disk)" "10|2|disk_check: cannot read the filesystem of $T/missing: No such file or directory" "missing path (error)"

# ---- file_check: a backup's freshness and completeness ---------------------
mkdir -p "$T/backups"
head -c 4096 /dev/zero >"$T/backups/db-old.sql.gz"
touch -d "3 days ago" "$T/backups/db-old.sql.gz"
head -c 2048 /dev/zero >"$T/backups/db-new.sql.gz"
book checks-files <<YAML
  - id: fresh
    file_check: { path: "$T/backups/db-*.sql.gz", max_age: 26h, min_size: 1K, min_count: 2 }
    record: backups
  - id: stale
    file_check: { path: "$T/backups/db-old.sql.gz", max_age: 1d }
YAML
run_book checks-files
assert_contains "$(step fresh)" "4|0|$T/backups/db-*.sql.gz: 2 files; newest $T/backups/db-new.sql.gz: 2.0 KiB," \
	"file_check of a fresh backup set"
assert_eq "$(recorded backups)" "2" "file_check records how many files match"
assert_contains "$(step stale)" "5|1|$T/backups/db-old.sql.gz: 1 file; newest" "file_check of a stale backup"
assert_contains "$(step stale)" "; needs at most 1d00h old" "file_check of a stale backup"

# ---- tls_check: a real TLS server (openssl s_server) with a self-signed
# certificate for localhost that expires in 40 days ---------------------------
openssl req -x509 -newkey rsa:2048 -days 40 -nodes -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost" -keyout "$T/tls.key" -out "$T/tls.crt" \
	>"$T/openssl.log" 2>&1 || fail "openssl could not make a certificate: $(cat "$T/openssl.log")"
openssl s_server -accept 127.0.0.1:0 -cert "$T/tls.crt" -key "$T/tls.key" -www \
	>"$T/s_server.out" 2>&1 &
PIDS+=("$!")
wait_for "grep -q '^ACCEPT' '$T/s_server.out'" 10 "openssl s_server to listen"
TLS_PORT=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$T/s_server.out")
book checks-tls <<YAML
  - id: valid
    tls_check: { url: "https://127.0.0.1:$TLS_PORT", server_name: localhost, ca_file: "$T/tls.crt", min_days_left: 30 }
    when: always
    record: tls_days_left
  - id: soon
    tls_check: { url: "https://127.0.0.1:$TLS_PORT", server_name: localhost, ca_file: "$T/tls.crt", min_days_left: 60 }
    when: always
  - id: wrong-name
    tls_check: { url: "https://127.0.0.1:$TLS_PORT", server_name: other.example, ca_file: "$T/tls.crt" }
    when: always
  - id: untrusted
    tls_check: { url: "https://127.0.0.1:$TLS_PORT", server_name: localhost }
    when: always
YAML
run_book checks-tls
assert_contains "$(step valid)" "4|0|https://127.0.0.1:$TLS_PORT (localhost): certificate " "a valid certificate"
# 40 days from the certificate's making: 39 whole days left, or 40 when the
# check comes within the same second.
echo "$(step valid)" | grep -Eq ", in (39|40) days; needs at least 30; recorded tls_days_left = (39|40)$" ||
	fail "a valid certificate's days left: $(step valid)"
assert_contains "$(step soon)" "5|1|" "a certificate expiring too soon fails"
echo "$(step soon)" | grep -Eq ", in (39|40) days; needs at least 60$" ||
	fail "a certificate expiring too soon: $(step soon)"
assert_contains "$(step wrong-name)" "5|1|https://127.0.0.1:$TLS_PORT (other.example): " "a certificate for another name"
# record: a check's number; here the days left (the step's detail above)
echo "$(recorded tls_days_left)" | grep -Eq '^(39|40)$' ||
	fail "tls_check records the days left: '$(recorded tls_days_left)'"
assert_contains "$(step untrusted)" "5|1|https://127.0.0.1:$TLS_PORT (localhost): " "a certificate no CA vouches for"

left=$(ps -o pid=,args= --ppid "$LAST_WORKER_PID" || true)
assert_eq "$left" "" "children the worker left running"
pass "http_check, disk_check, metric_check, file_check, tls_check and noop through coordinator and worker"
