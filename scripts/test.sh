#!/usr/bin/env bash
# One command for a newcomer: install what is missing, build, and run every test:
#   1. libFuzzer targets (clang, ASan/UBSan) run briefly on their seed corpora;
#   2. ThreadSanitizer build of the threaded layers (journal, http, client);
#   3. ASan/UBSan build of everything, all tests;
#   4. the optimised build, all tests (unit, in-process API, black-box on the real
#      cmqd, kill -9 crash test) - its ctest summary is the last thing printed.
# Set CMQ_QUICK=1 to run only step 4.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
jobs=$(nproc)
fuzz_seconds=${CMQ_FUZZ_SECONDS:-15}

if [[ "${CMQ_QUICK:-0}" != "1" ]]; then
  echo "== fuzz targets (${fuzz_seconds}s each)"
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMQ_FUZZ=ON -DCMQ_BUILD_TESTS=OFF -DCMQ_SANITIZE=address,undefined >/dev/null
  cmake --build build/fuzz --target http_parser_fuzz http_response_fuzz form_decode_fuzz \
    journal_record_fuzz
  for f in http_parser http_response form_decode journal_record; do
    corpus=$(mktemp -d)
    cp -r "fuzz/corpus/$f/." "$corpus/" 2>/dev/null || true
    echo "-- $f"
    "build/fuzz/${f}_fuzz" -max_total_time="$fuzz_seconds" -print_final_stats=0 \
      -close_fd_mask=3 "$corpus" 2>&1 | tail -n 2
    rm -rf "$corpus"
  done

  # sdk_tests includes libcmq's thread-safety test (8 threads sharing one Account).
  echo "== ThreadSanitizer: journal, http, client, sdk"
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMQ_SANITIZE=thread >/dev/null
  cmake --build build/tsan --target journal_tests http_tests client_tests sdk_tests
  for t in journal_tests http_tests client_tests sdk_tests; do
    echo "-- $t"
    "build/tsan/$t" --gtest_brief=1
  done

  echo "== ASan/UBSan: all tests"
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMQ_SANITIZE=address,undefined >/dev/null
  cmake --build build/asan
  # Only the summary when all pass; everything but the passing lines when not.
  if ! (cd build/asan && ctest -j"$jobs" --output-on-failure >ctest.log 2>&1); then
    grep -v ' Passed ' build/asan/ctest.log
    exit 1
  fi
  tail -n 3 build/asan/ctest.log
fi

echo "== optimised build: all tests"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=ON >/dev/null
cmake --build build/release
# libcmq as an application sees it: install it into a temporary prefix and build a
# separate project against it with find_package(cmq) and with pkg-config.
tests/sdk_consumer/check.sh build/release
cd build/release && ctest -j"$jobs" --output-on-failure
