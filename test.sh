#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, then builds and runs
# every test target. Ends with one summary line, "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log" || status=$?
summary=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1 || true)
if [ -n "$summary" ]; then
  total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
  failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
  echo "$((total - failed)) passed, $failed failed"
fi
exit "$status"
