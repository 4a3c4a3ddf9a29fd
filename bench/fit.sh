#!/usr/bin/env bash
# Times fitting photos into a model and compares the PSNR with the training photos' own
# learned faces. See bench/README.md.
#
#   bench/fit.sh                                    # default model and photos
#   MODEL=path.safetensors PHOTOS=dir COUNT=50 SELF=20 bench/fit.sh
#   bench/fit.sh --steps 50                         # extra options go to fit-bench
set -euo pipefail
cd "$(dirname "$0")/.."

model=${MODEL:-models/default.safetensors}
photos=${PHOTOS:-../shared/data/utkface/raw}
count=${COUNT:-50}
self=${SELF:-20}

swift build -c release --product fit-bench >&2
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "command: bench/fit.sh $* (MODEL=$model PHOTOS=$photos COUNT=$count SELF=$self)"
arguments=(--model "$model" --count "$count" --self "$self" "$@")
if [[ -d $photos ]]; then
  arguments+=(--photos "$photos")
else
  echo "no photo folder at $photos; fitting self-decoded faces only" >&2
fi
.build/release/fit-bench "${arguments[@]}"
