// Journal recovery, the reading half: replays the used segments in order and decides,
// for every piece of damage met, whether it is a torn write (cut off, reported as such)
// or corruption (an error naming file and offset; with salvage, skipped and reported).
// The rules are in journal.h, "Recovery". Internal to src/journal; Journal::Recover
// prepares the files and sets itself up from the result.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "env/env.h"
#include "journal/journal.h"
#include "journal/segment_format.h"

namespace cmq::journal::internal {

// One "*.seg" file of the directory, as found.
struct SegmentFileInfo {
  uint32_t number = 0;
  std::string path;
  std::shared_ptr<env::File> file;
  uint64_t size = 0;
  format::HeaderKind kind = format::HeaderKind::kUnused;
  format::SegmentHeader header;  // when kind == kValid
};

struct ReplayResult {
  size_t used = 0;        // files[0, used) are segments, replayed; the rest are spares
  uint64_t end = 0;       // end of the intact data of files[used - 1]
  uint64_t last_seq = 0;  // seq of the last batch replayed (0: none)
  // The seq the next batch gets: last_seq + 1, or the last segment's first_seq.
  uint64_t next_seq = 1;
  uint64_t records = 0;
  uint64_t max_record = 0;      // largest framed record seen
  uint64_t preamble_bytes = 0;  // framed size of the last segment's first record
  bool truncated_tail = false;
  std::vector<RecoveryNote> notes;
};

// `files` sorted by number. Hands every intact record to `fn` in log order. Writes
// nothing unless `salvage`, and then only after every record was replayed: fillers
// over the damaged bytes it skipped and headers it rebuilt, synced, so the next start
// finds a clean log. Cutting the tail of the last segment (at `end`) and zeroing the
// spares is left to the caller.
Result<ReplayResult> ReplaySegments(std::vector<SegmentFileInfo>& files, bool salvage,
                                    const Journal::RecoverFn& fn);

}  // namespace cmq::journal::internal
