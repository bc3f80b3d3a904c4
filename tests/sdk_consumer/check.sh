#!/usr/bin/env bash
# Installs libcmq from a configured cmq build directory into a temporary prefix, then
# builds and runs tests/sdk_consumer against it twice: once with CMake
# (find_package(cmq) -> cmq::cmq) and once with pkg-config (cmq.pc).
#   tests/sdk_consumer/check.sh [BUILD_DIR]     (default: build/release)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build/release}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --build "$build" --target cmq >/dev/null
cmake --install "$build" --prefix "$work/prefix" --component sdk >/dev/null
for f in '*/include/cmq/cmq.h' '*/libcmq.a' '*/cmake/cmq/cmqConfig.cmake' '*/pkgconfig/cmq.pc'; do
  [[ -n "$(find "$work/prefix" -path "$f" -print -quit)" ]] ||
    { echo "sdk_consumer: nothing matching $f was installed" >&2; exit 1; }
done

echo "-- sdk_consumer with find_package(cmq)"
cmake -S "$here" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/sdk_consumer"

echo "-- sdk_consumer with pkg-config"
pcdir=$(dirname "$(find "$work/prefix" -name cmq.pc | head -n1)")
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -Werror "$here/main.cpp" -o "$work/sdk_consumer_pc" \
  $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs cmq)
"$work/sdk_consumer_pc"
echo "sdk_consumer: ok"
