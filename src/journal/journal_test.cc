#include "journal/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/coding.h"
#include "env/fault_env.h"
#include "env/power_cut_env_for_test.h"
#include "journal/drop_marker.h"
#include "journal/fake_loop_for_test.h"
#include "journal/segment_format.h"

namespace cmq::journal {
namespace {

using env::OpenMode;

constexpr auto kWaitLimit = FakeLoop::kWaitLimit;

struct Rec {
  RecordType type;
  std::string payload;
  Location loc;
  bool operator==(const Rec&) const = default;
};

std::string Payload(int i, size_t size) {
  std::string s = "rec" + std::to_string(i) + ":";
  while (s.size() < size) s.push_back(static_cast<char>('a' + (i + s.size()) % 26));
  s.resize(size);
  return s;
}

Result<Location> AppendOne(Journal* j, RecordType type, std::string_view payload) {
  std::string_view parts[] = {payload};
  return j->Append(type, parts);
}

// Appends `count` records of `size` bytes (payloads first, first+1, ...) and notes
// them in `written`.
void AppendRecords(Journal* j, RecordType type, int first, int count, size_t size,
                   std::vector<Rec>* written) {
  for (int i = first; i < first + count; ++i) {
    std::string p = Payload(i, size);
    auto loc = AppendOne(j, type, p);
    ASSERT_TRUE(loc.ok()) << loc.status().ToString();
    written->push_back({type, p, *loc});
  }
}

// Appends `n` records of `size` bytes to the started journal `j`, each in a batch of
// its own (durable before the next is appended), then closes it. Their locations.
std::vector<Location> AppendBatchesAndClose(Journal* j, FakeLoop* loop, int n, size_t size) {
  std::vector<Location> locs;
  for (int i = 0; i < n; ++i) {
    auto loc = AppendOne(j, 1, Payload(i, size));
    EXPECT_TRUE(loc.ok() && loop->WaitDurable(j, j->LastAppended()));
    if (!loc.ok()) break;
    locs.push_back(*loc);
  }
  EXPECT_TRUE(j->Close().ok());
  return locs;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = env::NewMemEnv(&clock_);
    fault_ = std::make_unique<env::FaultEnv>(mem_.get());
    opts_.dir = "/data/journal";
    opts_.segment_size = 512;
  }

  // Opens and recovers a journal, collecting the recovered records.
  std::unique_ptr<Journal> OpenJournal(std::vector<Rec>* recovered = nullptr,
                                       env::Env* e = nullptr) {
    auto j = Journal::Open(e ? e : fault_.get(), opts_);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (!j.ok()) return nullptr;
    Status s = (*j)->Recover([&](RecordType t, std::string_view p, Location l) {
      if (recovered) recovered->push_back({t, std::string(p), l});
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(*j);
  }

  // Opens a journal, starts its writer, appends records 0..n-1 of 60 bytes and waits
  // until they are durable.
  std::unique_ptr<Journal> OpenWithDurableRecords(int n, env::Env* e = nullptr) {
    auto j = OpenJournal(nullptr, e);
    EXPECT_TRUE(j->Start(loop_.Hook()).ok());
    for (int i = 0; i < n; ++i) EXPECT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
    EXPECT_TRUE(loop_.WaitDurable(j.get(), n));
    return j;
  }

  // Recovers the journal and expects its records to run from segment `first` to
  // record `last` (of 60 bytes, as OpenWithDurableRecords appends them).
  void ExpectRecoveredFrom(uint32_t first, int last) {
    std::vector<Rec> recovered;
    OpenJournal(&recovered);
    ASSERT_FALSE(recovered.empty());
    EXPECT_EQ(SegmentOf(recovered.front().loc), first);
    EXPECT_EQ(recovered.back().payload, Payload(last, 60));
  }

  Status RecoverStatus() {
    auto j = Journal::Open(fault_.get(), opts_);
    if (!j.ok()) return j.status();
    return (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); });
  }

  std::string SegPath(uint32_t n) const { return opts_.dir + "/" + format::SegmentFileName(n); }

  std::vector<std::string> SegmentFiles() {
    auto names = fault_->ListDir(opts_.dir);
    EXPECT_TRUE(names.ok());
    return names.ok() ? *names : std::vector<std::string>{};
  }

  env::FakeClock clock_;
  std::unique_ptr<env::Env> mem_;
  std::unique_ptr<env::FaultEnv> fault_;
  JournalOptions opts_;
  FakeLoop loop_;
};

TEST_F(JournalTest, RoundTripAcrossSegments) {
  std::vector<Rec> written;
  {
    auto j = OpenJournal();
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    for (int i = 0; i < 60; ++i) {
      std::string p = Payload(i, 1 + (i * 37) % 150);
      auto loc = AppendOne(j.get(), static_cast<RecordType>(1 + i % 5), p);
      ASSERT_TRUE(loc.ok()) << loc.status().ToString();
      written.push_back({static_cast<RecordType>(1 + i % 5), p, *loc});
    }
    EXPECT_EQ(j->LastAppended(), 60u);
    EXPECT_GT(j->CurrentSegment(), 5u);
    ASSERT_TRUE(j->Close().ok());
    EXPECT_EQ(j->Stats().durable_lsn, 60u);
  }
  std::vector<Rec> recovered;
  auto j = OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
  EXPECT_EQ(j->Stats().recovered_records, 60u);
  EXPECT_FALSE(j->Stats().truncated_tail);
  EXPECT_EQ(j->OldestSegment(), 1u);
  EXPECT_EQ(j->CurrentSegment(), SegmentOf(written.back().loc));

  // Appending after recovery continues in the last segment, and round-trips again.
  auto loc = AppendOne(j.get(), 7, "after-reopen");
  ASSERT_TRUE(loc.ok());
  written.push_back({7, "after-reopen", *loc});
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
}

TEST_F(JournalTest, MultiPartPayloadAndLocationOfParts) {
  auto j = OpenJournal();
  std::string_view parts[] = {"head|", "", "body-bytes", "|tail"};
  auto loc = j->Append(3, parts);
  ASSERT_TRUE(loc.ok());
  std::string out;
  ASSERT_TRUE(j->ReadAt(*loc + 5, 10, &out).ok());
  EXPECT_EQ(out, "body-bytes");
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(recovered[0].payload, "head|body-bytes|tail");
  EXPECT_EQ(recovered[0].loc, *loc);
}

TEST_F(JournalTest, ReadAtBeforeAndAfterSyncAndAfterReopen) {
  auto j = OpenJournal();
  std::vector<std::pair<Location, std::string>> recs;
  for (int i = 0; i < 20; ++i) {
    std::string p = Payload(i, 40);
    auto loc = AppendOne(j.get(), 1, p);
    ASSERT_TRUE(loc.ok());
    recs.emplace_back(*loc, p);
  }
  // Nothing written yet (no writer): served from the batch.
  EXPECT_EQ(j->Stats().durable_lsn, 0u);
  std::string out;
  for (auto& [loc, p] : recs) {
    ASSERT_TRUE(j->ReadAt(loc, p.size(), &out).ok());
    EXPECT_EQ(out, p);
    ASSERT_TRUE(j->ReadAt(loc + 3, 4, &out).ok());
    EXPECT_EQ(out, p.substr(3, 4));
  }
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 20));
  for (auto& [loc, p] : recs) {
    ASSERT_TRUE(j->ReadAt(loc, p.size(), &out).ok());
    EXPECT_EQ(out, p);
  }
  // Outside anything appended.
  Location end = recs.back().first + 40;
  EXPECT_EQ(j->ReadAt(end + 100, 4, &out).error(), ErrorCode::kNotFound);
  EXPECT_EQ(j->ReadAt(MakeLocation(99, 16), 4, &out).error(), ErrorCode::kNotFound);
  EXPECT_EQ(j->ReadAt(MakeLocation(1, UINT32_MAX - 1), 4, &out).error(), ErrorCode::kNotFound);
  ASSERT_TRUE(j->Close().ok());

  j = OpenJournal();
  for (auto& [loc, p] : recs) {
    ASSERT_TRUE(j->ReadAt(loc, p.size(), &out).ok());
    EXPECT_EQ(out, p);
  }
}

TEST_F(JournalTest, ReadManyServesWrittenAndPendingRangesAlike) {
  opts_.segment_size = 2048;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  std::vector<Rec> written;
  auto append = [&](int i) {
    std::string p = Payload(i, 20 + (i * 53) % 300);
    auto loc = AppendOne(j.get(), 1, p);
    ASSERT_TRUE(loc.ok());
    written.push_back({1, p, *loc});
  };
  for (int i = 0; i < 40; ++i) append(i);  // several segments
  ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
  ASSERT_TRUE(j->Close().ok());
  // Reopened without a writer, later records stay in memory (not in a file yet).
  j = OpenJournal();
  for (int i = 40; i < 50; ++i) append(i);

  // Parts of payloads (as message bodies are), in log order, then shuffled orders:
  // neighbours, gaps, segment changes, the written/pending boundary, going backwards.
  std::vector<RecordLog::Range> ranges;
  std::vector<std::string> want;
  for (const Rec& r : written) {
    size_t skip = r.payload.size() % 7;
    ranges.push_back({r.loc + static_cast<Location>(skip), r.payload.size() - skip});
    want.push_back(r.payload.substr(skip));
  }
  for (int order = 0; order < 3; ++order) {
    if (order == 1) {
      std::reverse(ranges.begin(), ranges.end());
      std::reverse(want.begin(), want.end());
    }
    if (order == 2) {
      for (size_t k = 0; k + 3 < ranges.size(); k += 4) {
        std::swap(ranges[k], ranges[k + 2]);
        std::swap(want[k], want[k + 2]);
      }
    }
    std::vector<std::string> got(ranges.size(), "stale");
    ASSERT_TRUE(j->ReadMany(ranges, got.data()).ok()) << order;
    EXPECT_EQ(got, want) << order;
  }
  // Nothing there: an error, as from ReadAt.
  std::vector<RecordLog::Range> bad = {ranges[0], {MakeLocation(900, 100), 5}};
  std::vector<std::string> got(2);
  EXPECT_FALSE(j->ReadMany(bad, got.data()).ok());
}

TEST_F(JournalTest, WhenDurableFiresInLsnOrder) {
  auto j = OpenJournal();
  std::vector<int> order;
  bool zero_ran = false;
  j->WhenDurable(0, [&](const Status& s) { zero_ran = s.ok(); });
  EXPECT_TRUE(zero_ran);  // nothing to wait for
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, "x").ok());
  // Registered out of order; equal LSNs keep registration order.
  j->WhenDurable(5, [&](const Status& s) {
    EXPECT_TRUE(s.ok());
    order.push_back(50);
  });
  j->WhenDurable(2, [&](const Status& s) {
    EXPECT_TRUE(s.ok());
    order.push_back(20);
  });
  j->WhenDurable(5, [&](const Status& s) {
    EXPECT_TRUE(s.ok());
    order.push_back(51);
  });
  j->WhenDurable(1, [&](const Status& s) {
    order.push_back(10);
    // A callback may register another one; it runs in the same pass.
    j->WhenDurable(3, [&](const Status&) { order.push_back(30); });
  });
  j->RunCompletions();
  EXPECT_TRUE(order.empty());  // not durable yet
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return order.size() == 5; }));
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 50, 51}));
  // Already durable: runs at once.
  bool ran = false;
  j->WhenDurable(4, [&](const Status& s) { ran = s.ok(); });
  EXPECT_TRUE(ran);
}

// Wraps an Env so that DataSync blocks while the gate is closed, to make group commit
// observable without timing.
class GateEnv : public env::FaultEnv {
 public:
  explicit GateEnv(env::Env* base) : FaultEnv(base) {}
  // Syncs of other threads (the writer) block until OpenGate(); the caller's own
  // syncs (segment creation on the "loop" thread) pass.
  void CloseGate() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
    closer_ = std::this_thread::get_id();
  }
  void OpenGate() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitForBlockedSync() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return blocked_ > 0; });
  }
  Result<std::unique_ptr<env::File>> Open(const std::string& path, OpenMode mode) override {
    auto f = FaultEnv::Open(path, mode);
    if (!f.ok()) return f;
    return std::unique_ptr<env::File>(std::make_unique<GatedFile>(this, std::move(*f)));
  }

 private:
  class GatedFile : public env::File {
   public:
    GatedFile(GateEnv* env, std::unique_ptr<env::File> base) : env_(env), base_(std::move(base)) {}
    Status PWrite(uint64_t o, std::string_view d) override { return base_->PWrite(o, d); }
    Status PRead(uint64_t o, size_t n, std::string* out) const override {
      return base_->PRead(o, n, out);
    }
    Status DataSync() override {
      std::unique_lock<std::mutex> lock(env_->mu_);
      if (env_->open_ || std::this_thread::get_id() == env_->closer_) {
        lock.unlock();
        return base_->DataSync();
      }
      ++env_->blocked_;
      env_->cv_.notify_all();
      env_->cv_.wait(lock, [&] { return env_->open_; });
      --env_->blocked_;
      lock.unlock();
      return base_->DataSync();
    }
    Status Allocate(uint64_t o, uint64_t n) override { return base_->Allocate(o, n); }
    Status Truncate(uint64_t n) override { return base_->Truncate(n); }
    Result<uint64_t> Size() const override { return base_->Size(); }

   private:
    GateEnv* env_;
    std::unique_ptr<env::File> base_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  std::thread::id closer_;
  int blocked_ = 0;
};

TEST_F(JournalTest, GroupCommitBatchesRecordsArrivingDuringASync) {
  GateEnv gate(mem_.get());
  opts_.segment_size = 1 << 20;
  auto j = OpenJournal(nullptr, &gate);
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  gate.CloseGate();
  ASSERT_TRUE(AppendOne(j.get(), 1, "first").ok());
  ASSERT_TRUE(gate.WaitForBlockedSync());  // the writer syncs the first batch
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 100)).ok());
  gate.OpenGate();
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 201));
  EXPECT_EQ(j->Stats().syncs, 2u);  // one for "first", one for the 200 behind it
  EXPECT_EQ(j->Stats().appended_records, 201u);
  // The writer's histograms saw the same two commits: a duration per fdatasync, and
  // each commit's records (1, then 200) and bytes.
  CommitFigures commits = j->Commits();
  auto count = [](const Histogram& h) {
    uint64_t n = 0;
    for (size_t i = 0; i <= h.upper_bounds().size(); ++i) n += h.bucket(i);
    return n;
  };
  EXPECT_EQ(count(commits.durable_seconds), 2u);
  EXPECT_EQ(count(commits.records), 2u);
  EXPECT_EQ(commits.records.bucket(0), 1u);  // the bound 1
  EXPECT_EQ(commits.records.sum(), 201.0);
  EXPECT_EQ(count(commits.bytes), 2u);
  EXPECT_GT(commits.bytes.sum(), 200.0 * 100);
  ASSERT_TRUE(j->Close().ok());
}

// Records nobody waits for are not committed on their own while their bound has not
// passed: they go to disk with the first record somebody waits for, in one sync.
TEST_F(JournalTest, RecordsNobodyWaitsForRideAlongWithTheNextWaitedRecord) {
  opts_.ride_along_ms = 600000;  // never reached here
  opts_.segment_size = 1 << 20;  // no roll, so one sync per commit
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  int done = 0;
  auto append_and_wait = [&](std::string_view payload) {
    ASSERT_TRUE(AppendOne(j.get(), 1, payload).ok());
    j->WhenDurable(j->LastAppended(), [&](const Status& s) { done += s.ok(); });
    int target = done + 1;
    ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return done == target; }));
  };
  append_and_wait("first");  // the new segment's own syncs come before this
  uint64_t syncs = j->Stats().syncs;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 64)).ok());
  EXPECT_EQ(j->Stats().durable_lsn, 1u);
  append_and_wait("waited for");
  EXPECT_EQ(j->Stats().durable_lsn, 12u);
  EXPECT_EQ(j->Stats().syncs, syncs + 1);
  ASSERT_TRUE(j->Close().ok());
}

// With nobody waiting, records still reach the disk once their bound has passed.
TEST_F(JournalTest, RecordsNobodyWaitsForAreWrittenAfterTheirBound) {
  opts_.ride_along_ms = 1;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(AppendOne(j.get(), 1, "a receive").ok());
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 1));
  EXPECT_EQ(j->Stats().syncs, 1u);
  ASSERT_TRUE(j->Close().ok());
}

TEST_F(JournalTest, ManyAppendsWhileWriterRuns) {
  opts_.segment_size = 64 << 10;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  int acked = 0;
  constexpr int kRecords = 3000;
  for (int i = 0; i < kRecords; ++i) {
    ASSERT_TRUE(AppendOne(j.get(), 2, Payload(i, 50)).ok());
    j->WhenDurable(j->LastAppended(), [&](const Status& s) { acked += s.ok(); });
    if (i % 100 == 0) j->RunCompletions();
  }
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return acked == kRecords; }));
  EXPECT_LE(j->Stats().syncs, static_cast<uint64_t>(kRecords));
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(recovered[1234].payload, Payload(1234, 50));
}

// Appends `n` records of 30 bytes and closes; returns the end offset of the last one.
uint64_t WriteAndClose(Journal* j, int n) {
  Location last = 0;
  for (int i = 0; i < n; ++i) {
    auto loc = AppendOne(j, 1, Payload(i, 30));
    EXPECT_TRUE(loc.ok());
    if (loc.ok()) last = *loc;
  }
  EXPECT_TRUE(j->Close().ok());
  return OffsetOf(last) + 30;
}

// Writes zeros over the first whole sector inside [begin, end) of `path`: what a crash
// leaves of a write whose sector never reached the disk.
void LoseSectorIn(env::Env* e, const std::string& path, uint64_t begin, uint64_t end) {
  uint64_t sector = (begin + format::kSectorSize - 1) / format::kSectorSize * format::kSectorSize;
  ASSERT_LE(sector + format::kSectorSize, end);
  auto f = e->Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->PWrite(sector, std::string(format::kSectorSize, '\0')).ok());
}

// Flips one bit of `path` at `offset`.
void FlipBit(env::Env* e, const std::string& path, uint64_t offset, int bit = 0) {
  auto f = e->Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  std::string byte;
  ASSERT_TRUE((*f)->PRead(offset, 1, &byte).ok());
  ASSERT_EQ(byte.size(), 1u);
  byte[0] = static_cast<char>(byte[0] ^ (1 << bit));
  ASSERT_TRUE((*f)->PWrite(offset, byte).ok());
}

// `s` reports corruption in `path` at `offset`, in the words operators and the torture
// test look for.
void ExpectCorruptionAt(const Status& s, const std::string& path, uint64_t offset) {
  EXPECT_EQ(s.error(), ErrorCode::kCorruption) << s.ToString();
  EXPECT_NE(s.detail().find("journal corruption in " + path + " at offset " +
                            std::to_string(offset) + ":"),
            std::string::npos)
      << s.detail();
}

TEST_F(JournalTest, TornTailOfLastSegmentIsTruncated) {
  opts_.segment_size = 8192;
  auto j = OpenJournal();
  uint64_t end = WriteAndClose(j.get(), 10);
  j.reset();
  // A crash while the next batch (one big record) was written: a sector in its middle
  // never reached the disk.
  j = OpenJournal();
  auto big = AppendOne(j.get(), 2, std::string(2000, 'B'));
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  LoseSectorIn(fault_.get(), SegPath(1), OffsetOf(*big), OffsetOf(*big) + 2000);

  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 10u);
  EXPECT_TRUE(j->Stats().truncated_tail);
  ASSERT_EQ(j->RecoveryNotes().size(), 1u);
  const RecoveryNote& note = j->RecoveryNotes()[0];
  EXPECT_EQ(note.kind, RecoveryNote::Kind::kTornTail);
  EXPECT_EQ(note.file, SegPath(1));
  EXPECT_EQ(note.begin, end);
  EXPECT_EQ(note.end, OffsetOf(*big) + 2000);
  // New records go where the torn batch was, and its remains are gone for good.
  auto loc = AppendOne(j.get(), 4, "fresh");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(OffsetOf(*loc), end + format::kBatchHeaderSize + kRecordOverhead);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 11u);
  EXPECT_EQ(recovered.back().payload, "fresh");
  EXPECT_FALSE(j->Stats().truncated_tail);
  EXPECT_TRUE(j->RecoveryNotes().empty());
  std::string out;
  auto f = fault_->Open(SegPath(1), OpenMode::kReadOnly);
  ASSERT_TRUE((*f)->PRead(OffsetOf(*big) + 1500, 400, &out).ok());
  EXPECT_EQ(out, std::string(400, '\0'));
}

// Defect 2a of issue 10: a flipped bit in the last segment is not a torn tail.
TEST_F(JournalTest, BitFlipInTheLastBatchIsCorruption) {
  opts_.segment_size = 4096;
  auto j = OpenJournal();
  std::vector<Location> locs;
  for (int i = 0; i < 5; ++i) locs.push_back(*AppendOne(j.get(), 1, Payload(i, 30)));
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  FlipBit(fault_.get(), SegPath(1), OffsetOf(locs[3]) + 2);  // a payload byte of record 4
  Status s = RecoverStatus();
  ExpectCorruptionAt(s, SegPath(1), OffsetOf(locs[3]) - kRecordOverhead);
}

// Defect 2a: every record acknowledged after a damaged one proves the damage is not a
// torn write.
TEST_F(JournalTest, DamagedBatchFollowedByASyncedOneIsCorruption) {
  opts_.segment_size = 1 << 20;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  std::vector<Location> locs = AppendBatchesAndClose(j.get(), &loop_, 6, 1500);
  ASSERT_EQ(locs.size(), 6u);
  j.reset();
  // Even a damage that looks torn (a whole sector of zeros) is corruption here.
  LoseSectorIn(fault_.get(), SegPath(1), OffsetOf(locs[2]), OffsetOf(locs[2]) + 1500);
  Status s = RecoverStatus();
  EXPECT_EQ(s.error(), ErrorCode::kCorruption) << s.ToString();
  EXPECT_NE(s.detail().find("journal corruption in " + SegPath(1) + " at offset "),
            std::string::npos)
      << s.detail();
  EXPECT_NE(s.detail().find("shows it had been synced"), std::string::npos) << s.detail();
}

TEST_F(JournalTest, CorruptionInSealedSegmentIsAnError) {
  auto j = OpenJournal();
  std::vector<Location> locs;
  for (int i = 0; i < 40; ++i) locs.push_back(*AppendOne(j.get(), 1, Payload(i, 60)));
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  ASSERT_GT(SegmentOf(locs.back()), 2u);
  Location victim = locs[1];
  ASSERT_EQ(SegmentOf(victim), 1u);
  auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
  ASSERT_TRUE((*f)->PWrite(OffsetOf(victim) + 10, "Z").ok());
  Status s = RecoverStatus();
  EXPECT_EQ(s.error(), ErrorCode::kCorruption);
  EXPECT_NE(s.detail().find("0000000001.seg"), std::string::npos) << s.detail();
  EXPECT_NE(s.detail().find("offset " + std::to_string(OffsetOf(victim) - kRecordOverhead)),
            std::string::npos)
      << s.detail();
  EXPECT_NE(s.detail().find("checksum"), std::string::npos) << s.detail();
}

TEST_F(JournalTest, FramingErrorAndMissingSegmentAreErrors) {
  auto j = OpenJournal();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  {
    // A length word that runs off the end of its batch in a sealed segment.
    auto f = fault_->Open(SegPath(2), OpenMode::kReadWrite);
    std::string len;
    PutFixed32(&len, 1 << 30);
    ASSERT_TRUE((*f)->PWrite(format::kHeaderSize + format::kBatchHeaderSize, len).ok());
    Status s = RecoverStatus();
    EXPECT_EQ(s.error(), ErrorCode::kCorruption);
    EXPECT_NE(s.detail().find("runs past its batch"), std::string::npos) << s.detail();
  }
  ASSERT_TRUE(fault_->Remove(SegPath(2)).ok());
  Status s = RecoverStatus();
  EXPECT_EQ(s.error(), ErrorCode::kCorruption);
  EXPECT_NE(s.detail().find("segment 2 is missing"), std::string::npos) << s.detail();
}

TEST_F(JournalTest, BadHeaderOfSealedSegmentIsAnError) {
  auto j = OpenJournal();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  auto f = fault_->Open(SegPath(2), OpenMode::kReadWrite);
  ASSERT_TRUE((*f)->PWrite(0, "NOTAJRNL").ok());
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
}

TEST_F(JournalTest, RecoverCallbackErrorAborts) {
  auto j = OpenJournal();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, "r").ok());
  ASSERT_TRUE(j->Close().ok());
  auto k = Journal::Open(fault_.get(), opts_);
  int calls = 0;
  Status s = (*k)->Recover([&](RecordType, std::string_view, Location) {
    return ++calls == 2 ? Status(ErrorCode::kCorruption, "unknown record") : Status::Ok();
  });
  EXPECT_EQ(s.error(), ErrorCode::kCorruption);
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(AppendOne(k->get(), 1, "x").ok());
}

// Power loss at many points: every record whose WhenDurable fired must survive, and
// what survives is a prefix of what was appended. Even rounds cut the power while the
// writer is inside fdatasync (so the unsynced tail is certainly lost); odd rounds cut
// it wherever the writer happens to be.
TEST_F(JournalTest, PowerLossKeepsEveryAcknowledgedRecord) {
  opts_.segment_size = 1024;
  GateEnv gate(mem_.get());
  std::vector<std::string> appended;  // across all rounds, in log order
  size_t acked = 0;                   // records [0, acked) were acknowledged
  size_t lost = 0;
  for (int round = 0; round < 10; ++round) {
    // Odd rounds: a preparer makes spares too. Not with a held sync: a roll waits for
    // the spare being made, whose sync the gate would hold for good.
    opts_.prepared_spares = round % 2;
    std::vector<Rec> recovered;
    auto j = OpenJournal(&recovered, &gate);
    ASSERT_TRUE(j);
    ASSERT_GE(recovered.size(), acked) << "round " << round;
    ASSERT_LE(recovered.size(), appended.size());
    for (size_t i = 0; i < recovered.size(); ++i) ASSERT_EQ(recovered[i].payload, appended[i]);
    lost += appended.size() - recovered.size();
    appended.resize(recovered.size());  // the unacknowledged tail that was lost
    acked = recovered.size();
    if (round == 9) break;

    // Acknowledgements count only while the "process" lives: after the power cut a
    // sync that straddled it may still report success to the dead process.
    auto alive = std::make_shared<bool>(true);
    bool hold_sync = round % 2 == 0;
    if (round % 3 == 1) {
      ASSERT_TRUE(j->EnsureHeadroom(3000).ok());  // spares in play
    }
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    int n = 30 + round * 7;
    for (int i = 0; i < n; ++i) {
      if (i == n / 2) {
        ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
        if (hold_sync) gate.CloseGate();
      }
      std::string p = Payload(static_cast<int>(appended.size()), 20 + (i * 13) % 90);
      ASSERT_TRUE(AppendOne(j.get(), 1, p).ok());
      appended.push_back(p);
      size_t index = appended.size();
      j->WhenDurable(j->LastAppended(), [&acked, index, alive](const Status& s) {
        if (*alive && s.ok()) acked = std::max(acked, index);
      });
    }
    if (hold_sync) {
      ASSERT_TRUE(gate.WaitForBlockedSync());
    }
    j->RunCompletions();
    gate.DropUnsyncedData();  // power loss
    *alive = false;
    gate.OpenGate();
    (void)j->Close();  // the old process's handles are dead by now
  }
  EXPECT_GT(lost, 0u);
}

TEST_F(JournalTest, FsyncFailureStopsTheJournal) {
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  auto ok_loc = AppendOne(j.get(), 1, "before");
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 1));
  fault_->SetFailSync(true);
  auto loc = AppendOne(j.get(), 1, "doomed");
  ASSERT_TRUE(loc.ok());
  Status got = Status::Ok();
  bool fired = false;
  j->WhenDurable(2, [&](const Status& s) {
    fired = true;
    got = s;
  });
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return fired; }));
  EXPECT_EQ(got.error(), ErrorCode::kStorageFailed);
  EXPECT_NE(got.detail().find("injected"), std::string::npos) << got.detail();
  EXPECT_TRUE(j->Stats().failed);
  // Even after the disk recovers: no retry, no more appends, later waiters fail.
  fault_->SetFailSync(false);
  EXPECT_EQ(AppendOne(j.get(), 1, "later").status().error(), ErrorCode::kStorageFailed);
  Status later = Status::Ok();
  j->WhenDurable(2, [&](const Status& s) { later = s; });
  EXPECT_EQ(later.error(), ErrorCode::kStorageFailed);
  bool early_ok = false;
  j->WhenDurable(1, [&](const Status& s) { early_ok = s.ok(); });
  EXPECT_TRUE(early_ok);
  EXPECT_EQ(j->EnsureHeadroom(10).error(), ErrorCode::kStorageFailed);
  // Reads keep working, for written and unwritten records alike.
  std::string out;
  ASSERT_TRUE(j->ReadAt(*ok_loc, 6, &out).ok());
  EXPECT_EQ(out, "before");
  ASSERT_TRUE(j->ReadAt(*loc, 6, &out).ok());
  EXPECT_EQ(out, "doomed");
  EXPECT_EQ(j->Close().error(), ErrorCode::kStorageFailed);
}

TEST_F(JournalTest, ShortWriteStopsTheJournal) {
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  fault_->FailNextWrites(1);
  ASSERT_TRUE(AppendOne(j.get(), 1, "half-written").ok());
  Status got;
  bool fired = false;
  j->WhenDurable(1, [&](const Status& s) {
    fired = true;
    got = s;
  });
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return fired; }));
  EXPECT_EQ(got.error(), ErrorCode::kStorageFailed);
  (void)j->Close();
  // The half-written record is a torn tail on restart.
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_TRUE(recovered.empty());
}

TEST_F(JournalTest, DiskFullRefusesHeadroomButReservedSpaceStillWorks) {
  opts_.segment_size = 1024;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(AppendOne(j.get(), 1, Payload(0, 50)).ok());
  ASSERT_TRUE(j->EnsureHeadroom(2500).ok());  // current segment plus spares
  size_t files_before = SegmentFiles().size();
  EXPECT_GE(files_before, 3u);
  ASSERT_TRUE(j->EnsureHeadroom(2500).ok());  // already there: no new files
  EXPECT_EQ(SegmentFiles().size(), files_before);

  fault_->SetDiskFull(true);
  Status s = j->EnsureHeadroom(100000);
  EXPECT_EQ(s.error(), ErrorCode::kDiskFull) << s.ToString();
  // Appends into what was reserved, across segment boundaries, still work.
  int appended = 1;
  for (int used = 0; used + 70 < 2400; used += 70) {
    ASSERT_TRUE(AppendOne(j.get(), 1, Payload(appended, 61)).ok()) << used;
    ++appended;
  }
  ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
  EXPECT_FALSE(j->Stats().failed);
  EXPECT_EQ(SegmentFiles().size(), files_before);
  fault_->SetDiskFull(false);
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), static_cast<size_t>(appended));
}

TEST_F(JournalTest, RollWithoutSpaceFailsAppendCleanly) {
  opts_.segment_size = 256;
  auto j = OpenJournal();
  fault_->SetDiskFull(true);
  int ok = 0;
  Status s;
  for (int i = 0; i < 20 && s.ok(); ++i) {
    auto loc = AppendOne(j.get(), 1, Payload(i, 50));
    if (loc.ok())
      ++ok;
    else
      s = loc.status();
  }
  EXPECT_EQ(s.error(), ErrorCode::kDiskFull);
  EXPECT_GT(ok, 0);
  EXPECT_EQ(j->LastAppended(), static_cast<Lsn>(ok));
  fault_->SetDiskFull(false);
  ASSERT_TRUE(AppendOne(j.get(), 1, "after").ok());
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), static_cast<size_t>(ok + 1));
}

TEST_F(JournalTest, SparesSurviveRestartAndAreReused) {
  opts_.segment_size = 512;
  auto j = OpenJournal();
  ASSERT_TRUE(AppendOne(j.get(), 1, "one").ok());
  ASSERT_TRUE(j->EnsureHeadroom(1500).ok());
  ASSERT_TRUE(j->Close().ok());
  size_t files = SegmentFiles().size();
  EXPECT_GE(files, 3u);
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_EQ(j->CurrentSegment(), 1u);
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 100)).ok());
  EXPECT_GE(j->CurrentSegment(), 3u);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 13u);
}

TEST_F(JournalTest, PreparedSparesAreMadeAheadAndUsedInOrder) {
  opts_.prepared_spares = 2;
  std::vector<Rec> written;
  {
    auto j = OpenJournal();
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    for (int i = 0; i < 80; ++i) {
      std::string p = Payload(i, 40 + (i * 29) % 120);
      auto loc = AppendOne(j.get(), 1, p);
      ASSERT_TRUE(loc.ok()) << loc.status().ToString();
      written.push_back({1, p, *loc});
      if (i % 10 == 9) {
        ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
      }
    }
    EXPECT_GT(j->CurrentSegment(), 8u);
    // The first roll waits for the spare requested at Start, so at least that one was
    // made by the preparer.
    EXPECT_GE(j->Stats().prepared_spares, 1u);
    ASSERT_TRUE(j->EnsureHeadroom(2000).ok());  // numbered after any prepared spare
    ASSERT_TRUE(j->Close().ok());
  }
  // Every file after the current segment is a complete all-zero spare (one given up at
  // Close is removed), numbered without gaps.
  std::vector<Rec> recovered;
  auto j = OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
  uint32_t current = j->CurrentSegment();
  std::vector<uint32_t> spares;
  for (const std::string& name : SegmentFiles()) {
    auto n = format::ParseSegmentFileName(name);
    ASSERT_TRUE(n.has_value()) << name;
    if (*n <= current) continue;
    spares.push_back(*n);
    auto f = fault_->Open(SegPath(*n), OpenMode::kReadOnly);
    ASSERT_TRUE(f.ok());
    std::string bytes;
    ASSERT_TRUE((*f)->PRead(0, 1 << 20, &bytes).ok());
    EXPECT_GE(bytes.size(), opts_.segment_size) << name;
    EXPECT_EQ(bytes.find_first_not_of('\0'), std::string::npos) << name;
  }
  std::sort(spares.begin(), spares.end());
  ASSERT_GE(spares.size(), 3u);  // EnsureHeadroom(2000) over 512-byte segments
  for (size_t i = 0; i < spares.size(); ++i) EXPECT_EQ(spares[i], current + 1 + i);
  // And they are used in order after the restart.
  AppendRecords(j.get(), 2, 100, 30, 100, &written);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
}

TEST_F(JournalTest, PreparerOutOfSpaceLeavesRollsToOnDemandSpares) {
  opts_.prepared_spares = 1;
  opts_.segment_size = 256;
  auto j = OpenJournal();
  fault_->SetDiskFull(true);
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  // The preparer cannot make a spare; the roll that needs one tries itself and
  // reports the full disk; the journal has not failed.
  int ok = 0;
  Status s;
  for (int i = 0; i < 20 && s.ok(); ++i) {
    auto loc = AppendOne(j.get(), 1, Payload(i, 50));
    if (loc.ok()) {
      ++ok;
    } else {
      s = loc.status();
    }
  }
  EXPECT_EQ(s.error(), ErrorCode::kDiskFull) << s.ToString();
  ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
  EXPECT_FALSE(j->Stats().failed);
  EXPECT_EQ(j->Stats().prepared_spares, 0u);
  fault_->SetDiskFull(false);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(ok + i, 50)).ok());
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), static_cast<size_t>(ok + 10));
}

TEST_F(JournalTest, DamagedHeaderOfAnUnusedSpareIsHarmless) {
  auto j = OpenJournal();
  ASSERT_TRUE(AppendOne(j.get(), 1, "kept").ok());
  ASSERT_TRUE(j->EnsureHeadroom(2000).ok());
  ASSERT_TRUE(j->Close().ok());
  FlipBit(fault_.get(), SegPath(2), 3);  // nothing was ever written to it
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 1u);
  ASSERT_EQ(j->RecoveryNotes().size(), 1u);
  EXPECT_EQ(j->RecoveryNotes()[0].file, SegPath(2));
  EXPECT_EQ(j->RecoveryNotes()[0].kind, RecoveryNote::Kind::kHarmless);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 80)).ok());
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 11u);
}

// Defect 2b: the damaged header of the segment being written to is not a spare.
TEST_F(JournalTest, DamagedHeaderOfTheActiveSegmentIsCorruption) {
  auto j = OpenJournal();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  uint32_t last = j->CurrentSegment();
  ASSERT_GT(last, 1u);
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  for (uint64_t at : {uint64_t{2}, uint64_t{13}, uint64_t{20}}) {
    FlipBit(fault_.get(), SegPath(last), at);
    ExpectCorruptionAt(RecoverStatus(), SegPath(last), 0);
    FlipBit(fault_.get(), SegPath(last), at);
  }
  // Zeroed entirely, the header still stands in front of data.
  {
    auto f = fault_->Open(SegPath(last), OpenMode::kReadWrite);
    ASSERT_TRUE((*f)->PWrite(0, std::string(format::kHeaderSize, '\0')).ok());
  }
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
}

// Defect 2c: a zeroed length word in a sealed segment is not its end.
TEST_F(JournalTest, ZeroedLengthWordInASealedSegmentIsCorruption) {
  auto j = OpenJournal();
  std::vector<Location> locs;
  for (int i = 0; i < 40; ++i) locs.push_back(*AppendOne(j.get(), 1, Payload(i, 60)));
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  ASSERT_GT(SegmentOf(locs.back()), 2u);
  {
    auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
    ASSERT_TRUE((*f)->PWrite(OffsetOf(locs[2]) - kRecordOverhead, std::string(4, '\0')).ok());
  }
  Status s = RecoverStatus();
  ExpectCorruptionAt(s, SegPath(1), OffsetOf(locs[2]) - kRecordOverhead);
}

TEST_F(JournalTest, ZeroedBatchHeaderOrTruncationOfASealedSegmentIsCorruption) {
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  std::vector<Location> locs = AppendBatchesAndClose(j.get(), &loop_, 12, 100);
  ASSERT_EQ(locs.size(), 12u);
  j.reset();
  ASSERT_GT(SegmentOf(locs.back()), 2u);
  ASSERT_EQ(SegmentOf(locs[1]), 1u);
  // The second batch of segment 1 starts right after the first record's.
  uint64_t second_batch = OffsetOf(locs[0]) + 100;
  {
    auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
    std::string saved;
    ASSERT_TRUE((*f)->PRead(second_batch, format::kBatchHeaderSize, &saved).ok());
    ASSERT_TRUE((*f)->PWrite(second_batch, std::string(format::kBatchHeaderSize, '\0')).ok());
    Status s = RecoverStatus();
    EXPECT_EQ(s.error(), ErrorCode::kCorruption);
    EXPECT_NE(s.detail().find("at offset " + std::to_string(second_batch)), std::string::npos)
        << s.detail();
    ASSERT_TRUE((*f)->PWrite(second_batch, saved).ok());
    ASSERT_TRUE(RecoverStatus().ok());
    // Cut at a batch boundary, as if the file system lost its end.
    ASSERT_TRUE((*f)->Truncate(second_batch).ok());
  }
  Status s = RecoverStatus();
  ExpectCorruptionAt(s, SegPath(1), second_batch);
}

// Defect 2 of issue 10: a crash never leaves a segment shorter than its data (its size
// is durable before anything is written into it), so a cut inside a batch of the
// active segment is corruption, not a torn tail: acknowledged records would be lost.
TEST_F(JournalTest, TruncatedActiveSegmentIsCorruption) {
  opts_.segment_size = 8192;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  std::vector<Location> locs = AppendBatchesAndClose(j.get(), &loop_, 6, 100);
  ASSERT_EQ(locs.size(), 6u);
  j.reset();
  ASSERT_EQ(SegmentOf(locs.back()), 1u);
  auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  // Inside the last batch, then inside an acknowledged one before it, then inside the
  // segment header.
  for (int i : {5, 2}) {
    ASSERT_TRUE((*f)->Truncate(OffsetOf(locs[i]) + 50).ok());
    Status s = RecoverStatus();
    ExpectCorruptionAt(s, SegPath(1),
                       OffsetOf(locs[i]) - kRecordOverhead - format::kBatchHeaderSize);
    EXPECT_NE(s.detail().find("cut short"), std::string::npos) << s.detail();
  }
  ASSERT_TRUE((*f)->Truncate(format::kHeaderSize - 12).ok());
  Status s = RecoverStatus();
  ExpectCorruptionAt(s, SegPath(1), 0);
  EXPECT_NE(s.detail().find("segment header cut short"), std::string::npos) << s.detail();
}

TEST_F(JournalTest, DropSegmentsBefore) {
  auto j = OpenJournal();
  std::vector<Location> locs;
  for (int i = 0; i < 40; ++i) locs.push_back(*AppendOne(j.get(), 1, Payload(i, 60)));
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 40));
  uint32_t current = j->CurrentSegment();
  ASSERT_GT(current, 3u);
  EXPECT_EQ(j->DropSegmentsBefore(current + 1).error(), ErrorCode::kInternal);
  ASSERT_TRUE(j->DropSegmentsBefore(3).ok());
  EXPECT_EQ(j->OldestSegment(), 3u);
  EXPECT_FALSE(fault_->Exists(SegPath(1)));
  EXPECT_FALSE(fault_->Exists(SegPath(2)));
  EXPECT_TRUE(fault_->Exists(SegPath(3)));
  std::string out;
  EXPECT_EQ(j->ReadAt(locs[0], 5, &out).error(), ErrorCode::kNotFound);
  ASSERT_TRUE(j->DropSegmentsBefore(2).ok());  // nothing left below: no-op
  ASSERT_TRUE(j->Close().ok());
  // The removals are durable, and recovery starts at the new oldest segment.
  fault_->DropUnsyncedData();
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_EQ(j->OldestSegment(), 3u);
  ASSERT_FALSE(recovered.empty());
  EXPECT_EQ(SegmentOf(recovered.front().loc), 3u);
  EXPECT_EQ(recovered.back().loc, locs.back());
  ASSERT_TRUE(j->DropSegmentsBefore(j->CurrentSegment()).ok());
  EXPECT_EQ(j->OldestSegment(), j->CurrentSegment());
}

// The previous run created segment 2 and was killed before its directory sync, so the
// file's entry is not durable. Recovery keeps the file as a spare; the log later rolls
// into it, and a power cut must not take it (with the acknowledged records) away.
TEST_F(JournalTest, RecoveryMakesTheFilesItKeepsDurable) {
  ASSERT_TRUE(OpenWithDurableRecords(3)->Close().ok());
  {
    auto f = fault_->Open(SegPath(2), OpenMode::kCreateOrOpen);  // no SyncDir follows
    ASSERT_TRUE(f.ok());
  }
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  int n = 0;
  // Into segment 2 and no further: creating segment 3 would sync the directory.
  while (j->CurrentSegment() < 2 && n < 100) {
    ASSERT_TRUE(AppendOne(j.get(), 1, Payload(n++, 60)).ok());
    ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
  }
  ASSERT_EQ(j->CurrentSegment(), 2u);
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  fault_->DropUnsyncedData();
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 3u + n);
  EXPECT_EQ(recovered.back().payload, Payload(n - 1, 60));
}

// A drop waits for the records appended before it was asked for: they are what
// replaces the old segments. Until they are durable a power cut keeps the old ones.
TEST_F(JournalTest, DropWaitsUntilTheRecordsBeforeItAreDurable) {
  auto j = OpenJournal();
  std::vector<Rec> written;
  AppendRecords(j.get(), 1, 0, 40, 60, &written);
  ASSERT_EQ(written.size(), 40u);
  const uint32_t current = j->CurrentSegment();
  ASSERT_GT(current, 3u);
  ASSERT_TRUE(j->DropSegmentsBefore(current).ok());  // nothing is written yet
  EXPECT_EQ(j->OldestSegment(), 1u);
  EXPECT_TRUE(fault_->Exists(SegPath(1)));
  std::string out;
  ASSERT_EQ(SegmentOf(written[0].loc), 1u);
  ASSERT_TRUE(j->ReadAt(written[0].loc, 4, &out).ok());
  EXPECT_EQ(out, "rec0");
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  j->WhenDurable(40, [](const Status&) {});
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return j->OldestSegment() == current; }));
  EXPECT_FALSE(fault_->Exists(SegPath(current - 1)));
  ASSERT_TRUE(j->DropSegmentsBefore(2).ok());  // below what was dropped: nothing to do
  ASSERT_TRUE(j->Close().ok());
  fault_->DropUnsyncedData();
  ExpectRecoveredFrom(current, 39);
}

TEST_F(JournalTest, PowerCutBeforeADropIsDurableKeepsTheOldSegments) {
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 20));
  for (int i = 20; i < 40; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  ASSERT_TRUE(j->DropSegmentsBefore(j->CurrentSegment()).ok());
  fault_->DropUnsyncedData();  // before anybody waited for records 21..40
  (void)j->Close();  // fails: its files are gone with the power
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_GE(recovered.size(), 20u);
  EXPECT_EQ(recovered.front().payload, Payload(0, 60));
}

// Relaxed mode calls records durable once written; a drop syncs them first.
TEST_F(JournalTest, DropInRelaxedModeSyncsWhatReplacesTheSegments) {
  opts_.relaxed = true;
  opts_.relaxed_sync_interval_ms = 60000;
  auto j = OpenWithDurableRecords(40);
  const uint32_t current = j->CurrentSegment();
  ASSERT_TRUE(j->DropSegmentsBefore(current).ok());
  EXPECT_EQ(j->OldestSegment(), current);
  fault_->DropUnsyncedData();
  (void)j->Close();  // fails: its files are gone with the power
  ExpectRecoveredFrom(current, 39);
}

// A crash between the removals of one drop: recovery removes the rest before it reads
// anything, so it never starts from a segment the drop meant to remove.
TEST_F(JournalTest, RecoveryFinishesAnInterruptedDrop) {
  auto j = OpenWithDurableRecords(40);
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  // What a drop to segment 4 leaves when the power goes after its first removal.
  ASSERT_TRUE(WriteDropMarker(fault_.get(), opts_.dir, 4).ok());
  ASSERT_TRUE(fault_->Remove(SegPath(1)).ok());
  ASSERT_TRUE(fault_->SyncDir(opts_.dir).ok());
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_EQ(j->OldestSegment(), 4u);
  EXPECT_FALSE(fault_->Exists(SegPath(2)));
  EXPECT_FALSE(fault_->Exists(SegPath(3)));
  ASSERT_FALSE(recovered.empty());
  EXPECT_EQ(SegmentOf(recovered.front().loc), 4u);
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  // The marker stays; its segments are gone, so it asks for nothing more.
  recovered.clear();
  j = OpenJournal(&recovered);
  EXPECT_EQ(j->OldestSegment(), 4u);
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  // A damaged marker stops recovery rather than guess what to remove.
  auto marker = fault_->Open(opts_.dir + "/DROP_BEFORE", OpenMode::kReadWrite);
  ASSERT_TRUE(marker.ok());
  ASSERT_TRUE((*marker)->PWrite(8, "\x09").ok());
  Status s = RecoverStatus();
  EXPECT_EQ(s.error(), ErrorCode::kCorruption);
  EXPECT_NE(s.detail().find("DROP_BEFORE"), std::string::npos) << s.ToString();
}

TEST_F(JournalTest, FailedRemovalStopsTheJournal) {
  env::testing::PowerCutEnv cut(mem_.get());
  auto j = OpenWithDurableRecords(40, &cut);
  cut.FailRemoves(true);
  Status s = j->DropSegmentsBefore(3);
  EXPECT_EQ(s.error(), ErrorCode::kStorageFailed);
  EXPECT_NE(s.detail().find("injected"), std::string::npos) << s.ToString();
  EXPECT_TRUE(j->Stats().failed);
  EXPECT_EQ(AppendOne(j.get(), 1, "late").status().error(), ErrorCode::kStorageFailed);
  EXPECT_EQ(j->DropSegmentsBefore(3).error(), ErrorCode::kStorageFailed);
  EXPECT_EQ(j->Close().error(), ErrorCode::kStorageFailed);
}

// A preamble bigger than a quarter of a segment gets a normal segment's worth of room
// after it; one left empty writes nothing. (The writer is not started while appending,
// so every segment's records form one batch and the counts do not depend on timing.)
TEST_F(JournalTest, BigPreambleGetsASegmentOfRoomAfterIt) {
  opts_.segment_size = 1024;
  auto j = OpenJournal();
  bool big = true;
  j->SetSegmentPreamble([&](uint32_t, RecordType* type, std::string* payload) {
    if (!big) return;
    *type = 99;
    *payload = std::string(900, 's');
  });
  int appended = 0;
  for (; appended < 100 && j->CurrentSegment() < 3; ++appended) {
    auto loc = AppendOne(j.get(), 1, Payload(appended, 91));
    ASSERT_TRUE(loc.ok());
    if (SegmentOf(*loc) == 2) big = false;  // segment 3 gets no preamble
  }
  ASSERT_EQ(j->CurrentSegment(), 3u);
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), static_cast<size_t>(appended) + 1);
  std::map<uint32_t, int> records_in;  // type 1 records per segment
  int next = 0;
  for (size_t i = 0; i < recovered.size(); ++i) {
    const Rec& r = recovered[i];
    if (r.type == 99) {
      // Only segment 2 starts with the preamble.
      EXPECT_EQ(SegmentOf(r.loc), 2u);
      EXPECT_EQ(SegmentOf(recovered[i - 1].loc), 1u);
      continue;
    }
    EXPECT_EQ(r.payload, Payload(next++, 91));
    ++records_in[SegmentOf(r.loc)];
  }
  EXPECT_GT(records_in[1], 0);
  EXPECT_GE(records_in[2], records_in[1]);  // a normal segment's worth after the preamble
  EXPECT_EQ(records_in[3], 1);              // the record that started segment 3, alone
}

TEST_F(JournalTest, PreambleStartsEverySegmentAfterTheFirst) {
  auto j = OpenJournal();
  int preambles = 0;
  j->SetSegmentPreamble([&](uint32_t segment, RecordType* type, std::string* payload) {
    EXPECT_EQ(segment, j->CurrentSegment() + 1);  // the segment it starts
    *type = 99;
    *payload = "snapshot-" + std::to_string(++preambles);
  });
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 70)).ok());
  uint32_t segments = j->CurrentSegment();
  ASSERT_TRUE(j->Close().ok());
  EXPECT_EQ(preambles, static_cast<int>(segments) - 1);

  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  int seen_preambles = 0;
  uint32_t last_segment = 1;
  int data_records = 0;
  for (const Rec& r : recovered) {
    uint32_t seg = SegmentOf(r.loc);
    if (seg != last_segment) {
      // First record of each new segment, right after the header.
      EXPECT_EQ(r.type, 99);
      EXPECT_EQ(OffsetOf(r.loc), format::kHeaderSize + format::kBatchHeaderSize + kRecordOverhead);
      EXPECT_EQ(r.payload, "snapshot-" + std::to_string(++seen_preambles));
      last_segment = seg;
    } else {
      EXPECT_EQ(r.type, 1);
      EXPECT_EQ(r.payload, Payload(data_records, 70));
      ++data_records;
    }
  }
  EXPECT_EQ(data_records, 30);
  EXPECT_EQ(seen_preambles, preambles);
}

TEST_F(JournalTest, RecordLargerThanASegmentGrowsThatSegment) {
  opts_.segment_size = 4096;
  auto j = OpenJournal();
  ASSERT_TRUE(AppendOne(j.get(), 1, "small").ok());
  std::string big(10000, 'B');
  std::vector<std::string> parts(16, std::string(700, 'p'));
  std::vector<std::string_view> views(parts.begin(), parts.end());
  auto big_loc = AppendOne(j.get(), 2, big);
  ASSERT_TRUE(big_loc.ok()) << big_loc.status().ToString();
  auto batch_loc = j->Append(3, views);
  ASSERT_TRUE(batch_loc.ok());
  ASSERT_TRUE(AppendOne(j.get(), 1, "after").ok());
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 4u);
  EXPECT_EQ(recovered[1].payload, big);
  EXPECT_EQ(recovered[2].payload.size(), 16u * 700);
  std::string out;
  ASSERT_TRUE(j->ReadAt(*big_loc + 9990, 10, &out).ok());
  EXPECT_EQ(out, std::string(10, 'B'));
}

TEST_F(JournalTest, RelaxedModeAcknowledgesAfterWriteAndSyncsOnInterval) {
  opts_.relaxed = true;
  opts_.relaxed_sync_interval_ms = 50;
  opts_.segment_size = 4096;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(AppendOne(j.get(), 1, "fast").ok());
  bool acked = false;
  j->WhenDurable(1, [&](const Status& s) { acked = s.ok(); });
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return acked; }));
  EXPECT_EQ(j->Stats().syncs, 0u);  // the fake clock has not moved: no sync yet
  clock_.Advance(60);
  ASSERT_TRUE(AppendOne(j.get(), 1, "next").ok());
  ASSERT_TRUE(loop_.RunUntil(j.get(), [&] { return j->Stats().syncs >= 1; }));
  ASSERT_TRUE(j->Close().ok());  // Close syncs everything
  fault_->DropUnsyncedData();
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 2u);
}

TEST_F(JournalTest, RelaxedModeMayLoseTheLastIntervalOnPowerLoss) {
  opts_.relaxed = true;
  auto j = OpenJournal();
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  ASSERT_TRUE(AppendOne(j.get(), 1, "acked-but-unsynced").ok());
  ASSERT_TRUE(loop_.WaitDurable(j.get(), 1));
  EXPECT_EQ(j->Stats().syncs, 0u);
  fault_->DropUnsyncedData();
  (void)j->Close();
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_TRUE(recovered.empty());  // exactly the documented trade-off
}

TEST_F(JournalTest, MisuseGivesClearErrors) {
  JournalOptions bad = opts_;
  bad.segment_size = 10;
  EXPECT_EQ(Journal::Open(fault_.get(), bad).status().error(), ErrorCode::kInvalidParameters);
  bad = opts_;
  bad.dir = "";
  EXPECT_FALSE(Journal::Open(fault_.get(), bad).ok());
  bad = opts_;
  bad.relaxed = true;
  bad.relaxed_sync_interval_ms = 0;
  EXPECT_FALSE(Journal::Open(fault_.get(), bad).ok());

  auto j = Journal::Open(fault_.get(), opts_);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(AppendOne(j->get(), 1, "x").status().error(), ErrorCode::kInternal);
  EXPECT_FALSE((*j)->Start(nullptr).ok());
  ASSERT_TRUE(
      (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
  EXPECT_FALSE(
      (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
  EXPECT_FALSE(AppendOne(j->get(), 0, "reserved type").ok());
  ASSERT_TRUE((*j)->Start(nullptr).ok());
  EXPECT_FALSE((*j)->Start(nullptr).ok());
  ASSERT_TRUE((*j)->Close().ok());
  ASSERT_TRUE((*j)->Close().ok());  // idempotent
  EXPECT_EQ(AppendOne(j->get(), 1, "x").status().error(), ErrorCode::kShuttingDown);
}

TEST_F(JournalTest, IgnoresForeignFilesInTheDirectory) {
  ASSERT_TRUE(fault_->CreateDir(opts_.dir).ok());
  ASSERT_TRUE(fault_->LockFile(opts_.dir + "/LOCK").ok());
  ASSERT_TRUE(fault_->Open(opts_.dir + "/notes.txt", OpenMode::kCreateOrOpen).ok());
  auto j = OpenJournal();
  ASSERT_TRUE(AppendOne(j.get(), 1, "x").ok());
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 1u);
}

// ---- damage: torn writes against corruption (issue 10, defect 2) ----

// A journal directory's segment files, name -> bytes.
using Files = std::map<std::string, std::string>;

Files ReadFiles(env::Env* e, const std::string& dir) {
  Files files;
  auto names = e->ListDir(dir);
  EXPECT_TRUE(names.ok());
  for (const std::string& name : names.ok() ? *names : std::vector<std::string>{}) {
    auto f = e->Open(dir + "/" + name, OpenMode::kReadOnly);
    EXPECT_TRUE(f.ok());
    std::string bytes;
    EXPECT_TRUE((*f)->PRead(0, *(*f)->Size(), &bytes).ok());
    files[name] = bytes;
  }
  return files;
}

// Writes `files` into `dir` of `e` (created), synced.
void WriteFiles(env::Env* e, const std::string& dir, const Files& files) {
  ASSERT_TRUE(e->CreateDir(dir).ok());
  for (const auto& [name, bytes] : files) {
    auto f = e->Open(dir + "/" + name, OpenMode::kCreateOrOpen);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Truncate(0).ok());
    ASSERT_TRUE((*f)->PWrite(0, bytes).ok());
    ASSERT_TRUE((*f)->DataSync().ok());
  }
  ASSERT_TRUE(e->SyncDir(dir).ok());
}

// Recovers the journal in `dir` of `e`: the status and the records.
Status RecoverFrom(env::Env* e, const JournalOptions& options, std::vector<Rec>* out) {
  auto j = Journal::Open(e, options);
  if (!j.ok()) return j.status();
  Status s = (*j)->Recover([&](RecordType t, std::string_view p, Location l) {
    out->push_back({t, std::string(p), l});
    return Status::Ok();
  });
  (void)(*j)->Close();  // nothing appended: nothing to fail
  return s;
}

// Every acknowledged byte of a small journal damaged in turn (a flipped bit, a zeroed
// word): recovery either reports corruption, naming the file, or finds every record.
// A place to recover a damaged copy in: an env (owned or not) and a directory.
struct Scratch {
  std::unique_ptr<env::Env> owned;
  env::Env* env;
  std::string dir;
};

void CheckEveryDamage(const std::function<Scratch()>& scratch, JournalOptions options,
                      const Files& files, const std::vector<Rec>& written, uint64_t stride) {
  int corruption = 0, intact = 0;
  for (const auto& [name, bytes] : files) {
    for (uint64_t at = 0; at < bytes.size(); at += stride) {
      for (int kind = 0; kind < 2; ++kind) {
        Files damaged = files;
        std::string& b = damaged[name];
        if (kind == 0) {
          b[at] = static_cast<char>(b[at] ^ (1 << (at % 8)));
        } else {
          uint64_t word = at / 4 * 4;
          if (word + 4 > b.size() || b.compare(word, 4, std::string(4, '\0')) == 0) continue;
          b.replace(word, 4, std::string(4, '\0'));
        }
        Scratch where = scratch();
        options.dir = where.dir;
        WriteFiles(where.env, options.dir, damaged);
        std::vector<Rec> recovered;
        Status s = RecoverFrom(where.env, options, &recovered);
        if (s.ok()) {
          ASSERT_EQ(recovered, written) << name << " damaged at " << at << " kind " << kind;
          ++intact;
        } else {
          ASSERT_EQ(s.error(), ErrorCode::kCorruption) << s.ToString();
          ASSERT_NE(s.detail().find("journal corruption in " + options.dir + "/0"),
                    std::string::npos)
              << s.detail();
          ++corruption;
        }
      }
    }
  }
  EXPECT_GT(corruption, 0);
  EXPECT_GT(intact, 0);  // damage to spare space and unused spares harms nothing
}

TEST_F(JournalTest, EveryBitFlipOrZeroedWordIsReportedOrHarmless) {
  opts_.segment_size = 512;
  std::vector<Rec> written;
  {
    auto j = OpenJournal();
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    for (int i = 0; i < 24; ++i) {
      AppendRecords(j.get(), 1, i, 1, 20 + (i * 37) % 90, &written);
      if (i % 3 != 2) {
        ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
      }
    }
    ASSERT_TRUE(j->EnsureHeadroom(600).ok());  // an unused spare too
    ASSERT_TRUE(j->Close().ok());
    ASSERT_GE(j->CurrentSegment(), 4u);
  }
  Files files = ReadFiles(fault_.get(), opts_.dir);
  CheckEveryDamage(
      [this] {
        auto mem = env::NewMemEnv(&clock_);
        env::Env* e = mem.get();
        return Scratch{std::move(mem), e, opts_.dir};
      },
      opts_, files, written, 1);
}

// A power cut that keeps an arbitrary subset of the unsynced sectors: every
// acknowledged record survives and nothing is reported as corruption.
void PowerLossKeepingRandomSectors(bool relaxed) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    env::FakeClock clock;
    auto mem = env::NewMemEnv(&clock);
    GateEnv gate(mem.get());
    JournalOptions opts;
    opts.dir = "/j";
    opts.segment_size = 1024;
    opts.relaxed = relaxed;
    opts.relaxed_sync_interval_ms = 1000000;  // the fake clock never gets there
    FakeLoop loop;
    std::vector<std::string> appended;
    size_t acked = 0;
    auto alive = std::make_shared<bool>(true);
    {
      auto j = Journal::Open(&gate, opts);
      ASSERT_TRUE(j.ok());
      ASSERT_TRUE(
          (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
      ASSERT_TRUE((*j)->Start(loop.Hook()).ok());
      int n = 20 + static_cast<int>(seed % 17);
      for (int i = 0; i < n; ++i) {
        if (!relaxed && i == n / 2) {
          ASSERT_TRUE(loop.WaitDurable(j->get(), (*j)->LastAppended()));
          gate.CloseGate();
        }
        std::string p = Payload(i, 10 + (i * 131 + seed * 7) % 400);
        ASSERT_TRUE(AppendOne(j->get(), 1, p).ok());
        appended.push_back(p);
        size_t index = appended.size();
        (*j)->WhenDurable((*j)->LastAppended(), [&acked, index, alive](const Status& s) {
          if (*alive && s.ok()) acked = std::max(acked, index);
        });
        if (relaxed && i % 4 == 3) {
          ASSERT_TRUE(loop.WaitDurable(j->get(), (*j)->LastAppended()));
        }
      }
      if (!relaxed) {
        ASSERT_TRUE(gate.WaitForBlockedSync());
      }
      (*j)->RunCompletions();
      gate.DropSomeUnsyncedData(seed, format::kSectorSize);
      *alive = false;
      gate.OpenGate();
      (void)(*j)->Close();  // its handles died with the power
    }
    std::vector<Rec> recovered;
    auto j = Journal::Open(&gate, opts);
    ASSERT_TRUE(j.ok());
    Status s = (*j)->Recover([&](RecordType t, std::string_view p, Location l) {
      recovered.push_back({t, std::string(p), l});
      return Status::Ok();
    });
    ASSERT_TRUE(s.ok()) << "seed " << seed << ": " << s.ToString();
    ASSERT_LE(recovered.size(), appended.size());
    for (size_t i = 0; i < recovered.size(); ++i) ASSERT_EQ(recovered[i].payload, appended[i]);
    if (!relaxed) {
      ASSERT_GE(recovered.size(), acked) << "seed " << seed;
    }
    ASSERT_TRUE((*j)->Close().ok());
  }
}

TEST_F(JournalTest, PowerLossKeepingRandomSectorsDurableMode) {
  PowerLossKeepingRandomSectors(/*relaxed=*/false);
}

TEST_F(JournalTest, PowerLossKeepingRandomSectorsRelaxedMode) {
  PowerLossKeepingRandomSectors(/*relaxed=*/true);
}

// A roll that grows a spare for a large record makes the new size durable before the
// writer writes into it: a power cut during that write leaves a torn tail (recovered),
// never a file shorter than its batch (which recovery must take for corruption).
TEST_F(JournalTest, SpareGrownByARollHasItsSizeDurableBeforeTheWrite) {
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto mem = env::NewMemEnv(&clock_);
    GateEnv gate(mem.get());
    std::vector<Rec> written;
    {
      auto j = OpenJournal(nullptr, &gate);
      ASSERT_TRUE(j);
      ASSERT_TRUE(j->EnsureHeadroom(800).ok());  // spare 2, segment_size bytes
      ASSERT_TRUE(gate.Exists(SegPath(2)));
      ASSERT_TRUE(j->Start(loop_.Hook()).ok());
      AppendRecords(j.get(), 1, 0, 1, 50, &written);
      ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
      gate.CloseGate();
      // Too large for the spare: the roll grows it, and the writer's sync is held.
      ASSERT_TRUE(AppendOne(j.get(), 2, std::string(3000, 'B')).ok());
      ASSERT_EQ(j->CurrentSegment(), 2u);
      j->WhenDurable(j->LastAppended(), [](const Status&) {});
      ASSERT_TRUE(gate.WaitForBlockedSync());
      gate.DropSomeUnsyncedData(seed, format::kSectorSize);  // power cut
      gate.OpenGate();
      (void)j->Close();  // its handles died with the power
    }
    std::vector<Rec> recovered;
    Status s = RecoverFrom(&gate, opts_, &recovered);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_GE(recovered.size(), written.size());
    EXPECT_TRUE(std::equal(written.begin(), written.end(), recovered.begin()));
  }
}

// The offsets in segment `path` where a batch starts or the data ends.
std::set<uint64_t> BatchBoundaries(env::Env* e, const std::string& path, uint32_t number) {
  std::set<uint64_t> at;
  auto f = e->Open(path, OpenMode::kReadOnly);
  EXPECT_TRUE(f.ok());
  std::string bytes;
  EXPECT_TRUE((*f)->PRead(0, format::kHeaderSize, &bytes).ok());
  format::SegmentHeader header;
  EXPECT_EQ(format::ClassifyHeader(bytes, number, &header), format::HeaderKind::kValid);
  format::SegmentScanner scanner(f->get(), *(*f)->Size(), header, 0);
  while (true) {
    at.insert(scanner.offset());  // while it hands out a batch's records: where it starts
    RecordType type;
    std::string_view payload;
    uint64_t record = 0;
    format::Damage damage;
    auto outcome = scanner.Next(&type, &payload, &record, &damage);
    EXPECT_TRUE(outcome.ok());
    if (!outcome.ok() || *outcome != format::SegmentScanner::Outcome::kRecord) break;
  }
  at.insert(scanner.offset());  // the end of the data
  return at;
}

// Every file of a small journal cut at every byte: recovery reports corruption in that
// file, or finds every record. Only a cut exactly at a batch boundary of the active
// segment, or to nothing, loses records silently: it reads as a full segment or a
// spare (journal.h).
TEST_F(JournalTest, EveryTruncationIsReportedOrHarmless) {
  opts_.segment_size = 512;
  std::vector<Rec> written;
  uint32_t active = 0;
  {
    auto j = OpenJournal();
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    // Sealed segments, then an active one of several batches (some of two records).
    int in_active = 0;
    for (int i = 0; j->CurrentSegment() < 3 || in_active < 4; ++i) {
      uint32_t before = j->CurrentSegment();
      AppendRecords(j.get(), 1, i, 1, 20 + (i * 37) % 90, &written);
      in_active = j->CurrentSegment() == before ? in_active + 1 : 1;
      if (i % 3 != 2) {
        ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
      }
    }
    ASSERT_TRUE(j->EnsureHeadroom(600).ok());  // an unused spare too
    active = j->CurrentSegment();
    ASSERT_TRUE(j->Close().ok());
    ASSERT_GE(active, 3u);
  }
  Files files = ReadFiles(fault_.get(), opts_.dir);
  const std::string active_name = format::SegmentFileName(active);
  std::set<uint64_t> boundaries = BatchBoundaries(fault_.get(), SegPath(active), active);
  ASSERT_GT(boundaries.size(), 3u);
  int corruption_in_active = 0;
  for (const auto& [name, bytes] : files) {
    for (uint64_t at = 0; at < bytes.size(); ++at) {
      Files damaged = files;
      damaged[name].resize(at);
      auto mem = env::NewMemEnv(&clock_);
      WriteFiles(mem.get(), opts_.dir, damaged);
      std::vector<Rec> recovered;
      Status s = RecoverFrom(mem.get(), opts_, &recovered);
      SCOPED_TRACE(name + " cut at " + std::to_string(at));
      if (!s.ok()) {
        ASSERT_EQ(s.error(), ErrorCode::kCorruption) << s.ToString();
        ASSERT_NE(
            s.detail().find("journal corruption in " + opts_.dir + "/" + name + " at offset "),
            std::string::npos)
            << s.detail();
        corruption_in_active += name == active_name;
      } else if (name == active_name && (at == 0 || boundaries.count(at) > 0)) {
        ASSERT_LE(recovered.size(), written.size());
        ASSERT_TRUE(std::equal(recovered.begin(), recovered.end(), written.begin()));
      } else {
        ASSERT_EQ(recovered, written);
      }
    }
  }
  EXPECT_GT(corruption_in_active, 0);
}

// Format 1, as the previous release wrote it (16-byte header, records back to back):
// a small writer of it, for the compatibility tests.
std::string FormatOneSegment(uint32_t n, const std::vector<std::string>& payloads, uint64_t size) {
  std::string bytes(format::kMagic, sizeof(format::kMagic));
  PutFixed32(&bytes, 1);
  PutFixed32(&bytes, n);
  for (const std::string& p : payloads) {
    char frame[kRecordOverhead];
    std::string_view parts[] = {p};
    format::EncodeRecordHeader(1, parts, frame);
    bytes.append(frame, sizeof(frame));
    bytes.append(p);
  }
  bytes.resize(std::max<uint64_t>(size, bytes.size()), '\0');
  return bytes;
}

TEST_F(JournalTest, FormatOneLogRecoversAndIsSealedByAFormatTwoSegment) {
  std::vector<Rec> written;
  Files files;
  for (uint32_t n = 1; n <= 2; ++n) {
    std::vector<std::string> payloads;
    uint64_t at = format::kHeaderSizeV1;
    for (int i = 0; i < 5; ++i) {
      std::string p = Payload(static_cast<int>(written.size()), 40 + i * 10);
      written.push_back({1, p, MakeLocation(n, static_cast<uint32_t>(at + kRecordOverhead))});
      at += kRecordOverhead + p.size();
      payloads.push_back(p);
    }
    files[format::SegmentFileName(n)] = FormatOneSegment(n, payloads, 1024);
  }
  // A torn tail of the last format 1 segment is cut, as before.
  std::string& last = files[format::SegmentFileName(2)];
  last.replace(OffsetOf(written.back().loc) + 80, 5, "\x30\0\0\0z", 5);
  WriteFiles(fault_.get(), opts_.dir, files);

  std::vector<Rec> recovered;
  auto j = OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
  EXPECT_TRUE(j->Stats().truncated_tail);
  EXPECT_EQ(j->CurrentSegment(), 3u);  // new records go to a format 2 segment
  AppendRecords(j.get(), 2, 100, 12, 70, &written);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  j = OpenJournal(&recovered);
  EXPECT_EQ(recovered, written);
  EXPECT_FALSE(j->Stats().truncated_tail);
  ASSERT_TRUE(j->Close().ok());
  // Damage in the sealed format 1 segment is corruption, as before.
  FlipBit(fault_.get(), SegPath(1), format::kHeaderSizeV1 + 20);
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
}

// ---- salvage ----

class SalvageTest : public JournalTest {
 protected:
  // 30 records of 60 bytes, one batch each, over several 512-byte segments.
  void WriteLog() {
    auto j = OpenJournal();
    ASSERT_TRUE(j->Start(loop_.Hook()).ok());
    for (int i = 0; i < 30; ++i) {
      AppendRecords(j.get(), 1, i, 1, 60, &written_);
      ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
    }
    ASSERT_TRUE(j->Close().ok());
  }
  // Recovers with salvage: the records, and the notes.
  std::vector<Rec> Salvage(std::vector<RecoveryNote>* notes) {
    opts_.salvage = true;
    std::vector<Rec> recovered;
    auto j = OpenJournal(&recovered);
    *notes = j->RecoveryNotes();
    // Appending after a salvage works, and the next start needs no salvage.
    EXPECT_TRUE(AppendOne(j.get(), 3, "after salvage").ok());
    EXPECT_TRUE(j->Close().ok());
    opts_.salvage = false;
    std::vector<Rec> again;
    j = OpenJournal(&again);
    EXPECT_TRUE(j->RecoveryNotes().empty());
    EXPECT_EQ(again.size(), recovered.size() + 1);
    return recovered;
  }
  // `written_` without the records at these indexes.
  std::vector<Rec> WrittenWithout(std::initializer_list<size_t> lost) const {
    std::vector<Rec> out;
    for (size_t i = 0; i < written_.size(); ++i) {
      if (std::find(lost.begin(), lost.end(), i) == lost.end()) out.push_back(written_[i]);
    }
    return out;
  }

  std::vector<Rec> written_;
};

TEST_F(SalvageTest, SkipsADamagedBatchInASealedSegmentAndSaysWhat) {
  WriteLog();
  Location victim = written_[4].loc;
  ASSERT_LT(SegmentOf(victim), SegmentOf(written_.back().loc));
  FlipBit(fault_.get(), SegPath(SegmentOf(victim)), OffsetOf(victim) + 7);
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
  std::vector<RecoveryNote> notes;
  EXPECT_EQ(Salvage(&notes), WrittenWithout({4}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].file, SegPath(SegmentOf(victim)));
  EXPECT_EQ(notes[0].kind, RecoveryNote::Kind::kSkipped);
  EXPECT_EQ(notes[0].begin, OffsetOf(victim) - kRecordOverhead - format::kBatchHeaderSize);
  EXPECT_EQ(notes[0].end, OffsetOf(victim) + 60);
  EXPECT_NE(notes[0].what.find("checksum"), std::string::npos) << notes[0].what;
}

TEST_F(SalvageTest, SkipsDamageInTheActiveSegment) {
  WriteLog();
  Location victim = written_[written_.size() - 2].loc;
  ASSERT_EQ(SegmentOf(victim), SegmentOf(written_.back().loc));
  FlipBit(fault_.get(), SegPath(SegmentOf(victim)), OffsetOf(victim));
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
  std::vector<RecoveryNote> notes;
  EXPECT_EQ(Salvage(&notes), WrittenWithout({written_.size() - 2}));
  ASSERT_EQ(notes.size(), 1u);
}

TEST_F(SalvageTest, ZeroedLengthAndDamagedHeaders) {
  WriteLog();
  // A zeroed length word in segment 1, a damaged header of segment 2.
  {
    auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
    ASSERT_TRUE(
        (*f)->PWrite(OffsetOf(written_[1].loc) - kRecordOverhead, std::string(4, '\0')).ok());
  }
  FlipBit(fault_.get(), SegPath(2), 9);
  EXPECT_EQ(RecoverStatus().error(), ErrorCode::kCorruption);
  std::vector<RecoveryNote> notes;
  EXPECT_EQ(Salvage(&notes), WrittenWithout({1}));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].file, SegPath(2));
  EXPECT_NE(notes[0].what.find("segment header"), std::string::npos) << notes[0].what;
  EXPECT_EQ(notes[1].file, SegPath(1));
  EXPECT_NE(notes[1].what.find("length 0"), std::string::npos) << notes[1].what;
}

// ---- the same journal on real files ----

class PosixJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cmq_journal_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    opts_.dir = root_ + "/journal";
    opts_.segment_size = 16 << 10;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Opens and recovers the journal, collecting what it recovered; with `start`, also
  // starts its writer.
  std::unique_ptr<Journal> Open(std::vector<Rec>* recovered = nullptr, bool start = false) {
    auto j = Journal::Open(env::PosixEnv(), opts_);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (!j.ok()) return nullptr;
    Status s = (*j)->Recover([&](RecordType t, std::string_view p, Location l) {
      if (recovered) recovered->push_back({t, std::string(p), l});
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (start) {
      EXPECT_TRUE((*j)->Start(loop_.Hook()).ok());
    }
    return std::move(*j);
  }

  std::string root_;
  JournalOptions opts_;
  FakeLoop loop_;
};

TEST_F(PosixJournalTest, RoundTripWithWriterThread) {
  std::vector<Rec> written;
  {
    auto j = Open(nullptr, /*start=*/true);
    ASSERT_TRUE(j);
    for (int i = 0; i < 300; ++i) {
      std::string p = Payload(i, 100 + i % 200);
      auto loc = AppendOne(j.get(), 5, p);
      ASSERT_TRUE(loc.ok());
      written.push_back({5, p, *loc});
    }
    ASSERT_TRUE(loop_.WaitDurable(j.get(), 300));
    EXPECT_LT(j->Stats().syncs, 300u + 20u);
    std::string out;
    ASSERT_TRUE(j->ReadAt(written[7].loc, written[7].payload.size(), &out).ok());
    EXPECT_EQ(out, written[7].payload);
    ASSERT_TRUE(j->EnsureHeadroom(40 << 10).ok());
    ASSERT_TRUE(j->Close().ok());
  }
  std::vector<Rec> recovered;
  Open(&recovered);
  EXPECT_EQ(recovered, written);
}

TEST_F(PosixJournalTest, PreparedSparesOnRealFiles) {
  opts_.prepared_spares = 2;
  std::vector<Rec> written;
  {
    auto j = Open(nullptr, /*start=*/true);
    ASSERT_TRUE(j);
    for (int i = 0; i < 400; ++i) {
      std::string p = Payload(i, 300 + i % 700);
      auto loc = AppendOne(j.get(), 3, p);
      ASSERT_TRUE(loc.ok()) << loc.status().ToString();
      written.push_back({3, p, *loc});
    }
    ASSERT_TRUE(loop_.WaitDurable(j.get(), 400));
    EXPECT_GE(j->Stats().prepared_spares, 1u);
    ASSERT_TRUE(j->Close().ok());
  }
  // The spares left behind are reused, zeroed again, after the restart.
  std::vector<Rec> recovered;
  auto j = Open(&recovered, /*start=*/true);
  EXPECT_EQ(recovered, written);
  AppendRecords(j.get(), 4, 1000, 100, 500, &written);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  Open(&recovered);
  EXPECT_EQ(recovered, written);
}

TEST_F(PosixJournalTest, TornTailOnRealFile) {
  Location big = 0;
  {
    auto j = Open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, "abc").ok());
    ASSERT_TRUE(j->Close().ok());
    j = Open();
    big = *AppendOne(j.get(), 1, std::string(3000, 'x'));
    ASSERT_TRUE(j->Close().ok());
  }
  std::string path = opts_.dir + "/" + format::SegmentFileName(1);
  LoseSectorIn(env::PosixEnv(), path, OffsetOf(big), OffsetOf(big) + 3000);
  std::vector<Rec> recovered;
  auto j = Open(&recovered);
  EXPECT_EQ(recovered.size(), 5u);
  EXPECT_TRUE(j->Stats().truncated_tail);
  auto size = env::PosixEnv()->Open(path, OpenMode::kReadOnly);
  EXPECT_EQ(*(*size)->Size(), opts_.segment_size);  // reserved again after the cut
}

TEST_F(PosixJournalTest, BitFlipsAndZeroedWordsOnRealFiles) {
  opts_.segment_size = 1024;
  std::vector<Rec> written;
  {
    auto j = Open(nullptr, /*start=*/true);
    for (int i = 0; i < 16; ++i) {
      AppendRecords(j.get(), 1, i, 1, 30 + (i * 41) % 150, &written);
      ASSERT_TRUE(loop_.WaitDurable(j.get(), j->LastAppended()));
    }
    ASSERT_TRUE(j->Close().ok());
  }
  Files files = ReadFiles(env::PosixEnv(), opts_.dir);
  int copy = 0;
  CheckEveryDamage(
      [&] {
        return Scratch{nullptr, env::PosixEnv(), root_ + "/copy" + std::to_string(++copy)};
      },
      opts_, files, written, 61);
}

TEST_F(PosixJournalTest, TruncatedActiveSegmentIsCorruptionOnRealFiles) {
  std::vector<Location> locs =
      AppendBatchesAndClose(Open(nullptr, /*start=*/true).get(), &loop_, 5, 700);
  ASSERT_EQ(locs.size(), 5u);
  std::string path = opts_.dir + "/" + format::SegmentFileName(1);
  auto f = env::PosixEnv()->Open(path, OpenMode::kReadWrite);
  ASSERT_TRUE(f.ok());
  for (int i : {4, 1}) {  // the last batch, then an acknowledged one before it
    ASSERT_TRUE((*f)->Truncate(OffsetOf(locs[i]) + 300).ok());
    auto j = Journal::Open(env::PosixEnv(), opts_);
    ASSERT_TRUE(j.ok());
    Status s = (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); });
    ExpectCorruptionAt(s, path, OffsetOf(locs[i]) - kRecordOverhead - format::kBatchHeaderSize);
  }
  // With --salvage's option the batch and what followed it are skipped, and said so.
  opts_.salvage = true;
  std::vector<Rec> recovered;
  auto j = Open(&recovered);
  ASSERT_EQ(recovered.size(), 1u);
  ASSERT_EQ(j->RecoveryNotes().size(), 1u);
  EXPECT_EQ(j->RecoveryNotes()[0].kind, RecoveryNote::Kind::kSkipped);
  EXPECT_EQ(j->RecoveryNotes()[0].file, path);
}

TEST_F(PosixJournalTest, DefaultSegmentHoldsAFullBatch) {
  opts_.segment_size = JournalOptions().segment_size;
  auto j = Journal::Open(env::PosixEnv(), opts_);
  ASSERT_TRUE(
      (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
  std::string mib(1 << 20, 'm');
  std::vector<std::string_view> parts(16, mib);
  ASSERT_TRUE((*j)->Append(1, parts).ok());
  ASSERT_TRUE((*j)->Append(1, parts).ok());
  ASSERT_TRUE((*j)->Append(1, parts).ok());
  ASSERT_TRUE((*j)->Append(1, parts).ok());  // the fourth rolls into segment 2
  EXPECT_EQ((*j)->CurrentSegment(), 2u);
  ASSERT_TRUE((*j)->Close().ok());
}

}  // namespace
}  // namespace cmq::journal
