#!/usr/bin/env bash
# One command for a newcomer: install what is missing, build, and run every test, in
# stages:
#   fuzz     libFuzzer targets (clang, ASan/UBSan) run briefly on their seed corpora;
#   tsan     ThreadSanitizer build of the threaded layers (journal, http, client, sdk);
#   asan     ASan/UBSan debug build of everything, all tests (unit, in-process API on
#            the embedded journal and on PostgreSQL, black-box on the real cmqd, kill -9
#            crash tests);
#   release  the optimised build, every test that runs programs (black-box on the real
#            cmqd, on the embedded journal and on PostgreSQL, kill -9 crash and torture
#            tests, the Patroni failover test on a cluster of scripts/cluster.sh, the
#            web console in headless Chromium), libcmq installed and used by a separate
#            project, and the Debian package made, installed into a directory tree and
#            run. The unit tests are not built again here (CMQ_UNIT_TESTS=OFF): they
#            ran in the asan stage, with assertions on, and CI time is bounded.
# Every stage runs and prints its own summary even when an earlier one failed; a table
# of the stages ends the output, and the exit status is 1 if any stage failed.
# CMQ_QUICK=1 runs only the release stage, with the unit tests (and installs no clang).
# The sanitizer and fuzz builds keep line tables only (-g1): enough for their reports,
# and a quarter less compiler time than full debug information.
# CMQ_FUZZ_SECONDS sets each fuzzer's run time (default 15).
set -uo pipefail
cd "$(dirname "$0")/.."
quick=${CMQ_QUICK:-0}
if [[ "$quick" == "1" ]]; then
  scripts/install-deps.sh --test --cluster --package --browser || exit 1
else
  scripts/install-deps.sh --test --cluster --package --browser --fuzz || exit 1
fi
jobs=$(nproc)
fuzz_seconds=${CMQ_FUZZ_SECONDS:-15}

# Runs ctest in build dir $1; prints the summary, and every test that did not pass
# with its output when some did not.
run_ctest() {
  local dir=$1
  if (cd "$dir" && ctest -j"$jobs" --output-on-failure >ctest.log 2>&1); then
    grep -E '^[0-9]+% tests passed|^Total Test time' "$dir/ctest.log"
    return 0
  fi
  grep -v ' Passed ' "$dir/ctest.log"
  return 1
}

stage_fuzz() {
  CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMQ_FUZZ=ON -DCMQ_BUILD_TESTS=OFF \
    -DCMQ_SANITIZE=address,undefined >/dev/null || return 1
  cmake --build build/fuzz --target http_parser_fuzz http_response_fuzz form_decode_fuzz \
    journal_record_fuzz ||
    return 1
  local failed=0 f corpus
  for f in http_parser http_response form_decode journal_record; do
    corpus=$(mktemp -d)
    cp -r "fuzz/corpus/$f/." "$corpus/" 2>/dev/null
    echo "-- $f (${fuzz_seconds}s)"
    if "build/fuzz/${f}_fuzz" -max_total_time="$fuzz_seconds" -print_final_stats=0 \
      -close_fd_mask=3 "$corpus" >"$corpus.log" 2>&1; then
      tail -n 2 "$corpus.log"
    else
      cat "$corpus.log"
      failed=1
    fi
    rm -rf "$corpus" "$corpus.log"
  done
  return $failed
}

# sdk_tests includes libcmq's thread-safety test (8 threads sharing one Account);
# pglog_tests the PostgreSQL log's writer thread, against real PostgreSQL servers.
stage_tsan() {
  local binaries=(journal_tests pglog_tests http_tests client_tests sdk_tests)
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMQ_SANITIZE=thread >/dev/null || return 1
  cmake --build build/tsan --target "${binaries[@]}" || return 1
  local failed=0 t
  for t in "${binaries[@]}"; do
    echo "-- $t"
    "build/tsan/$t" --gtest_brief=1 || failed=1
  done
  return $failed
}

stage_asan() {
  cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
    -DCMQ_SANITIZE=address,undefined >/dev/null || return 1
  cmake --build build/asan || return 1
  run_ctest build/asan
}

stage_release() {
  local unit=OFF
  [[ "$quick" == "1" ]] && unit=ON
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=ON \
    -DCMQ_UNIT_TESTS=$unit >/dev/null || return 1
  cmake --build build/release || return 1
  local failed=0
  # libcmq as an application sees it: install it into a temporary prefix and build a
  # separate project against it with find_package(cmq) and with pkg-config.
  echo "-- libcmq from an installed prefix"
  tests/sdk_consumer/check.sh build/release || failed=1
  run_ctest build/release || failed=1
  return $failed
}

stages=(fuzz tsan asan release)
[[ "$quick" == "1" ]] && stages=(release)
results=()
for stage in "${stages[@]}"; do
  echo "== $stage"
  started=$SECONDS
  "stage_$stage"
  status=$?
  outcome=passed
  ((status == 0)) || outcome=FAILED
  results+=("$(printf '%-8s %-7s %4d:%02d' "$stage" "$outcome" $(((SECONDS - started) / 60)) \
    $(((SECONDS - started) % 60)))")
done

echo "== summary"
printf '%-8s %-7s %7s\n' stage result time
printf '%s\n' "${results[@]}"
for r in "${results[@]}"; do
  [[ "$r" == *FAILED* ]] && exit 1
done
exit 0
