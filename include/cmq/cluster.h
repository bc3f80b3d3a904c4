// ClusterInfo: what a cmqd node knows of its cluster (the DescribeCluster action, a
// cmqd extension that CMQ itself does not have): the nodes, who owns each partition of
// the queue space under which fencing epoch, and in the distributed mode the
// PostgreSQL primary and its standbys with their replication lag. See
// Account::describeCluster.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmq {

struct ClusterNode {
  std::string nodeId;
  std::string address;           // where the other nodes reach it (host:port)
  int64_t startTime = 0;         // Unix seconds
  int64_t heartbeatAgeMs = 0;    // since its last heartbeat (0 in embedded mode)
  bool alive = false;            // heartbeat younger than its lease
  std::vector<int> partitions;   // the partitions it owns now
};

struct ClusterPartition {
  int partition = 0;
  std::string owner;         // empty: nobody owns it now (a takeover is due)
  std::string ownerAddress;
  uint64_t epoch = 0;        // moves on with every claim; 0 in embedded mode
  int64_t leaseLeftMs = 0;
  int64_t segments = 0;      // of its log
  int64_t logBytes = 0;      // on disk
};

struct DatabaseStandby {
  std::string name;       // Patroni: the member name
  std::string address;
  std::string state;      // "streaming", ...
  std::string syncState;  // "sync", "async", "potential", "quorum"
  int64_t lagBytes = -1;  // WAL not yet replayed; -1 when PostgreSQL does not show it
  int64_t replayLagMs = -1;
};

struct ClusterInfo {
  std::string storage;  // "embedded" or "postgres"
  std::string nodeId;   // the node that answered
  std::vector<ClusterNode> nodes;
  std::vector<ClusterPartition> partitions;
  std::string databaseServer;  // distributed mode: the PostgreSQL primary (host:port)
  std::vector<DatabaseStandby> standbys;
};

}  // namespace cmq
