// The corruption cases on their own, on hand-made format 2 segments (written with the
// journal's own format helpers): the damage lands inside one intact batch and only
// where recovery must report it, the real recovery does report it where the damage
// says, --salvage gets past it, and the refusal is recognised only when it names that
// file and offset.
#include "torture/journal_damage.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "env/env.h"
#include "journal/journal.h"
#include "journal/segment_format.h"
#include "support/cmqd_process.h"

namespace cmq::torture {
namespace {

namespace format = journal::format;

constexpr uint64_t kSegmentSize = 8192;

struct BatchSpec {
  uint64_t synced_through = 0;
  int records = 2;           // of 100 payload bytes
  bool zero_record = false;  // and one of 1100 zero bytes: a sector of zeros
};

struct MadeBatch {
  uint64_t start = 0;
  uint64_t end = 0;
  bool proven = false;  // damage here must be reported whatever it is
  bool zero_sector = false;
};

struct MadeSegment {
  std::string bytes;
  std::vector<MadeBatch> batches;
};

// A format 2 segment of `batches`, numbered from `first_seq`, padded with zeros to
// kSegmentSize (preallocated). Batches are proven as recovery judges them: all in a
// sealed segment, in the active one those a later batch's synced_through reaches.
MadeSegment Segment(uint32_t number, uint64_t first_seq, uint32_t prev_end,
                    const std::vector<BatchSpec>& batches, bool sealed) {
  MadeSegment made;
  made.bytes = format::EncodeHeader({format::kVersion, number, first_seq, prev_end});
  uint64_t seq = first_seq;
  for (const BatchSpec& spec : batches) {
    std::vector<std::string> payloads(spec.records, std::string(100, 'p'));
    if (spec.zero_record) payloads.emplace_back(1100, '\0');
    std::string records;
    for (const std::string& p : payloads) {
      std::string_view parts[] = {p};
      char frame[journal::kRecordOverhead];
      format::EncodeRecordHeader(static_cast<journal::RecordType>(1), parts, frame);
      records.append(frame, sizeof(frame)).append(p);
    }
    format::BatchHeader header{static_cast<uint32_t>(records.size()), 0, seq++,
                               spec.synced_through};
    char header_bytes[format::kBatchHeaderSize];
    format::EncodeBatchHeader(header, header_bytes);
    MadeBatch& b = made.batches.emplace_back();
    b.start = made.bytes.size();
    made.bytes.append(header_bytes, sizeof(header_bytes)).append(records);
    b.end = made.bytes.size();
    b.zero_sector = spec.zero_record;
  }
  uint64_t later_synced = 0;
  for (size_t i = made.batches.size(); i-- > 0;) {
    made.batches[i].proven = sealed || later_synced >= first_seq + i;
    later_synced = std::max(later_synced, batches[i].synced_through);
  }
  made.bytes.resize(kSegmentSize, '\0');
  return made;
}

// A sealed segment 1 and an active segment 2 as sync durability writes them (every
// batch says the one before it was synced), or as relaxed durability may (several
// batches at the end not shown synced, the last with a sector of zeros).
std::vector<MadeSegment> MakeJournal(bool relaxed) {
  std::vector<MadeSegment> segments;
  segments.push_back(Segment(1, 1, 0, {{0}, {1}, {2}}, true));
  uint32_t end1 = static_cast<uint32_t>(segments[0].batches.back().end);
  if (relaxed) {
    segments.push_back(Segment(2, 4, end1, {{3}, {4}, {4, 1}, {4, 1, true}}, false));
  } else {
    segments.push_back(Segment(2, 4, end1, {{3}, {4}, {5}}, false));
  }
  return segments;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Recovers the journal in `dir`: the status, and the notes on success.
Status Recover(const std::string& dir, bool salvage,
               std::vector<journal::RecoveryNote>* notes = nullptr) {
  journal::JournalOptions options;
  options.dir = dir;
  options.segment_size = kSegmentSize;
  options.salvage = salvage;
  auto j = journal::Journal::Open(env::PosixEnv(), options);
  if (!j.ok()) return j.status();
  Status s = (*j)->Recover(
      [](journal::RecordType, std::string_view, journal::Location) { return Status::Ok(); });
  if (notes != nullptr) *notes = (*j)->RecoveryNotes();
  Status closed = (*j)->Close();
  return s.ok() ? closed : s;
}

TEST(JournalDamage, DamagesOnlyWhatRecoveryMustReportAndRecoveryReportsIt) {
  testing::TempDir dir;
  const std::string paths[] = {dir.path() + "/0000000001.seg", dir.path() + "/0000000002.seg"};
  std::map<std::string, int> kinds;
  int sealed = 0, active_proven = 0, active_unproven = 0;
  for (uint64_t seed = 1; seed <= 120; ++seed) {
    std::vector<MadeSegment> journal = MakeJournal(seed % 2 == 1);
    for (int i = 0; i < 2; ++i) WriteFile(paths[i], journal[i].bytes);
    WriteFile(dir.path() + "/0000000003.seg", std::string(kSegmentSize, '\0'));  // a spare
    ASSERT_TRUE(Recover(dir.path(), false).ok()) << "undamaged";

    std::mt19937_64 rng(seed);
    auto damage = DamageJournal(dir.path(), rng);
    ASSERT_TRUE(damage.ok()) << damage.status().ToString();
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + damage->ToString());
    const MadeSegment& made = journal[damage->sealed ? 0 : 1];
    EXPECT_EQ(damage->path, paths[damage->sealed ? 0 : 1]);
    const MadeBatch* batch = nullptr;
    for (const MadeBatch& b : made.batches) {
      if (b.start == damage->batch_start && b.end == damage->batch_end) batch = &b;
    }
    ASSERT_NE(batch, nullptr) << "not a batch of the segment";
    EXPECT_LE(batch->start, damage->target_start);
    EXPECT_LE(damage->target_end, batch->end);
    EXPECT_LE(damage->target_start, damage->position);
    EXPECT_LT(damage->position, damage->target_end);
    if (!batch->proven) {
      EXPECT_NE(damage->kind, "zeroed batch header") << "may be a lost sector";
      if (batch->zero_sector) {
        EXPECT_EQ(damage->kind, "truncation") << "may be a torn write";
      }
    }
    ++kinds[damage->kind];
    ++(damage->sealed ? sealed : batch->proven ? active_proven : active_unproven);

    std::string now = ReadFile(damage->path);
    if (damage->kind == "truncation") {
      EXPECT_EQ(now, made.bytes.substr(0, damage->position));
    } else {
      ASSERT_EQ(now.size(), made.bytes.size());
      EXPECT_NE(now, made.bytes);
      EXPECT_EQ(now.substr(0, damage->target_start), made.bytes.substr(0, damage->target_start));
      EXPECT_EQ(now.substr(damage->target_end), made.bytes.substr(damage->target_end));
    }

    // The real recovery refuses it, naming the file and the offset the damage expects.
    Status refused = Recover(dir.path(), false);
    ASSERT_EQ(refused.error(), ErrorCode::kCorruption) << refused.ToString();
    std::string why;
    EXPECT_TRUE(ReportsDamage(refused.detail(), *damage, &why)) << why << ": " << refused.detail();
    // Salvage gets past it, saying what it skipped in that file.
    std::vector<journal::RecoveryNote> notes;
    Status salvaged = Recover(dir.path(), true, &notes);
    ASSERT_TRUE(salvaged.ok()) << salvaged.ToString();
    bool skipped = false;
    for (const journal::RecoveryNote& n : notes) {
      skipped |= n.kind == journal::RecoveryNote::Kind::kSkipped && n.file == damage->path;
    }
    EXPECT_TRUE(skipped);
  }
  EXPECT_GT(sealed, 0);
  EXPECT_GT(active_proven, 0);
  EXPECT_GT(active_unproven, 0);
  for (const char* kind : {"bit flip", "zeroed length word", "zeroed batch header", "truncation"}) {
    EXPECT_GT(kinds[kind], 0) << kind;
  }
}

TEST(JournalDamage, RefusalMustNameTheFileAndTheExpectedOffset) {
  JournalDamage damage;
  damage.path = "/tmp/x/data/journal/0000000002.seg";
  damage.report_begin = 125;
  damage.report_end = 234;
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
                    "offset 234\n",
                    damage, &why));
  EXPECT_FALSE(ReportsDamage("cmqd: cannot start: bad segment\n", damage, &why));
}

}  // namespace
}  // namespace cmq::torture
