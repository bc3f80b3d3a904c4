// The corruption cases of the torture driver: damage a stopped cmqd's journal (format
// 2) where no crash could have, and recognise cmqd's refusal to start on it.
//
// What recovery must report (src/journal/journal.h, "Recovery"), and so what is chosen:
//   * in a sealed segment, any batch: its header or any of its records;
//   * in the active segment, a batch that a later batch shows was synced (a later
//     batch header's synced_through reaches its seq; in sync durability every batch
//     but the last): the same;
//   * in the active segment, any other batch (the last one; in relaxed durability
//     possibly a few before it): only damage that leaves every sector of the batch
//     written, since a sector reading as zeros is what a crash leaves: a truncation
//     inside it, or a bit flip or zeroed length word in one of its records after which
//     no sector of the batch reads as zeros. A zeroed batch header there is never
//     chosen: with nothing after it in its sector it is a lost sector.
// The damage: a flipped bit (in a record or a batch header), a zeroed record length
// word, a zeroed batch header, or the file truncated inside a record.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "common/status.h"

namespace cmq::torture {

struct JournalDamage {
  // "bit flip", "zeroed length word", "zeroed batch header" or "truncation"
  std::string kind;
  std::string path;  // the damaged segment file
  bool sealed = false;
  uint64_t batch_start = 0;  // the damaged batch: [batch_start, batch_end)
  uint64_t batch_end = 0;
  uint64_t target_start = 0;  // the damaged record or batch header
  uint64_t target_end = 0;
  uint64_t position = 0;  // the damaged byte (for a truncation: the new end of file)
  // The offsets a refusal may name: [report_begin, report_end). The damaged record for
  // damage inside one; the batch's start (where the intact data ends) otherwise.
  uint64_t report_begin = 0;
  uint64_t report_end = 0;
  std::string ToString() const;
};

// Damages one batch of the segments in `journal_dir`, chosen with `rng` among those
// above, in a sealed segment or the active one. kNotFound if no segment holds a
// batch that may be damaged.
Result<JournalDamage> DamageJournal(const std::string& journal_dir, std::mt19937_64& rng);

// Whether `output` says "journal corruption in <path> at offset <n>" for this damage:
// the path of the damaged file and an offset in [report_begin, report_end). Otherwise
// false with the reason in `why`.
bool ReportsDamage(const std::string& output, const JournalDamage& damage, std::string* why);

}  // namespace cmq::torture
