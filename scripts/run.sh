#!/usr/bin/env bash
# One command for a newcomer: install what is missing to build and run (no test
# tools), build, and run cmqd on its embedded storage. Extra arguments go to cmqd (see
# `cmqd --help`).
#   scripts/run.sh                      # listens on 127.0.0.1:8080, data in ./cmq-data
#   scripts/run.sh --listen 0.0.0.0:9000 --data-dir /var/lib/cmqd
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target cmqd cmq-bench cmqctl
exec build/release/cmqd "$@"
