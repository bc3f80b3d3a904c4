// On-disk format of journal segments (see journal.h for the layout), shared by the
// Journal and its tests. Internal to src/journal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "env/env.h"
#include "journal/record_log.h"

namespace cmq::journal::format {

inline constexpr char kMagic[8] = {'C', 'M', 'Q', 'J', 'R', 'N', 'L', '1'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
// Offsets inside a segment are 32 bits wide (Location), so no segment grows past this.
inline constexpr uint64_t kMaxSegmentBytes = UINT32_MAX;

// "0000000042.seg". Segment numbers start at 1.
std::string SegmentFileName(uint32_t segment);
// The number of a name produced by SegmentFileName; nullopt for anything else.
std::optional<uint32_t> ParseSegmentFileName(std::string_view name);

std::string EncodeHeader(uint32_t segment);

enum class HeaderKind {
  kValid,   // magic, version and number all match
  kUnused,  // all zero (or shorter than a header and all zero): preallocated, never used
  kBad,     // anything else
};
// `bytes` is what the file holds at offset 0 (up to kHeaderSize bytes).
HeaderKind ClassifyHeader(std::string_view bytes, uint32_t expected_segment);

// The 9-byte frame header (length, masked CRC32C, type) of a record whose payload is
// the concatenation of `parts`.
void EncodeRecordHeader(RecordType type, std::span<const std::string_view> parts, char out[9]);

// Reads the records of one segment file in order. Stops at the end of written data (a
// zero length word, or fewer than 4 bytes left) or at the first record that is not
// intact.
class SegmentScanner {
 public:
  SegmentScanner(const env::File* file, uint64_t file_size, uint32_t segment);

  enum class Outcome { kRecord, kEnd, kBad };
  // On kRecord fills the outputs (payload valid until the next call); on kBad
  // `problem` says what is wrong at offset(). A read error is returned as the status.
  Result<Outcome> Next(RecordType* type, std::string_view* payload, std::string* problem);
  // Offset of the next record (after kEnd/kBad: the end of the intact data).
  uint64_t offset() const { return offset_; }

 private:
  // Makes [off, off+n) available in buffer_; n must be <= file_size_ - off.
  Result<std::string_view> View(uint64_t off, uint64_t n);

  const env::File* file_;
  const uint64_t file_size_;
  const uint32_t segment_;
  uint64_t offset_ = kHeaderSize;
  std::string buffer_;
  uint64_t buffer_offset_ = 0;
};

}  // namespace cmq::journal::format
