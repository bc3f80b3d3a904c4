#!/usr/bin/env bash
# The long torture run of the real cmqd (docs/torture.md): cycles of load, kill -9 or
# simulated power cut, restart and check, on the optimised build.
#   scripts/torture.sh                  1,000 cycles on a random seed (printed)
#   scripts/torture.sh --cycles 5000 --random-seeds 3
#   scripts/torture.sh --seed 42 --cycles 1000     replays a run that printed seed 42
#   scripts/torture.sh --distributed    takeovers: kill -9 of the owning node of two
#                                       or three cmqd nodes on PostgreSQL (~3 s a cycle)
#   scripts/torture.sh --distributed --kill postgres-primary --cycles 50
#                                       the death of the PostgreSQL primary of a Patroni
#                                       cluster under the nodes (~30 s a cycle)
# Other arguments go to the driver (build/release/tests/torture/torture_tests --help).
set -euo pipefail
cd "$(dirname "$0")/.."
deps=(--test)
[[ " $* " == *" postgres-primary "* ]] && deps+=(--cluster)  # Patroni and etcd
scripts/install-deps.sh "${deps[@]}"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=ON >/dev/null
cmake --build build/release --target torture_tests
if [[ $# -eq 0 ]]; then
  set -- --cycles 1000
fi
exec build/release/tests/torture/torture_tests "$@"
