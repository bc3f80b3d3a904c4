#!/usr/bin/env bash
# Checks the layer rules of docs/architecture.md ("Layers") on every quoted #include of
# src/<layer>/*.{h,cc}: a layer includes only its own headers and those of the layers
# it may use. Test files (*_test.cc, *_for_test.h, *_test_util.h, *_test_fixture.h)
# may in addition include the test helpers of every layer below theirs (those files,
# and the test doubles listed below), as the api tests use journal/mem_record_log.h.
# Prints every violation as "file:line: ..." and exits 1 if there is one.
#
#   scripts/check-layers.sh [SRC_DIR]   check SRC_DIR (default: src of this repository)
#   scripts/check-layers.sh --self-test check that a forbidden include is caught
set -euo pipefail

# What each layer may include besides itself: layers, or single headers (dir/file.h)
# where a layer may see one header of another and nothing else.
declare -A ALLOWED=(
  [common]=""
  [env]="common"
  [journal]="env common"
  [pglog]="journal env common"  # the PostgreSQL RecordLog: journal for the record format
  [broker]="journal/record_log.h env common"  # storage only through the interface
  [delivery]="broker http env common"
  [auth]="common"
  [api]="broker auth env common"  # never journal/
  # /metrics, /healthz, /readyz; no transport, no storage (commit_metrics.h: the logs'
  # commit histograms, plain values)
  [admin]="api broker journal/commit_metrics.h env common"
  [http]="common"
  [console]="api http broker auth env common"  # the web console: sessions, pages, the api's actions
  [server]="admin console api http delivery broker journal pglog auth env common"
  [client]="common"
  [sdk]="cmq client common"  # cmq: the public headers, include/cmq
  [cmqctl]="cmq"
  [bench]="client http common"  # http: the push sink is http::ScriptedServer
)
# Test doubles that are not named like test helpers.
TEST_DOUBLES="journal/mem_record_log.h env/fault_env.h"
# Servers that the tests of every layer may use: the one scripted HTTP server (client
# and sdk tests fake cmqd with it, though http is not below them), the tests' real
# PostgreSQL (tests/support, linked as cmq_test_postgres), a port nothing listens
# on for clients' failure tests, and temporary directories of real files
# (tests/support, cmq_test_processes).
TEST_SERVERS="http/scripted_server.h support/postgres_server.h support/free_port.h support/temp_dir.h"

is_test_file() {
  [[ $1 =~ (_test\.cc|_for_test\.h|_test_util\.h|_test_fixture\.h)$ ]]
}

is_test_helper() {
  [[ $1 =~ (_for_test\.h|_test_util\.h|_test_fixture\.h)$ || " $TEST_DOUBLES " == *" $1 "* ]]
}

# The layers `layer` may use, directly or through the layers it uses.
reachable() {
  local -A seen=()
  local todo=("$1") l entry
  while ((${#todo[@]})); do
    l=${todo[-1]}
    unset 'todo[-1]'
    [[ -n ${seen[$l]:-} ]] && continue
    seen[$l]=1
    for entry in ${ALLOWED[$l]:-}; do todo+=("${entry%%/*}"); done
  done
  echo "${!seen[@]}"
}

check() {
  local src=$1 failed=0 file layer name line include target allowed
  for dir in "$src"/*/; do
    layer=$(basename "$dir")
    if [[ ! -v ALLOWED[$layer] ]]; then
      echo "$dir: no layer rule for '$layer' (add it to scripts/check-layers.sh and docs/architecture.md)"
      failed=1
      continue
    fi
    local below
    below=" $(reachable "$layer") "
    for file in "$dir"*.h "$dir"*.cc; do
      [[ -e $file ]] || continue
      name=$(basename "$file")
      while IFS=: read -r line include; do
        include=${include#*\"}
        include=${include%%\"*}
        [[ $include == */* ]] || continue  # a header beside this file
        target=${include%%/*}
        [[ $target == "$layer" ]] && continue
        allowed=" ${ALLOWED[$layer]} "
        [[ $allowed == *" $target "* || $allowed == *" $include "* ]] && continue
        if is_test_file "$name" && is_test_helper "$include" && [[ $below == *" $target "* ]]; then
          continue
        fi
        if is_test_file "$name" && [[ " $TEST_SERVERS " == *" $include "* ]]; then
          continue
        fi
        echo "$file:$line: $layer may not include \"$include\" (allowed: ${ALLOWED[$layer]:-nothing})"
        failed=1
      done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
    done
  done
  return $failed
}

self_test() {
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/api" "$tmp/journal"
  printf '#include "journal/mem_record_log.h"\n' >"$tmp/api/api_test_fixture.h"
  printf '#include "broker/broker.h"\n#include "api/api.h"\n#include "common/status.h"\n' \
    >"$tmp/api/api.cc"
  printf '#include "env/env.h"\n' >"$tmp/journal/journal.h"
  printf '#include "support/postgres_server.h"\n' >"$tmp/journal/journal_test.cc"
  if ! check "$tmp" >/dev/null; then
    echo "self-test: allowed includes were reported"
    return 1
  fi
  printf '#include "journal/journal.h"\n' >>"$tmp/api/api.cc"
  local out
  if out=$(check "$tmp"); then
    echo "self-test: api including journal/journal.h was not reported"
    return 1
  fi
  if [[ $out != "$tmp/api/api.cc:4: api may not include \"journal/journal.h\""* ]]; then
    echo "self-test: unexpected report: $out"
    return 1
  fi
  echo "self-test passed: $out"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
  exit
fi
src=${1:-"$(cd "$(dirname "$0")/.." && pwd)/src"}
if check "$src"; then
  echo "layer rules hold in $src"
else
  exit 1
fi
