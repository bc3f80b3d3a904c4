#!/usr/bin/env bash
# Installs the Debian packages cmq needs to build and test (see DEPENDENCIES.md).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(g++ cmake ninja-build pkg-config libssl-dev libgtest-dev libgmock-dev)
if [[ "${1:-}" == "--test" ]]; then
  # clang + compiler-rt for the libFuzzer targets.
  packages+=(clang libclang-rt-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "Installing: ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
