// PgRecordLog: the RecordLog of the distributed mode, in PostgreSQL (the design is in
// docs/architecture.md, "The PostgreSQL record log").
//
// One log per partition. Segment N of partition P is the table cmq_log_<P>_<N> with
// one row per group commit: `pos` (the offset of the row's first byte in the
// segment's byte stream) and `data` (records framed as record_frame.h says, back to
// back). A segment's stream is the concatenation of its rows in `pos` order, starting
// at 0, so a Location (segment, offset of a payload byte in that stream) means what it
// means in the journal. cmq_segments lists the segments of each partition.
//
// Fencing: the log writes only as the owner of `epoch`. Every insert, segment
// creation and drop locks the partition's row FOR SHARE where the epoch is still
// `epoch`, and writes nothing otherwise; a write that finds another epoch fails the
// log with kNotServing ("taken over"). So once a new owner has moved the epoch on, this
// log can never change the partition again.
//
// Group commit: Append frames the record into the current segment's buffer (kept in
// memory) and into the writer's queue. A writer thread with its own connection commits
// the queue, one statement per segment touched (fence + insert, autocommit), then
// publishes the durable LSN and calls the wakeup hook; the loop thread runs
// RunCompletions(), which fires the WhenDurable callbacks. The writer starts a commit
// as soon as somebody waits for a queued record; records nobody waits for ride along,
// or are committed `ride_along_ms` after they were appended (as in the journal).
//
// Failure: any failed statement (connection lost, timeout, server error, fenced) fails
// the log for good: pending and later callbacks get the failure (kStorageUnavailable,
// or kNotServing when fenced), Append fails. Whether the statement in flight committed
// is unknown; the owner recovers by replacing the log (and the broker) with a fresh
// one after claiming the partition again, which replays whatever was committed.
//
// Reads: segments are kept in memory (the current one always, older ones up to
// `cache_bytes`, least recently used evicted); a read of an evicted segment loads it
// whole on a reader connection, on the calling thread, within `timeout_ms`.
//
// Headroom: with `max_log_bytes` > 0, EnsureHeadroom refuses (kDiskFull) what would
// take the kept segments past it. PostgreSQL cannot preallocate; the cap is how sends
// are refused while the deletes they reserved room for still fit.
//
// Dropping: DropSegmentsBefore queues a drop behind the records appended so far; the
// writer drops the tables and their cmq_segments rows in one fenced transaction once
// those records are committed (DDL is transactional: a crash leaves all or none).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "env/env.h"
#include "journal/commit_metrics.h"
#include "journal/record_log.h"

namespace cmq::pglog {

struct PgLogOptions {
  std::string dsn;  // libpq connection string or URI
  std::string application_name = "cmqd";
  uint32_t partition = 0;
  uint64_t epoch = 0;  // the fencing token of this owner (ownership.h TryClaim)
  uint64_t segment_size = 64ull << 20;
  uint64_t max_log_bytes = 0;  // 0: no cap
  uint64_t cache_bytes = 256ull << 20;
  int ride_along_ms = 5;
  int timeout_ms = 10000;  // for each statement and each connect
};

struct PgLogStats {
  uint64_t appended_records = 0;
  uint64_t appended_bytes = 0;
  uint64_t commits = 0;      // insert statements committed
  uint64_t durable_lsn = 0;
  uint32_t oldest_segment = 0;
  uint32_t current_segment = 0;
  uint64_t kept_bytes = 0;   // bytes of the segments kept
  uint64_t cached_bytes = 0;
  uint64_t segment_loads = 0;  // cache misses that read a segment from PostgreSQL
  bool failed = false;
  uint64_t recovered_records = 0;
};

class PgRecordLog : public journal::RecordLog {
 public:
  // Connects the writer's connection (fails with kStorageUnavailable if it cannot).
  // The partition must exist (schema.h MigrateSchema) and be claimed with `epoch`.
  static Result<std::unique_ptr<PgRecordLog>> Open(env::Env* env, PgLogOptions options);
  ~PgRecordLog() override;  // calls Close()

  // Replays every committed record of the partition in log order (same contract as
  // journal::Journal::Recover). Must be called once, before Start() and Append().
  // Errors: kCorruption (a gap between rows, a damaged record: never skipped),
  // kStorageUnavailable. Appends then go to a new segment after the last one found.
  using RecoverFn = std::function<Status(journal::RecordType type, std::string_view payload,
                                         journal::Location location)>;
  Status Recover(const RecoverFn& fn);

  // Starts the writer thread; `wakeup` is called from it whenever the durable LSN
  // advanced, a drop finished or the log failed, and must get RunCompletions() called
  // on the loop thread soon.
  Status Start(std::function<void()> wakeup);
  // Loop thread: applies finished drops, fires the callbacks now due (or failed).
  void RunCompletions();
  // Commits everything appended so far (if it can), stops the writer and fires the
  // remaining callbacks. Idempotent. Returns the failure if the log failed.
  Status Close();

  PgLogStats Stats() const;  // loop thread
  // Any thread: each committed insert's duration, records and bytes (as many as
  // PgLogStats::commits).
  journal::CommitFigures Commits() const;
  // Why the log failed (OK while it has not). Any thread.
  Status failure() const;

  // RecordLog
  Result<journal::Location> Append(journal::RecordType type,
                                   std::span<const std::string_view> parts) override;
  journal::Lsn LastAppended() const override;
  void WhenDurable(journal::Lsn lsn, std::function<void(const Status&)> done) override;
  Status ReadAt(journal::Location loc, size_t len, std::string* out) const override;
  Status EnsureHeadroom(uint64_t bytes) override;
  uint32_t OldestSegment() const override;
  uint32_t CurrentSegment() const override;
  Status DropSegmentsBefore(uint32_t segment) override;
  void SetSegmentPreamble(Preamble preamble) override;
  // Reads on a connection of its own ("<application_name>-trace"), one segment table at
  // a time; the loop's segment cache is not touched. A table dropped before the cursor
  // reached it is skipped (skipped_records()).
  Result<std::unique_ptr<journal::RecordCursor>> OpenCursor(uint32_t from_segment) const override;

 private:
  PgRecordLog();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::pglog
