// What a cluster of the distributed mode looks like from its database, for operators
// (the DescribeCluster action, `cmqctl cluster show`): the nodes and their heartbeats,
// who owns each partition under which epoch, how much log each partition holds, and
// the PostgreSQL primary's standbys with their replication lag.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pglog/ownership.h"
#include "pglog/pg_conn.h"

namespace cmq::pglog {

struct NodeRow {
  std::string node_id;
  std::string address;
  int64_t started_unix_s = 0;
  int64_t heartbeat_age_ms = 0;  // by PostgreSQL's clock
};

struct PartitionLog {
  uint32_t partition = 0;
  int64_t segments = 0;
  int64_t bytes = 0;  // on disk, tables with their indexes and TOAST
};

// One row of pg_stat_replication. Lag fields are -1 when PostgreSQL does not show
// them (a role without pg_monitor sees only its own sessions' details).
struct StandbyRow {
  std::string name;  // application_name (Patroni: the member name)
  std::string address;
  std::string state;       // streaming, catchup, ...
  std::string sync_state;  // sync, async, potential, quorum
  int64_t lag_bytes = -1;  // WAL the standby has not replayed yet
  int64_t replay_lag_ms = -1;
};

struct ClusterView {
  std::vector<NodeRow> nodes;
  std::vector<PartitionOwner> partitions;
  std::vector<PartitionLog> logs;
  std::string server;  // host:port of the PostgreSQL server asked (the primary)
  std::vector<StandbyRow> standbys;
};

// Reads the view with a few statements, no locks held.
Result<ClusterView> ReadClusterView(PgConn* conn);

}  // namespace cmq::pglog
