#!/usr/bin/env bash
# Installs missing Debian packages, builds facesh, and runs an example script on the
# shipped default model. Images go to out/. Pass another script to run that instead.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh
swift build -c release --product facesh
script="${1:-examples/sweep.face}"
mkdir -p out
.build/release/facesh --output out "$script"
echo "wrote:" && ls out
