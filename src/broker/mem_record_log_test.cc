// MemRecordLog (src/journal/mem_record_log.h) is the broker tests' storage; its own
// behaviour is checked here.
#include "journal/mem_record_log.h"

#include <gtest/gtest.h>

namespace cmq::journal {
namespace {

Result<Location> AppendStr(MemRecordLog* log, RecordType type, std::string_view a,
                           std::string_view b = {}) {
  std::string_view parts[] = {a, b};
  return log->Append(type, parts);
}

TEST(MemRecordLogTest, AppendAndReadBack) {
  MemRecordLog log;
  auto a = AppendStr(&log, 5, "hello", "world");
  auto b = AppendStr(&log, 6, "x");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(log.LastAppended(), 2u);
  EXPECT_LT(*a, *b);
  std::string out;
  ASSERT_TRUE(log.ReadAt(*a + 5, 5, &out).ok());
  EXPECT_EQ(out, "world");
  ASSERT_TRUE(log.ReadAt(*b, 1, &out).ok());
  EXPECT_EQ(out, "x");
  EXPECT_FALSE(log.ReadAt(*a + 5, 6, &out).ok());  // crosses the payload's end
  EXPECT_FALSE(log.ReadAt(MakeLocation(9, 100), 1, &out).ok());
  auto records = log.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].type, 5);
  EXPECT_EQ(records[0].payload, "helloworld");
  EXPECT_EQ(records[0].location, *a);
}

TEST(MemRecordLogTest, DurabilityGating) {
  MemRecordLog log;
  int fired = 0;
  ASSERT_TRUE(AppendStr(&log, 1, "a").ok());
  log.WhenDurable(1, [&](const Status& s) { fired += s.ok(); });
  EXPECT_EQ(fired, 1);  // durable at once by default
  log.SetAutoDurable(false);
  ASSERT_TRUE(AppendStr(&log, 1, "b").ok());
  log.WhenDurable(log.LastAppended(), [&](const Status& s) { fired += s.ok(); });
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(log.pending_callbacks(), 1u);
  log.MakeDurable();
  EXPECT_EQ(fired, 2);
  ASSERT_TRUE(AppendStr(&log, 1, "c").ok());
  Status failed;
  log.WhenDurable(log.LastAppended(), [&](const Status& s) { failed = s; });
  log.FailSync();
  EXPECT_EQ(failed.error(), ErrorCode::kStorageFailed);
  EXPECT_EQ(AppendStr(&log, 1, "d").status().error(), ErrorCode::kStorageFailed);
}

TEST(MemRecordLogTest, SegmentsPreamblesAndDropping) {
  MemRecordLog log;
  int preambles = 0;
  log.SetSegmentPreamble([&](uint32_t segment, RecordType* t, std::string* p) {
    EXPECT_EQ(segment, log.CurrentSegment());
    *t = 1;
    *p = "snap" + std::to_string(++preambles);
  });
  auto a = AppendStr(&log, 5, "a");
  EXPECT_EQ(preambles, 1);  // the first segment starts with one too
  EXPECT_EQ(SegmentOf(*a), 1u);
  log.Roll();
  EXPECT_EQ(preambles, 2);
  auto b = AppendStr(&log, 5, "b");
  EXPECT_EQ(SegmentOf(*b), 2u);
  EXPECT_EQ(log.CurrentSegment(), 2u);
  EXPECT_EQ(log.DropSegmentsBefore(3).error(), ErrorCode::kInternal);
  ASSERT_TRUE(log.DropSegmentsBefore(2).ok());
  EXPECT_EQ(log.OldestSegment(), 2u);
  auto records = log.Records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].payload, "snap2");
  std::string out;
  EXPECT_FALSE(log.ReadAt(*a, 1, &out).ok());

  log.SetSegmentCapacity(64);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendStr(&log, 5, std::string(30, 'x')).ok());
  EXPECT_GT(log.CurrentSegment(), 4u);
  EXPECT_EQ(log.AppendedBytes(), log.StoredBytes() + 1 + 5);  // "a" and "snap1" dropped
}

TEST(MemRecordLogTest, PreambleMayWriteNothingAndBigOnesGetRoom) {
  MemRecordLog log;
  std::string preamble;
  log.SetSegmentPreamble([&](uint32_t, RecordType* t, std::string* p) {
    if (preamble.empty()) return;
    *t = 1;
    *p = preamble;
  });
  log.SetSegmentCapacity(1016);  // a header and ten records of 100 bytes framed
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendStr(&log, 5, std::string(91, 'x')).ok());
  EXPECT_EQ(log.CurrentSegment(), 1u);
  EXPECT_EQ(log.Records().size(), 10u);  // no preamble written
  preamble = std::string(591, 'p');      // 600 bytes framed: more than a quarter
  ASSERT_TRUE(AppendStr(&log, 5, std::string(91, 'x')).ok());
  EXPECT_EQ(log.CurrentSegment(), 2u);
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(AppendStr(&log, 5, std::string(91, 'x')).ok());
  EXPECT_EQ(log.CurrentSegment(), 2u);  // a normal segment's worth after the preamble
  ASSERT_TRUE(AppendStr(&log, 5, std::string(91, 'x')).ok());
  EXPECT_EQ(log.CurrentSegment(), 3u);
}

// A drop waits for the records appended before it; CloneDurable shows what a power
// cut leaves meanwhile.
TEST(MemRecordLogTest, DropsWaitForDurabilityAsInTheJournal) {
  MemRecordLog log;
  log.SetAutoDurable(false);
  ASSERT_TRUE(AppendStr(&log, 5, "a").ok());
  log.Roll();
  ASSERT_TRUE(AppendStr(&log, 5, "b").ok());
  log.MakeDurableUpTo(1);
  ASSERT_TRUE(log.DropSegmentsBefore(2).ok());
  EXPECT_EQ(log.OldestSegment(), 1u);
  auto cut = log.CloneDurable();
  ASSERT_EQ(cut->Records().size(), 1u);
  EXPECT_EQ(cut->Records()[0].payload, "a");
  EXPECT_EQ(cut->CurrentSegment(), 1u);
  log.MakeDurableUpTo(2);
  EXPECT_EQ(log.OldestSegment(), 2u);
  cut = log.CloneDurable();
  ASSERT_EQ(cut->Records().size(), 1u);
  EXPECT_EQ(cut->Records()[0].payload, "b");

  auto copy = MemRecordLog::FromRecords(log.Records());
  std::string out;
  ASSERT_TRUE(copy->ReadAt(log.Records()[0].location, 1, &out).ok());
  EXPECT_EQ(out, "b");
  EXPECT_EQ(copy->OldestSegment(), 2u);
  auto next = AppendStr(copy.get(), 5, "c");
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, log.Records()[0].location);
}

TEST(MemRecordLogTest, DiskFullSwitch) {
  MemRecordLog log;
  EXPECT_TRUE(log.EnsureHeadroom(100).ok());
  log.SetDiskFull(true);
  EXPECT_EQ(log.EnsureHeadroom(100).error(), ErrorCode::kDiskFull);
  EXPECT_EQ(log.last_headroom_request(), 100u);
}

}  // namespace
}  // namespace cmq::journal
