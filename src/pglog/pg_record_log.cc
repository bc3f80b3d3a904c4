#include "pglog/pg_record_log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "common/coding.h"
#include "common/log.h"
#include "journal/record_frame.h"
#include "pglog/pg_conn.h"
#include "pglog/schema.h"

namespace cmq::pglog {

using journal::Location;
using journal::Lsn;
using journal::RecordType;

namespace {

using SteadyClock = std::chrono::steady_clock;

// One unit of the writer's work, done in queue order.
struct Job {
  enum class Kind { kCreate, kInsert, kDrop };
  Kind kind = Kind::kInsert;
  uint32_t segment = 0;  // kCreate, kInsert: the segment; kDrop: drop those below it
  uint32_t pos = 0;      // kInsert: offset of `bytes` in the segment's stream
  std::string bytes;     // kInsert: framed records
  Lsn last_lsn = 0;      // kInsert: the last record in `bytes`
  uint64_t records = 0;  // kInsert: the records in `bytes`
};

uint32_t DecodeBigEndian32(std::string_view b) {
  return (uint32_t{static_cast<uint8_t>(b[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[2])} << 8) | uint32_t{static_cast<uint8_t>(b[3])};
}

// Loads a segment's stream from PostgreSQL, checking that its rows are contiguous.
Status LoadSegmentStream(PgConn* conn, const PgLogOptions& options, uint32_t segment,
                         std::string* out) {
  const std::string table = SegmentTable(options.partition, segment);
  auto rows = conn->ExecBinary("SELECT pos, data FROM " + table + " ORDER BY pos", {},
                               options.timeout_ms);
  if (!rows.ok()) return rows.status();
  out->clear();
  for (int i = 0; i < rows->rows(); ++i) {
    uint32_t pos = DecodeBigEndian32(rows->Get(i, 0));
    if (pos != out->size()) {
      return Status(ErrorCode::kCorruption, "postgres log corruption in " + table +
                                                ": a row at offset " + std::to_string(pos) +
                                                " where offset " + std::to_string(out->size()) +
                                                " belongs");
    }
    out->append(rows->Get(i, 1));
  }
  return Status::Ok();
}

}  // namespace

struct PgRecordLog::Impl {
  env::Env* env = nullptr;
  PgLogOptions options;

  // ---- loop thread ----
  struct Segment {
    uint64_t size = 0;  // bytes of its stream
    std::string bytes;  // the stream, while cached (always for the current segment)
    bool cached = false;
    uint64_t last_used = 0;
  };
  mutable std::map<uint32_t, Segment> segments;  // kept segments, oldest first
  uint32_t current = 0;         // segment being appended to (0 before Recover)
  bool current_started = false;  // its creation is queued and its preamble asked for
  bool recovered = false;
  Lsn last_lsn = 0;
  uint32_t drop_asked = 0;
  Preamble preamble;
  std::multimap<Lsn, std::function<void(const Status&)>> callbacks;
  mutable uint64_t use_clock = 0;
  mutable uint64_t cached_bytes = 0;
  mutable uint64_t segment_loads = 0;
  mutable std::unique_ptr<PgConn> reader;  // lazily connected, for cache misses
  uint64_t appended_records = 0;
  uint64_t appended_bytes = 0;
  uint64_t recovered_records = 0;
  bool closed = false;

  // ---- shared with the writer (mu) ----
  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> jobs;
  SteadyClock::time_point first_queued;  // when the oldest queued job was queued
  Lsn wanted_lsn = 0;                    // the highest LSN a callback waits for
  bool stop = false;
  Status failure_status;
  std::atomic<bool> failed{false};
  std::atomic<Lsn> durable_lsn{0};
  std::atomic<uint32_t> dropped_before{0};
  std::atomic<uint64_t> commits{0};
  journal::CommitMetrics commit_metrics;  // kept by the writer thread

  // ---- writer thread ----
  std::unique_ptr<PgConn> writer;
  std::function<void()> wakeup;
  std::unique_ptr<env::Env::Thread> thread;
  std::set<uint32_t> prepared;  // segments whose insert statement is prepared

  std::string Table(uint32_t segment) const { return SegmentTable(options.partition, segment); }

  void Fail(const Status& s) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (failure_status.ok()) {
        failure_status = s;
        CMQ_LOG_ERROR("postgres log of partition %u failed: %s", options.partition,
                      s.ToString().c_str());
      }
      jobs.clear();
    }
    failed.store(true);
  }

  Status Failure() const {
    std::lock_guard<std::mutex> lock(mu);
    return failure_status;
  }

  // ---- loop thread: appending ----

  void Queue(Job job, bool urgent) {
    std::lock_guard<std::mutex> lock(mu);
    if (jobs.empty()) {
      // The writer sleeps until there is work; from now it times the ride-along.
      first_queued = SteadyClock::now();
      urgent = true;
    }
    if (job.kind == Job::Kind::kInsert && !jobs.empty() &&
        jobs.back().kind == Job::Kind::kInsert && jobs.back().segment == job.segment) {
      jobs.back().bytes.append(job.bytes);
      jobs.back().last_lsn = job.last_lsn;
      jobs.back().records += job.records;
    } else {
      jobs.push_back(std::move(job));
    }
    if (urgent) cv.notify_one();
  }

  // Frames one record into the current segment and the writer's queue.
  Location Put(RecordType type, std::span<const std::string_view> parts) {
    char frame[journal::kRecordOverhead];
    journal::EncodeRecordHeader(type, parts, frame);
    Segment& seg = segments[current];
    uint64_t start = seg.size;
    Job job;
    job.kind = Job::Kind::kInsert;
    job.segment = current;
    job.pos = static_cast<uint32_t>(start);
    job.bytes.append(frame, sizeof(frame));
    for (std::string_view p : parts) job.bytes.append(p.data(), p.size());
    seg.bytes.append(job.bytes);
    seg.size += job.bytes.size();
    cached_bytes += job.bytes.size();
    appended_bytes += job.bytes.size() - journal::kRecordOverhead;
    ++appended_records;
    job.last_lsn = ++last_lsn;
    job.records = 1;
    Queue(std::move(job), false);
    return journal::MakeLocation(current, static_cast<uint32_t>(start + journal::kRecordOverhead));
  }

  // Starts segment `number`: queues its creation and writes the preamble, leaving room
  // for a first record of `record_size` payload bytes.
  void StartSegment(uint32_t number) {
    current = number;
    current_started = true;
    Segment& seg = segments[number];
    seg.cached = true;
    seg.last_used = ++use_clock;
    seg.bytes.reserve(std::min<uint64_t>(options.segment_size, 256ull << 20));
    Job create;
    create.kind = Job::Kind::kCreate;
    create.segment = number;
    Queue(std::move(create), false);
    RecordType type = 0;
    std::string payload;
    if (preamble) preamble(number, &type, &payload);
    if (type != 0) {
      std::string_view part(payload);
      Put(type, std::span<const std::string_view>(&part, 1));
    }
  }

  // ---- loop thread: reading ----

  Status LoadSegment(PgConn* conn, uint32_t segment, std::string* out) const {
    return LoadSegmentStream(conn, options, segment, out);
  }

  Status Reader() const {
    if (reader && !reader->broken()) return Status::Ok();
    auto conn = PgConn::Connect(options.dsn, options.application_name + "-reader",
                                options.timeout_ms);
    if (!conn.ok()) return conn.status();
    reader = std::move(conn).value();
    return Status::Ok();
  }

  // Drops cached streams of older segments, least recently used first, until the
  // cache fits its budget. The current segment stays.
  void Evict() const {
    while (cached_bytes > options.cache_bytes) {
      Segment* victim = nullptr;
      for (auto& [number, seg] : segments) {
        if (number == current || !seg.cached) continue;
        if (victim == nullptr || seg.last_used < victim->last_used) victim = &seg;
      }
      if (victim == nullptr) return;
      cached_bytes -= victim->bytes.size();
      victim->bytes.clear();
      victim->bytes.shrink_to_fit();
      victim->cached = false;
    }
  }

  // ---- writer thread ----

  void WriterLoop() {
    while (true) {
      std::deque<Job> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        while (true) {
          if (failed.load()) return;
          if (!jobs.empty()) {
            bool waited = wanted_lsn > durable_lsn.load() || stop;
            auto due = first_queued + std::chrono::milliseconds(options.ride_along_ms);
            if (waited || SteadyClock::now() >= due) break;
            cv.wait_until(lock, due);
            continue;
          }
          if (stop) return;
          cv.wait(lock);
        }
        batch.swap(jobs);
      }
      Lsn durable = 0;
      bool dropped = false;
      for (Job& job : batch) {
        Status s = Run(job);
        if (!s.ok()) {
          Fail(s);
          break;
        }
        if (job.kind == Job::Kind::kInsert) durable = job.last_lsn;
        if (job.kind == Job::Kind::kDrop) {
          dropped_before.store(job.segment);
          dropped = true;
        }
      }
      if (durable > 0 && !failed.load()) durable_lsn.store(durable);
      if (durable > 0 || dropped || failed.load()) wakeup();
      if (failed.load()) return;
    }
  }

  // Locks the partition's row FOR SHARE if it still has our epoch; inside a transaction.
  Status Fence() {
    std::string p = std::to_string(options.partition), e = std::to_string(options.epoch);
    PgParam params[] = {{p}, {e}};
    auto r = writer->Exec(
        "SELECT 1 FROM cmq_partitions WHERE partition = $1 AND epoch = $2 FOR SHARE", params,
        options.timeout_ms);
    if (!r.ok()) return r.status();
    if (r->rows() != 1) return Fenced();
    return Status::Ok();
  }

  Status Fenced() const {
    return Status(ErrorCode::kNotServing, "partition " + std::to_string(options.partition) +
                                              " was taken over: epoch " +
                                              std::to_string(options.epoch) +
                                              " is no longer current; nothing more is written");
  }

  // Runs `body` in a transaction that starts with the fence.
  Status InFencedTransaction(const std::function<Status()>& body) {
    Status s = writer->Exec("BEGIN", {}, options.timeout_ms).status();
    if (s.ok()) s = Fence();
    if (s.ok()) s = body();
    if (s.ok()) return writer->Exec("COMMIT", {}, options.timeout_ms).status();
    if (!writer->broken()) {
      Status rolled_back = writer->Exec("ROLLBACK", {}, options.timeout_ms).status();
      (void)rolled_back;  // the log fails with `s` either way
    }
    return s;
  }

  Status Run(const Job& job) {
    switch (job.kind) {
      case Job::Kind::kCreate: {
        std::string table = Table(job.segment);
        Status s = InFencedTransaction([&] {
          std::string p = std::to_string(options.partition), n = std::to_string(job.segment);
          CMQ_RETURN_IF_ERROR(writer
                                  ->Exec("CREATE TABLE " + table +
                                             " (pos int PRIMARY KEY, data bytea NOT NULL);"
                                             "ALTER TABLE " +
                                             table + " ALTER COLUMN data SET STORAGE EXTERNAL;"
                                             "INSERT INTO cmq_segments (partition, segment) "
                                             "VALUES (" +
                                             p + ", " + n + ")",
                                         {}, options.timeout_ms)
                                  .status());
          return Status::Ok();
        });
        if (!s.ok()) return s;
        prepared.insert(job.segment);
        return writer->Prepare(
            "append_" + std::to_string(job.segment),
            "WITH fence AS (SELECT 1 FROM cmq_partitions WHERE partition = $1 AND epoch = $2 "
            "FOR SHARE) INSERT INTO " +
                table + " (pos, data) SELECT $3::int, $4::bytea FROM fence",
            options.timeout_ms);
      }
      case Job::Kind::kInsert: {
        std::string p = std::to_string(options.partition), e = std::to_string(options.epoch),
                    pos = std::to_string(job.pos);
        PgParam params[] = {{p}, {e}, {pos}, {job.bytes, true}};
        const SteadyClock::time_point started = SteadyClock::now();
        auto r = writer->ExecPrepared("append_" + std::to_string(job.segment), params,
                                      options.timeout_ms);
        if (!r.ok()) return r.status();
        if (r->affected() != 1) return Fenced();
        commit_metrics.durable_seconds.Observe(
            std::chrono::duration<double>(SteadyClock::now() - started).count());
        commit_metrics.ObserveCommit(job.records, job.bytes.size());
        commits.fetch_add(1);
        if (LogEnabled(LogLevel::kDebug)) {
          LogEvent(LogLevel::kDebug, "group commit",
                   {{"partition", options.partition},
                    {"segment", job.segment},
                    {"bytes", job.bytes.size()}});
        }
        return Status::Ok();
      }
      case Job::Kind::kDrop: {
        std::string p = std::to_string(options.partition), n = std::to_string(job.segment);
        Status s = InFencedTransaction([&] {
          auto list = writer->Exec("SELECT segment FROM cmq_segments WHERE partition = " + p +
                                       " AND segment < " + n + " ORDER BY segment",
                                   {}, options.timeout_ms);
          if (!list.ok()) return list.status();
          for (int i = 0; i < list->rows(); ++i) {
            uint32_t seg = static_cast<uint32_t>(list->GetInt(i, 0));
            CMQ_RETURN_IF_ERROR(
                writer->Exec("DROP TABLE IF EXISTS " + Table(seg), {}, options.timeout_ms)
                    .status());
          }
          return writer
              ->Exec("DELETE FROM cmq_segments WHERE partition = " + p + " AND segment < " + n,
                     {}, options.timeout_ms)
              .status();
        });
        if (!s.ok()) return s;
        while (!prepared.empty() && *prepared.begin() < job.segment) {
          CMQ_RETURN_IF_ERROR(writer
                                  ->Exec("DEALLOCATE append_" + std::to_string(*prepared.begin()),
                                         {}, options.timeout_ms)
                                  .status());
          prepared.erase(prepared.begin());
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }
};

PgRecordLog::PgRecordLog() : impl_(std::make_unique<Impl>()) {}

PgRecordLog::~PgRecordLog() {
  Status closed = Close();
  (void)closed;  // a failure was logged when it happened
}

Result<std::unique_ptr<PgRecordLog>> PgRecordLog::Open(env::Env* env, PgLogOptions options) {
  if (options.segment_size == 0 || options.segment_size > UINT32_MAX) {
    return Status(ErrorCode::kInternal, "postgres log: segment size out of range");
  }
  std::unique_ptr<PgRecordLog> log(new PgRecordLog());
  Impl& d = *log->impl_;
  d.env = env;
  d.options = std::move(options);
  auto conn = PgConn::Connect(d.options.dsn, d.options.application_name, d.options.timeout_ms);
  if (!conn.ok()) return conn.status();
  d.writer = std::move(conn).value();
  // Every commit waits for the synchronous standby, whatever the server's default.
  CMQ_RETURN_IF_ERROR(d.writer->Exec("SET synchronous_commit = on", {}, d.options.timeout_ms).status());
  return log;
}

Status PgRecordLog::Recover(const RecoverFn& fn) {
  Impl& d = *impl_;
  std::string p = std::to_string(d.options.partition);
  auto list = d.writer->Exec("SELECT segment FROM cmq_segments WHERE partition = " + p +
                                 " ORDER BY segment",
                             {}, d.options.timeout_ms);
  if (!list.ok()) return list.status();
  uint32_t last = 0;
  for (int i = 0; i < list->rows(); ++i) {
    uint32_t number = static_cast<uint32_t>(list->GetInt(i, 0));
    if (last != 0 && number != last + 1) {
      return Status(ErrorCode::kCorruption, "postgres log corruption: partition " + p +
                                                " has segment " + std::to_string(number) +
                                                " after segment " + std::to_string(last));
    }
    last = number;
    Impl::Segment& seg = d.segments[number];
    CMQ_RETURN_IF_ERROR(d.LoadSegment(d.writer.get(), number, &seg.bytes));
    seg.size = seg.bytes.size();
    seg.cached = true;
    seg.last_used = ++d.use_clock;
    d.cached_bytes += seg.size;
    std::string_view rest(seg.bytes);
    uint64_t offset = 0;
    while (!rest.empty()) {
      RecordType type = 0;
      std::string_view payload;
      size_t size = 0;
      std::string problem = journal::DecodeRecord(rest, &type, &payload, &size);
      if (!problem.empty()) {
        return Status(ErrorCode::kCorruption, "postgres log corruption in " + d.Table(number) +
                                                  " at offset " + std::to_string(offset) + ": " +
                                                  problem);
      }
      CMQ_RETURN_IF_ERROR(fn(type, payload,
                             journal::MakeLocation(number, static_cast<uint32_t>(
                                                               offset + journal::kRecordOverhead))));
      ++d.recovered_records;
      rest.remove_prefix(size);
      offset += size;
    }
    d.current = number;  // so that Evict keeps the segment being replayed
    d.Evict();
  }
  // Appends go to a segment of their own: the old owner's last segment is never
  // written again.
  d.current = last + 1;
  d.current_started = false;
  d.segments[d.current];
  d.recovered = true;
  return Status::Ok();
}

Status PgRecordLog::Start(std::function<void()> wakeup) {
  Impl& d = *impl_;
  if (!d.recovered) return Status(ErrorCode::kInternal, "postgres log: Start before Recover");
  d.wakeup = std::move(wakeup);
  d.thread = d.env->StartThread("pglog-writer", [&d] { d.WriterLoop(); });
  return Status::Ok();
}

void PgRecordLog::RunCompletions() {
  Impl& d = *impl_;
  uint32_t dropped = d.dropped_before.load();
  while (!d.segments.empty() && d.segments.begin()->first < dropped) {
    d.cached_bytes -= d.segments.begin()->second.bytes.size();
    d.segments.erase(d.segments.begin());
  }
  if (d.failed.load()) {
    Status s = d.Failure();
    auto callbacks = std::move(d.callbacks);
    d.callbacks.clear();
    for (auto& [lsn, done] : callbacks) done(s);
    return;
  }
  Lsn durable = d.durable_lsn.load();
  // Callbacks may register more; take the due ones first.
  std::vector<std::function<void(const Status&)>> due;
  while (!d.callbacks.empty() && d.callbacks.begin()->first <= durable) {
    due.push_back(std::move(d.callbacks.begin()->second));
    d.callbacks.erase(d.callbacks.begin());
  }
  for (auto& done : due) done(Status::Ok());
}

Status PgRecordLog::Close() {
  Impl& d = *impl_;
  if (d.closed) return d.Failure();
  d.closed = true;
  if (d.thread) {
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.stop = true;
      d.cv.notify_one();
    }
    d.thread->Join();
    d.thread.reset();
  }
  RunCompletions();
  if (!d.callbacks.empty()) {
    // Never started, or stopped with records uncommitted: nobody may be told they are
    // durable.
    Status s = d.failed.load() ? d.Failure()
                               : Status(ErrorCode::kShuttingDown, "postgres log closed");
    auto callbacks = std::move(d.callbacks);
    d.callbacks.clear();
    for (auto& [lsn, done] : callbacks) done(s);
  }
  return d.Failure();
}

journal::CommitFigures PgRecordLog::Commits() const {
  return journal::CommitFigures::Of(impl_->commit_metrics);
}

PgLogStats PgRecordLog::Stats() const {
  const Impl& d = *impl_;
  PgLogStats s;
  s.appended_records = d.appended_records;
  s.appended_bytes = d.appended_bytes;
  s.commits = d.commits.load();
  s.durable_lsn = d.durable_lsn.load();
  s.oldest_segment = OldestSegment();
  s.current_segment = d.current;
  for (const auto& [number, seg] : d.segments) s.kept_bytes += seg.size;
  s.cached_bytes = d.cached_bytes;
  s.segment_loads = d.segment_loads;
  s.failed = d.failed.load();
  s.recovered_records = d.recovered_records;
  return s;
}

Status PgRecordLog::failure() const { return impl_->Failure(); }

Result<Location> PgRecordLog::Append(RecordType type, std::span<const std::string_view> parts) {
  Impl& d = *impl_;
  if (d.failed.load()) return d.Failure();
  if (d.closed) return Status(ErrorCode::kShuttingDown, "postgres log closed");
  if (!d.recovered) return Status(ErrorCode::kInternal, "postgres log: Append before Recover");
  size_t size = journal::kRecordOverhead;
  for (std::string_view p : parts) size += p.size();
  if (size > UINT32_MAX / 2) return Status(ErrorCode::kInternal, "postgres log: record too large");
  if (!d.current_started) {
    d.StartSegment(d.current);
  } else {
    const Impl::Segment& seg = d.segments[d.current];
    if (seg.size > 0 && seg.size + size > d.options.segment_size) {
      d.StartSegment(d.current + 1);
      d.Evict();
    }
  }
  return d.Put(type, parts);
}

journal::Lsn PgRecordLog::LastAppended() const { return impl_->last_lsn; }

void PgRecordLog::WhenDurable(Lsn lsn, std::function<void(const Status&)> done) {
  Impl& d = *impl_;
  if (d.failed.load()) {
    done(d.Failure());
    return;
  }
  if (lsn <= d.durable_lsn.load()) {
    done(Status::Ok());
    return;
  }
  d.callbacks.emplace(lsn, std::move(done));
  std::lock_guard<std::mutex> lock(d.mu);
  if (lsn > d.wanted_lsn) {
    d.wanted_lsn = lsn;
    d.cv.notify_one();
  }
}

Status PgRecordLog::ReadAt(Location loc, size_t len, std::string* out) const {
  const Impl& d = *impl_;
  auto it = d.segments.find(journal::SegmentOf(loc));
  uint64_t offset = journal::OffsetOf(loc);
  if (it == d.segments.end() || offset + len > it->second.size) {
    return Status(ErrorCode::kNotFound, "no record at location " + std::to_string(loc));
  }
  Impl::Segment& seg = it->second;
  if (!seg.cached) {
    CMQ_RETURN_IF_ERROR(d.Reader());
    std::string bytes;
    CMQ_RETURN_IF_ERROR(d.LoadSegment(d.reader.get(), it->first, &bytes));
    if (bytes.size() != seg.size) {
      return Status(ErrorCode::kCorruption,
                    "postgres log corruption in " + d.Table(it->first) + ": " +
                        std::to_string(bytes.size()) + " bytes where " +
                        std::to_string(seg.size) + " were committed");
    }
    seg.bytes = std::move(bytes);
    seg.cached = true;
    d.cached_bytes += seg.size;
    ++d.segment_loads;
  }
  seg.last_used = ++d.use_clock;
  out->assign(seg.bytes, offset, len);
  d.Evict();
  return Status::Ok();
}

Status PgRecordLog::EnsureHeadroom(uint64_t bytes) {
  const Impl& d = *impl_;
  if (d.failed.load()) return d.Failure();
  if (d.options.max_log_bytes == 0) return Status::Ok();
  uint64_t kept = 0;
  for (const auto& [number, seg] : d.segments) kept += seg.size;
  if (kept + bytes > d.options.max_log_bytes) {
    return Status(ErrorCode::kDiskFull,
                  "postgres log of partition " + std::to_string(d.options.partition) + " holds " +
                      std::to_string(kept) + " bytes; " + std::to_string(bytes) +
                      " more would pass postgres_max_log_mb");
  }
  return Status::Ok();
}

namespace {

// Committed rows only: a segment is loaded whole when the cursor reaches it.
class PgCursor : public journal::RecordCursor {
 public:
  PgCursor(PgLogOptions options, std::vector<uint32_t> segments)
      : options_(std::move(options)), segments_(std::move(segments)) {}

  Result<bool> Next(RecordType* type, std::string_view* payload, Location* location) override {
    while (rest_.empty()) {
      if (next_ == segments_.size()) return false;
      CMQ_RETURN_IF_ERROR(LoadNext());
    }
    size_t size = 0;
    std::string problem = journal::DecodeRecord(rest_, type, payload, &size);
    if (!problem.empty()) {
      return Status(ErrorCode::kCorruption, "postgres log corruption in " +
                                                SegmentTable(options_.partition, segment_) +
                                                " at offset " + std::to_string(offset_) + ": " +
                                                problem);
    }
    *location = journal::MakeLocation(segment_,
                                      static_cast<uint32_t>(offset_ + journal::kRecordOverhead));
    rest_.remove_prefix(size);
    offset_ += size;
    return true;
  }

  bool skipped_records() const override { return skipped_; }

 private:
  Status LoadNext() {
    if (!conn_ || conn_->broken()) {
      auto conn = PgConn::Connect(options_.dsn, options_.application_name + "-trace",
                                  options_.timeout_ms);
      if (!conn.ok()) return conn.status();
      conn_ = std::move(conn).value();
    }
    segment_ = segments_[next_++];
    offset_ = 0;
    Status loaded = LoadSegmentStream(conn_.get(), options_, segment_, &bytes_);
    if (!loaded.ok()) {
      if (conn_->broken() || loaded.error() == ErrorCode::kCorruption) return loaded;
      // The table is gone (reclaimed meanwhile) or, for the current segment, not
      // created yet.
      bytes_.clear();
      if (next_ < segments_.size()) skipped_ = true;
    }
    rest_ = bytes_;
    return Status::Ok();
  }

  const PgLogOptions options_;
  const std::vector<uint32_t> segments_;
  std::unique_ptr<PgConn> conn_;
  size_t next_ = 0;
  uint32_t segment_ = 0;
  uint64_t offset_ = 0;
  std::string bytes_;
  std::string_view rest_;
  bool skipped_ = false;
};

}  // namespace

Result<std::unique_ptr<journal::RecordCursor>> PgRecordLog::OpenCursor(
    uint32_t from_segment) const {
  const Impl& d = *impl_;
  if (!d.recovered) return Status(ErrorCode::kInternal, "postgres log: OpenCursor() before Recover()");
  std::vector<uint32_t> segments;
  for (auto it = d.segments.lower_bound(from_segment); it != d.segments.end(); ++it) {
    segments.push_back(it->first);
  }
  return std::unique_ptr<journal::RecordCursor>(
      std::make_unique<PgCursor>(d.options, std::move(segments)));
}

uint32_t PgRecordLog::OldestSegment() const {
  const Impl& d = *impl_;
  return d.segments.empty() ? d.current : d.segments.begin()->first;
}

uint32_t PgRecordLog::CurrentSegment() const { return impl_->current; }

Status PgRecordLog::DropSegmentsBefore(uint32_t segment) {
  Impl& d = *impl_;
  if (segment > d.current) return Status(ErrorCode::kInternal, "segment beyond the current one");
  if (d.failed.load()) return d.Failure();
  if (segment <= std::max(d.drop_asked, OldestSegment())) return Status::Ok();
  d.drop_asked = segment;
  Job drop;
  drop.kind = Job::Kind::kDrop;
  drop.segment = segment;
  d.Queue(std::move(drop), false);
  return Status::Ok();
}

void PgRecordLog::SetSegmentPreamble(Preamble preamble) { impl_->preamble = std::move(preamble); }

}  // namespace cmq::pglog
