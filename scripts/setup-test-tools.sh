#!/usr/bin/env bash
# Installs the programs the tests run, when they are missing: `npm test` calls it first, and so
# does CI. With every program present it returns at once and prints nothing.
#
#   redis-server         the Redis the tests start (without it, a Redis container through Docker)
#   prometheus/promtool  dashboard queries and alert rules, against a real Prometheus
#   openssl              a throwaway certificate authority for the rediss:// tests
#   script               a pseudo-terminal for the CLI's confirmation prompts (bsdutils)
#   chromium             a headless browser for the web console's tests
#
# On Debian or Ubuntu it installs them with apt-get (as root, or through sudo when that needs no
# password). Elsewhere, or without those rights, it prints the command to run and carries on:
# a test whose program is missing fails naming it. TURBINE_SKIP_TOOL_SETUP=1 skips this script.
set -euo pipefail

[ "${TURBINE_SKIP_TOOL_SETUP:-}" = 1 ] && exit 0

# "program:Debian package"
tools=(
  redis-server:redis-server
  prometheus:prometheus
  promtool:prometheus
  openssl:openssl
  script:bsdutils
  chromium:chromium
)

missing=()
for tool in "${tools[@]}"; do
  program=${tool%%:*}
  package=${tool#*:}
  command -v "$program" >/dev/null 2>&1 && continue
  # Each package once, even when two of its programs are missing.
  [[ " ${missing[*]-} " == *" $package "* ]] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

install="apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-test-tools: missing ${missing[*]}; install them with your package manager (on macOS: brew install redis prometheus openssl chromium)" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "setup-test-tools: missing ${missing[*]}; install them with: sudo apt-get update && sudo $install" >&2
  exit 0
fi

echo "setup-test-tools: installing ${missing[*]} from apt" >&2
"${run[@]}" apt-get update -qq
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
