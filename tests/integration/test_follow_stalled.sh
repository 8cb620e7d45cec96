# A follower that stops reading (SIGSTOP) costs the coordinator one window:
# another follower and other requests are served meanwhile, and when the
# stopped one goes on it resumes from its cursor, every line once.
. "$(dirname "$0")/lib.sh"
rota_setup
start_coordinator
start_worker w1
wait_workers 1

run=$(rota submit "$FIXTURES/lines.yaml" --target w1)
rota logs -f "$run" >"$T/a.out" 2>"$T/a.err" &
a=$!
wait_for "grep -q 'line 2$' '$T/a.out'" 15 "the first follower to print line 2"
kill -STOP "$a"
rota logs -f "$run" >"$T/b.out" 2>"$T/b.err" &
b=$!
run_rota 0 -- status
wait_for "! kill -0 $b 2>/dev/null" 30 "the second follower to end with the run"
wait "$b" || fail "the second follower exited $?: $(cat "$T/b.err")"
kill -CONT "$a"
wait_for "! kill -0 $a 2>/dev/null" 30 "the stopped follower to end once it goes on"
wait "$a" || fail "the stopped follower exited $?: $(cat "$T/a.err")"
for f in a b; do
	for i in $(seq 1 30); do
		n=$(grep -c "count | line $i\$" "$T/$f.out")
		[ "$n" = 1 ] || fail "follower $f printed line $i $n times"
	done
done
assert_eq "$(run_status "$run")" 3 "the run succeeded"
pass "a stopped follower holds up nobody and resumes from its cursor"
