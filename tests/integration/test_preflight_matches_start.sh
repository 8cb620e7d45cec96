#!/usr/bin/env bash
# rota-coordinator --check answers what a start would: whatever makes the
# coordinator refuse to start makes --check exit 1, and what a start does
# not read (the HTTP token when HTTP is off) does not fail --check.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
rota_setup

C=$ROTA_BIN/rota-coordinator
RB=$ROTA_SOURCE_DIR/runbooks
n=0
disagree=()

# same_answer WHAT FLAGS...: --check and a real start on a fresh data
# directory agree (start refused = --check 1; start ran = --check 0).
same_answer() {
	local what=$1
	shift
	n=$((n + 1))
	set +e
	"$C" --check --data-dir "$T/c$n" --runbooks "$RB" "$@" >"$T/check$n.out" 2>&1
	local crc=$?
	set -e
	try_daemon "$T/start$n.log" "$T/s$n" "$C" --data-dir "$T/s$n" --runbooks "$RB" \
		--worker-endpoint "tcp://127.0.0.1:*" --api-endpoint "tcp://127.0.0.1:*" "$@"
	local want=0
	[ "$RC" = 124 ] || want=1
	if [ "$crc" != "$want" ]; then
		disagree+=("$what: --check exited $crc, a start $([ "$want" = 1 ] && echo refused ||
			echo ran): $(head -n 1 "$T/check$n.out") / $(grep -m1 -E 'cannot start|ERROR' \
			"$T/start$n.log" || tail -n 1 "$T/start$n.log")")
		return
	fi
	pass "$what: --check and start agree"
}

printf 'http_protect_metrics: true\n' >"$T/protect.yaml"
same_answer "http_protect_metrics without a token" --http 127.0.0.1:0 --config "$T/protect.yaml"
printf 'http: "nonsense"\n' >"$T/badhttp.yaml"
same_answer "an http: address that does not parse" --config "$T/badhttp.yaml"
same_answer "--http beyond loopback without a token" --http 0.0.0.0:0
same_answer "a worker endpoint beyond loopback without a key" --http 127.0.0.1:0 \
	--worker-endpoint "tcp://0.0.0.0:*"
printf 'not checked\n' >"$T/open.token"
chmod 644 "$T/open.token"
same_answer "a token file a start does not read (HTTP off)" --http off --http-token "$T/open.token"

# The worker: an endpoint ZeroMQ cannot connect to ends a start at once
# (after making the spool); --check must say so too.
W=$ROTA_BIN/rota-worker
set +e
"$W" --check --id w1 --spool "$T/wspool-check" --coordinator garbage >"$T/wcheck.out" 2>&1
wcrc=$?
timeout "$(patience 10)" "$W" --id w1 --spool "$T/wspool" --coordinator garbage --drain 0 \
	>"$T/wstart.log" 2>&1
wsrc=$?
set -e
if [ "$wsrc" != 124 ] && [ "$wcrc" = 0 ]; then
	disagree+=("rota-worker --coordinator garbage: --check exited 0, a start exited $wsrc: $(
		grep -m1 ERROR "$T/wstart.log")")
else
	pass "rota-worker: an endpoint that does not parse: --check and start agree"
fi

# Every case is tried before failing, so one run lists them all.
if [ ${#disagree[@]} -gt 0 ]; then
	printf '%s\n' "${disagree[@]}" >&2
	fail "${#disagree[@]} case(s) where --check and a start disagree"
fi
