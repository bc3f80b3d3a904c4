// TortureCluster: the cmqd nodes of the distributed mode on one PostgreSQL database,
// for the takeover torture (docs/torture.md): each node on a data directory of its own
// under a node id that its restarts keep, started, killed with -9 and restarted like
// any CmqdProcess; and what the database says about them: which node owns the
// partition under which epoch, and which segments its log has.
//
// Not thread-safe: the driver's thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "pglog/pg_conn.h"
#include "support/cmqd_process.h"
#include "support/temp_dir.h"

namespace cmq::torture {

class TortureCluster {
 public:
  // `nodes` nodes ("node-a", "node-b", ...) on the database of `dsn`; `args` are the
  // cmqd arguments of every node beyond storage, DSN and node id. Starts nothing.
  TortureCluster(std::string dsn, int nodes, const std::vector<std::string>& args);

  int size() const { return static_cast<int>(nodes_.size()); }
  testing::CmqdProcess& node(int i) { return *nodes_[i]; }
  const std::string& node_id(int i) const { return ids_[i]; }
  // The endpoints of the running nodes, in node order.
  std::vector<std::string> Endpoints() const;

  // The partition's row of cmq_partitions.
  struct Owner {
    int node = -1;  // the owner's index; -1: no owner (or one of no node here)
    uint64_t epoch = 0;
    bool lease_live = false;  // by PostgreSQL's clock
  };
  Result<Owner> ReadOwner();

  // The partition's log segments (cmq_segments).
  struct Segments {
    int64_t first = 0;
    int64_t last = -1;
    int64_t count = 0;
    std::string ToString() const;  // "segments 3..7", or "empty"
  };
  Result<Segments> ReadSegments();

 private:
  // The driver's own connection, made again after a failure.
  Result<pglog::PgConn*> Conn();

  const std::string dsn_;
  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<testing::TempDir>> dirs_;  // outlive the nodes on them
  std::vector<std::unique_ptr<testing::CmqdProcess>> nodes_;
  std::unique_ptr<pglog::PgConn> conn_;
};

}  // namespace cmq::torture
