// Journal implementation. Design notes beyond journal.h:
//
// Files. "<dir>/NNNNNNNNNN.seg" is either a used segment (valid header) or a spare: a
// file preallocated ahead of time by EnsureHeadroom (or left over from a crash) that
// is all zeros, header included. A spare becomes a segment when the log rolls into it
// and its header is written with the first batch, in the same sector. So on disk the
// used segments form a consecutive run of numbers, optionally followed by spares.
//
// Batches. Each Chunk is one batch: Queue() starts one (taking the next batch seq and
// reserving its header, after the segment header when it starts a segment) when the
// pending batch is empty or bound for another segment; the writer fills the header in
// (length, synced_through) just before it writes the chunk, after any sync it does
// first. Recovery (recovery.h) reads synced_through to tell acknowledged data that was
// damaged from a write a crash tore.
//
// Ordering. The writer makes segment N durable (fdatasync) before it writes the first
// byte of segment N+1. Hence any byte in segment N+1 proves that N is complete, and
// damage in a segment followed by a used one is real corruption, never a torn write.
// New segment files are created, allocated, synced and their directory entry synced
// before they are handed to the writer, so the writer never needs SyncDir.
//
// Threads. Broker-thread state (segments, append position, waiters) has no lock. The
// batch handed between Append and the writer, the written-offset watermark and the
// failure are guarded by `mu`; the writer never holds it during I/O. Append takes it
// for one memcpy.
#include "journal/journal.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/log.h"
#include "journal/recovery.h"
#include "journal/drop_marker.h"
#include "journal/segment_cursor.h"
#include "journal/segment_format.h"

namespace cmq::journal {

using format::kBatchHeaderSize;
using format::kHeaderSize;
using format::kMaxSegmentBytes;

namespace {

constexpr uint64_t kMinSegmentSize = 64;
// Batch buffers kept for reuse, and the largest one worth keeping.
constexpr size_t kBufferPoolSize = 4;
constexpr size_t kMaxPooledBuffer = 16 << 20;

struct SegmentFile {
  std::shared_ptr<env::File> file;
  uint64_t capacity = 0;  // bytes allocated for the segment
};

// Bytes of the batch bound for one segment, starting at `offset` of that segment:
// [segment header, when it starts the segment] batch header, records.
struct Chunk {
  uint32_t segment = 0;
  uint64_t offset = 0;
  uint64_t seq = 0;            // batch sequence number
  size_t batch_header_at = 0;  // where in `bytes` the batch header goes
  std::string bytes;
  std::shared_ptr<env::File> file;
};

struct Waiter {
  Lsn lsn;
  std::function<void(const Status&)> done;
};

bool Covers(const Chunk& c, uint32_t segment, uint64_t offset, uint64_t len) {
  return c.segment == segment && offset >= c.offset && offset + len <= c.offset + c.bytes.size();
}

}  // namespace

struct Journal::Impl {
  Impl(env::Env* e, JournalOptions o) : env(e), opt(std::move(o)) {}

  env::Env* const env;
  const JournalOptions opt;

  // ---- broker thread only ----
  bool recovered = false;
  bool closed = false;
  Status close_status;
  std::map<uint32_t, SegmentFile> segments;             // used segments, current last
  std::deque<std::pair<uint32_t, SegmentFile>> spares;  // numbered current+1, +2, ...
  uint32_t current = 0;
  uint64_t current_capacity = 0;
  uint64_t append_offset = 0;  // next free byte of the current segment
  Lsn last_lsn = 0;
  uint64_t max_record = 0;      // largest framed record seen (headroom estimate)
  uint64_t preamble_bytes = 0;  // framed size of the last preamble (headroom estimate)
  Preamble preamble;
  std::deque<Waiter> waiters;  // sorted by lsn, FIFO among equals
  bool running_completions = false;
  std::function<void()> wakeup;
  std::unique_ptr<env::Env::Thread> writer;
  uint64_t recovered_records = 0;
  bool truncated_tail = false;
  std::vector<RecoveryNote> recovery_notes;
  uint64_t next_batch_seq = 1;  // taken by Queue() for each new chunk (under mu)
  std::string segment_header;   // of `current`, written by the chunk at its offset 0
  // Drops asked for and not done yet, in order: segments below `keep_from` go once
  // `after` (the last record appended when it was asked for) is durable; `after`
  // lies in segment `after_segment`.
  struct PendingDrop {
    uint32_t keep_from = 0;
    Lsn after = 0;
    uint32_t after_segment = 0;
  };
  std::deque<PendingDrop> drops;
  uint32_t drop_asked = 0;  // the highest keep_from asked for

  // ---- shared, guarded by mu ----
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<Chunk> pending;  // appended, not yet taken by the writer
  Lsn pending_lsn = 0;         // last LSN inside `pending` or earlier
  Lsn wanted_lsn = 0;          // the highest LSN a WhenDurable callback waits for
  // When `pending` last became non-empty: records nobody waits for are written at
  // most ride_along_ms after this.
  std::chrono::steady_clock::time_point pending_since;
  std::vector<Chunk> inflight;  // taken by the writer; only the writer changes it
  std::vector<std::string> buffer_pool;
  Location written = 0;  // every byte before this is in its file (maybe unsynced)
  bool stop = false;
  std::string failure;  // why the journal failed (set once, with `failed`)
  uint64_t appended_records = 0;
  uint64_t records_in_rounds = 0;  // appended_records at the last WriteRound (writer's)
  uint64_t appended_bytes = 0;

  std::atomic<Lsn> durable{0};
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> syncs{0};
  CommitMetrics commit_metrics;
  std::atomic<uint64_t> prepared_spares{0};
  std::atomic<uint32_t> oldest_segment{0};
  std::atomic<uint32_t> current_segment{0};

  // ---- segment preparation: one spare at a time is made by the preparer thread ----
  enum class Prep { kIdle, kRequested, kDone, kFailed };
  std::mutex prep_mu;
  std::condition_variable prep_cv;
  Prep prep_state = Prep::kIdle;  // guarded by prep_mu, like the three below
  uint32_t prep_number = 0;       // the spare requested
  SegmentFile prep_file;          // the spare made (kDone)
  bool prep_stop = false;
  std::unique_ptr<env::Env::Thread> preparer;
  uint32_t prep_failed_at = 0;  // broker thread: `current` when a preparation last failed

  // ---- writer thread only (or the Close() caller when no writer runs) ----
  std::shared_ptr<env::File> unsynced_file;  // written since its last fdatasync
  int64_t last_sync_ms = 0;
  uint64_t written_seq = 0;  // the last batch written
  uint64_t synced_seq = 0;   // the last batch known durable (goes into batch headers)

  std::string SegmentPath(uint32_t n) const { return opt.dir + "/" + format::SegmentFileName(n); }

  Status FailureStatus() const {
    std::lock_guard<std::mutex> lock(mu);
    return Status(ErrorCode::kStorageFailed, failure);
  }

  // ---------------------------------------------------------------- recovery

  Status Recover(const RecoverFn& fn);
  // Makes `seg` (numbered `number`, preallocated, zero) the current segment with a
  // format 2 header written and synced: for a fresh log, and to seal a format 1 one.
  Status BeginSegmentAtRecovery(uint32_t number, SegmentFile seg, uint32_t prev_end);

  // ---------------------------------------------------------------- appending

  // `zero_fill`: writes zeros over the whole capacity (see journal.h), giving up with
  // kShuttingDown once `prep_stop` is set.
  Result<SegmentFile> CreateSegmentFile(uint32_t n, uint64_t capacity, bool zero_fill = false);
  // Broker thread. The number the next spare gets.
  uint32_t NextSpareNumber() const { return spares.empty() ? current + 1 : spares.back().first + 1; }
  // Takes a spare the preparer has finished into `spares`; with `wait`, first waits for
  // the one it is making. Afterwards the preparer is idle or making NextSpareNumber().
  void CollectPrepared(bool wait);
  // Asks the preparer for the next spare while fewer than opt.prepared_spares exist.
  // Called only once the caller makes no spare itself (the number is taken then).
  void RequestPrepared();
  void PreparerLoop();
  Status Roll(uint64_t record_size);
  // Queues a record at the append position of the current segment, starting a batch
  // if needed. Returns the offset of its frame; nullopt if the journal has failed
  // (nothing queued).
  std::optional<uint64_t> Queue(std::string_view frame_header,
                                std::span<const std::string_view> parts, bool new_lsn);
  // Room a segment may lose to its header, the batch headers of the preamble and of
  // the record after it, the preamble, and the tail a record that does not fit leaves.
  uint64_t SegmentOverhead() const {
    return kHeaderSize + 2 * kBatchHeaderSize + preamble_bytes + max_record;
  }
  // Performs the drops whose records are durable now; fails the journal on an I/O error.
  void RunDueDrops();
  Status RemoveSegmentsBefore(const PendingDrop& drop);
  uint64_t UsableSpare(uint64_t capacity) const {
    uint64_t overhead = SegmentOverhead();
    return capacity > overhead ? capacity - overhead : 0;
  }

  // ---------------------------------------------------------------- writer

  void WriterLoop();
  // Writes whatever is pending and syncs as the mode requires (always when
  // `force_sync`). False once the journal has failed.
  bool WriteRound(bool force_sync);
  Status SyncUnsynced();
  bool SyncDue() const {
    return env->clock()->NowMs() - last_sync_ms >= opt.relaxed_sync_interval_ms;
  }
  void Fail(const Status& s);
};

// ================================================================== recovery

Status Journal::Impl::Recover(const RecoverFn& fn) {
  auto names = env->ListDir(opt.dir);
  if (!names.ok()) return names.status();
  std::vector<uint32_t> numbers;
  for (const std::string& name : *names) {
    if (auto n = format::ParseSegmentFileName(name)) numbers.push_back(*n);
  }
  std::sort(numbers.begin(), numbers.end());

  std::vector<internal::SegmentFileInfo> found;
  for (uint32_t n : numbers) {
    internal::SegmentFileInfo f;
    f.number = n;
    f.path = SegmentPath(n);
    auto file = env->Open(f.path, env::OpenMode::kReadWrite);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    std::string header;
    CMQ_RETURN_IF_ERROR((*file)->PRead(0, kHeaderSize, &header));
    f.file = std::shared_ptr<env::File>(std::move(*file));
    f.size = *size;
    f.kind = format::ClassifyHeader(header, n, &f.header);
    found.push_back(std::move(f));
  }

  auto replayed = internal::ReplaySegments(found, opt.salvage, fn);
  if (!replayed.ok()) return replayed.status();
  internal::ReplayResult& r = *replayed;
  recovered_records = r.records;
  max_record = r.max_record;
  preamble_bytes = r.preamble_bytes;
  truncated_tail = r.truncated_tail;
  recovery_notes = std::move(r.notes);
  next_batch_seq = r.next_seq;
  written_seq = synced_seq = r.next_seq - 1;
  const size_t used = r.used;
  const bool format1 = used > 0 && found[used - 1].header.version == format::kVersion1;

  // Files after the last used segment are spares. Even behind a zero header a spare may
  // hold stale bytes of a torn first write into it, so every spare is zeroed again. In
  // a format 1 log the first may hold a torn header, as format 1 tells it.
  uint32_t next = used > 0 ? found[used - 1].number + 1 : 0;
  for (size_t i = used; i < found.size(); ++i) {
    internal::SegmentFileInfo& f = found[i];
    if (format1 && f.kind == format::HeaderKind::kBad) {
      if (i != used) {
        return Status(ErrorCode::kCorruption,
                      "journal corruption in " + f.path + " at offset 0: bad segment header");
      }
      truncated_tail = true;
    }
    if (next == 0) next = f.number;
    if (f.number != next) {
      // Not in sequence (a leftover): it holds nothing, so it can go.
      CMQ_RETURN_IF_ERROR(env->Remove(f.path));
      continue;
    }
    uint64_t capacity = std::max(f.size, opt.segment_size);
    if (opt.prepared_spares > 0) {
      // Zeros written over the old blocks keep the spare as fast as a prepared one.
      CMQ_RETURN_IF_ERROR(f.file->Allocate(0, capacity));
      CMQ_RETURN_IF_ERROR(f.file->WriteZeros(0, capacity));
    } else {
      CMQ_RETURN_IF_ERROR(f.file->Truncate(0));
      CMQ_RETURN_IF_ERROR(f.file->Allocate(0, capacity));
    }
    CMQ_RETURN_IF_ERROR(f.file->DataSync());
    spares.emplace_back(f.number, SegmentFile{std::move(f.file), capacity});
    ++next;
  }

  if (used > 0) {
    internal::SegmentFileInfo& last = found[used - 1];
    current = last.number;
    // Cut everything after the intact data, so that remains of a torn batch can never
    // be read as records later, and reserve the segment again.
    uint64_t end = r.end;
    uint64_t capacity = std::max(opt.segment_size, end);
    if (last.size > end) CMQ_RETURN_IF_ERROR(last.file->Truncate(end));
    CMQ_RETURN_IF_ERROR(last.file->Allocate(end, capacity - end));
    CMQ_RETURN_IF_ERROR(last.file->DataSync());
    current_capacity = capacity;
    append_offset = end;
    for (size_t i = 0; i < used; ++i) {
      uint64_t size = i + 1 == used ? capacity : found[i].size;
      segments.emplace(found[i].number, SegmentFile{std::move(found[i].file), size});
    }
    written = MakeLocation(current, static_cast<uint32_t>(end));
    if (format1) {
      // Seal the format 1 log: new batches go to a format 2 segment.
      if (current == UINT32_MAX)
        return Status(ErrorCode::kIoError, "journal: segment numbers exhausted");
      SegmentFile seg;
      if (!spares.empty()) {
        seg = std::move(spares.front().second);
        spares.pop_front();
      } else {
        auto created = CreateSegmentFile(current + 1, opt.segment_size);
        if (!created.ok()) return created.status();
        seg = std::move(*created);
      }
      CMQ_RETURN_IF_ERROR(
          BeginSegmentAtRecovery(current + 1, std::move(seg), static_cast<uint32_t>(end)));
    }
  } else {
    // A fresh log: the first segment is a spare or a new file.
    SegmentFile seg;
    uint32_t number = 1;
    if (!spares.empty()) {
      number = spares.front().first;
      seg = std::move(spares.front().second);
      spares.pop_front();
    } else {
      auto created = CreateSegmentFile(number, opt.segment_size);
      if (!created.ok()) return created.status();
      seg = std::move(*created);
    }
    CMQ_RETURN_IF_ERROR(BeginSegmentAtRecovery(number, std::move(seg), 0));
  }
  // The previous run may have died between creating or removing a file and syncing
  // the directory (kill -9 leaves the entry in the page cache only). What recovery
  // keeps, spares included, is written into and acknowledged from now on: its entries
  // must be durable first, and so must the removals above.
  CMQ_RETURN_IF_ERROR(env->SyncDir(opt.dir));
  oldest_segment.store(segments.begin()->first);
  current_segment.store(current);
  recovered = true;
  return Status::Ok();
}

Status Journal::Impl::BeginSegmentAtRecovery(uint32_t number, SegmentFile seg, uint32_t prev_end) {
  if (seg.capacity < opt.segment_size) {
    CMQ_RETURN_IF_ERROR(seg.file->Allocate(0, opt.segment_size));
    CMQ_RETURN_IF_ERROR(seg.file->DataSync());  // before the header goes in (journal.h)
    seg.capacity = opt.segment_size;
  }
  // The header is written now rather than with the first batch, so the writer's first
  // round carries records only. (The previous segment, if any, is synced already.)
  format::SegmentHeader header{format::kVersion, number, next_batch_seq, prev_end};
  CMQ_RETURN_IF_ERROR(seg.file->PWrite(0, format::EncodeHeader(header)));
  CMQ_RETURN_IF_ERROR(seg.file->DataSync());
  current = number;
  current_capacity = seg.capacity;
  segments.emplace(current, std::move(seg));
  append_offset = kHeaderSize;
  written = MakeLocation(current, kHeaderSize);
  return Status::Ok();
}

// ================================================================== appending

Result<SegmentFile> Journal::Impl::CreateSegmentFile(uint32_t n, uint64_t capacity,
                                                      bool zero_fill) {
  static constexpr uint64_t kZeroChunk = 8 << 20;  // between looks at prep_stop
  std::string path = SegmentPath(n);
  auto file = env->Open(path, env::OpenMode::kCreateOrOpen);
  if (!file.ok()) return file.status();
  Status s = (*file)->Truncate(0);
  if (s.ok()) s = (*file)->Allocate(0, capacity);
  for (uint64_t at = 0; zero_fill && s.ok() && at < capacity; at += kZeroChunk) {
    {
      std::lock_guard<std::mutex> lock(prep_mu);
      if (prep_stop) s = Status(ErrorCode::kShuttingDown);
    }
    if (s.ok()) s = (*file)->WriteZeros(at, std::min<uint64_t>(kZeroChunk, capacity - at));
  }
  if (s.ok()) s = (*file)->DataSync();
  if (s.ok()) s = env->SyncDir(opt.dir);
  if (!s.ok()) {
    file->reset();
    (void)env->Remove(path);  // best effort: an empty or zero file is a harmless spare
    return s;
  }
  return SegmentFile{std::shared_ptr<env::File>(std::move(*file)), capacity};
}

Status Journal::Impl::Roll(uint64_t record_size) {
  if (current == UINT32_MAX)
    return Status(ErrorCode::kIoError, "journal: segment numbers exhausted");
  uint32_t next = current + 1;
  RecordType pre_type = 0;
  std::string pre_payload;
  if (preamble) preamble(next, &pre_type, &pre_payload);
  uint64_t pre_size = pre_type != 0 ? kRecordOverhead + pre_payload.size() : 0;
  // The preamble and the record may each start a batch (the writer may take the
  // preamble's before the record is queued).
  uint64_t need = kHeaderSize + 2 * kBatchHeaderSize + pre_size + record_size;
  if (need > kMaxSegmentBytes) {
    return Status(ErrorCode::kIoError, "journal: record of " + std::to_string(record_size) +
                                           " bytes (plus preamble) does not fit in a segment");
  }
  uint64_t capacity = std::min<uint64_t>(
      kMaxSegmentBytes, NewSegmentCapacity(opt.segment_size, kHeaderSize + 2 * kBatchHeaderSize,
                                            pre_size, record_size));
  // The spare may be just being made: waiting for it beats making it twice.
  CollectPrepared(/*wait=*/spares.empty());
  SegmentFile seg;
  if (!spares.empty()) {
    if (spares.front().first != next) {
      return Status(ErrorCode::kInternal, "journal: spare segment " +
                                              std::to_string(spares.front().first) +
                                              " does not follow " + std::to_string(current));
    }
    SegmentFile& spare = spares.front().second;
    if (spare.capacity < capacity) {
      // The new size is durable before the writer puts anything into it (journal.h).
      CMQ_RETURN_IF_ERROR(spare.file->Allocate(0, capacity));
      CMQ_RETURN_IF_ERROR(spare.file->DataSync());
      spare.capacity = capacity;
    }
    seg = std::move(spare);
    spares.pop_front();
  } else {
    auto created = CreateSegmentFile(next, capacity);
    if (!created.ok()) return created.status();
    seg = std::move(*created);
  }
  // The header goes out with the first batch queued into the segment; it records
  // where this one's data ends, so recovery can check that nothing went missing there.
  format::SegmentHeader header{format::kVersion, next, next_batch_seq,
                               static_cast<uint32_t>(append_offset)};
  segment_header = format::EncodeHeader(header);
  current = next;
  current_capacity = seg.capacity;
  segments.emplace(current, std::move(seg));
  current_segment.store(current);
  append_offset = 0;
  RequestPrepared();
  if (pre_type != 0) {
    char frame[kRecordOverhead];
    std::string_view parts[] = {pre_payload};
    format::EncodeRecordHeader(pre_type, parts, frame);
    if (!Queue(std::string_view(frame, sizeof(frame)), parts, false)) return FailureStatus();
    preamble_bytes = pre_size;
  }
  return Status::Ok();
}

std::optional<uint64_t> Journal::Impl::Queue(std::string_view frame_header,
                                             std::span<const std::string_view> parts,
                                             bool new_lsn) {
  uint64_t size = frame_header.size();
  for (std::string_view p : parts) size += p.size();
  bool wake = false;
  uint64_t prefix = 0;  // segment and batch header of a new chunk
  {
    std::lock_guard<std::mutex> lock(mu);
    if (failed.load(std::memory_order_relaxed)) return std::nullopt;
    if (pending.empty()) {
      pending_since = std::chrono::steady_clock::now();
      wake = true;
    }
    if (pending.empty() || pending.back().segment != current ||
        pending.back().offset + pending.back().bytes.size() != append_offset) {
      Chunk& c = pending.emplace_back();
      c.segment = current;
      c.offset = append_offset;
      c.seq = next_batch_seq++;
      c.file = segments[current].file;
      if (!buffer_pool.empty()) {
        c.bytes = std::move(buffer_pool.back());
        buffer_pool.pop_back();
      }
      if (append_offset == 0) c.bytes.append(segment_header);
      c.batch_header_at = c.bytes.size();
      c.bytes.append(kBatchHeaderSize, '\0');  // filled in by the writer
      prefix = c.bytes.size();
    }
    std::string& bytes = pending.back().bytes;
    bytes.append(frame_header);
    for (std::string_view p : parts) bytes.append(p);
    if (new_lsn) {
      pending_lsn = last_lsn + 1;
      ++appended_records;
      appended_bytes += size;
    }
  }
  append_offset += prefix;
  uint64_t frame_at = append_offset;
  append_offset += size;
  if (new_lsn) ++last_lsn;
  // The writer needs waking only to start the ride-along bound of a new batch; a
  // record somebody waits for wakes it from WhenDurable.
  if (wake) cv.notify_one();
  return frame_at;
}

// ================================================================== dropping

void Journal::Impl::RunDueDrops() {
  if (drops.empty() || failed.load()) return;
  const Lsn done = durable.load();
  std::optional<PendingDrop> due;
  while (!drops.empty() && drops.front().after <= done) {
    due = drops.front();
    drops.pop_front();
  }
  if (!due) return;
  Status s = RemoveSegmentsBefore(*due);
  if (!s.ok()) Fail(s);
}

Status Journal::Impl::RemoveSegmentsBefore(const PendingDrop& drop) {
  if (opt.relaxed) {
    // Relaxed mode calls written records durable before they are synced; what replaces
    // the old segments must really be on disk before they go. Older segments were
    // synced before anything was written after them.
    auto it = segments.find(drop.after_segment);
    if (it != segments.end()) CMQ_RETURN_IF_ERROR(it->second.file->DataSync());
  }
  if (drop.keep_from - segments.begin()->first > 1) {
    CMQ_RETURN_IF_ERROR(WriteDropMarker(env, opt.dir, drop.keep_from));
  }
  while (segments.begin()->first < drop.keep_from) {
    // Oldest first, each removal durable before the next: a crash in between leaves a
    // shorter but gap-free run of segments (and the marker finishes the drop).
    CMQ_RETURN_IF_ERROR(env->Remove(SegmentPath(segments.begin()->first)));
    segments.erase(segments.begin());
    oldest_segment.store(segments.begin()->first);
    CMQ_RETURN_IF_ERROR(env->SyncDir(opt.dir));
  }
  return Status::Ok();
}

// ================================================================== preparer

void Journal::Impl::CollectPrepared(bool wait) {
  {
    std::unique_lock<std::mutex> lock(prep_mu);
    if (wait) prep_cv.wait(lock, [this] { return prep_state != Prep::kRequested; });
    if (prep_state == Prep::kDone) {
      // Always NextSpareNumber(): only the preparer makes spares while one is requested.
      spares.emplace_back(prep_number, std::move(prep_file));
      prep_state = Prep::kIdle;
      prepared_spares.fetch_add(1);
    } else if (prep_state == Prep::kFailed) {
      // Out of space, most likely. Spares are made on demand as without a preparer,
      // and the preparer tries again after the next roll.
      prep_failed_at = current;
      prep_state = Prep::kIdle;
    }
  }
}

void Journal::Impl::RequestPrepared() {
  if (!preparer || spares.size() >= static_cast<size_t>(opt.prepared_spares)) return;
  if (prep_failed_at == current || NextSpareNumber() == 0) return;  // 0: numbers exhausted
  {
    std::lock_guard<std::mutex> lock(prep_mu);
    if (prep_state != Prep::kIdle) return;
    prep_state = Prep::kRequested;
    prep_number = NextSpareNumber();
  }
  prep_cv.notify_all();
}

void Journal::Impl::PreparerLoop() {
  while (true) {
    uint32_t n;
    {
      std::unique_lock<std::mutex> lock(prep_mu);
      prep_cv.wait(lock, [this] { return prep_stop || prep_state == Prep::kRequested; });
      if (prep_stop) return;
      n = prep_number;
    }
    auto made = CreateSegmentFile(n, opt.segment_size, /*zero_fill=*/true);
    {
      std::lock_guard<std::mutex> lock(prep_mu);
      if (made.ok()) {
        prep_file = std::move(*made);
        prep_state = Prep::kDone;
      } else {
        prep_state = Prep::kFailed;
      }
    }
    prep_cv.notify_all();
  }
}

// ================================================================== writer

void Journal::Impl::WriterLoop() {
  const auto interval = std::chrono::milliseconds(opt.relaxed_sync_interval_ms);
  const auto ride_along = std::chrono::milliseconds(opt.ride_along_ms);
  while (true) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu);
      while (!stop) {
        if (!pending.empty()) {
          // Write at once when somebody waits for these records; otherwise let them
          // ride along with the next batch somebody waits for, for at most
          // ride_along_ms, so that a commit of records nobody waits for does not
          // delay the one behind it.
          if (wanted_lsn > durable.load()) break;
          auto due = pending_since + ride_along;
          if (std::chrono::steady_clock::now() >= due) break;
          cv.wait_until(lock, due);
        } else if (opt.relaxed && unsynced_file) {
          if (SyncDue()) break;
          cv.wait_for(lock, interval);
        } else {
          cv.wait(lock);
        }
      }
      stopping = stop;
    }
    if (!WriteRound(stopping) || stopping) return;
  }
}

bool Journal::Impl::WriteRound(bool force_sync) {
  Lsn batch_lsn;
  uint64_t records = 0;  // appended so far
  {
    std::lock_guard<std::mutex> lock(mu);
    inflight.swap(pending);
    batch_lsn = pending_lsn;
    records = appended_records;
  }
  uint64_t bytes = 0;
  for (const Chunk& c : inflight) bytes += c.bytes.size();
  Status s;
  for (Chunk& c : inflight) {
    // Segment N must be durable before any byte of N+1 reaches the disk.
    if (unsynced_file && unsynced_file != c.file) {
      s = SyncUnsynced();
      if (!s.ok()) break;
    }
    format::BatchHeader header;
    header.length = static_cast<uint32_t>(c.bytes.size() - c.batch_header_at - kBatchHeaderSize);
    header.seq = c.seq;
    header.synced_through = synced_seq;
    {
      std::lock_guard<std::mutex> lock(mu);  // ReadAt may read the chunk meanwhile
      format::EncodeBatchHeader(header, c.bytes.data() + c.batch_header_at);
    }
    s = c.file->PWrite(c.offset, c.bytes);
    if (!s.ok()) {
      // A failed write may have left part of the batch behind, cut at any byte, which
      // the next start could not tell from damage. Zeros put back what was there
      // before (nothing was acknowledged from it). Best effort: if this fails too, the
      // next start reports the remains and an operator decides (salvage).
      (void)c.file->PWrite(c.offset, std::string(c.bytes.size(), '\0'));
      break;
    }
    written_seq = c.seq;
    unsynced_file = c.file;
    std::lock_guard<std::mutex> lock(mu);
    written = MakeLocation(c.segment, static_cast<uint32_t>(c.offset + c.bytes.size()));
  }
  if (s.ok() && unsynced_file && (!opt.relaxed || force_sync || SyncDue())) s = SyncUnsynced();
  if (!s.ok()) {
    Fail(s);  // keeps `inflight`, so ReadAt still serves those bytes
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    for (Chunk& c : inflight) {
      if (buffer_pool.size() < kBufferPoolSize && c.bytes.capacity() <= kMaxPooledBuffer) {
        c.bytes.clear();
        buffer_pool.push_back(std::move(c.bytes));
      }
    }
    inflight.clear();
  }
  if (bytes != 0) commit_metrics.ObserveCommit(records - records_in_rounds, bytes);
  if (bytes != 0 && LogEnabled(LogLevel::kDebug)) {
    LogEvent(LogLevel::kDebug, "group commit",
             {{"records", records - records_in_rounds},
              {"bytes", bytes},
              {"synced", unsynced_file ? 0 : 1}});
  }
  records_in_rounds = records;
  if (batch_lsn > durable.load()) {
    durable.store(batch_lsn);
    if (wakeup) wakeup();
  }
  return true;
}

Status Journal::Impl::SyncUnsynced() {
  const auto started = std::chrono::steady_clock::now();
  Status s = unsynced_file->DataSync();
  commit_metrics.durable_seconds.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  syncs.fetch_add(1);
  last_sync_ms = env->clock()->NowMs();
  if (s.ok()) {
    unsynced_file.reset();
    synced_seq = written_seq;
  }
  return s;
}

void Journal::Impl::Fail(const Status& s) {
  std::string why = s.detail().empty() ? s.ToString() : s.detail();
  {
    std::lock_guard<std::mutex> lock(mu);
    failure = why;
    failed.store(true);
  }
  // Said at once, and once (the writer stops at its first failure): clients are
  // told only that storage failed, so this line is where the operator learns why.
  CMQ_LOG_ERROR("journal failed, writes are refused until a restart (fail-stop): %s",
                why.c_str());
  if (wakeup) wakeup();
}

// ================================================================== Journal

Journal::Journal(env::Env* env, JournalOptions options)
    : impl_(std::make_unique<Impl>(env, std::move(options))) {}

Journal::~Journal() { (void)Close(); }

Result<std::unique_ptr<Journal>> Journal::Open(env::Env* env, JournalOptions options) {
  if (options.dir.empty()) return Status(ErrorCode::kInvalidParameters, "journal: empty dir");
  if (options.segment_size < kMinSegmentSize || options.segment_size > kMaxSegmentBytes) {
    return Status(ErrorCode::kInvalidParameters,
                  "journal: segment_size " + std::to_string(options.segment_size) +
                      " is outside [" + std::to_string(kMinSegmentSize) + ", " +
                      std::to_string(kMaxSegmentBytes) + "]");
  }
  if (options.relaxed && options.relaxed_sync_interval_ms <= 0) {
    return Status(ErrorCode::kInvalidParameters,
                  "journal: relaxed_sync_interval_ms must be positive");
  }
  CMQ_RETURN_IF_ERROR(env->CreateDir(options.dir));
  return std::unique_ptr<Journal>(new Journal(env, std::move(options)));
}

Status Journal::Recover(const RecoverFn& fn) {
  if (impl_->recovered) return Status(ErrorCode::kInternal, "journal: Recover() called twice");
  CMQ_RETURN_IF_ERROR(FinishInterruptedDrop(impl_->env, impl_->opt.dir));
  return impl_->Recover(fn);
}

Status Journal::Start(std::function<void()> wakeup) {
  Impl& m = *impl_;
  if (!m.recovered) return Status(ErrorCode::kInternal, "journal: Start() before Recover()");
  if (m.closed) return Status(ErrorCode::kShuttingDown);
  if (m.writer) return Status(ErrorCode::kInternal, "journal: Start() called twice");
  m.wakeup = std::move(wakeup);
  m.last_sync_ms = m.env->clock()->NowMs();
  m.writer = m.env->StartThread("cmq-journal", [&m] { m.WriterLoop(); });
  if (m.opt.prepared_spares > 0) {
    m.preparer = m.env->StartThread("cmq-prepare", [&m] { m.PreparerLoop(); });
    m.RequestPrepared();
  }
  return Status::Ok();
}

void Journal::RunCompletions() {
  Impl& m = *impl_;
  if (m.running_completions) return;  // a callback called WhenDurable: the loop below sees it
  m.running_completions = true;
  m.RunDueDrops();
  std::optional<Status> failure;
  while (!m.waiters.empty()) {
    Waiter& w = m.waiters.front();
    if (w.lsn <= m.durable.load()) {
      auto done = std::move(w.done);
      m.waiters.pop_front();
      done(Status::Ok());
    } else if (m.failed.load()) {
      if (!failure) failure = m.FailureStatus();
      auto done = std::move(w.done);
      m.waiters.pop_front();
      done(*failure);
    } else {
      break;
    }
  }
  m.running_completions = false;
}

Status Journal::Close() {
  Impl& m = *impl_;
  if (m.closed) return m.close_status;
  m.closed = true;
  if (m.preparer) {
    {
      std::lock_guard<std::mutex> lock(m.prep_mu);
      m.prep_stop = true;  // a spare being made is given up and removed
    }
    m.prep_cv.notify_all();
    m.preparer->Join();
    m.preparer.reset();
  }
  if (m.writer) {
    {
      std::lock_guard<std::mutex> lock(m.mu);
      m.stop = true;
    }
    m.cv.notify_all();
    m.writer->Join();
    m.writer.reset();
  } else if (m.recovered && !m.failed.load()) {
    // A failure fails the journal, and close_status below reports it.
    (void)m.WriteRound(/*force_sync=*/true);
  }
  RunCompletions();
  if (m.failed.load()) m.close_status = m.FailureStatus();
  return m.close_status;
}

JournalStats Journal::Stats() const {
  const Impl& m = *impl_;
  JournalStats s;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    s.appended_records = m.appended_records;
    s.appended_bytes = m.appended_bytes;
  }
  s.syncs = m.syncs.load();
  s.prepared_spares = m.prepared_spares.load();
  s.durable_lsn = m.durable.load();
  s.oldest_segment = m.oldest_segment.load();
  s.current_segment = m.current_segment.load();
  s.failed = m.failed.load();
  s.recovered_records = m.recovered_records;
  s.truncated_tail = m.truncated_tail;
  return s;
}

CommitFigures Journal::Commits() const { return CommitFigures::Of(impl_->commit_metrics); }

const std::vector<RecoveryNote>& Journal::RecoveryNotes() const { return impl_->recovery_notes; }

Result<Location> Journal::Append(RecordType type, std::span<const std::string_view> parts) {
  Impl& m = *impl_;
  if (!m.recovered) return Status(ErrorCode::kInternal, "journal: Append() before Recover()");
  if (m.closed) return Status(ErrorCode::kShuttingDown);
  if (m.failed.load(std::memory_order_relaxed)) return m.FailureStatus();
  if (type == 0) return Status(ErrorCode::kInternal, "journal: record type 0 is reserved");
  uint64_t record_size = kRecordOverhead;
  for (std::string_view p : parts) record_size += p.size();
  if (record_size > kMaxSegmentBytes - kHeaderSize - 2 * kBatchHeaderSize) {
    return Status(ErrorCode::kIoError,
                  "journal: record of " + std::to_string(record_size) + " bytes is too large");
  }
  // The record may start a batch (whether it does depends on the writer).
  if (m.append_offset + kBatchHeaderSize + record_size > m.current_capacity) {
    CMQ_RETURN_IF_ERROR(m.Roll(record_size));
  }
  char frame[kRecordOverhead];
  format::EncodeRecordHeader(type, parts, frame);
  auto offset = m.Queue(std::string_view(frame, sizeof(frame)), parts, true);
  if (!offset) return m.FailureStatus();
  m.max_record = std::max(m.max_record, record_size);
  return MakeLocation(m.current, static_cast<uint32_t>(*offset + kRecordOverhead));
}

Lsn Journal::LastAppended() const { return impl_->last_lsn; }

void Journal::WhenDurable(Lsn lsn, std::function<void(const Status&)> done) {
  Impl& m = *impl_;
  auto it = m.waiters.end();
  while (it != m.waiters.begin() && std::prev(it)->lsn > lsn) --it;
  m.waiters.insert(it, Waiter{lsn, std::move(done)});
  if (lsn <= m.durable.load() || m.failed.load()) {
    RunCompletions();
    return;
  }
  bool raised = false;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (lsn > m.wanted_lsn) {
      m.wanted_lsn = lsn;
      raised = true;
    }
  }
  if (raised) m.cv.notify_one();
}

Status Journal::ReadAt(Location loc, size_t len, std::string* out) const {
  const Impl& m = *impl_;
  uint32_t segment = SegmentOf(loc);
  uint64_t offset = OffsetOf(loc);
  if (offset + len > kMaxSegmentBytes) {
    return Status(ErrorCode::kNotFound,
                  "journal: read past the end of segment " + std::to_string(segment));
  }
  std::shared_ptr<env::File> file;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (MakeLocation(segment, static_cast<uint32_t>(offset + len)) > m.written) {
      // Not in a file yet: the batch being written, or the one being gathered.
      for (const auto* batch : {&m.inflight, &m.pending}) {
        for (const Chunk& c : *batch) {
          if (Covers(c, segment, offset, len)) {
            out->assign(c.bytes, offset - c.offset, len);
            return Status::Ok();
          }
        }
      }
      return Status(ErrorCode::kNotFound, "journal: nothing appended at segment " +
                                              std::to_string(segment) + " offset " +
                                              std::to_string(offset));
    }
  }
  // Bytes below the watermark are in their file; `segments` is broker-thread state.
  auto it = m.segments.find(segment);
  if (it == m.segments.end()) {
    return Status(ErrorCode::kNotFound,
                  "journal: segment " + std::to_string(segment) + " is not kept");
  }
  CMQ_RETURN_IF_ERROR(it->second.file->PRead(offset, len, out));
  if (out->size() != len) {
    return Status(ErrorCode::kIoError, "journal: short read in segment " + std::to_string(segment) +
                                           " at offset " + std::to_string(offset));
  }
  return Status::Ok();
}

Status Journal::ReadMany(std::span<const Range> ranges, std::string* outs) const {
  // Neighbours are merged while the gap between them stays small (record framing and
  // message metadata) and the merged read stays modest.
  constexpr uint64_t kMaxGap = 4 << 10;
  constexpr uint64_t kMaxSpan = 256 << 10;
  const Impl& m = *impl_;
  Location written;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    written = m.written;  // only grows; ranges below it are in their files
  }
  auto in_file = [written](uint32_t segment, uint64_t end) {
    return end <= kMaxSegmentBytes && MakeLocation(segment, static_cast<uint32_t>(end)) <= written;
  };
  std::string merged;
  size_t i = 0;
  while (i < ranges.size()) {
    uint32_t segment = SegmentOf(ranges[i].loc);
    uint64_t start = OffsetOf(ranges[i].loc);
    uint64_t end = start + ranges[i].len;
    size_t j = i + 1;
    if (in_file(segment, end)) {
      for (; j < ranges.size(); ++j) {
        uint64_t next = OffsetOf(ranges[j].loc);
        uint64_t next_end = next + ranges[j].len;
        if (SegmentOf(ranges[j].loc) != segment || next < end || next - end > kMaxGap ||
            next_end - start > kMaxSpan || !in_file(segment, next_end)) {
          break;
        }
        end = next_end;
      }
    }
    auto it = j > i + 1 ? m.segments.find(segment) : m.segments.end();
    if (it == m.segments.end()) {
      CMQ_RETURN_IF_ERROR(ReadAt(ranges[i].loc, ranges[i].len, &outs[i]));
      ++i;
      continue;
    }
    CMQ_RETURN_IF_ERROR(it->second.file->PRead(start, end - start, &merged));
    if (merged.size() != end - start) {
      return Status(ErrorCode::kIoError, "journal: short read in segment " +
                                             std::to_string(segment) + " at offset " +
                                             std::to_string(start));
    }
    for (; i < j; ++i) outs[i].assign(merged, OffsetOf(ranges[i].loc) - start, ranges[i].len);
  }
  return Status::Ok();
}

Status Journal::EnsureHeadroom(uint64_t bytes) {
  Impl& m = *impl_;
  if (!m.recovered)
    return Status(ErrorCode::kInternal, "journal: EnsureHeadroom() before Recover()");
  if (m.failed.load()) return m.FailureStatus();
  // Conservative: every segment boundary crossed may waste up to one record's worth
  // of tail space, and every new segment starts with a header and a preamble.
  m.CollectPrepared(/*wait=*/false);
  auto available_now = [&m] {
    uint64_t left = m.current_capacity - m.append_offset;
    uint64_t available = left > kBatchHeaderSize ? left - kBatchHeaderSize : 0;
    for (const auto& [n, spare] : m.spares) available += m.UsableSpare(spare.capacity);
    return available;
  };
  uint64_t available = available_now();
  if (available < bytes) {
    // Spares are numbered in order: settle the one being made before making more.
    m.CollectPrepared(/*wait=*/true);
    available = available_now();
  }
  while (available < bytes) {
    uint32_t n = m.NextSpareNumber();
    if (n == 0) return Status(ErrorCode::kIoError, "journal: segment numbers exhausted");
    uint64_t capacity = m.opt.segment_size;
    if (m.UsableSpare(capacity) == 0) {
      // Records or preambles bigger than a segment: make this spare big enough to help.
      capacity = std::min<uint64_t>(
          kMaxSegmentBytes, m.SegmentOverhead() + std::min(bytes - available, m.opt.segment_size));
      if (m.UsableSpare(capacity) == 0) {
        return Status(ErrorCode::kIoError, "journal: records too large to reserve headroom for");
      }
    }
    auto seg = m.CreateSegmentFile(n, capacity);
    if (!seg.ok()) return seg.status();
    available += m.UsableSpare(capacity);
    m.spares.emplace_back(n, std::move(*seg));
  }
  m.RequestPrepared();
  return Status::Ok();
}

Result<std::unique_ptr<RecordCursor>> Journal::OpenCursor(uint32_t from_segment) const {
  const Impl& m = *impl_;
  if (!m.recovered) return Status(ErrorCode::kInternal, "journal: OpenCursor() before Recover()");
  std::vector<CursorSegment> segments;
  for (auto it = m.segments.lower_bound(from_segment); it != m.segments.end(); ++it) {
    segments.push_back({it->first, it->second.file});
  }
  return NewSegmentCursor(std::move(segments));
}

uint32_t Journal::OldestSegment() const { return impl_->oldest_segment.load(); }
uint32_t Journal::CurrentSegment() const { return impl_->current_segment.load(); }

Status Journal::DropSegmentsBefore(uint32_t segment) {
  Impl& m = *impl_;
  if (!m.recovered)
    return Status(ErrorCode::kInternal, "journal: DropSegmentsBefore() before Recover()");
  if (segment > m.current) {
    return Status(ErrorCode::kInternal, "journal: cannot drop segments before " +
                                            std::to_string(segment) + ", current is " +
                                            std::to_string(m.current));
  }
  if (m.failed.load()) return m.FailureStatus();
  if (segment <= std::max(m.drop_asked, m.segments.begin()->first)) return Status::Ok();
  m.drops.push_back({segment, m.last_lsn, m.current});
  m.drop_asked = segment;
  m.RunDueDrops();  // at once if nothing new is waiting to be written
  return m.failed.load() ? m.FailureStatus() : Status::Ok();
}

void Journal::SetSegmentPreamble(Preamble preamble) { impl_->preamble = std::move(preamble); }

}  // namespace cmq::journal
