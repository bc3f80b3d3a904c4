// The RecordLog contract (journal/record_log.h), one suite for every log: the memory
// log the broker's tests use, the journal of the embedded mode and the PostgreSQL log
// of the distributed mode. What the broker relies on holds for all three.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "env/env.h"
#include "journal/fake_loop_for_test.h"
#include "journal/journal.h"
#include "journal/mem_record_log.h"
#include "pglog/ownership.h"
#include "pglog/pg_conn.h"
#include "pglog/pg_record_log.h"
#include "pglog/schema.h"
#include "support/postgres_server.h"

namespace cmq {
namespace {

using journal::Location;
using journal::Lsn;
using journal::RecordLog;
using journal::RecordType;

constexpr uint64_t kSegmentSize = 64 << 10;
constexpr RecordType kPreambleType = 9;

struct Rec {
  RecordType type = 0;
  std::string payload;
  Location loc = 0;
  bool operator==(const Rec&) const = default;
};

// One log under test, with what a test needs besides the RecordLog interface: drive
// completions as the loop would, and reopen the log on the same storage.
class LogDriver {
 public:
  virtual ~LogDriver() = default;
  virtual RecordLog* log() = 0;
  // Runs completions until every record appended so far is durable.
  virtual bool WaitAllDurable() = 0;
  virtual void RunCompletions() = 0;
  // Closes the log and opens it again on the same storage, returning what recovery
  // replayed, in order.
  virtual std::vector<Rec> Reopen() = 0;
};

class MemDriver : public LogDriver {
 public:
  MemDriver() { Fresh(std::make_unique<journal::MemRecordLog>()); }
  RecordLog* log() override { return log_.get(); }
  bool WaitAllDurable() override {
    log_->MakeDurable();
    return true;
  }
  void RunCompletions() override {}
  std::vector<Rec> Reopen() override {
    std::vector<Rec> out;
    for (const auto& r : log_->Records()) out.push_back({r.type, r.payload, r.location});
    Fresh(log_->CloneDurable());
    return out;
  }

 private:
  void Fresh(std::unique_ptr<journal::MemRecordLog> log) {
    log_ = std::move(log);
    log_->SetSegmentCapacity(kSegmentSize);
  }
  std::unique_ptr<journal::MemRecordLog> log_;
};

class JournalDriver : public LogDriver {
 public:
  JournalDriver() : env_(env::NewMemEnv(&clock_)) { EXPECT_TRUE(Open(nullptr)); }
  ~JournalDriver() override {
    if (log_) {
      EXPECT_TRUE(log_->Close().ok());
    }
  }
  RecordLog* log() override { return log_.get(); }
  bool WaitAllDurable() override { return loop_.WaitDurable(log_.get(), log_->LastAppended()); }
  void RunCompletions() override { log_->RunCompletions(); }
  std::vector<Rec> Reopen() override {
    EXPECT_TRUE(log_->Close().ok());
    log_.reset();
    std::vector<Rec> out;
    EXPECT_TRUE(Open(&out));
    return out;
  }

 private:
  bool Open(std::vector<Rec>* replayed) {
    journal::JournalOptions options;
    options.dir = "/journal";
    options.segment_size = kSegmentSize;
    auto opened = journal::Journal::Open(env_.get(), options);
    if (!opened.ok()) return false;
    log_ = std::move(opened).value();
    Status s = log_->Recover([&](RecordType type, std::string_view payload, Location loc) {
      if (replayed) replayed->push_back({type, std::string(payload), loc});
      return Status::Ok();
    });
    return s.ok() && log_->Start(loop_.Hook()).ok();
  }

  env::FakeClock clock_;
  std::unique_ptr<env::Env> env_;
  journal::FakeLoop loop_;
  std::unique_ptr<journal::Journal> log_;
};

class PgDriver : public LogDriver {
 public:
  PgDriver() {
    dsn_ = testing::FreshDatabaseDsn();
    if (dsn_.empty()) return;
    auto conn = pglog::PgConn::Connect(dsn_, "contract-test", 10000);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return;
    conn_ = std::move(conn).value();
    EXPECT_TRUE(pglog::MigrateSchema(conn_.get(), 1).ok());
    EXPECT_TRUE(Open(nullptr));
  }
  ~PgDriver() override {
    if (log_) {
      EXPECT_TRUE(log_->Close().ok());
    }
  }
  RecordLog* log() override { return log_.get(); }
  bool WaitAllDurable() override { return loop_.WaitDurable(log_.get(), log_->LastAppended()); }
  void RunCompletions() override { log_->RunCompletions(); }
  std::vector<Rec> Reopen() override {
    EXPECT_TRUE(log_->Close().ok());
    log_.reset();
    std::vector<Rec> out;
    EXPECT_TRUE(Open(&out));
    return out;
  }

 private:
  bool Open(std::vector<Rec>* replayed) {
    auto claim = pglog::TryClaim(conn_.get(), 0, "contract-node", "127.0.0.1:1", 10000);
    if (!claim.ok() || !claim->claimed) return false;
    pglog::PgLogOptions options;
    options.dsn = dsn_;
    options.epoch = claim->row.epoch;
    options.segment_size = kSegmentSize;
    auto opened = pglog::PgRecordLog::Open(env::PosixEnv(), options);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (!opened.ok()) return false;
    log_ = std::move(opened).value();
    Status s = log_->Recover([&](RecordType type, std::string_view payload, Location loc) {
      if (replayed) replayed->push_back({type, std::string(payload), loc});
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() && log_->Start(loop_.Hook()).ok();
  }

  std::string dsn_;
  std::unique_ptr<pglog::PgConn> conn_;
  journal::FakeLoop loop_;
  std::unique_ptr<pglog::PgRecordLog> log_;
};

std::unique_ptr<LogDriver> MakeDriver(const std::string& kind) {
  if (kind == "mem") return std::make_unique<MemDriver>();
  if (kind == "journal") return std::make_unique<JournalDriver>();
  return std::make_unique<PgDriver>();
}

class RecordLogContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    driver_ = MakeDriver(GetParam());
    ASSERT_NE(driver_->log(), nullptr) << "the " << GetParam() << " log did not open";
    driver_->log()->SetSegmentPreamble([](uint32_t segment, RecordType* type, std::string* p) {
      *type = kPreambleType;
      *p = "snapshot of segment " + std::to_string(segment);
    });
  }

  RecordLog* log() { return driver_->log(); }

  Location AppendOne(const std::string& payload, RecordType type = 1) {
    std::string_view part(payload);
    auto loc = log()->Append(type, std::span<const std::string_view>(&part, 1));
    EXPECT_TRUE(loc.ok()) << loc.status().ToString();
    return loc.ok() ? *loc : 0;
  }

  // Appends `n` records of about 1 KiB, each distinct; returns them.
  std::vector<Rec> AppendMany(int n, int from = 0) {
    std::vector<Rec> out;
    for (int i = from; i < from + n; ++i) {
      std::string body = "record " + std::to_string(i) + " " + std::string(1000, 'a' + i % 26);
      out.push_back({1, body, AppendOne(body)});
    }
    return out;
  }

  std::vector<Rec> WithoutPreambles(const std::vector<Rec>& recs) {
    std::vector<Rec> out;
    for (const Rec& r : recs) {
      if (r.type != kPreambleType) out.push_back(r);
    }
    return out;
  }

  std::unique_ptr<LogDriver> driver_;
};

TEST_P(RecordLogContract, AppendedRecordsReadBackBeforeAndAfterTheyAreDurable) {
  std::vector<Rec> recs = AppendMany(10);
  for (const Rec& r : recs) {
    std::string out;
    ASSERT_TRUE(log()->ReadAt(r.loc, r.payload.size(), &out).ok());
    EXPECT_EQ(out, r.payload);
    ASSERT_TRUE(log()->ReadAt(r.loc + 7, 5, &out).ok());  // a part of a payload
    EXPECT_EQ(out, r.payload.substr(7, 5));
  }
  ASSERT_TRUE(driver_->WaitAllDurable());
  for (const Rec& r : recs) {
    std::string out;
    ASSERT_TRUE(log()->ReadAt(r.loc, r.payload.size(), &out).ok());
    EXPECT_EQ(out, r.payload);
  }
}

TEST_P(RecordLogContract, EveryAppendTakesANewLsnAndCallbacksFireOnceDurable) {
  Lsn before = log()->LastAppended();
  std::vector<Lsn> fired;
  for (int i = 0; i < 5; ++i) {
    AppendMany(1, i);
    Lsn lsn = log()->LastAppended();
    EXPECT_GT(lsn, before);  // by one, or two where a segment's preamble came first
    EXPECT_LE(lsn, before + 2);
    before = lsn;
    log()->WhenDurable(lsn, [&fired, lsn](const Status& s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      fired.push_back(lsn);
    });
  }
  ASSERT_TRUE(driver_->WaitAllDurable());
  driver_->RunCompletions();
  ASSERT_EQ(fired.size(), 5u);
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
  // Asked once durable, a callback runs at once.
  bool now = false;
  log()->WhenDurable(log()->LastAppended(), [&](const Status& s) { now = s.ok(); });
  EXPECT_TRUE(now);
}

TEST_P(RecordLogContract, ReadManyReadsEachRange) {
  std::vector<Rec> recs = AppendMany(6);
  std::vector<RecordLog::Range> ranges;
  for (const Rec& r : recs) ranges.push_back({r.loc + 1, r.payload.size() - 1});
  std::vector<std::string> outs(ranges.size());
  ASSERT_TRUE(log()->ReadMany(ranges, outs.data()).ok());
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_EQ(outs[i], recs[i].payload.substr(1));
}

TEST_P(RecordLogContract, SegmentsRollAndEachStartsWithThePreamble) {
  uint32_t first = log()->CurrentSegment();
  std::vector<Rec> recs = AppendMany(300);  // ~300 KiB in 64 KiB segments
  EXPECT_GE(log()->CurrentSegment(), first + 3);
  ASSERT_TRUE(driver_->WaitAllDurable());
  std::vector<Rec> replayed = driver_->Reopen();
  EXPECT_EQ(WithoutPreambles(replayed), recs);
  uint32_t seen = 0;
  for (const Rec& r : replayed) {
    uint32_t seg = journal::SegmentOf(r.loc);
    if (seg == seen) continue;
    seen = seg;
    if (seg == journal::SegmentOf(replayed.front().loc)) continue;  // the first may predate it
    EXPECT_EQ(r.type, kPreambleType) << "segment " << seg;
    EXPECT_EQ(r.payload, "snapshot of segment " + std::to_string(seg));
  }
}

TEST_P(RecordLogContract, DroppedSegmentsGoOnceTheRecordsBeforeTheDropAreDurable) {
  std::vector<Rec> recs = AppendMany(300);
  uint32_t current = log()->CurrentSegment();
  ASSERT_GT(current, log()->OldestSegment());
  EXPECT_EQ(log()->DropSegmentsBefore(current + 1).error(), ErrorCode::kInternal);
  ASSERT_TRUE(log()->DropSegmentsBefore(current).ok());
  ASSERT_TRUE(driver_->WaitAllDurable());
  // The drop may finish on a later round of completions than the records' commit.
  for (int i = 0; i < 1000 && log()->OldestSegment() != current; ++i) {
    AppendMany(1, 1000 + i);
    ASSERT_TRUE(driver_->WaitAllDurable());
    driver_->RunCompletions();
  }
  EXPECT_EQ(log()->OldestSegment(), current);
  EXPECT_TRUE(log()->DropSegmentsBefore(current - 1).ok());  // below: changes nothing
  for (const Rec& r : recs) {
    if (journal::SegmentOf(r.loc) < current) continue;
    std::string out;
    ASSERT_TRUE(log()->ReadAt(r.loc, r.payload.size(), &out).ok());
    EXPECT_EQ(out, r.payload);
  }
  for (const Rec& r : driver_->Reopen()) EXPECT_GE(journal::SegmentOf(r.loc), current);
}

TEST_P(RecordLogContract, RecoveryReplaysEveryDurableRecordAtItsLocation) {
  std::vector<Rec> recs = AppendMany(40);
  ASSERT_TRUE(driver_->WaitAllDurable());
  EXPECT_EQ(WithoutPreambles(driver_->Reopen()), recs);
  // Appends after recovery land after everything recovered, and read back.
  std::vector<Rec> more = AppendMany(3, 40);
  for (const Rec& r : more) {
    EXPECT_GT(r.loc, recs.back().loc);
    std::string out;
    ASSERT_TRUE(log()->ReadAt(r.loc, r.payload.size(), &out).ok());
    EXPECT_EQ(out, r.payload);
  }
  ASSERT_TRUE(driver_->WaitAllDurable());
  recs.insert(recs.end(), more.begin(), more.end());
  EXPECT_EQ(WithoutPreambles(driver_->Reopen()), recs);
}

// Every record read through a cursor on another thread, from the segment asked for,
// in log order; what was reclaimed before it opened is not there, and a drop while it
// is open does not stop it, or is said (message trace).
TEST_P(RecordLogContract, ACursorReadsTheStoredRecordsOnAnotherThread) {
  std::vector<Rec> recs = AppendMany(300);
  ASSERT_TRUE(driver_->WaitAllDurable());
  const uint32_t from = log()->OldestSegment() + 2;
  ASSERT_LT(from, log()->CurrentSegment());
  auto cursor = log()->OpenCursor(from);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  // Reclaiming meanwhile: the open cursor still reads what it was opened on.
  ASSERT_TRUE(log()->DropSegmentsBefore(from + 1).ok());
  for (int i = 0; i < 1000 && log()->OldestSegment() != from + 1; ++i) {
    AppendMany(1, 1000 + i);  // records appended later may or may not show: left out below
    ASSERT_TRUE(driver_->WaitAllDurable());
    driver_->RunCompletions();
  }
  ASSERT_EQ(log()->OldestSegment(), from + 1);
  std::vector<Rec> read;
  Status status;
  std::thread reader([&] {
    while (true) {
      Rec r;
      std::string_view payload;
      Result<bool> more = (*cursor)->Next(&r.type, &payload, &r.loc);
      if (!more.ok()) {
        status = more.status();
        return;
      }
      if (!*more) return;
      r.payload = std::string(payload);
      if (r.loc <= recs.back().loc) read.push_back(std::move(r));
    }
  });
  reader.join();
  ASSERT_TRUE(status.ok()) << status.ToString();
  // The journal reads through the files it had open, the memory log copied; the
  // PostgreSQL log loads a segment when it reaches it, and says so if it was gone.
  const uint32_t first = (*cursor)->skipped_records() ? from + 1 : from;
  EXPECT_EQ((*cursor)->skipped_records(), std::string(GetParam()) == "postgres");
  std::vector<Rec> expected;
  for (const Rec& r : recs) {
    if (journal::SegmentOf(r.loc) >= first) expected.push_back(r);
  }
  EXPECT_EQ(WithoutPreambles(read), expected);
}

INSTANTIATE_TEST_SUITE_P(Logs, RecordLogContract,
                         ::testing::Values("mem", "journal", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace cmq
