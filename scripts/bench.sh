#!/usr/bin/env bash
# The benchmark suite of docs/benchmarks.md: builds the optimised binaries and, for
# each scenario, starts a fresh cmqd (default durable mode) on a new temporary data
# directory and runs cmq-bench against it. Client and server share the machine;
# results go to stdout.
#   scripts/bench.sh            # everything
#   scripts/bench.sh backlog single  # chosen scenarios: backlog single mixed longpoll
#                                    # memory publish push publish-latency scrape
#   scripts/bench.sh pg-backlog pg-latency pg-takeover pg-xmin
#       the distributed mode (storage postgres). With CMQ_BENCH_DSN unset, a private
#       PostgreSQL 15 on local disk (fsync and synchronous_commit on) is started for
#       the run; set it (e.g. to the DSN scripts/cluster.sh prints, without dbname) to
#       measure another, and CMQ_BENCH_ADMIN_DSN to a role that may create databases
#       if the DSN's role may not (the cluster: its DSN with user=postgres).
#       CMQ_BENCH_XMIN_SECONDS sets pg-xmin's phases (default 300 each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMQ_BUILD_TESTS=OFF >/dev/null
cmake --build build/release --target cmqd cmq-bench cmqctl >/dev/null

scenarios=("$@")
((${#scenarios[@]})) || scenarios=(backlog single mixed longpoll memory publish push publish-latency scrape)
data=
port=${CMQ_BENCH_PORT:-18765}
port2=$((port + 1))
storage_args=()  # more cmqd flags: the distributed mode's for pg-*, scrape's
pid2=""
pg_dir=""
pg_base_dsn=${CMQ_BENCH_DSN:-}
pg_admin_dsn=${CMQ_BENCH_ADMIN_DSN:-}
pg_bin=/usr/lib/postgresql/15/bin
as_postgres=()
[[ $(id -u) -eq 0 ]] && as_postgres=(setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups --)
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
  build/release/cmqd --listen 127.0.0.1:$port --admin-listen 127.0.0.1:0 --data-dir "$data" \
    --secret-id "$CMQ_SECRET_ID" --secret-key "$CMQ_SECRET_KEY" --min-max-msg-heap-num 1 \
    --push-allow-networks 127.0.0.0/8 --log-level "${CMQD_LOG_LEVEL:-warn}" "${storage_args[@]}" \
    >>"$data.log" 2>&1 &
  pid=$!
  wait_listening "$data.log" "cmqd"
}
# Waits until the cmqd logging to $1 listens; names it $2 and exits if it never does.
wait_listening() {
  for _ in $(seq 6000); do
    grep -q "listening on" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "$2 did not start"; cat "$1"; exit 1
}
stop_server() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
rss_kib() { awk '/VmRSS/ {print $2}' /proc/"$pid"/status; }
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
  [[ -n "$pid2" ]] && kill -9 "$pid2" 2>/dev/null
  [[ -n "$data" ]] && rm -rf "$data" "$data.log" "$data.2" "$data.2.log"
  if [[ -n "$pg_dir" ]]; then
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

# A private PostgreSQL 15 on local disk, unless CMQ_BENCH_DSN names one.
start_postgres() {
  [[ -n "$pg_base_dsn" ]] && return 0
  pg_dir=$(mktemp -d /var/tmp/cmq-bench-pg-XXXXXX)
  chmod 755 "$pg_dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pg_dir"
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U cmq --auth=trust >/dev/null
  local pg_port=$((port + 10))
  "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
    "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_wal_size=4GB" \
    start >/dev/null
  pg_base_dsn="host=127.0.0.1 port=$pg_port user=cmq"
}

# A new database for the scenario; its DSN in $pg_dsn, the cmqd flags in storage_args.
fresh_database() {
  local db="bench_$1_$$"
  local admin=${pg_admin_dsn:-$pg_base_dsn}
  psql "$admin dbname=postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db OWNER cmq" \
    >/dev/null 2>&1
  pg_dsn="$pg_base_dsn dbname=$db"
  # A standby may not have replayed the new database yet, and libpq does not try the
  # next host of a multi-host DSN after "database does not exist".
  for _ in $(seq 100); do
    psql "$pg_dsn" -qc "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  storage_args=(--storage postgres --postgres-dsn "$pg_dsn" --node-id bench-a
    --advertise 127.0.0.1:$port)
}

# A second node on the same database (a standby), listening on $port2.
start_standby() {
  : >"$data.2.log"
  build/release/cmqd --listen 127.0.0.1:$port2 --admin-listen 127.0.0.1:0 --data-dir "$data.2" \
    --secret-id "$CMQ_SECRET_ID" --secret-key "$CMQ_SECRET_KEY" --min-max-msg-heap-num 1 \
    --log-level info --storage postgres --postgres-dsn "$pg_dsn" --node-id bench-b \
    --advertise 127.0.0.1:$port2 >>"$data.2.log" 2>&1 &
  pid2=$!
  wait_listening "$data.2.log" "the standby"
}

for s in "${scenarios[@]}"; do
  storage_args=()
  if [[ "$s" == pg-* ]]; then
    start_postgres
    fresh_database "${s#pg-}"
  fi
  # A later --admin-listen wins over start_server's.
  [[ "$s" == scrape ]] && storage_args=(--admin-listen 127.0.0.1:$port2 --max-queues-per-account 10000
    --metrics-max-queues 10000)
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
    scrape)
      echo "== /metrics with 10,000 queues, each its own series"
      $bench --mode scrape --queue many --queues 10000 --producers 8 --scrapes 20 \
        --admin http://127.0.0.1:$port2
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
    pg-backlog)
      echo "== storage postgres: batch send, 16 per request, 4 producers, 1 KiB, 1,000,000 messages"
      $bench --queue backlog --create-queue --mode produce --producers 4 --batch 16 \
        --size 1024 --count 1000000
      echo "== storage postgres: batch receive + batch delete, 4 consumers draining the backlog"
      $bench --queue backlog --mode consume --consumers 4 --batch 16 --count 1000000 --wait 1
      ;;
    pg-latency)
      echo "== storage postgres: send-to-receive latency at 1,000 msgs/s for 30 s (single send, 8 long-polling consumers)"
      $bench --queue latency --create-queue --producers 4 --consumers 8 --batch 1 --size 1024 \
        --rate 1000 --duration 30 --wait 5 --delete-queue
      ;;
    pg-takeover)
      echo "== storage postgres: kill -9 of the owner with 1,000,000 live messages; a standby takes over"
      $bench --queue heap --create-queue --mode produce --producers 4 --batch 16 --size 1024 \
        --count 1000000 >/dev/null
      start_standby
      t0=$(date +%s.%N)
      kill -9 "$pid"
      wait "$pid" 2>/dev/null || true
      pid=""
      until build/release/cmqctl --endpoint "http://127.0.0.1:$port2" queue show heap >/dev/null 2>&1; do
        sleep 0.02
      done
      t1=$(date +%s.%N)
      echo "serving again through the standby $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') s after the owner's death"
      grep "serving epoch" "$data.2.log" || true
      build/release/cmqctl --endpoint "http://127.0.0.1:$port2" queue show heap | grep -iE "^ *active"
      kill -TERM "$pid2"; wait "$pid2" || true; pid2=""
      continue
      ;;
    pg-xmin)
      secs=${CMQ_BENCH_XMIN_SECONDS:-300}
      echo "== storage postgres: mixed load for ${secs} s, then ${secs} s more while a transaction holds the xmin horizon"
      load() {
        $bench --queue churn --create-queue --producers 4 --consumers 4 --batch 16 --size 1024 \
          --duration "$secs" --wait 1 | grep -E "msgs/s|latency|errors"
      }
      load
      psql "$pg_dsn" -qAt -c "SELECT 'tables before: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c WHERE relname LIKE 'cmq_log_%' AND relkind = 'r'"
      psql "$pg_dsn" -q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM cmq_segments" \
        -c "SELECT pg_sleep(86400)" >/dev/null 2>&1 &  # ended below, after the load and its drain
      holder=$!
      sleep 2
      psql "$pg_dsn" -qAt -c "SELECT 'xmin held by pid ' || pid || ' since ' || xact_start FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
      load
      psql "$pg_dsn" -qAt -c "SELECT 'tables after: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))) || ' in ' || count(*) || ' segment tables' FROM pg_class c WHERE relname LIKE 'cmq_log_%' AND relkind = 'r'"
      # The backend sleeps on after its client is gone: end it from the server side.
      psql "$pg_dsn" -qAt -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND query LIKE '%pg_sleep(86400)%' AND pid <> pg_backend_pid()" >/dev/null
      wait "$holder" 2>/dev/null || true
      ;;
    *) echo "unknown scenario $s"; exit 2 ;;
  esac
  stop_server
done
