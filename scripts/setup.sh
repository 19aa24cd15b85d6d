#!/usr/bin/env bash
# Installs every Debian 12 package trailhound's build, tests and fuzzers need.
# Idempotent; run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  clang libclang-rt-14-dev clang-format   # libFuzzer and sanitizer runtimes; apt only recommends libclang-rt
  libdeflate-dev zlib1g-dev               # gzip
  libisal-dev                             # gzip: ISA-L streams large members (fast inflate)
  libcurl4-openssl-dev                    # HTTP, SMTP, SigV4
  libsqlite3-dev sqlite3                  # the embedded store
  libpcre2-dev                            # the regex dialect, translated and JIT-compiled
  libyaml-dev                             # configuration files
  libjansson-dev                          # control-plane JSON
  libmicrohttpd-dev                       # the HTTP API
  libssl-dev                              # HMAC, signatures
  librdkafka-dev                          # scale-out
  libcmocka-dev                           # unit tests
  jq                                      # tests and benchmark peer
  python3                                 # test oracle and benchmark peer
  python3-aiosmtpd openssl                # delivery tests: a real SMTP server, its STARTTLS certificate
  time                                    # peak RSS in the benchmark
  libdeflate-tools                        # libdeflate-gunzip, the gzip benchmark peer
  awscli                                  # /usr/bin/aws 2.9.19: the API round-trip tests
  prometheus                              # /usr/bin/promtool checks serve's /metrics
)

# Node.js and npm run the AWS SDK for JavaScript round-trip test (tests/js); Debian's
# packages unless a node and npm are already installed (e.g. from NodeSource).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pinned @aws-sdk/client-cloudwatch of tests/js/package-lock.json, again only when the
# lock file changed since the last install.
js_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
if [ "$js_dir/node_modules/.package-lock.json" -nt "$js_dir/package-lock.json" ]; then
  echo "setup: tests/js/node_modules is up to date"
else
  echo "setup: npm ci in tests/js"
  # not fatal: the demo needs none of it; without it that one test says SKIP
  npm ci --prefix "$js_dir" --no-audit --no-fund >/dev/null ||
    echo "setup: warning: npm ci in tests/js failed; test_api_sdk_json will be skipped"
fi
echo "setup: done"
