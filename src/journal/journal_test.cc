#include "journal/journal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
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

TEST_F(JournalTest, TornTailOfLastSegmentIsTruncated) {
  opts_.segment_size = 4096;
  auto j = OpenJournal();
  uint64_t end = WriteAndClose(j.get(), 10);
  j.reset();
  // A crash mid-write: a frame whose length promises more than was written, followed
  // by stale garbage further on.
  {
    auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
    ASSERT_TRUE(f.ok());
    std::string torn;
    PutFixed32(&torn, 100);
    PutFixed32(&torn, 0xdeadbeef);
    torn += "\x01partial";
    ASSERT_TRUE((*f)->PWrite(end, torn).ok());
    ASSERT_TRUE((*f)->PWrite(end + 200, "stale garbage").ok());
  }
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 10u);
  EXPECT_TRUE(j->Stats().truncated_tail);
  // New records go where the torn one was, and the stale bytes are gone for good.
  auto loc = AppendOne(j.get(), 4, "fresh");
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(OffsetOf(*loc), end + kRecordOverhead);
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 11u);
  EXPECT_EQ(recovered.back().payload, "fresh");
  EXPECT_FALSE(j->Stats().truncated_tail);
  std::string out;
  auto f = fault_->Open(SegPath(1), OpenMode::kReadOnly);
  ASSERT_TRUE((*f)->PRead(end + 200, 13, &out).ok());
  EXPECT_EQ(out, std::string(13, '\0'));
}

TEST_F(JournalTest, BadChecksumInLastSegmentTailIsTruncated) {
  opts_.segment_size = 4096;
  auto j = OpenJournal();
  std::vector<Location> locs;
  for (int i = 0; i < 5; ++i) locs.push_back(*AppendOne(j.get(), 1, Payload(i, 30)));
  ASSERT_TRUE(j->Close().ok());
  j.reset();
  auto f = fault_->Open(SegPath(1), OpenMode::kReadWrite);
  ASSERT_TRUE((*f)->PWrite(OffsetOf(locs[3]) + 2, "X").ok());  // flip a payload byte of record 4
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 3u);  // record 4 and everything after it are the torn tail
  EXPECT_TRUE(j->Stats().truncated_tail);
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
    // A length word that runs off the end of a sealed segment.
    auto f = fault_->Open(SegPath(2), OpenMode::kReadWrite);
    std::string len;
    PutFixed32(&len, 1 << 30);
    ASSERT_TRUE((*f)->PWrite(format::kHeaderSize, len).ok());
    Status s = RecoverStatus();
    EXPECT_EQ(s.error(), ErrorCode::kCorruption);
    EXPECT_NE(s.detail().find("runs past the end"), std::string::npos) << s.detail();
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

TEST_F(JournalTest, TornHeaderOfNewSegmentIsTreatedAsUnused) {
  auto j = OpenJournal();
  ASSERT_TRUE(AppendOne(j.get(), 1, "kept").ok());
  ASSERT_TRUE(j->EnsureHeadroom(2000).ok());
  ASSERT_TRUE(j->Close().ok());
  {
    auto f = fault_->Open(SegPath(2), OpenMode::kReadWrite);
    ASSERT_TRUE((*f)->PWrite(0, "CMQJ").ok());    // half a header
    ASSERT_TRUE((*f)->PWrite(100, "junk").ok());  // and stale bytes
  }
  std::vector<Rec> recovered;
  j = OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 1u);
  EXPECT_TRUE(j->Stats().truncated_tail);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 80)).ok());
  ASSERT_TRUE(j->Close().ok());
  recovered.clear();
  OpenJournal(&recovered);
  EXPECT_EQ(recovered.size(), 11u);
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

// A drop waits for the records appended before it was asked for: they are what
// replaces the old segments. Until they are durable a power cut keeps the old ones.
TEST_F(JournalTest, DropWaitsUntilTheRecordsBeforeItAreDurable) {
  auto j = OpenJournal();
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 60)).ok());
  const uint32_t current = j->CurrentSegment();
  ASSERT_GT(current, 3u);
  ASSERT_TRUE(j->DropSegmentsBefore(current).ok());  // nothing is written yet
  EXPECT_EQ(j->OldestSegment(), 1u);
  EXPECT_TRUE(fault_->Exists(SegPath(1)));
  std::string out;
  ASSERT_TRUE(j->ReadAt(MakeLocation(1, format::kHeaderSize + kRecordOverhead), 4, &out).ok());
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
// after it; one left empty writes nothing.
TEST_F(JournalTest, BigPreambleGetsASegmentOfRoomAfterIt) {
  opts_.segment_size = 1024;
  auto j = OpenJournal();
  bool big = true;
  j->SetSegmentPreamble([&](uint32_t, RecordType* type, std::string* payload) {
    if (!big) return;
    *type = 99;
    *payload = std::string(900, 's');
  });
  ASSERT_TRUE(j->Start(loop_.Hook()).ok());
  // 100 bytes framed each: ten fill segment 1, the 11th starts segment 2.
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 91)).ok());
  EXPECT_EQ(j->CurrentSegment(), 2u);
  big = false;
  for (int i = 12; i < 20; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 91)).ok());
  EXPECT_EQ(j->CurrentSegment(), 2u);  // room for ten after the preamble
  for (int i = 20; i < 22; ++i) ASSERT_TRUE(AppendOne(j.get(), 1, Payload(i, 91)).ok());
  EXPECT_EQ(j->CurrentSegment(), 3u);
  ASSERT_TRUE(j->Close().ok());
  std::vector<Rec> recovered;
  OpenJournal(&recovered);
  ASSERT_EQ(recovered.size(), 23u);
  EXPECT_EQ(recovered[10].type, 99);  // segment 2 starts with the preamble
  EXPECT_EQ(SegmentOf(recovered[10].loc), 2u);
  EXPECT_EQ(recovered[20].payload, Payload(19, 91));
  EXPECT_EQ(SegmentOf(recovered[20].loc), 2u);
  EXPECT_EQ(recovered[21].type, 1);  // segment 3 starts with the record: no preamble
  EXPECT_EQ(SegmentOf(recovered[21].loc), 3u);
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
      EXPECT_EQ(OffsetOf(r.loc), format::kHeaderSize + kRecordOverhead);
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
  Location last = 0;
  {
    auto j = Journal::Open(env::PosixEnv(), opts_);
    ASSERT_TRUE(
        (*j)->Recover([](RecordType, std::string_view, Location) { return Status::Ok(); }).ok());
    for (int i = 0; i < 5; ++i) last = *AppendOne(j->get(), 1, "abc");
    ASSERT_TRUE((*j)->Close().ok());
  }
  {
    auto f =
        env::PosixEnv()->Open(opts_.dir + "/" + format::SegmentFileName(1), OpenMode::kReadWrite);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->PWrite(OffsetOf(last) + 3, std::string("\x07\x00\x00\x00garbage", 11)).ok());
  }
  auto j = Journal::Open(env::PosixEnv(), opts_);
  int n = 0;
  ASSERT_TRUE((*j)->Recover([&](RecordType, std::string_view, Location) {
                    ++n;
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(n, 5);
  EXPECT_TRUE((*j)->Stats().truncated_tail);
  auto size =
      env::PosixEnv()->Open(opts_.dir + "/" + format::SegmentFileName(1), OpenMode::kReadOnly);
  EXPECT_EQ(*(*size)->Size(), opts_.segment_size);  // reserved again after the cut
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
