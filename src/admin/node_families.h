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
};

void WriteNodeFamilies(MetricsText& text, const NodeFigures& node);

}  // namespace cmq::admin
