#!/usr/bin/env bash
# Compares the facesh decoder with ONNX Runtime on this machine, and times the trainer.
# bench/README.md explains the output.
#
# Usage: bench/run.sh [MODEL.safetensors]
#   MODEL defaults to models/default.safetensors when it exists, else to random square64
#   weights. A random codeparade decoder is always timed as well.
# Environment:
#   THREADS        OpenBLAS and ONNX Runtime threads (default: number of cores, `nproc`)
#   BENCH_SECONDS  seconds spent on each measurement (default 3)
#   ROUNDS         rounds of facesh and ONNX Runtime decoding, of which the best one counts
#                  (default 1)
#   SCRATCH_PATH   swift build folder (default .build)
#   PROFILE=1      also print per-layer times of both decoders at batch 1 and 64
set -euo pipefail
cd "$(dirname "$0")/.."

cores=$(nproc)
threads=${THREADS:-$cores}
seconds=${BENCH_SECONDS:-3}
rounds=${ROUNDS:-1}
if ! [[ $threads =~ ^[1-9][0-9]*$ && $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: THREADS and ROUNDS must be positive integers, not '$threads' and '$rounds'" >&2
  exit 2
fi
scratch=${SCRATCH_PATH:-.build}
venv=bench/.venv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/log.txt

heading() { printf '\n== %s\n' "$*"; }

# Runs a command pinned to the measured cores and copies its output into the log that the
# summary reads. facesh runs the loops around its GEMM calls on every core with Dispatch,
# whatever the OpenBLAS thread count. So with THREADS below the number of cores, both
# programs run on cores 0 to THREADS − 1 only.
pin=()
if ((threads < cores)); then pin=(taskset -c "0-$((threads - 1))"); fi
measured() { "${pin[@]}" "$@" | tee -a "$log"; }

heading "building facesh-bench (release, $scratch)"
swift build -c release --scratch-path "$scratch" --product facesh-bench
bench_tool="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/facesh-bench"

heading "Python environment in $venv"
if [[ ! -x $venv/bin/python ]]; then python3 -m venv "$venv"; fi
if ! "$venv/bin/python" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
  "$venv/bin/pip" install --quiet onnx onnxruntime numpy
fi
python=$venv/bin/python

heading "machine"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
pinning=""
if ((${#pin[@]} > 0)); then pinning=" (pinned to cores 0-$((threads - 1)))"; fi
echo "${cpu:-unknown CPU}, $cores cores, THREADS=$threads$pinning"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

heading "sgemm"
measured "$bench_tool" sgemm --threads "$threads" --seconds "$seconds"
sgemm=$(awk '$1 == "RESULT" && $2 == "sgemm" { sub("gflops=", "", $4); print $4 }' "$log")

heading "models"
"$bench_tool" export --arch all-layers --out "$work/all-layers.safetensors"
"$bench_tool" export --arch codeparade --out "$work/codeparade.safetensors"
if (($# >= 1)); then
  given=$1
elif [[ -f models/default.safetensors ]]; then
  given=models/default.safetensors
else
  given=$work/square64.safetensors
  "$bench_tool" export --arch square64 --out "$given"
fi
# Both programs name results after the model file, so a given model called codeparade gets
# another name here.
label=$(basename "$given" .safetensors)
if [[ $label == codeparade || $label == all-layers ]]; then label=$label-model; fi
if [[ $given != "$work/$label.safetensors" ]]; then
  ln -s "$(realpath "$given")" "$work/$label.safetensors"
fi
models=(codeparade "$label")

heading "output check against ONNX Runtime (tolerance 1e-4)"
for name in all-layers "${models[@]}"; do
  model=$work/$name.safetensors
  "$bench_tool" decode-dump --model "$model" --batch 4 --out "$work/$name.dump.safetensors"
  if ! "$python" bench/onnx_decoder.py "$model" --threads "$threads" --check-only \
    --reference "$work/$name.dump.safetensors" | tee -a "$log"; then
    echo "run.sh: ONNX Runtime and facesh decode $name differently; see the check above" >&2
    exit 1
  fi
done

# Several rounds alternate the two decoders, so that a change in the machine's load during
# the run affects both. The summary keeps each decoder's best round.
for ((round = 1; round <= rounds; round++)); do
  heading "facesh decoding, round $round of $rounds"
  measured "$bench_tool" decode --model "$work/codeparade.safetensors" \
    --model "$work/$label.safetensors" --threads "$threads" --seconds "$seconds" \
    --sgemm-gflops "$sgemm"

  heading "ONNX Runtime decoding, round $round of $rounds"
  for name in "${models[@]}"; do
    measured "$python" bench/onnx_decoder.py "$work/$name.safetensors" --threads "$threads" \
      --seconds "$seconds" --sgemm-gflops "$sgemm"
  done
done

if [[ ${PROFILE:-0} == 1 ]]; then
  heading "per-layer profiles"
  for name in "${models[@]}"; do
    measured "$bench_tool" profile --model "$work/$name.safetensors" --threads "$threads" \
      --seconds "$seconds" --batch 1 --batch 64
    measured "$python" bench/onnx_decoder.py "$work/$name.safetensors" --threads "$threads" \
      --seconds "$seconds" --profile
  done
fi

heading "facesh training"
measured "$bench_tool" train --threads "$threads" --seconds "$seconds" --sgemm-gflops "$sgemm"

heading "summary"
awk -v sgemm="$sgemm" -v threads="$threads" -v rounds="$rounds" '
  BEGIN { width = length("model") }
  $1 != "RESULT" { next }
  # Reads every "RESULT kind key=value ..." line into field[key].
  {
    delete field
    for (i = 3; i <= NF; i++) {
      split($i, pair, "=")
      field[pair[1]] = pair[2]
    }
    key = field["name"] SUBSEP field["batch"]
    if (length(field["name"]) > width) width = length(field["name"])
  }
  $2 == "decode" && (!(key in facesh_ms) || field["ms_per_face"] + 0 < facesh_ms[key]) {
    if (!(key in facesh_ms)) rows[++row_count] = key
    facesh_ms[key] = field["ms_per_face"] + 0
    facesh_gflops[key] = field["gflops"]
  }
  $2 == "onnx" && (!(key in onnx_ms) || field["ms_per_face"] + 0 < onnx_ms[key]) {
    onnx_ms[key] = field["ms_per_face"] + 0
    onnx_gflops[key] = field["gflops"]
  }
  $2 == "onnx-check" { difference[field["name"]] = field["max_abs_diff"] }
  $2 == "train" {
    train[++train_count] = field["name"] " " field["batch"] " " field["images_per_s"] " " \
      field["gflops"] " " field["ratio"]
  }
  END {
    printf "decoding, THREADS=%d, sgemm %.1f GFLOP/s, best of %d %s\n", threads, sgemm, rounds, \
      (rounds == 1 ? "round" : "rounds")
    printf "ratio = ONNX Runtime time / facesh time\n"
    printf "%-*s %5s %10s %10s %7s %10s %10s %8s %8s %10s\n", width, "model", "batch", "facesh", \
      "ONNX RT", "ratio", "facesh", "ONNX RT", "facesh", "ONNX RT", "max"
    printf "%-*s %5s %10s %10s %7s %10s %10s %8s %8s %10s\n", width, "", "", "ms/face", "ms/face", \
      "", "GFLOP/s", "GFLOP/s", "/sgemm", "/sgemm", "|diff|"
    for (r = 1; r <= row_count; r++) {
      split(rows[r], part, SUBSEP)
      key = rows[r]
      if (!(key in onnx_ms)) {
        printf "%-*s %5d %10.3f %10s\n", width, part[1], part[2], facesh_ms[key], "missing"
        continue
      }
      printf "%-*s %5d %10.3f %10.3f %7.2f %10.1f %10.1f %8.2f %8.2f %10.2g\n", width, part[1], \
        part[2], facesh_ms[key], onnx_ms[key], onnx_ms[key] / facesh_ms[key], \
        facesh_gflops[key], onnx_gflops[key], facesh_gflops[key] / sgemm, \
        onnx_gflops[key] / sgemm, difference[part[1]]
    }
    printf "\ntraining (facesh only)\n"
    printf "%-*s %5s %10s %10s %10s\n", width, "model", "batch", "images/s", "GFLOP/s", "/sgemm"
    for (t = 1; t <= train_count; t++) {
      split(train[t], part, " ")
      printf "%-*s %5d %10.1f %10.1f %10.2f\n", width, part[1], part[2], part[3], part[4], part[5]
    }
  }' "$log"
