#!/usr/bin/env bash
# Measures facesh start-up on a pseudo-terminal, as it appears to a person at a terminal:
#   - first prompt: from starting the process to "face> " on the screen;
#   - first face:   from starting the process to the end of the picture that the entry
#                   random(1) draws (typed as soon as the prompt shows).
#
# usage: bench/startup.sh [FACESH] [MODEL] [RUNS]
#   FACESH  the binary (default: .build/release/facesh)
#   MODEL   the model file (default: models/default.safetensors)
#   RUNS    how many starts to time (default: 20)
# Prints the minimum, median and maximum of each in milliseconds.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/release/facesh}
model=${2:-models/default.safetensors}
runs=${3:-20}

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

python3 - "$binary" "$model" "$runs" "$state" <<'PYTHON'
import os, pty, select, statistics, sys, time

binary, model, runs, state = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
environment = dict(os.environ, TERM="xterm-256color", XDG_STATE_HOME=state, HOME=state)
arguments = [binary, "--model", model, "--preview", "blocks", "-o", state]

def read_until(fd, buffer, marker, start, deadline):
    """Reads from fd until marker appears in buffer after offset start."""
    while buffer.find(marker, start) < 0:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SystemExit(f"timed out waiting for {marker!r}; got {bytes(buffer)!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            buffer += os.read(fd, 65536)
    return buffer.find(marker, start) + len(marker)

prompts, faces = [], []
for _ in range(runs):
    started = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(binary, arguments, environment)
    buffer = bytearray()
    deadline = started + 60
    after_prompt = read_until(fd, buffer, b"face> ", 0, deadline)
    prompts.append(time.monotonic() - started)
    os.write(fd, b"random(1)\r")
    # The picture ends with a reset of the colours, then the next prompt follows.
    picture_end = read_until(fd, buffer, b"\x1b[0m\r\n", after_prompt, deadline)
    read_until(fd, buffer, b"face> ", picture_end, deadline)
    faces.append(time.monotonic() - started)
    os.write(fd, b"\x04")
    os.waitpid(pid, 0)
    os.close(fd)

def summary(name, seconds):
    milliseconds = sorted(1000 * s for s in seconds)
    median = statistics.median(milliseconds)
    print(f"{name:13} min {milliseconds[0]:6.1f} ms   median {median:6.1f} ms"
          f"   max {milliseconds[-1]:6.1f} ms   ({len(milliseconds)} runs)")

summary("first prompt", prompts)
summary("first face", faces)
PYTHON
