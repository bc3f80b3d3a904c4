// RecordLog: what the broker needs from durable storage, and nothing more.
//
// The broker turns every change of state into a record, appends it here, and applies
// it to memory; on recovery the same records are replayed through the same apply code.
// Journal (journal.h) is the durable implementation; MemRecordLog (mem_record_log.h)
// keeps records in memory for deterministic broker tests.
//
// Threading: every method is called on the broker's thread (the event loop), except
// where noted. Callbacks passed to WhenDurable run on that thread too, from
// RunCompletions().
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace cmq::journal {

// Position of a byte in the log: segment number in the high 32 bits, offset within
// the segment file in the low 32. Ordered like the log itself.
using Location = uint64_t;
inline constexpr Location MakeLocation(uint32_t segment, uint32_t offset) {
  return (static_cast<uint64_t>(segment) << 32) | offset;
}
inline constexpr uint32_t SegmentOf(Location l) { return static_cast<uint32_t>(l >> 32); }
inline constexpr uint32_t OffsetOf(Location l) { return static_cast<uint32_t>(l); }

// Record types are owned by the layers above (broker, delivery); the log stores them
// opaquely. 0 is reserved.
using RecordType = uint8_t;

// Append sequence number: 1 for the first record appended by this process, +1 per
// record. Durability is tracked in these.
using Lsn = uint64_t;

// Bytes a framed record adds to its payload (length + CRC32C + type).
inline constexpr size_t kRecordOverhead = 9;
// Bytes a record may add on top of that when it is committed in a batch of its own
// (the Journal's batch header). Room reserved with EnsureHeadroom for records that may
// each be committed alone (deletes) must count this for each.
inline constexpr size_t kCommitOverhead = 28;

// The room a log gives a new segment: `segment_size`, or what its header, preamble and
// first record need if that is more. A preamble that takes more than a quarter of
// `segment_size` comes on top of it, so that a segment starting with a big snapshot
// still holds a normal segment's worth of records (otherwise every append could start
// a segment, and a snapshot, of its own).
inline uint64_t NewSegmentCapacity(uint64_t segment_size, uint64_t header, uint64_t preamble,
                                   uint64_t first_record) {
  uint64_t room = std::max(segment_size, header + preamble + first_record);
  if (preamble * 4 > segment_size) room = std::max(room, header + preamble + segment_size);
  return room;
}

// Reads stored records in log order, on a thread other than the broker's (message
// trace: a scan of a big log must not stall the event loop). Used by one thread at a
// time; it shares no state with the log that opened it, and may outlive it.
class RecordCursor {
 public:
  virtual ~RecordCursor() = default;
  // The next record: true with the outputs filled (`payload` valid until the next
  // call), false at the end. Errors: kCorruption (damage in a segment that was sealed
  // when the cursor was opened), kIoError, kStorageUnavailable.
  virtual Result<bool> Next(RecordType* type, std::string_view* payload, Location* location) = 0;
  // Whether records of the range were reclaimed before the cursor could read them (it
  // skipped them): what the reader concludes from their absence may be incomplete.
  virtual bool skipped_records() const = 0;
};

class RecordLog {
 public:
  virtual ~RecordLog() = default;

  // Broker thread. A cursor over the stored records from the start of segment
  // `from_segment` (the oldest kept one, if that is older) to at least every record
  // that was durable when it was opened; records appended later may or may not show.
  // Reading goes on on the caller's other thread and never touches the broker
  // thread's state.
  virtual Result<std::unique_ptr<RecordCursor>> OpenCursor(uint32_t from_segment) const = 0;

  // Appends one record whose payload is the concatenation of `parts`. Returns the
  // Location of the first payload byte (so a body at payload offset k is at
  // result + k and can be read back with ReadAt). The record is in memory now and on
  // disk once WhenDurable(LastAppended(), ...) fires.
  // Errors: kStorageFailed after a sync failure (fail-stop: nothing is appended any
  // more); kIoError if a new segment cannot be created.
  virtual Result<Location> Append(RecordType type, std::span<const std::string_view> parts) = 0;

  // Sequence number of the last successful Append (0 if none).
  virtual Lsn LastAppended() const = 0;

  // Runs `done` (on the broker thread) once every record up to `lsn` is durable, with
  // OK, or with kStorageFailed if syncing failed. Runs at once if already durable.
  virtual void WhenDurable(Lsn lsn, std::function<void(const Status&)> done) = 0;

  // Reads `len` payload bytes starting at `loc` (which must lie inside one payload
  // returned by Append or passed to the recovery callback). Works for records not yet
  // written to disk.
  virtual Status ReadAt(Location loc, size_t len, std::string* out) const = 0;

  // Reads several ranges, each as ReadAt would, into outs[0..ranges.size()). A log may
  // serve neighbouring ranges (increasing, in one segment) with a single read; this
  // default reads them one by one. Stops at the first error.
  struct Range {
    Location loc;
    size_t len;
  };
  virtual Status ReadMany(std::span<const Range> ranges, std::string* outs) const {
    for (size_t i = 0; i < ranges.size(); ++i) {
      CMQ_RETURN_IF_ERROR(ReadAt(ranges[i].loc, ranges[i].len, &outs[i]));
    }
    return Status::Ok();
  }

  // Makes sure `bytes` more can be appended without allocating disk space, i.e. that
  // this much is already reserved (preallocated) beyond the current end. Used to keep
  // room for delete records of every accepted message: the broker asks for
  // (record + all future deletes) before accepting a send. kDiskFull if the device
  // cannot provide it.
  virtual Status EnsureHeadroom(uint64_t bytes) = 0;

  // Space reclamation. The oldest segment still kept, and the one being appended to.
  virtual uint32_t OldestSegment() const = 0;
  virtual uint32_t CurrentSegment() const = 0;
  // Asks for every segment numbered below `segment` (which must be <= CurrentSegment())
  // to be deleted. The caller guarantees that nothing live remains in them once the
  // records appended so far are durable, and that segment `segment` starts with a
  // preamble (see SetSegmentPreamble) describing all state older records established.
  //
  // The deletion waits until every record appended before this call is durable (the
  // records that copy live data forward, and the preamble of `segment`), then removes
  // the segments oldest first, each removal made durable before the next: whenever
  // the power goes, the log holds either the old segments or everything that replaces
  // them, and its segments stay a gap-free run. Until then OldestSegment() is
  // unchanged and the old segments stay readable. A request for a segment at or below
  // one already asked for changes nothing.
  //
  // Errors: kStorageFailed once the log has failed; kInternal for a segment beyond the
  // current one. An I/O error while removing fails the log (fail-stop, like a failed
  // sync): from then on appends fail with kStorageFailed.
  virtual Status DropSegmentsBefore(uint32_t segment) = 0;

  // The log calls `preamble` whenever it starts a new segment, with that segment's
  // number, and writes the record it returns as the segment's first record, before
  // the record whose Append caused the roll; leaving `*type` at 0 writes none. The
  // broker uses it to write a snapshot of its metadata where one is worth it, so that
  // older segments can be dropped once they hold no live message. A preamble can be
  // called and then not written (the segment could not be created): the caller learns
  // that a segment starts with its preamble only from an Append that lands in it. The
  // preamble runs inside that Append and must not call Append.
  using Preamble = std::function<void(uint32_t segment, RecordType* type, std::string* payload)>;
  virtual void SetSegmentPreamble(Preamble preamble) = 0;
};

}  // namespace cmq::journal
