#!/usr/bin/env bash
# A local highly available cmq cluster on one machine, from Debian's packages, on
# 127.0.0.1 only (README.md, "Highly available mode"):
#   - one etcd, Patroni's store;
#   - two or three PostgreSQL 15 under Patroni, synchronous_mode_strict (a commit is
#     answered once it is on the synchronous standby too), fsync and synchronous_commit
#     on, data checksums;
#   - cmqd nodes (--storage postgres) on the multi-host DSN that follows the primary,
#     one data directory each, all with the same key pair.
#
#   scripts/cluster.sh start|stop|status|env|members|kill-primary [options]
#
#   start         starts what is not running; waits until every PostgreSQL runs, one is
#                 the primary with a synchronous standby, and every cmqd listens; prints
#                 the status. A start on an existing DIR restarts the cluster on its data.
#   stop          stops everything it started (cmqd, Patroni and its PostgreSQL, etcd),
#                 cleanly; nothing to do is no error.
#   status        Patroni members (role, state, lag), cmqd nodes (running, which one
#                 serves), the DSN and the key pair.
#   env           shell lines for cmqctl and scripts: eval "$(scripts/cluster.sh env)"
#                 sets CMQ_ENDPOINT (the serving node, else the first), CMQ_ENDPOINTS,
#                 CMQ_SECRET_ID, CMQ_SECRET_KEY and CMQ_CLUSTER_DSN.
#   members       Patroni's members for programs, one a line, tab-separated: name, role
#                 (leader, sync_standby, replica), state, host:port, lag in bytes ("-"
#                 for the leader), Patroni's pid, the postmaster's pid (0: not running).
#   kill-primary  SIGKILL to the primary's Patroni and then to all its PostgreSQL
#                 processes, as if its machine died; prints "killed NAME ...". The
#                 synchronous standby takes over once the leader key expires (ttl).
#                 `start` brings the killed member back, as a replica.
#
# Options (the first start keeps them in DIR/cluster.conf for later commands on DIR;
# --postgres and --base-port cannot change afterwards, --nodes can):
#   --dir DIR         the cluster's files (default ./cluster-data)
#   --postgres N      PostgreSQL instances, 2 or 3 (default 3). With 2, a dead
#                     instance stops writes until it is back (strict synchronous mode
#                     needs a standby); with 3 the cluster survives one loss.
#   --nodes N         cmqd nodes, 0 to 9 (default 2; 0: the database only)
#   --base-port PORT  ports PORT (etcd) and PORT+1 (etcd peers), PORT+10+i (PostgreSQL
#                     i), PORT+20+i (Patroni i's REST API), PORT+30+i (cmqd i), i from
#                     1 (default 17400)
#   --cmqd PATH       the cmqd to run (default build/release/cmqd, built first)
#   --timeout S       longest wait of start for any step (default 180)
#   --owner-pid PID   stop the cluster when process PID ends: tests pass their own, so
#                     that a test that crashes leaves nothing running
#
# Exit status: 0 done; 1 failed (saying why); 2 bad usage; 3 a port the cluster needs
# is taken by another program (start again with another --base-port).
#
# Files in DIR: cluster.conf; credentials (the key pair, mode 0600); etcd/ and etcd.log;
# per PostgreSQL instance pgI/ with patroni.yml, patroni.log (Patroni's and PostgreSQL's
# output) and data/; per cmqd nodeI/ with cmqd.log and data/; *.pid files.
#
# As root, PostgreSQL and Patroni run as the `postgres` user the postgresql-15 package
# creates (PostgreSQL refuses root); DIR must then be reachable by that user.
# PostgreSQL admits every local connection without a password (trust, 127.0.0.1
# only): a cluster for development and tests, not a production set-up.
set -euo pipefail

script=$(realpath "$0")
repo=$(cd "$(dirname "$script")/.." && pwd)
pg_bin=/usr/lib/postgresql/15/bin
scope=cmq

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}
usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$script" >&2
  exit 2
}

(($# > 0)) || usage
command=$1
shift
case "$command" in
  start | stop | status | env | members | kill-primary) ;;
  -h | --help | help) usage ;;
  *) echo "cluster.sh: unknown command $command" >&2 && usage ;;
esac

dir=$PWD/cluster-data
postgres='' nodes='' base_port='' cmqd='' owner_pid=''
timeout=180
while (($# > 0)); do
  (($# >= 2)) || { echo "cluster.sh: $1 needs a value" >&2 && usage; }
  case "$1" in
    --dir) dir=$2 ;;
    --postgres) postgres=$2 ;;
    --nodes) nodes=$2 ;;
    --base-port) base_port=$2 ;;
    --cmqd) cmqd=$2 ;;
    --timeout) timeout=$2 ;;
    --owner-pid) owner_pid=$2 ;;
    *) echo "cluster.sh: unknown option $1" >&2 && usage ;;
  esac
  shift 2
done
number() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then die "$1 must be $3 to $4, not '$2'"; fi
}
[[ -z "$postgres" ]] || number --postgres "$postgres" 2 3
[[ -z "$nodes" ]] || number --nodes "$nodes" 0 9
[[ -z "$base_port" ]] || number --base-port "$base_port" 1024 65500
[[ -z "$owner_pid" ]] || number --owner-pid "$owner_pid" 1 4194304
number --timeout "$timeout" 1 3600
dir=$(realpath -m "$dir")

# ---- settings kept in DIR/cluster.conf

conf=$dir/cluster.conf
if [[ -f "$conf" ]]; then
  while IFS='=' read -r key value; do
    case "$key" in
      postgres | base_port)
        given=${!key}
        [[ -z "$given" || "$given" == "$value" ]] ||
          die "$dir was made with --${key/_/-} $value; it cannot change (stop, remove $dir, start again)"
        printf -v "$key" '%s' "$value"
        ;;
      nodes) [[ -n "$nodes" ]] || nodes=$value ;;
    esac
  done <"$conf"
elif [[ "$command" != start ]]; then
  [[ "$command" == stop ]] && exit 0  # nothing was ever started here
  die "no cluster in $dir (scripts/cluster.sh start --dir $dir makes one)"
fi
postgres=${postgres:-3} nodes=${nodes:-2} base_port=${base_port:-17400}

etcd_port=$base_port
etcd_peer_port=$((base_port + 1))
pg_port() { echo $((base_port + 10 + $1)); }
rest_port() { echo $((base_port + 20 + $1)); }
node_port() { echo $((base_port + 30 + $1)); }
rest_ports=() hosts=() pg_ports=()
for ((i = 1; i <= postgres; i++)); do
  rest_ports+=("$(rest_port $i)") hosts+=(127.0.0.1) pg_ports+=("$(pg_port $i)")
done
join() {
  local IFS=$1
  shift
  echo "$*"
}
dsn="host=$(join , "${hosts[@]}") port=$(join , "${pg_ports[@]}") dbname=cmq user=cmq target_session_attrs=read-write"

# What runs PostgreSQL's programs and Patroni: as root, the package's postgres user.
as_postgres=()
if ((EUID == 0)); then
  if id postgres >/dev/null 2>&1; then
    as_postgres=(setpriv --reuid="$(id -u postgres)" --regid="$(id -g postgres)" --clear-groups --)
  elif [[ "$command" == start ]]; then
    die "PostgreSQL refuses to run as root and there is no postgres user to run it as" \
      "(the postgresql-15 package makes it: scripts/install-deps.sh --cluster)"
  fi
fi

# ---- processes

# The pid in pid file $1 if that process runs and its command line holds $2 (so that a
# pid reused by another program is never taken for ours); fails otherwise.
our_pid() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$pid"
}

# launch PIDFILE LOG PROGRAM ARGS...: runs the program in a session of its own (so that
# neither a terminal's ^C nor the end of this script reaches it), output appended to
# LOG; its pid goes to PIDFILE.
launch() {
  local pidfile=$1 log=$2
  shift 2
  # The background job is not a process group leader, so setsid needs no fork: $! is
  # the program's own pid.
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$pidfile"
}

# Whether process $1 runs: a zombie (dead, its parent has not reaped it) does not.
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ "${stat##*) }" != Z* ]]
}

# Waits until process $1 is gone, at most $2 seconds; false if it still runs.
wait_gone() {
  local deadline=$((SECONDS + $2))
  while running "$1"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Sends SIGTERM to each pid, waits for all, SIGKILL to any that outlives $1 seconds.
terminate() {
  local limit=$1 pid
  shift
  (($# > 0)) || return 0
  kill -TERM "$@" 2>/dev/null || true
  for pid in "$@"; do
    if ! wait_gone "$pid" "$limit"; then
      echo "cluster.sh: pid $pid did not stop within ${limit}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_gone "$pid" 10 || true
    fi
  done
}

# The processes whose working directory is $1: every process of a PostgreSQL server
# runs in its data directory.
processes_in() {
  find /proc -mindepth 2 -maxdepth 2 -name cwd -lname "$1" 2>/dev/null | cut -d/ -f3
}

# The postmaster pid of data directory $1 while it runs, else 0.
postmaster_pid() {
  local pid
  pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || pid=
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$1" ]]; then
    echo "$pid"
  else
    echo 0
  fi
}

# Removes the System V shared memory segment that a killed PostgreSQL of data directory
# $1 left (kept until reboot otherwise): the one its postmaster.pid names, only if its
# key matches and nothing is attached to it.
release_shared_memory() {
  local key id segment
  read -r key id < <(sed -n 7p "$1/postmaster.pid" 2>/dev/null) || return 0
  [[ "$key" =~ ^[0-9]+$ && "$id" =~ ^[0-9]+$ ]] || return 0
  segment=$(ipcs -m | awk -v id="$id" '$2 == id { print $1, $6 }')  # key, attached
  [[ "$segment" == "$(printf '0x%08x' "$key") 0" ]] || return 0
  ipcrm -m "$id" 2>/dev/null || true
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Fails with exit status 3 if any of the ports is taken.
need_free_ports() {
  local what=$1 port
  shift
  for port in "$@"; do
    if port_in_use "$port"; then
      echo "cluster.sh: port $port ($what) is in use by another program; use another --base-port" >&2
      exit 3
    fi
  done
}

# ---- Patroni

# Patroni's view of the cluster from the first member's REST API that answers
# (GET /cluster): lines of name, role, state, host:port, lag ("-" for the leader).
# Fails if none answers.
patroni_cluster() {
  python3 - "${rest_ports[@]}" <<'EOF'
import json, sys, urllib.request
for port in sys.argv[1:]:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%s/cluster" % port, timeout=2) as answer:
            cluster = json.load(answer)
        break
    except Exception:
        continue
else:
    sys.exit(1)
for m in cluster.get("members", []):
    address = "%s:%s" % (m.get("host", ""), m.get("port", ""))
    lag = m.get("lag", "-")
    print("\t".join(str(v) for v in (m["name"], m["role"], m["state"], address, lag)))
EOF
}

patroni_pid() { our_pid "$dir/$1/patroni.pid" "$dir/$1/patroni.yml" || echo 0; }

list_members() {
  local name role state address lag
  patroni_cluster | while IFS=$'\t' read -r name role state address lag; do
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$role" "$state" "$address" "$lag" \
      "$(patroni_pid "$name")" "$(postmaster_pid "$dir/$name/data")"
  done
}

# Whether every instance runs, one as the leader and one as a synchronous standby.
cluster_ready() {
  local members
  members=$(patroni_cluster) || return 1
  awk -F'\t' -v want="$postgres" '
    $3 !~ /^(running|streaming)$/ { next }
    { running++ }
    $2 == "leader" { leader++ }
    $2 == "sync_standby" { sync++ }
    END { exit !(running == want && leader == 1 && sync >= 1) }' <<<"$members"
}

leader_name() {
  patroni_cluster 2>/dev/null | awk -F'\t' '$2 == "leader" { print $1 }'
}

# Patroni's configuration for instance $1. Failover timing: the leader key lives ttl
# seconds unless renewed; Patroni renews it every loop_wait; a leader that cannot reach
# etcd for retry_timeout demotes itself, before its key expires (Patroni's rule
# loop_wait + 2 * retry_timeout <= ttl). So a dead primary is replaced within about
# ttl + loop_wait, here 11 s, plus the promotion.
write_patroni_config() {
  local i=$1 name=pg$1
  cat >"$dir/$name/patroni.yml" <<EOF
scope: $scope
name: $name
restapi:
  listen: 127.0.0.1:$(rest_port "$i")
  connect_address: 127.0.0.1:$(rest_port "$i")
etcd3:
  hosts: 127.0.0.1:$etcd_port
watchdog:
  mode: off
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    synchronous_mode: true
    synchronous_mode_strict: true
    postgresql:
      use_pg_rewind: true
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
postgresql:
  listen: 127.0.0.1:$(pg_port "$i")
  connect_address: 127.0.0.1:$(pg_port "$i")
  data_dir: $dir/$name/data
  bin_dir: $pg_bin
  pgpass: $dir/$name/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  pg_hba:
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
  parameters:
    fsync: 'on'
    synchronous_commit: 'on'
    full_page_writes: 'on'
    # TCP only: a socket path under DIR could pass the length limit of socket paths.
    unix_socket_directories: ''
    # In the data directory, not in /dev/shm, where a killed server would leave it.
    dynamic_shared_memory_type: mmap
    # A standby whose primary died retries the new one after this (default 5 s).
    wal_retrieve_retry_interval: 500ms
EOF
}

# ---- commands

print_status() {
  local etcd_state=stopped members name role state address lag pmpid i port pid
  our_pid "$dir/etcd.pid" "$dir/etcd" >/dev/null && etcd_state=running
  echo "cmq cluster in $dir"
  echo "  etcd        http://127.0.0.1:$etcd_port ($etcd_state)"
  echo "  PostgreSQL  (Patroni scope $scope; REST API http://127.0.0.1:$(rest_port 1)/cluster)"
  members=$(list_members) || echo "    no Patroni member answers"
  while IFS=$'\t' read -r name role state address lag _ pmpid; do
    [[ -n "$name" ]] || continue
    printf '    %-4s %-13s %-9s %-16s %-18s %s\n' "$name" "$role" "$state" "$address" \
      "$( ((pmpid == 0)) || echo "postmaster $pmpid")" "$([[ "$lag" == - ]] || echo "lag $lag bytes")"
  done <<<"$members"
  # Instances Patroni no longer lists: their member key expired with them.
  for ((i = 1; i <= postgres; i++)); do
    [[ $'\n'"$members" == *$'\n'"pg$i"$'\t'* ]] ||
      printf '    %-4s %-13s %-9s %s\n' "pg$i" - stopped "127.0.0.1:$(pg_port $i)"
  done
  echo "  DSN         $dsn"
  if ((nodes > 0)); then
    local owner label=cmqd
    owner=$(serving_node)
    for ((i = 1; i <= nodes; i++)); do
      port=$(node_port $i)
      if pid=$(our_pid "$dir/node$i/cmqd.pid" "$dir/node$i/data"); then
        state="running, pid $pid"
        [[ "$owner" == "node$i "* ]] && state+=", serving (epoch ${owner#* })" ||
          state+=", standing by"
      else
        state="stopped"
      fi
      printf '  %-11s http://127.0.0.1:%s (node%s: %s)\n' "$label" "$port" "$i" "$state"
      label=
    done
  fi
  if [[ -f "$dir/credentials" ]]; then
    echo "  SecretId    $(secret secret_id)"
    echo "  SecretKey   $(secret secret_key)"
  fi
}

secret() { sed -n "s/^$1=//p" "$dir/credentials"; }

# "NODE EPOCH" of the node whose lease on partition 0 runs now (PostgreSQL's view), if
# any.
serving_node() {
  PGCONNECT_TIMEOUT=3 "$pg_bin/psql" -X -q -At -F ' ' "$dsn" -c \
    "SELECT owner, epoch FROM cmq_partitions WHERE owner IS NOT NULL AND lease_until > now()
     ORDER BY partition LIMIT 1" 2>/dev/null || true
}

print_env() {
  local endpoints=() serving='' i
  ((nodes == 0)) || serving=$(serving_node)
  for ((i = 1; i <= nodes; i++)); do
    if [[ "$serving" == "node$i "* ]]; then
      endpoints=("http://127.0.0.1:$(node_port $i)" "${endpoints[@]}")
    else
      endpoints+=("http://127.0.0.1:$(node_port $i)")
    fi
  done
  if ((nodes > 0)); then
    echo "export CMQ_ENDPOINT=${endpoints[0]}"
    echo "export CMQ_ENDPOINTS=$(join , "${endpoints[@]}")"
  fi
  if [[ -f "$dir/credentials" ]]; then
    echo "export CMQ_SECRET_ID=$(secret secret_id)"
    echo "export CMQ_SECRET_KEY=$(secret secret_key)"
  fi
  echo "export CMQ_CLUSTER_DSN='$dsn'"
}

# Shows the end of each log, for a start that failed.
show_logs() {
  local log
  for log in "$dir/etcd.log" "$dir"/pg*/patroni.log "$dir"/node*/cmqd.log; do
    [[ -f "$log" ]] || continue
    echo "--- $log (end)" >&2
    tail -n 25 "$log" >&2
  done
}

# wait_until WHAT COMMAND...: until COMMAND succeeds, polling; fails after --timeout.
wait_until() {
  local what=$1 deadline=$((SECONDS + timeout))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then
      show_logs
      die "$what within ${timeout}s (logs above; scripts/cluster.sh stop --dir $dir stops what runs)"
    fi
    sleep 0.2
  done
}

start_etcd() {
  our_pid "$dir/etcd.pid" "$dir/etcd" >/dev/null && return 0
  need_free_ports etcd "$etcd_port" "$etcd_peer_port"
  launch "$dir/etcd.pid" "$dir/etcd.log" etcd --name "$scope" --data-dir "$dir/etcd" \
    --logger zap --log-level warn \
    --listen-client-urls "http://127.0.0.1:$etcd_port" \
    --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "$scope=http://127.0.0.1:$etcd_peer_port"
  wait_until "etcd did not listen on port $etcd_port" port_in_use "$etcd_port"
}

start_patroni() {
  local i=$1 name=pg$1
  [[ "$(patroni_pid "$name")" == 0 ]] || return 0
  local data=$dir/$name/data
  # A PostgreSQL that outlived its Patroni runs on: the new Patroni takes it over. One
  # that was killed may have left its shared memory.
  [[ "$(postmaster_pid "$data")" != 0 ]] || release_shared_memory "$data"
  need_free_ports "Patroni $name" "$(rest_port "$i")"
  [[ "$(postmaster_pid "$data")" != 0 ]] || need_free_ports "PostgreSQL $name" "$(pg_port "$i")"
  mkdir -p "$dir/$name"
  write_patroni_config "$i"
  ((${#as_postgres[@]} == 0)) || chown -R postgres: "$dir/$name"
  launch "$dir/$name/patroni.pid" "$dir/$name/patroni.log" \
    "${as_postgres[@]}" env HOME="$dir/$name" patroni "$dir/$name/patroni.yml"
}

start_node() {
  local i=$1 name=node$1 port
  port=$(node_port "$i")
  our_pid "$dir/$name/cmqd.pid" "$dir/$name/data" >/dev/null && return 0
  need_free_ports "cmqd $name" "$port"
  mkdir -p "$dir/$name"
  # The key pair through the environment: a command line shows in ps.
  CMQ_SECRET_ID=$(secret secret_id) CMQ_SECRET_KEY=$(secret secret_key) \
    launch "$dir/$name/cmqd.pid" "$dir/$name/cmqd.log" "$cmqd" \
    --listen "127.0.0.1:$port" --admin-listen 127.0.0.1:0 --advertise "127.0.0.1:$port" \
    --data-dir "$dir/$name/data" \
    --storage postgres --postgres-dsn "$dsn" --node-id "$name"
  local pid
  pid=$(cat "$dir/$name/cmqd.pid")
  node_listens() {
    running "$pid" || {
      show_logs
      die "cmqd $name exited (its log above)"
    }
    port_in_use "$port"
  }
  wait_until "cmqd $name did not listen on port $port" node_listens
}

# The cmqd binary: --cmqd as given, else build/release/cmqd built (or brought up to
# date) the way scripts/run.sh does.
find_cmqd() {
  if [[ -n "$cmqd" ]]; then
    [[ -x "$cmqd" ]] || die "--cmqd $cmqd is not an executable file"
    cmqd=$(realpath "$cmqd")
    return 0
  fi
  if [[ ! -f "$repo/build/release/CMakeCache.txt" ]]; then
    echo "building cmqd in build/release (once; --cmqd PATH runs another)" >&2
    cmake -S "$repo" -B "$repo/build/release" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMQ_BUILD_TESTS=OFF >/dev/null
  fi
  local output
  if ! output=$(cmake --build "$repo/build/release" --target cmqd 2>&1); then
    echo "$output" >&2
    die "building cmqd failed (above)"
  fi
  cmqd=$repo/build/release/cmqd
}

do_start() {
  "$repo/scripts/install-deps.sh" --cluster
  ((nodes == 0)) || find_cmqd
  mkdir -p "$dir"
  printf 'postgres=%s\nbase_port=%s\nnodes=%s\n' "$postgres" "$base_port" "$nodes" >"$conf"
  if ((${#as_postgres[@]} > 0)); then
    # The postgres user must reach its directories under DIR.
    chmod go+x "$dir"
    "${as_postgres[@]}" test -x "$dir" ||
      die "the postgres user (PostgreSQL refuses root) cannot reach $dir: a directory" \
        "above it is closed to other users; use a --dir it can reach (under /tmp, /srv)"
  fi
  if [[ ! -f "$dir/credentials" ]]; then
    (
      umask 077
      printf 'secret_id=AKID%s\nsecret_key=%s\n' \
        "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" \
        "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" >"$dir/credentials"
    )
  fi
  if [[ -n "$owner_pid" ]] && ! our_pid "$dir/watch.pid" "$dir" >/dev/null; then
    # shellcheck disable=SC2016 # the arguments expand in the watcher's shell
    launch "$dir/watch.pid" "$dir/watch.log" bash -c \
      'tail --pid="$1" -f /dev/null; exec "$2" stop --dir "$3"' watch "$owner_pid" "$script" "$dir"
  fi

  start_etcd
  local i
  for ((i = 1; i <= postgres; i++)); do start_patroni "$i"; done
  wait_until "Patroni did not run every PostgreSQL with a leader and a synchronous standby" \
    cluster_ready
  # The role and database of cmqd; the superuser gets in without a password (trust).
  local admin_dsn=${dsn/dbname=cmq user=cmq/dbname=postgres user=postgres}
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 "$admin_dsn" >/dev/null <<'EOF'
SELECT 'CREATE ROLE cmq LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cmq')
\gexec
SELECT 'CREATE DATABASE cmq OWNER cmq'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cmq')
\gexec
EOF
  for ((i = 1; i <= nodes; i++)); do start_node "$i"; done
  print_status
}

do_stop() {
  local i pids=() pid node_dir
  for node_dir in "$dir"/node*; do
    pid=$(our_pid "$node_dir/cmqd.pid" "$node_dir/data") && pids+=("$pid")
  done
  # cmqd hands its lease over on SIGTERM and finishes what is in flight.
  terminate 60 "${pids[@]}"
  # Every Patroni at once: one that stops runs no more failover, so the standbys do not
  # take over from the primary that stops beside them.
  pids=()
  for ((i = 1; i <= postgres; i++)); do
    pid=$(patroni_pid "pg$i")
    [[ "$pid" == 0 ]] || pids+=("$pid")
  done
  terminate 120 "${pids[@]}"
  # A PostgreSQL whose Patroni was killed runs on alone: fast shutdown (SIGINT).
  for ((i = 1; i <= postgres; i++)); do
    pid=$(postmaster_pid "$dir/pg$i/data")
    if [[ "$pid" != 0 ]]; then
      kill -INT "$pid" 2>/dev/null || true
      wait_gone "$pid" 120 || kill -KILL "$pid" 2>/dev/null || true
    fi
    release_shared_memory "$dir/pg$i/data"
  done
  pid=$(our_pid "$dir/etcd.pid" "$dir/etcd") && terminate 60 "$pid"
  # The watcher, unless this is the watcher itself (it execs this script).
  if pid=$(our_pid "$dir/watch.pid" "$dir") && [[ "$pid" != "$$" ]]; then
    kill -TERM -- "-$pid" 2>/dev/null || true
  fi
  echo "cmq cluster in $dir stopped"
}

do_kill_primary() {
  local leader patroni pm data
  leader=$(leader_name) || true
  [[ -n "$leader" ]] || die "no Patroni member names a leader now"
  patroni=$(patroni_pid "$leader")
  data=$dir/$leader/data
  pm=$(postmaster_pid "$data")
  [[ "$patroni" != 0 || "$pm" != 0 ]] ||
    die "the leader $leader does not run (already killed; its key expires within the ttl)"
  # Patroni first, so that it cannot start its PostgreSQL again.
  [[ "$patroni" == 0 ]] || kill -KILL "$patroni" 2>/dev/null || true
  [[ "$pm" == 0 ]] || kill -KILL "$pm" 2>/dev/null || true
  local deadline=$((SECONDS + 60)) left
  while left=$(processes_in "$data") && [[ -n "$left" ]]; do
    ((SECONDS < deadline)) || die "processes of $data outlived SIGKILL: $left"
    # shellcheck disable=SC2086 # one pid a word
    kill -KILL $left 2>/dev/null || true
    sleep 0.01
  done
  [[ "$patroni" == 0 ]] || wait_gone "$patroni" 60 || die "Patroni ($patroni) outlived SIGKILL"
  release_shared_memory "$data"
  echo "killed $leader (Patroni pid $patroni, postmaster pid $pm)"
}

case "$command" in
  start) do_start ;;
  stop) do_stop ;;
  status) print_status ;;
  env) print_env ;;
  members) list_members || die "no Patroni member answers" ;;
  kill-primary) do_kill_primary ;;
esac
