// The corruption cases of the torture driver: damage one record of a stopped cmqd's
// journal where no crash could have (a record with intact data after it, or in a
// sealed segment), and recognise cmqd's refusal to start on it.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/status.h"

namespace cmq::torture {

struct JournalDamage {
  std::string kind;  // "bit flip", "zeroed length word" or "truncation"
  std::string path;  // the damaged segment file
  bool sealed = false;
  uint64_t record_start = 0;  // the damaged record: [record_start, record_end)
  uint64_t record_end = 0;
  uint64_t position = 0;  // the damaged byte (for a truncation: the new end of file)
  std::string ToString() const;
};

// Damages a record of the segments in `journal_dir` chosen with `rng`: in a sealed
// segment (any record) or in the active one (a record with another after it), by
// flipping a bit, zeroing its length word or truncating the file inside it.
// kNotFound if no segment holds such a record.
Result<JournalDamage> DamageJournal(const std::string& journal_dir, std::mt19937_64& rng);

// Whether `output` says "journal corruption in <path> at offset <n>" for this damage:
// the path of the damaged file and an offset inside the damaged record. Otherwise
// false with the reason in `why`.
bool ReportsDamage(const std::string& output, const JournalDamage& damage, std::string* why);

}  // namespace cmq::torture
