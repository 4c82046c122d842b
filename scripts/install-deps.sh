#!/usr/bin/env bash
# Installs the Debian 12 packages Incontra builds against. Idempotent: only what is
# missing is installed, so a second run costs a dpkg query per package.
set -euo pipefail

packages=(
  cmake g++ make
  libboost-dev libboost-system-dev libboost-program-options-dev
  librocksdb-dev nlohmann-json3-dev libeigen3-dev doctest-dev
  libstemmer-dev libutf8proc-dev libssl-dev
  libcadical-dev
  libical-dev libcsv-dev libspdlog-dev
  libmimalloc-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
