// Ownership of partitions (docs/architecture.md, "Partitions, owners, epochs"): one row
// per partition in cmq_partitions with the owner, the epoch (the fencing token every
// write of the partition's log checks) and the lease deadline, judged by PostgreSQL's
// clock. Leases only decide when a standby may claim; safety comes from the epoch.
// Every call is one statement (autocommit); none holds a lock past its return.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pglog/pg_conn.h"

namespace cmq::pglog {

struct PartitionOwner {
  uint32_t partition = 0;
  std::string owner;  // empty: nobody
  std::string owner_address;
  uint64_t epoch = 0;
  int64_t lease_left_ms = 0;  // by PostgreSQL's clock; <= 0: expired
};

struct ClaimOutcome {
  bool claimed = false;
  // If claimed, the new epoch; otherwise the row as it stands (who holds the lease).
  PartitionOwner row;
};

// Claims `partition` for `node_id` if its lease has expired, it has no owner, or the
// owner is `node_id` itself (a restarted node): the epoch moves on by one, and
// everything the old owner committed is visible to reads that start afterwards.
Result<ClaimOutcome> TryClaim(PgConn* conn, uint32_t partition, const std::string& node_id,
                              const std::string& address, int lease_ms);

// Extends the lease of `epoch`. kNotServing if the partition has another epoch now
// (taken over: the caller must stop serving it at once).
Status RenewLease(PgConn* conn, uint32_t partition, uint64_t epoch, int lease_ms);

// Gives the partition up (on shutdown): the lease ends now so a standby claims at
// once. The epoch stays; a release by an old epoch changes nothing.
Status ReleaseLease(PgConn* conn, uint32_t partition, uint64_t epoch);

// Records that `node_id` is alive (cmq_nodes), with the address peers reach it at;
// `starting` on the first heartbeat of a process (its start time).
Status Heartbeat(PgConn* conn, const std::string& node_id, const std::string& address,
                 bool starting = false);

// Every partition's row, ordered by partition.
Result<std::vector<PartitionOwner>> ListOwners(PgConn* conn);

}  // namespace cmq::pglog
