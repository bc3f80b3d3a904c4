#include "torture/journal_damage.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "env/env.h"
#include "journal/segment_format.h"

namespace cmq::torture {
namespace {

namespace format = journal::format;

using Range = std::pair<uint64_t, uint64_t>;  // [begin, end) in a segment file

struct Batch {
  Range bytes;  // header and records
  format::BatchHeader header;
  std::vector<Range> records;
  // A later batch of its segment shows it was synced (always so in a sealed segment).
  bool proven = false;
};

struct Segment {
  std::string path;
  std::vector<Batch> batches;  // the intact ones, in order
};

// The batches of one segment as its scanner returns them, up to the first damage or
// torn write (a power cut may leave one at the end of the active segment).
Status ReadBatches(const env::File* file, uint64_t size, const format::SegmentHeader& header,
                   Segment* segment) {
  format::SegmentScanner scanner(file, size, header, 0);
  while (true) {
    journal::RecordType type;
    std::string_view payload;
    uint64_t at = 0;
    format::Damage damage;
    auto outcome = scanner.Next(&type, &payload, &at, &damage);
    if (!outcome.ok()) return outcome.status();
    if (*outcome != format::SegmentScanner::Outcome::kRecord) return Status::Ok();
    // While the scanner hands out a batch's records, its offset is the batch's start.
    uint64_t start = scanner.offset();
    std::vector<Batch>& batches = segment->batches;
    if (batches.empty() || batches.back().bytes.first != start) {
      Batch& b = batches.emplace_back();
      b.bytes = {start, start};
      std::string bytes;
      CMQ_RETURN_IF_ERROR(file->PRead(start, format::kBatchHeaderSize, &bytes));
      if (!format::DecodeBatchHeader(bytes, &b.header)) {
        return Status(ErrorCode::kInternal, segment->path + ": no batch header at " +
                                                std::to_string(start) + " though its records " +
                                                "checked out");
      }
    }
    Batch& b = batches.back();
    b.bytes.second = at + journal::kRecordOverhead + payload.size();
    b.records.emplace_back(at, b.bytes.second);
  }
}

// The segments in use, oldest first (spares, whose header is all zero, are left out),
// with their batches; the last one is the active segment.
Result<std::vector<Segment>> UsedSegments(const std::string& dir) {
  env::Env* env = env::PosixEnv();
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<std::pair<uint32_t, std::string>> files;
  for (const std::string& name : *names) {
    if (auto number = format::ParseSegmentFileName(name)) files.emplace_back(*number, name);
  }
  std::sort(files.begin(), files.end());
  std::vector<Segment> used;
  for (const auto& [number, name] : files) {
    Segment segment{dir + "/" + name, {}};
    auto file = env->Open(segment.path, env::OpenMode::kReadOnly);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    std::string bytes;
    CMQ_RETURN_IF_ERROR((*file)->PRead(0, format::kHeaderSize, &bytes));
    format::SegmentHeader header;
    if (format::ClassifyHeader(bytes, number, &header) != format::HeaderKind::kValid) continue;
    if (header.version != format::kVersion) {
      return Status(ErrorCode::kNotFound, segment.path + " is a format 1 segment");
    }
    CMQ_RETURN_IF_ERROR(ReadBatches(file->get(), *size, header, &segment));
    for (Batch& b : segment.batches) b.proven = true;
    used.push_back(std::move(segment));
  }
  if (!used.empty()) {
    // In the active segment a batch counts as synced only if a later one says so.
    uint64_t later_synced = 0;
    std::vector<Batch>& batches = used.back().batches;
    for (auto b = batches.rbegin(); b != batches.rend(); ++b) {
      b->proven = later_synced >= b->header.seq;
      later_synced = std::max(later_synced, b->header.synced_through);
    }
  }
  return used;
}

uint64_t Pick(std::mt19937_64& rng, uint64_t n) { return rng() % n; }

// Damages `batch` of the file: a random kind on its header or one of its records (with
// `truncate`, a truncation inside a record). Restores the bytes and returns false if
// the damage leaves a sector of the batch reading as zeros while the batch is not
// proven (recovery may rightly call that a torn write).
Result<bool> TryDamage(env::File* file, const Batch& batch, bool truncate, std::mt19937_64& rng,
                       JournalDamage* damage) {
  bool header = !truncate && Pick(rng, 4) == 0;
  if (header) {
    damage->target_start = batch.bytes.first;
    damage->target_end = batch.bytes.first + format::kBatchHeaderSize;
  } else {
    std::tie(damage->target_start, damage->target_end) =
        batch.records[Pick(rng, batch.records.size())];
  }
  uint64_t length = damage->target_end - damage->target_start;
  // Where recovery names the damage: the record, else the batch (journal.h).
  damage->report_begin = header ? batch.bytes.first : damage->target_start;
  damage->report_end = header ? batch.bytes.first + 1 : damage->target_end;
  std::string bytes;
  uint64_t kind = truncate ? 2 : Pick(rng, header ? (batch.proven ? 2 : 1) : 3);
  if (kind == 0) {
    damage->kind = "bit flip";
    damage->position = damage->target_start + Pick(rng, length);
    CMQ_RETURN_IF_ERROR(file->PRead(damage->position, 1, &bytes));
    std::string flipped = bytes;
    flipped[0] = static_cast<char>(flipped[0] ^ (1 << Pick(rng, 8)));
    CMQ_RETURN_IF_ERROR(file->PWrite(damage->position, flipped));
  } else if (header || kind == 1) {
    damage->kind = header ? "zeroed batch header" : "zeroed length word";
    damage->position = damage->target_start;
    uint64_t n = header ? format::kBatchHeaderSize : 4;
    CMQ_RETURN_IF_ERROR(file->PRead(damage->position, n, &bytes));
    CMQ_RETURN_IF_ERROR(file->PWrite(damage->position, std::string(n, '\0')));
  } else {
    // Recovery names the batch: the data ends at its start.
    damage->kind = "truncation";
    damage->position = damage->target_start + 1 + Pick(rng, length - 1);
    damage->report_begin = batch.bytes.first;
    damage->report_end = batch.bytes.first + 1;
    CMQ_RETURN_IF_ERROR(file->Truncate(damage->position));
    return true;  // a file never ends inside a batch after a crash
  }
  if (batch.proven) return true;
  // The ranges recovery looks at for a torn write: the batch, and from the damaged
  // header or record to the end of what it stands for.
  auto size = file->Size();
  if (!size.ok()) return size.status();
  uint64_t judged_end = header ? damage->target_end : batch.bytes.second;
  for (Range r : {batch.bytes, Range{damage->target_start, judged_end}}) {
    auto torn = format::MayBeTorn(file, *size, r.first, r.second);
    if (!torn.ok()) return torn.status();
    if (*torn) {
      CMQ_RETURN_IF_ERROR(file->PWrite(damage->position, bytes));
      return false;
    }
  }
  return true;
}

}  // namespace

std::string JournalDamage::ToString() const {
  std::string target = target_start == batch_start ? "its header"
                                                   : "record " + std::to_string(target_start) +
                                                         ".." + std::to_string(target_end);
  return kind + " in " + (sealed ? "sealed" : "active") + " segment " + path + " at offset " +
         std::to_string(position) + " (batch " + std::to_string(batch_start) + ".." +
         std::to_string(batch_end) + ", " + target + ")";
}

Result<JournalDamage> DamageJournal(const std::string& journal_dir, std::mt19937_64& rng) {
  auto segments = UsedSegments(journal_dir);
  if (!segments.ok()) return segments.status();
  JournalDamage damage;
  const Segment* chosen = nullptr;
  if (!segments->empty() && !segments->back().batches.empty()) chosen = &segments->back();
  if (segments->size() > 1 && (chosen == nullptr || Pick(rng, 2) == 0)) {
    const Segment& sealed = (*segments)[Pick(rng, segments->size() - 1)];
    if (!sealed.batches.empty()) {
      chosen = &sealed;
      damage.sealed = true;
    }
  }
  if (chosen == nullptr) {
    return Status(ErrorCode::kNotFound, "no batch to damage in " + journal_dir);
  }
  damage.path = chosen->path;
  auto file = env::PosixEnv()->Open(damage.path, env::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  // A batch not proven synced takes only damage that cannot pass for a torn write:
  // a few tries, then a truncation, which never can.
  for (int attempt = 0;; ++attempt) {
    const Batch& batch = chosen->batches[Pick(rng, chosen->batches.size())];
    damage.batch_start = batch.bytes.first;
    damage.batch_end = batch.bytes.second;
    auto done = TryDamage(file->get(), batch, attempt == 16, rng, &damage);
    if (!done.ok()) return done.status();
    if (*done) break;
  }
  CMQ_RETURN_IF_ERROR((*file)->DataSync());
  return damage;
}

bool ReportsDamage(const std::string& output, const JournalDamage& damage, std::string* why) {
  const std::string prefix = "journal corruption in ";
  const std::string at = " at offset ";
  size_t pos = output.find(prefix);
  if (pos == std::string::npos) {
    *why = "no \"" + prefix + "<path>" + at + "<n>\" in the output";
    return false;
  }
  size_t path_begin = pos + prefix.size();
  size_t at_pos = output.find(at, path_begin);
  if (at_pos == std::string::npos) {
    *why = "no offset after \"" + prefix + "\"";
    return false;
  }
  std::string path = output.substr(path_begin, at_pos - path_begin);
  uint64_t offset = std::strtoull(output.c_str() + at_pos + at.size(), nullptr, 10);
  std::string name = damage.path.substr(damage.path.rfind('/'));
  if (path.size() < name.size() ||
      path.compare(path.size() - name.size(), name.size(), name) != 0) {
    *why = "it names " + path + ", not the damaged " + damage.path;
    return false;
  }
  if (offset < damage.report_begin || offset >= damage.report_end) {
    *why = "offset " + std::to_string(offset) + " is outside [" +
           std::to_string(damage.report_begin) + ", " + std::to_string(damage.report_end) + ")";
    return false;
  }
  return true;
}

}  // namespace cmq::torture
