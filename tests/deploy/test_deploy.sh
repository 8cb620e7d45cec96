#!/usr/bin/env bash
# The files under deploy/ are checked by the tools that will read them:
# promtool (Prometheus config and rules), amtool (Alertmanager config),
# systemd-analyze verify (the units, with ExecStart pointed at this build's
# binaries, since the installed paths do not exist here). A missing tool
# skips its check with a message; all missing is exit 77 (skipped).
set -euo pipefail
src=${ROTA_SOURCE_DIR:?}
bin=${ROTA_BIN:-}
ran=0
fail=0

check() { # name command...
	local name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "ok: $name"
	else
		echo "FAIL: $name"
		echo "$out"
		fail=1
	fi
}

if command -v promtool >/dev/null 2>&1; then
	check "promtool check config" promtool check config "$src/deploy/prometheus/prometheus.yml"
	check "promtool check rules" promtool check rules "$src/deploy/prometheus/rota-alerts.yml"
	# Every metric the rules use is one a live coordinator exports, with
	# every label value they select (job aside), and metrics.h lists it.
	if [ -n "$bin" ] && [ -x "$bin/rota-coordinator" ]; then
		page=$(mktemp)
		failed_before=$fail
		if bash "$src/tests/tools/scrape_coordinator.sh" "$bin/rota-coordinator" "$src/runbooks" "$page"; then
			# The names on the page: each sample's, and each family's.
			names=$( (sed -n 's/^# TYPE \([a-zA-Z_:][a-zA-Z0-9_:]*\) .*/\1/p' "$page"
				grep -v '^#' "$page" | sed 's/[{ ].*//') | sort -u)
			for m in $(grep -o 'rota_[a-z_]*' "$src/deploy/prometheus/rota-alerts.yml" | sort -u); do
				if ! grep -qx "$m" <<<"$names"; then
					echo "FAIL: rota-alerts.yml uses $m, which the coordinator does not export on /metrics"
					fail=1
				fi
				if ! grep -q "^ \*   $m\b" "$src/coordinator/http/metrics.h"; then
					echo "FAIL: rota-alerts.yml uses $m, which coordinator/http/metrics.h does not list"
					fail=1
				fi
			done
			for sel in $(grep -o 'rota_[a-z_]*{[^}]*}' "$src/deploy/prometheus/rota-alerts.yml" | sort -u); do
				m=${sel%%\{*}
				labels=${sel#*\{}
				labels=${labels%\}}
				for pair in ${labels//,/ }; do
					case $pair in job=*) continue ;; esac
					# One grep on the file: under pipefail, grep -q ending a
					# pipeline early fails the grep that feeds it (SIGPIPE),
					# which once failed this check on a page that had the series.
					if ! grep -q "^$m{.*${pair}[,}]" "$page"; then
						echo "FAIL: rota-alerts.yml selects $m{$pair}, a series the coordinator does not export"
						fail=1
					fi
				done
			done
			[ "$fail" != "$failed_before" ] || [ "$failed_before" = 1 ] ||
				echo "ok: the rules' metrics are on a live coordinator's /metrics"
		else
			echo "FAIL: could not scrape a live coordinator"
			fail=1
		fi
		rm -f "$page"
	else
		echo "FAIL: no rota-coordinator in ROTA_BIN to check the rules' metrics against"
		fail=1
	fi
	ran=1
else
	echo "skip: promtool not installed (Debian package prometheus)"
fi

if command -v amtool >/dev/null 2>&1; then
	check "amtool check-config" amtool check-config "$src/deploy/alertmanager/alertmanager.yml"
	ran=1
else
	echo "skip: amtool not installed (Debian package prometheus-alertmanager)"
fi

if command -v systemd-analyze >/dev/null 2>&1 && [ -n "$bin" ] &&
	[ -x "$bin/rota-coordinator" ] && [ -x "$bin/rota-worker" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	for unit in rota-coordinator.service rota-worker.service; do
		sed "s|/usr/local/bin/|$bin/|g" "$src/deploy/systemd/$unit" >"$tmp/$unit"
	done
	# verify also loads units the files name (network-online.target) from
	# the system; --man=no: no man pages in a container.
	# It exits 0 on unknown keys and bad values ("ignoring"): any line
	# about our units is a failure.
	out=$(systemd-analyze verify --man=no "$tmp/rota-coordinator.service" \
		"$tmp/rota-worker.service" 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] || grep -q "rota-" <<<"$out"; then
		echo "FAIL: systemd-analyze verify"
		echo "$out"
		fail=1
	else
		echo "ok: systemd-analyze verify"
	fi
	# The worker's stop timeout must outlast its drain.
	drain=$(grep -o -- '--drain [0-9]*s' "$src/deploy/systemd/rota-worker.service" | grep -o '[0-9]*')
	stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$src/deploy/systemd/rota-worker.service")
	if [ "$stop" -le "$drain" ]; then
		echo "FAIL: rota-worker TimeoutStopSec=$stop is not longer than --drain ${drain}s"
		fail=1
	fi
	ran=1
else
	echo "skip: systemd-analyze not installed or no built binaries"
fi

if [ "$ran" = 0 ]; then
	echo "SKIP: none of promtool, amtool, systemd-analyze is installed"
	exit 77
fi
exit $fail
