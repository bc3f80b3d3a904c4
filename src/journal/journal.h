// Journal: the durable RecordLog. An append-only log of segment files
// "<dir>/NNNNNNNNNN.seg" (zero-padded decimal segment numbers), format version 2:
//
//   segment header (32 bytes, written with the segment's first batch, in one sector):
//     magic "CMQJRNL1", u32 version 2, u32 segment number, u64 seq of its first batch,
//     u32 end offset of the previous segment's data, u32 masked CRC32C of the rest
//   then batches, one per write of the group-commit writer:
//     batch header (28 bytes, segment_format.h): length, flags, u64 seq (+1 per batch
//     across the log), u64 synced_through (the highest seq known durable when the
//     writer filled it in, just before writing the batch), masked CRC32C
//     records: u32 length of (type + payload), u32 masked CRC32C of type + payload,
//              u8 type, payload
//
// Segments are preallocated and read as zeros past the written data; a zero batch
// header marks the end. Segment N is synced before any byte of N+1 is written. Little
// endian throughout. Format 1 (16-byte header, records without batches) is still read:
// a log written by an older release recovers as it did there, and the first start
// seals its last segment by rolling into a fresh format 2 one.
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
// The failure is logged once, at error level, with the file and the error.
//
// Recovery: Recover() reads the segments in order and hands every record to the
// callback. A torn tail is only what a crash can leave: damage at the very end of the
// last segment with nothing acknowledged after it. Everything else is corruption and
// Recover fails with kCorruption, "journal corruption in <file> at offset <n>: <what>":
//   * any damage in a sealed segment, and a sealed segment whose data does not end
//     exactly where its successor's header says (a zeroed length or batch header, a
//     truncated file);
//   * a damaged batch in the last segment followed by any intact batch whose
//     synced_through reaches the damaged batch's seq (it had been synced, so it was
//     acknowledged; in durable mode that is every batch but the last);
//   * the last batch of all, damaged, when no sector of it reads as zeros and it does
//     not end in a zero byte: a crash leaves whole sectors unwritten (they read as
//     zeros: segments are preallocated, spares zeroed) or cuts a write short, a flipped
//     bit does neither. (A damaged last batch whose data really has an all-zero sector
//     is taken for torn: the one case this rule cannot tell apart.)
//   * a zero batch header with data after it in its own sector (not a lost sector);
//   * a segment that ends inside a batch or inside its header: it was cut short. A
//     segment's size is durable before any byte is written into it (a new file is
//     allocated and synced before the writer gets it, recovery allocates and syncs the
//     spares and the last segment again, a roll that grows a spare for a large record
//     syncs the new size first), so no crash leaves a segment shorter than its data.
//     (A cut exactly at a batch boundary of the last segment, or to nothing, reads as
//     a full segment or a spare: the format does not record a segment's size.)
//   * a segment header that is neither valid nor all zero in a file that holds data
//     (the header shares its sector with the first batch, so no crash tears it), and an
//     all-zero header in front of data that a later batch shows was synced. A damaged
//     header of a spare never written to is harmless: it is zeroed again.
// Torn tails are cut off and reported (RecoveryNotes(), and truncated_tail).
// With `salvage`, corruption is skipped instead: scanning goes on at the next intact
// batch (or segment), every skipped range is reported, and filler batches are written
// over the skipped bytes (damaged headers rebuilt), so the next start is clean. The
// records in the skipped bytes are lost. Format 1 segments are judged by the old rules
// (damage in the last one is a torn tail) and salvage cannot mark their damage, so it
// is skipped again at every start.
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
// leaves unused), and two batch headers. A record larger than segment_size gets a
// segment of its own size. Every record may end up in a batch of its own, so a caller
// reserving room for future records counts kCommitOverhead for each (record_log.h).
// A segment whose preamble is big gets room for the preamble plus segment_size
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
#include <vector>

#include "env/env.h"
#include "journal/commit_metrics.h"
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
  // Recover skips corruption instead of failing (see above): for an operator who
  // accepts losing the damaged records.
  bool salvage = false;
};

// Something Recover() passed over.
struct RecoveryNote {
  enum class Kind {
    kTornTail,  // the remains of a write a crash interrupted, cut off; never acknowledged
    kSkipped,   // damaged data salvage skipped (or, in format 1, skips at every start):
                // the records there are lost
    kHarmless,  // damage where nothing was ever written (an unused spare's header)
  };
  Kind kind = Kind::kTornTail;
  std::string file;
  uint64_t begin = 0;  // byte range in the file
  uint64_t end = 0;
  std::string what;
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
  // What Recover() found: records replayed, and whether a torn tail was cut off
  // (RecoveryNotes() says where; a zero tail is the normal end).
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
  // Any thread: the writer's fdatasyncs (durable_seconds: each one, the count equals
  // JournalStats::syncs) and the records and bytes of each group commit that wrote any.
  CommitFigures Commits() const;
  // What Recover() cut off or skipped, for the log. Broker thread, after Recover().
  const std::vector<RecoveryNote>& RecoveryNotes() const;

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
  // Reads through the segment files the journal has open (segment_cursor.h).
  Result<std::unique_ptr<RecordCursor>> OpenCursor(uint32_t from_segment) const override;

 private:
  Journal(env::Env* env, JournalOptions options);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::journal
