#!/usr/bin/env bash
# Installs the Debian packages facesh builds against, when any is missing.
# Needs root (or sudo) only when something has to be installed.
set -euo pipefail

packages=(
  libopenblas-dev   # sgemm for the decoder, LAPACK's dsyevd for PCA
  libpng-dev        # PNG reading and writing
  libjpeg62-turbo-dev
  libgif-dev        # animated GIF output
  libimagequant-dev # GIF palettes
  libedit-dev       # REPL line editing
  zlib1g-dev
)
names=("${packages[@]}")

missing=()
for name in "${names[@]}"; do
  dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "install ok installed" || missing+=("$name")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
