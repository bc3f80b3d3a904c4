#include "torture/journal_damage.h"

#include <cstdlib>
#include <vector>

#include "env/env.h"
#include "journal/segment_format.h"

namespace cmq::torture {
namespace {

namespace format = journal::format;

struct Segment {
  std::string path;
  std::vector<std::pair<uint64_t, uint64_t>> records;  // [start, end) of each intact record
};

// The segments in use, oldest first, with their intact records (spares, whose header
// is all zero, are left out).
Result<std::vector<Segment>> UsedSegments(const std::string& dir) {
  env::Env* env = env::PosixEnv();
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<Segment> used;
  for (const std::string& name : *names) {
    std::optional<uint32_t> number = format::ParseSegmentFileName(name);
    if (!number) continue;
    Segment segment{dir + "/" + name, {}};
    auto file = env->Open(segment.path, env::OpenMode::kReadOnly);
    if (!file.ok()) return file.status();
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    std::string header;
    CMQ_RETURN_IF_ERROR((*file)->PRead(0, format::kHeaderSize, &header));
    if (format::ClassifyHeader(header, *number) != format::HeaderKind::kValid) continue;
    format::SegmentScanner scanner(file->get(), *size, *number);
    while (true) {
      uint64_t start = scanner.offset();
      journal::RecordType type;
      std::string_view payload;
      std::string problem;
      auto outcome = scanner.Next(&type, &payload, &problem);
      if (!outcome.ok()) return outcome.status();
      if (*outcome != format::SegmentScanner::Outcome::kRecord) break;
      segment.records.emplace_back(start, scanner.offset());
    }
    used.push_back(std::move(segment));
  }
  return used;
}

}  // namespace

std::string JournalDamage::ToString() const {
  return kind + " in " + (sealed ? "sealed" : "active") + " segment " + path + " at offset " +
         std::to_string(position) + " (record " + std::to_string(record_start) + ".." +
         std::to_string(record_end) + ")";
}

Result<JournalDamage> DamageJournal(const std::string& journal_dir, std::mt19937_64& rng) {
  auto segments = UsedSegments(journal_dir);
  if (!segments.ok()) return segments.status();
  JournalDamage damage;
  // The active segment: any record but its last, which a crash may have torn.
  std::vector<std::pair<uint64_t, uint64_t>> candidates;
  if (!segments->empty()) {
    const Segment& active = segments->back();
    candidates.assign(active.records.begin(),
                      active.records.end() - (active.records.empty() ? 0 : 1));
    damage.path = active.path;
  }
  if (segments->size() > 1 && (candidates.empty() || rng() % 2 == 0)) {
    const Segment& sealed = (*segments)[rng() % (segments->size() - 1)];
    if (!sealed.records.empty()) {
      candidates = sealed.records;
      damage.path = sealed.path;
      damage.sealed = true;
    }
  }
  if (candidates.empty()) {
    return Status(ErrorCode::kNotFound, "no record to damage in " + journal_dir);
  }
  std::tie(damage.record_start, damage.record_end) = candidates[rng() % candidates.size()];
  auto file = env::PosixEnv()->Open(damage.path, env::OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  uint64_t length = damage.record_end - damage.record_start;
  switch (rng() % 3) {
    case 0: {
      damage.kind = "bit flip";
      damage.position = damage.record_start + rng() % length;
      std::string byte;
      CMQ_RETURN_IF_ERROR((*file)->PRead(damage.position, 1, &byte));
      byte[0] = static_cast<char>(byte[0] ^ (1 << (rng() % 8)));
      CMQ_RETURN_IF_ERROR((*file)->PWrite(damage.position, byte));
      break;
    }
    case 1:
      damage.kind = "zeroed length word";
      damage.position = damage.record_start;
      CMQ_RETURN_IF_ERROR((*file)->PWrite(damage.position, std::string(4, '\0')));
      break;
    default:
      damage.kind = "truncation";
      damage.position = damage.record_start + 1 + rng() % (length - 1);
      CMQ_RETURN_IF_ERROR((*file)->Truncate(damage.position));
      break;
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
  if (offset < damage.record_start || offset > damage.record_end) {
    *why = "offset " + std::to_string(offset) + " is outside the damaged record";
    return false;
  }
  return true;
}

}  // namespace cmq::torture
