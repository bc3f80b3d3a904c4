#!/usr/bin/env bash
# The benchmark suite of docs/benchmarks.md: builds the optimised binaries and, for
# each scenario, starts a fresh cmqd (default durable mode) on a new temporary data
# directory and runs cmq-bench against it. Client and server share the machine;
# results go to stdout.
#   scripts/bench.sh            # everything
#   scripts/bench.sh backlog single  # chosen scenarios: backlog single mixed longpoll
#                                    # memory publish push publish-latency
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target cmqd cmq-bench cmqctl >/dev/null

scenarios=("$@")
((${#scenarios[@]})) || scenarios=(backlog single mixed longpoll memory publish push publish-latency)
data=
port=${CMQ_BENCH_PORT:-18765}
export CMQ_ENDPOINT=http://127.0.0.1:$port CMQ_SECRET_ID=AKIDbench CMQ_SECRET_KEY=benchsecret
bench=build/release/cmq-bench
pid=""

# Starts cmqd on $data (a new directory unless $1 is "again") and waits until it listens.
start_server() {
  if [[ "${1:-}" != "again" ]]; then
    [[ -n "$data" ]] && rm -rf "$data" "$data.log"
    data=$(mktemp -d /tmp/cmq-bench-XXXXXX)
  fi
  : >"$data.log"
  build/release/cmqd --listen 127.0.0.1:$port --data-dir "$data" \
    --secret-id "$CMQ_SECRET_ID" --secret-key "$CMQ_SECRET_KEY" --min-max-msg-heap-num 1 \
    --push-allow-networks 127.0.0.0/8 --log-level warn >>"$data.log" 2>&1 &
  pid=$!
  for _ in $(seq 6000); do
    grep -q "listening on" "$data.log" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "cmqd did not start"; cat "$data.log"; exit 1
}
stop_server() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
rss_kib() { awk '/VmRSS/ {print $2}' /proc/"$pid"/status; }
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  [[ -n "$data" ]] && rm -rf "$data" "$data.log"
}
trap cleanup EXIT

for s in "${scenarios[@]}"; do
  start_server
  case "$s" in
    backlog)
      echo "== batch send: 16 per request, 4 producers, 1 KiB, 1,000,000 messages"
      $bench --queue backlog --create-queue --mode produce --producers 4 --batch 16 \
        --size 1024 --count 1000000
      echo "== batch receive + batch delete: 4 consumers draining the 1,000,000 backlog"
      $bench --queue backlog --mode consume --consumers 4 --batch 16 --count 1000000 --wait 1
      ;;
    single)
      echo "== single SendMessage: 16 connections, 1 KiB, 320,000 messages"
      $bench --queue single --create-queue --mode produce --producers 16 --batch 1 \
        --size 1024 --count 320000 --delete-queue
      ;;
    mixed)
      echo "== mixed single-message traffic at 5,000 msgs/s for 30 s: send-to-receive latency"
      $bench --queue mixed --create-queue --producers 8 --consumers ${MIXED_CONSUMERS:-32} --batch 1 --size 1024 \
        --rate 5000 --duration 30 --wait 5 --delete-queue
      ;;
    longpoll)
      echo "== 10,000 parked long-poll receives (wait 10 s)"
      $bench --queue idle --create-queue --mode longpoll --parked 10000 --wait 10 --server-pid "$pid"
      ;;
    memory)
      echo "== 1,000,000 queued 1 KiB messages: server memory per message, restart time"
      before=$(rss_kib)
      $bench --queue heap --create-queue --mode produce --producers 4 --batch 16 --size 1024 \
        --count 1000000 >/dev/null
      after=$(rss_kib)
      echo "RSS before ${before} KiB, after ${after} KiB: $(((after - before) * 1024 / 1000000)) bytes/message"
      stop_server
      t0=$(date +%s.%N)
      start_server again
      t1=$(date +%s.%N)
      echo "restart with the backlog: serving again after $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s; RSS $(rss_kib) KiB"
      build/release/cmqctl queue show heap | grep -iE "active|queue"
      ;;
    publish)
      echo "== batch publish: 16 per request, 1 KiB, 4 publishers, topic with 3 queue subscriptions"
      $bench --mode publish --topic fanout --create-topic --queue-subscriptions 3 --producers 4 \
        --consumers 3 --batch 16 --size 1024 --count 300000 --delete-topic
      ;;
    push)
      echo "== HTTP push to a local endpoint answering 200 at once"
      $bench --mode push --topic pushes --create-topic --http-subscriptions 1 --producers 2 \
        --batch 16 --size 1024 --count 100000 --delete-topic
      ;;
    publish-latency)
      echo "== publish-to-delivery latency into a subscribed queue at 2,000 msgs/s for 30 s"
      $bench --mode publish --topic latency --create-topic --queue-subscriptions 1 --producers 2 \
        --consumers 1 --batch 1 --size 1024 --rate 2000 --duration 30 --wait 5 --delete-topic
      ;;
    *) echo "unknown scenario $s"; exit 2 ;;
  esac
  stop_server
done
