// The corruption cases on their own: the damage lands inside one intact record, never
// in the last record of the active segment, and the refusal is recognised only when
// it names that file and an offset inside that record.
#include "torture/journal_damage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "journal/segment_format.h"
#include "support/cmqd_process.h"

namespace cmq::torture {
namespace {

namespace format = journal::format;
namespace fs = std::filesystem;

// A segment of `records` records of 100 payload bytes each: record i starts at
// 16 + i * 109.
std::string Segment(uint32_t number, int records) {
  std::string bytes = format::EncodeHeader(number);
  std::string payload(100, 'p');
  for (int i = 0; i < records; ++i) {
    std::string_view parts[] = {payload};
    char header[9];
    format::EncodeRecordHeader(static_cast<journal::RecordType>(1), parts, header);
    bytes.append(header, 9).append(payload);
  }
  return bytes + std::string(4096, '\0');  // preallocated tail
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JournalDamage, HitsOneIntactRecordAndNeverTheActiveTail) {
  testing::TempDir dir;
  const std::string sealed = dir.path() + "/0000000001.seg";
  const std::string active = dir.path() + "/0000000002.seg";
  int damaged_sealed = 0, damaged_active = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::ofstream(sealed, std::ios::binary) << Segment(1, 5);
    std::ofstream(active, std::ios::binary) << Segment(2, 3);
    std::ofstream(dir.path() + "/0000000003.seg", std::ios::binary) << std::string(8192, '\0');
    std::mt19937_64 rng(seed);
    auto damage = DamageJournal(dir.path(), rng);
    ASSERT_TRUE(damage.ok()) << damage.status().ToString();
    SCOPED_TRACE(damage->ToString());
    EXPECT_EQ(damage->path, damage->sealed ? sealed : active);
    ++(damage->sealed ? damaged_sealed : damaged_active);
    EXPECT_EQ((damage->record_start - format::kHeaderSize) % 109, 0u);
    EXPECT_EQ(damage->record_end, damage->record_start + 109);
    if (!damage->sealed) {
      EXPECT_LT(damage->record_end, 16u + 3 * 109) << "the last record";
    }
    EXPECT_GE(damage->position, damage->record_start);
    EXPECT_LT(damage->position, damage->record_end);
    std::string original = Segment(damage->sealed ? 1 : 2, damage->sealed ? 5 : 3);
    std::string now = ReadFile(damage->path);
    if (damage->kind == "truncation") {
      EXPECT_EQ(now, original.substr(0, damage->position));
    } else {
      ASSERT_EQ(now.size(), original.size());
      EXPECT_NE(now, original);
      EXPECT_EQ(now.substr(0, damage->record_start), original.substr(0, damage->record_start));
      EXPECT_EQ(now.substr(damage->record_end), original.substr(damage->record_end));
    }
  }
  EXPECT_GT(damaged_sealed, 0);
  EXPECT_GT(damaged_active, 0);
}

TEST(JournalDamage, RefusalMustNameTheFileAndAnOffsetInTheRecord) {
  JournalDamage damage;
  damage.path = "/tmp/x/data/journal/0000000002.seg";
  damage.record_start = 125;
  damage.record_end = 234;
  std::string why;
  EXPECT_TRUE(ReportsDamage(
      "cmqd: cannot start: journal corruption in /tmp/x/data/journal/0000000002.seg at offset "
      "125: checksum mismatch\n",
      damage, &why))
      << why;
  EXPECT_FALSE(
      ReportsDamage("journal corruption in /tmp/x/data/journal/0000000003.seg at "
                    "offset 125\n",
                    damage, &why));
  EXPECT_FALSE(
      ReportsDamage("journal corruption in /tmp/x/data/journal/0000000002.seg at "
                    "offset 300\n",
                    damage, &why));
  EXPECT_FALSE(ReportsDamage("cmqd: cannot start: bad segment\n", damage, &why));
}

}  // namespace
}  // namespace cmq::torture
