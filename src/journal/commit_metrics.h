// CommitMetrics: what a record log's writer thread observes of its group commits, for
// /metrics: how long making a commit durable took (the journal: each fdatasync; the
// PostgreSQL log: each committed insert), and the records and bytes each commit
// carried. Observed on the writer thread, read by a scrape on the loop thread
// (ConcurrentHistogram: atomics, no lock).
#pragma once

#include <cstdint>

#include "common/histogram.h"

namespace cmq::journal {

// Seconds: an fdatasync of a local disk takes from tens of microseconds (a cache
// with power-loss protection) to tens of milliseconds; a synchronously replicated
// PostgreSQL commit from a millisecond up.
inline constexpr double kCommitSecondsBounds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
inline constexpr double kCommitRecordsBounds[] = {1,  2,   4,   8,   16,   32,
                                                  64, 128, 256, 512, 1024, 4096};
inline constexpr double kCommitBytesBounds[] = {256,    1024,    4096,    16384,   65536,
                                                262144, 1048576, 4194304, 16777216};

struct CommitMetrics {
  ConcurrentHistogram durable_seconds{kCommitSecondsBounds};
  ConcurrentHistogram records{kCommitRecordsBounds};
  ConcurrentHistogram bytes{kCommitBytesBounds};

  void ObserveCommit(uint64_t commit_records, uint64_t commit_bytes) {
    records.Observe(static_cast<double>(commit_records));
    bytes.Observe(static_cast<double>(commit_bytes));
  }
};

// A copy of CommitMetrics at one moment, for a scrape.
struct CommitFigures {
  Histogram durable_seconds{kCommitSecondsBounds};
  Histogram records{kCommitRecordsBounds};
  Histogram bytes{kCommitBytesBounds};

  static CommitFigures Of(const CommitMetrics& m) {
    return CommitFigures{m.durable_seconds.Snapshot(), m.records.Snapshot(), m.bytes.Snapshot()};
  }
};

}  // namespace cmq::journal
