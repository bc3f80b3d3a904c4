// Journal: the durable RecordLog. An append-only log of segment files
// "<dir>/NNNNNNNNNN.seg" (zero-padded decimal segment numbers). Each record is framed
//   u32 length of (type + payload), little endian
//   u32 CRC32C (masked as in leveldb) of type byte + payload
//   u8  type
//   payload
// and a segment starts with a 16-byte header (magic "CMQJRNL1", u32 format version,
// u32 segment number). Segments are preallocated; a zero length word marks the end of
// written data.
//
// Group commit: Append copies the record into an in-memory batch; one writer thread
// writes whatever has accumulated, calls fdatasync once, then publishes the durable
// LSN and calls the wakeup hook. The writer starts a batch as soon as a WhenDurable
// callback waits for one of its records; records nobody waits for ride along with
// the next such batch, or are written `ride_along_ms` after they were appended; the broker thread
// then runs RunCompletions(), which fires the WhenDurable callbacks. In relaxed mode the writer
// syncs at most every `relaxed_sync_interval_ms` and acknowledges after write() (named honestly:
// data of the last interval can be lost on power failure, not on a process crash).
//
// Failure: if a write or fdatasync fails, the journal stops for good (fail-stop): the
// pending and all later WhenDurable callbacks get kStorageFailed, and Append fails.
//
// Recovery: Recover() reads segments in order and hands every record to the callback.
// A torn or zero tail of the LAST segment is truncated (a crash during a write); a CRC
// or framing error anywhere else is kCorruption and startup must stop.
//
// Spare segments: EnsureHeadroom preallocates future segments under their final names
// ("<n+1>.seg", ...) with no header: an all-zero header marks a file as not yet used.
// The log rolls into them in order; recovery keeps trailing all-zero files as spares
// (zeroing them again, since a crash may have left stale bytes behind the header; with
// prepared_spares by writing zeros over them, so they stay as fast as prepared ones). The
// writer syncs segment N before it writes any byte of N+1, so a damaged segment that
// is followed by a used one is corruption, never a torn write.
//
// Headroom is estimated conservatively: each spare counts its size minus a header, the
// last preamble and the largest record seen (tail space a record that does not fit
// leaves unused). A record larger than segment_size gets a segment of its own size; a
// segment whose preamble is big gets room for the preamble plus segment_size
// (NewSegmentCapacity in record_log.h).
//
// Dropping (DropSegmentsBefore): a drop waits until the records appended before it was
// asked for are durable, then runs on the broker thread from RunCompletions (or at once
// if they already are): in relaxed mode it first syncs the segment holding them, it
// writes a drop marker (drop_marker.h) when it removes more than one segment, and it
// removes the segments oldest first with a directory sync after each. An I/O error
// there fails the journal like a failed fdatasync. Recover() first finishes a drop a
// marker names, so recovery never starts from a segment that was meant to go.
//
// Prepared spares: with `prepared_spares` > 0 a preparer thread makes the next spares
// in the background (zero-filled, synced, directory synced), one at a time; a roll
// that finds the next spare still being made waits for it rather than make it twice.
// A spare the preparer failed to make (disk full) is simply not there: the roll or
// EnsureHeadroom makes one on demand as without a preparer, and reports the error.
//
// The caller keeps other processes out of `dir` (Env::LockFile); the journal does not
// lock. Segment creation on demand (a roll without a spare, EnsureHeadroom) runs on
// the calling thread and includes fdatasync + directory sync; the common Append is one
// memcpy under the batch mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "env/env.h"
#include "journal/record_log.h"

namespace cmq::journal {

struct JournalOptions {
  std::string dir;                      // created if missing
  uint64_t segment_size = 64ull << 20;  // preallocated size of each segment
  bool relaxed = false;                 // see header comment
  int relaxed_sync_interval_ms = 50;
  // Records no WhenDurable callback waits for (a receive, a push result) are written
  // with the next batch somebody waits for, or at most this long after they were
  // appended.
  int ride_along_ms = 5;
  // Spare segments a background thread keeps ready ahead of the current one, each
  // written full of zeros and synced. Writing a record into such a file, unlike into
  // a fallocated one, changes no file-system metadata, so each group commit's
  // fdatasync flushes data only (no file-system journal commit). 0: spares are made
  // only on demand, fallocated, on the calling thread.
  int prepared_spares = 0;
};

struct JournalStats {
  uint64_t appended_records = 0;
  uint64_t appended_bytes = 0;
  uint64_t syncs = 0;  // fdatasync calls made by the writer
  uint64_t prepared_spares = 0;  // spares made by the preparer and taken into use
  uint64_t durable_lsn = 0;
  uint32_t oldest_segment = 0;
  uint32_t current_segment = 0;
  bool failed = false;
  // What Recover() found: records replayed, and whether a torn or garbage tail was
  // cut off the last segment (worth a log line; a zero tail is the normal end).
  uint64_t recovered_records = 0;
  bool truncated_tail = false;
};

class Journal : public RecordLog {
 public:
  static Result<std::unique_ptr<Journal>> Open(env::Env* env, JournalOptions options);
  ~Journal() override;  // calls Close()

  // Replays every stored record in log order. Must be called once, before Start(),
  // Append() and the other RecordLog calls. `location` is the Location of the
  // payload's first byte (same meaning as Append's result); `payload` is valid only
  // during the call. A non-OK status from `fn` aborts recovery and is returned
  // (nothing is repaired then). Errors: kCorruption (with file and offset), kIoError.
  // Preamble records come back like any other record.
  using RecoverFn =
      std::function<Status(RecordType type, std::string_view payload, Location location)>;
  Status Recover(const RecoverFn& fn);

  // Starts the writer thread. `wakeup` is called from the writer thread whenever the
  // durable LSN advanced or the journal failed; it must arrange for RunCompletions()
  // to be called on the broker thread soon (e.g. by posting to the event loop).
  Status Start(std::function<void()> wakeup);

  // Broker thread: performs the drops whose records are now durable (see Dropping
  // above), then fires WhenDurable callbacks whose LSN is now durable (or failed).
  void RunCompletions();

  // Writes and syncs everything appended so far, stops the writer thread and fires
  // the remaining callbacks. Idempotent. Returns kStorageFailed if the journal failed.
  // The writer may call `wakeup` until Close() returns. Append afterwards fails with
  // kShuttingDown.
  Status Close();

  // Any thread (the recovery fields once Recover() has returned).
  JournalStats Stats() const;

  // RecordLog
  Result<Location> Append(RecordType type, std::span<const std::string_view> parts) override;
  Lsn LastAppended() const override;
  void WhenDurable(Lsn lsn, std::function<void(const Status&)> done) override;
  Status ReadAt(Location loc, size_t len, std::string* out) const override;
  // Ranges already in their file that lie close together (a few KiB apart, as the
  // bodies of one batch send do) are read with one pread.
  Status ReadMany(std::span<const Range> ranges, std::string* outs) const override;
  Status EnsureHeadroom(uint64_t bytes) override;
  uint32_t OldestSegment() const override;
  uint32_t CurrentSegment() const override;
  Status DropSegmentsBefore(uint32_t segment) override;
  void SetSegmentPreamble(Preamble preamble) override;

 private:
  Journal(env::Env* env, JournalOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::journal
