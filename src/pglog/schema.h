// The versioned schema of the distributed mode (docs/architecture.md, "Distributed
// mode"). cmqd creates or migrates it at start; every node runs the same code, so the
// migration runs under a transaction-level advisory lock and one node does it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "pglog/pg_conn.h"

namespace cmq::pglog {

// The schema version this binary writes and understands.
inline constexpr int kSchemaVersion = 2;

// Creates the schema (with `partitions` partitions, used only when the cluster is new)
// or migrates an older one, in one transaction. Errors: kInternal "the database's cmq
// schema is version N, newer than this cmqd (version M): upgrade cmqd" when the schema
// is newer than this binary; kStorageUnavailable if PostgreSQL fails.
Status MigrateSchema(PgConn* conn, int partitions);

// The partition count of the cluster.
Result<int> PartitionCount(PgConn* conn);

// The default account's key pair kept in the database (cmq_credentials), so that every
// node of a cluster verifies the same signatures.
struct StoredKeyPair {
  std::string secret_id;
  std::string secret_key;
};
Result<std::optional<StoredKeyPair>> LoadKeyPair(PgConn* conn, uint64_t app_id);
// Keeps `pair` unless a pair is kept already, and returns the pair kept now: `pair`, or
// the one another node kept first.
Result<StoredKeyPair> KeepKeyPair(PgConn* conn, uint64_t app_id, const StoredKeyPair& pair);

// Name of the table that holds segment `segment` of partition `partition`.
std::string SegmentTable(uint32_t partition, uint32_t segment);

}  // namespace cmq::pglog
