// MemRecordLog: a RecordLog that keeps framed records in memory, for deterministic
// broker tests. Header-only so that the broker's tests need no storage code.
//
// Segments are simulated: Roll() (or an optional per-segment capacity) starts a new
// segment whose first record is the installed preamble, if it writes one, and a
// segment starting with a big preamble gets room for it on top of the capacity
// (NewSegmentCapacity), as in the Journal. DropSegmentsBefore() forgets whole
// segments once the records appended before it are durable, as the Journal does.
// Locations follow the Journal's layout (a 16-byte segment header, then each record's
// 9 framing bytes before its payload).
//
// Test switches:
// * SetAutoDurable(false): appended records stay non-durable until MakeDurable() (or
//   MakeDurableUpTo()), so WhenDurable callbacks and drops can be held back.
//   CloneDurable() then shows what a power cut would leave. By default every record
//   is durable at once.
// * FailSync(): simulates an fdatasync error (fail-stop): pending and later callbacks
//   get kStorageFailed and Append fails from then on.
// * SetDiskFull(true): EnsureHeadroom fails with kDiskFull.
//
// Not thread-safe (like the broker that uses it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "journal/record_log.h"

namespace cmq::journal {

class MemRecordLog : public RecordLog {
 public:
  // Same as the Journal's segment header size, so offsets look alike.
  static constexpr uint32_t kSegmentHeader = 16;

  struct Record {
    RecordType type = 0;
    std::string payload;
    Location location = 0;  // of the first payload byte
    Lsn lsn = 0;            // preambles get one too
  };

  MemRecordLog() { segments_.push_back(NewSegment(1)); }

  // A log with the same records (same Locations) and counters, but no preamble,
  // callbacks or switches: lets a test replay the records into a second broker.
  std::unique_ptr<MemRecordLog> Clone() const {
    auto copy = std::make_unique<MemRecordLog>();
    copy->segments_ = segments_;
    copy->last_lsn_ = last_lsn_;
    copy->durable_lsn_ = last_lsn_;
    return copy;
  }
  // What a power cut would leave: a Clone of the durable records only (segments past
  // the last durable record are gone, as never-written spares are to recovery).
  std::unique_ptr<MemRecordLog> CloneDurable() const {
    auto copy = Clone();
    auto& segs = copy->segments_;
    for (Segment& s : segs) {
      while (!s.records.empty() && s.records.back().lsn > durable_lsn_) s.records.pop_back();
      s.end = s.records.empty() ? kSegmentHeader
                                : OffsetOf(s.records.back().location) +
                                      static_cast<uint32_t>(s.records.back().payload.size());
    }
    while (segs.size() > 1 && segs.back().records.empty()) segs.pop_back();
    copy->last_lsn_ = copy->durable_lsn_ = durable_lsn_;
    return copy;
  }
  // A log holding `records` (as Records() returned them, from any MemRecordLog), e.g.
  // records kept from an older version of the broker.
  static std::unique_ptr<MemRecordLog> FromRecords(const std::vector<Record>& records) {
    auto log = std::make_unique<MemRecordLog>();
    if (!records.empty()) log->segments_.clear();
    for (const Record& r : records) {
      if (log->segments_.empty() || log->segments_.back().number != SegmentOf(r.location)) {
        log->segments_.push_back(NewSegment(SegmentOf(r.location)));
      }
      Segment& s = log->segments_.back();
      s.end = OffsetOf(r.location) + static_cast<uint32_t>(r.payload.size());
      s.records.push_back(r);
      s.records.back().lsn = ++log->last_lsn_;
      s.started = s.has_record = true;
    }
    log->durable_lsn_ = log->last_lsn_;
    return log;
  }

  // --- test switches ----------------------------------------------------------------
  void SetAutoDurable(bool on) {
    auto_durable_ = on;
    if (on) MakeDurable();
  }
  // Marks everything appended so far durable and runs the callbacks now due, in order.
  void MakeDurable() { MakeDurableUpTo(last_lsn_); }
  // Marks the records up to `lsn` durable (never fewer than before).
  void MakeDurableUpTo(Lsn lsn) {
    if (failed_) return;
    durable_lsn_ = std::max(durable_lsn_, std::min(lsn, last_lsn_));
    RunDueDrops();
    RunDue();
  }
  Lsn durable_lsn() const { return durable_lsn_; }
  void FailSync() {
    failed_ = true;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& p : pending) p.second(Status(ErrorCode::kStorageFailed, "fdatasync failed"));
  }
  void SetDiskFull(bool full) { disk_full_ = full; }
  uint64_t last_headroom_request() const { return last_headroom_request_; }
  // Appends wider than what is left of a segment of this size start a new segment
  // first (0: never roll by size).
  void SetSegmentCapacity(uint32_t bytes) { capacity_ = bytes; }
  // Starts a new segment now, writing the preamble (if any) as its first record.
  void Roll() { StartSegment(segments_.back().number + 1, 0); }
  size_t pending_callbacks() const { return pending_.size(); }

  // Every kept record, in log order (what Journal::Recover would hand out).
  std::vector<Record> Records() const {
    std::vector<Record> out;
    for (const auto& s : segments_) out.insert(out.end(), s.records.begin(), s.records.end());
    return out;
  }
  // Total payload bytes kept.
  uint64_t StoredBytes() const {
    uint64_t n = 0;
    for (const auto& s : segments_)
      for (const auto& r : s.records) n += r.payload.size();
    return n;
  }
  // Total payload bytes ever appended, preambles included.
  uint64_t AppendedBytes() const { return appended_bytes_; }
  // Records ever appended, by type (dropped ones included).
  const std::map<RecordType, uint64_t>& AppendedByType() const { return appended_types_; }

  // --- RecordLog ----------------------------------------------------------------------
  Result<Location> Append(RecordType type, std::span<const std::string_view> parts) override {
    if (failed_) return Status(ErrorCode::kStorageFailed, "log failed");
    size_t size = 0;
    for (auto p : parts) size += p.size();
    Segment* seg = &segments_.back();
    if (!seg->started) {
      StartSegment(seg->number, size);  // the first segment gets its preamble now
    } else if (capacity_ > 0 && seg->has_record &&
               seg->end + kRecordOverhead + size > seg->capacity) {
      StartSegment(seg->number + 1, size);
    }
    std::string payload;
    payload.reserve(size);
    for (auto p : parts) payload.append(p.data(), p.size());
    segments_.back().has_record = true;
    return Put(type, std::move(payload));
  }

  Lsn LastAppended() const override { return last_lsn_; }

  void WhenDurable(Lsn lsn, std::function<void(const Status&)> done) override {
    if (failed_) {
      done(Status(ErrorCode::kStorageFailed, "log failed"));
    } else if (lsn <= durable_lsn_) {
      done(Status::Ok());
    } else {
      pending_.emplace_back(lsn, std::move(done));
    }
  }

  Status ReadAt(Location loc, size_t len, std::string* out) const override {
    for (const auto& s : segments_) {
      if (s.number != SegmentOf(loc)) continue;
      // The record whose payload starts at or before the offset.
      auto it = std::upper_bound(
          s.records.begin(), s.records.end(), OffsetOf(loc),
          [](uint32_t off, const Record& r) { return off < OffsetOf(r.location); });
      if (it == s.records.begin()) break;
      --it;
      uint64_t start = OffsetOf(loc) - OffsetOf(it->location);
      if (start + len > it->payload.size()) break;
      out->assign(it->payload, start, len);
      return Status::Ok();
    }
    return Status(ErrorCode::kNotFound, "no record at location " + std::to_string(loc));
  }

  Status EnsureHeadroom(uint64_t bytes) override {
    last_headroom_request_ = bytes;
    if (disk_full_) return Status(ErrorCode::kDiskFull, "disk full");
    return Status::Ok();
  }

  uint32_t OldestSegment() const override { return segments_.front().number; }
  uint32_t CurrentSegment() const override { return segments_.back().number; }

  Status DropSegmentsBefore(uint32_t segment) override {
    if (segment > CurrentSegment()) {
      return Status(ErrorCode::kInternal, "segment beyond the current one");
    }
    if (failed_) return Status(ErrorCode::kStorageFailed, "log failed");
    if (segment <= std::max(drop_asked_, OldestSegment())) return Status::Ok();
    drops_.push_back({segment, last_lsn_});
    drop_asked_ = segment;
    RunDueDrops();
    return Status::Ok();
  }

  void SetSegmentPreamble(Preamble preamble) override { preamble_ = std::move(preamble); }

  // A copy of the durable records from `from_segment` on, so the cursor shares nothing
  // with the log (it may be read on another thread, as the Journal's).
  Result<std::unique_ptr<RecordCursor>> OpenCursor(uint32_t from_segment) const override {
    auto cursor = std::make_unique<CopyCursor>();
    for (const auto& s : segments_) {
      if (s.number < from_segment) continue;
      for (const auto& r : s.records) {
        if (r.lsn <= durable_lsn_) cursor->records.push_back(r);
      }
    }
    last_cursor_from_ = std::max(from_segment, OldestSegment());
    return std::unique_ptr<RecordCursor>(std::move(cursor));
  }
  // The first segment the last OpenCursor read from (tests: where a scan started).
  uint32_t last_cursor_from() const { return last_cursor_from_; }

 private:
  struct CopyCursor : RecordCursor {
    std::vector<Record> records;
    size_t next = 0;
    Result<bool> Next(RecordType* type, std::string_view* payload, Location* location) override {
      if (next == records.size()) return false;
      const Record& r = records[next++];
      *type = r.type;
      *payload = r.payload;
      *location = r.location;
      return true;
    }
    bool skipped_records() const override { return false; }
  };

  struct Segment {
    uint32_t number = 0;
    uint32_t end = 0;       // offset just past the last record
    uint64_t capacity = 0;  // with SetSegmentCapacity: room of this segment
    std::vector<Record> records;
    bool started = false;     // its preamble (if any) was asked for
    bool has_record = false;  // a record besides the preamble
  };

  static Segment NewSegment(uint32_t number) {
    Segment s;
    s.number = number;
    s.end = kSegmentHeader;
    return s;
  }

  // Starts segment `number` (the current one if not started yet, else a new one)
  // with the preamble, leaving room for a first record of `record_size` bytes.
  void StartSegment(uint32_t number, size_t record_size) {
    if (segments_.back().number != number) segments_.push_back(NewSegment(number));
    Segment& seg = segments_.back();
    seg.started = true;
    RecordType type = 0;
    std::string payload;
    if (preamble_) preamble_(number, &type, &payload);
    uint64_t preamble_size = type != 0 ? kRecordOverhead + payload.size() : 0;
    seg.capacity =
        NewSegmentCapacity(capacity_, kSegmentHeader, preamble_size, kRecordOverhead + record_size);
    if (type != 0) Put(type, std::move(payload));
  }

  Location Put(RecordType type, std::string payload) {
    Segment& seg = segments_.back();
    Location loc = MakeLocation(seg.number, seg.end + static_cast<uint32_t>(kRecordOverhead));
    seg.end += static_cast<uint32_t>(kRecordOverhead + payload.size());
    appended_bytes_ += payload.size();
    ++appended_types_[type];
    seg.records.push_back(Record{type, std::move(payload), loc, ++last_lsn_});
    if (auto_durable_) durable_lsn_ = last_lsn_;
    return loc;
  }

  // Forgets the segments of the drops whose records are all durable.
  void RunDueDrops() {
    uint32_t keep_from = 0;
    while (!drops_.empty() && drops_.front().second <= durable_lsn_) {
      keep_from = drops_.front().first;
      drops_.pop_front();
    }
    while (segments_.front().number < keep_from) segments_.pop_front();
  }

  void RunDue() {
    // Callbacks may append or register more; take the due ones first.
    std::vector<std::function<void(const Status&)>> due;
    auto it = pending_.begin();
    while (it != pending_.end()) {
      if (it->first <= durable_lsn_) {
        due.push_back(std::move(it->second));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& d : due) d(Status::Ok());
  }

  std::deque<Segment> segments_;
  Lsn last_lsn_ = 0;
  Lsn durable_lsn_ = 0;
  bool auto_durable_ = true;
  bool failed_ = false;
  bool disk_full_ = false;
  uint64_t last_headroom_request_ = 0;
  uint64_t appended_bytes_ = 0;
  std::map<RecordType, uint64_t> appended_types_;
  uint32_t capacity_ = 0;
  Preamble preamble_;
  std::deque<std::pair<uint32_t, Lsn>> drops_;  // (keep from, after), as in the Journal
  uint32_t drop_asked_ = 0;
  mutable uint32_t last_cursor_from_ = 0;
  std::vector<std::pair<Lsn, std::function<void(const Status&)>>> pending_;
};

}  // namespace cmq::journal
