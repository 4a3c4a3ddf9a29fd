#!/usr/bin/env bash
# Times the face-language interpreter against CPython on the same two loops, in one run, and
# prints the times and how many times faster the interpreter is.
#
#   bench/language.sh [runs]
#
# The loops: a 10^6-iteration numeric while loop, and a 10^5-iteration loop that sets and
# reads pc[1] of a face. The face-language versions are in Sources/latent-bench/main.swift
# and the Python ones in bench/language_loops.py. Each time is the best of `runs` (default
# 5), in seconds of process CPU time, which other work on the machine disturbs less than
# wall-clock time.
# Python runs each loop at module level, where its variables are globals as in the script,
# and inside a function, where CPython keeps them in faster local slots.
# Set SCRATCH to build somewhere other than .build.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scratch=${SCRATCH:-.build}

swift build -c release --product latent-bench --scratch-path "$scratch" >&2
# FaceModel.makeRandom fits a PCA with OpenBLAS, whose idle worker threads would otherwise
# spin on the second core while the loops run.
export OPENBLAS_NUM_THREADS=1

interpreter=$("$scratch/release/latent-bench" "$runs")
python=$(python3 bench/language_loops.py)

echo "$(uname -m), $(nproc) cores, $(python3 --version), $(swift --version 2>/dev/null | head -1)"
printf '%-10s %10s %12s %16s %18s %12s %14s\n' loop iterations 'facesh (s)' \
  'python module (s)' 'python function (s)' 'vs module' 'vs function'
while read -r name iterations seconds _; do
  module=$(awk -v n="$name-module" '$1 == n { print $3 }' <<<"$python")
  function=$(awk -v n="$name-function" '$1 == n { print $3 }' <<<"$python")
  awk -v name="$name" -v n="$iterations" -v f="$seconds" -v m="$module" -v g="$function" \
    'BEGIN {
      printf "%-10s %10d %12.4f %16.4f %18.4f %11.1fx %13.1fx\n", name, n, f, m, g, m / f, g / f
    }'
done <<<"$interpreter"
