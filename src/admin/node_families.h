// The node's figures on /metrics that the server gathers from parts the admin layer
// does not see (the HTTP server, the journal, the disk): connections, parked long
// polls, queues and topics, and the embedded journal.
#pragma once

#include <cstdint>
#include <optional>

#include "admin/metrics_text.h"
#include "journal/commit_metrics.h"

namespace cmq::admin {

struct JournalFigures {
  int64_t segments = 0;                     // segment files kept (spares not counted)
  int64_t bytes = 0;                        // their size on disk (preallocated whole)
  std::optional<uint64_t> disk_free_bytes;  // unknown if the file system would not say
  uint64_t appended_records = 0;            // since start
  uint64_t appended_bytes = 0;
  uint64_t syncs = 0;  // group commits: one fdatasync each
  // Each fdatasync's duration (as many as `syncs`), records and bytes per group commit.
  journal::CommitFigures commits;
};

// A node of the distributed mode: the partition it owns, its lease, its forwards of
// requests to the owner, and the PostgreSQL log while it serves (each commit's
// duration: its insert, committed on the synchronous standby too; records, bytes).
struct ClusterFigures {
  uint64_t epoch = 0;  // of the partition served here; 0: none
  int64_t partitions_owned = 0;
  uint64_t lease_renewals = 0;
  uint64_t lease_renewal_failures = 0;
  // Requests passed to the owner since start, by how they ended: the owner's answer
  // came back; it could not be reached or did not answer (served here instead);
  // the client went away first.
  uint64_t forwards_answered = 0;
  uint64_t forwards_failed = 0;
  uint64_t forwards_cancelled = 0;
  std::optional<journal::CommitFigures> commits;
};

struct NodeFigures {
  int64_t connections = 0;  // open connections of the API listener
  // Of the broker serving here; absent on a node that serves no partition.
  struct Broker {
    int64_t queues = 0;
    int64_t topics = 0;
    int64_t parked_receives = 0;
    int64_t pending_deliveries = 0;
  };
  std::optional<Broker> broker;
  std::optional<JournalFigures> journal;  // embedded mode only
  std::optional<ClusterFigures> cluster;  // distributed mode only
};

void WriteNodeFamilies(MetricsText& text, const NodeFigures& node);

}  // namespace cmq::admin
