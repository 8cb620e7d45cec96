#!/usr/bin/env bash
# Installs every build and test dependency of rota from Debian packages.
# This file is the single list of them. It is idempotent and quick when
# everything is already present: apt-get runs only for what is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libzmq3-dev libsodium-dev
  libprotobuf-c-dev protobuf-c-compiler
  libyaml-dev
  libsqlite3-dev sqlite3
  libcurl4-openssl-dev curl
  libjson-c-dev
  libcmocka-dev
  libmicrohttpd-dev
  # promtool and amtool check deploy/prometheus and /alertmanager and /metrics
  prometheus prometheus-alertmanager
  systemd
  libpq-dev
  # the suite's private PostgreSQL (tests/pg/pgcluster.sh) and make demo-ha:
  # the server (initdb, pg_ctl, postgres) and psql
  postgresql postgresql-client
  valgrind procps
  # libFuzzer: its runtime is only recommended by clang; llvm has llvm-symbolizer
  clang libclang-rt-dev llvm
  # make format-check (docs/contributing.md)
  clang-format
  tzdata
  # stored output compressed (docs/operations.md, "Retention")
  libzstd-dev
  # the console's browser tests (tests/browser): headless Chromium and
  # Selenium; xxd compiles the console's files into the coordinator
  chromium chromium-driver python3-selenium xxd
  # on-call e-mail tests: a local SMTP receiver
  python3-aiosmtpd
  # TLS certificates for the console's HTTPS tests and tls_check
  openssl
  # the library's runbooks (alert-review reads Alertmanager's JSON with jq,
  # backup-take compresses with zstd) and integration.library_ops
  jq zstd
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
