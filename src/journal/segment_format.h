// On-disk format of journal segments (see journal.h for the layout and the rules
// recovery applies), shared by the Journal, its tests and the fuzzer. Internal to
// src/journal.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "env/env.h"
#include "journal/record_frame.h"
#include "journal/record_log.h"

namespace cmq::journal::format {

inline constexpr char kMagic[8] = {'C', 'M', 'Q', 'J', 'R', 'N', 'L', '1'};
// Version 1: 16-byte header, records back to back (written by releases before v2).
inline constexpr uint32_t kVersion1 = 1;
inline constexpr size_t kHeaderSizeV1 = 16;
// Version 2: 32-byte header with the previous segment's end, records in batches.
inline constexpr uint32_t kVersion = 2;
inline constexpr size_t kHeaderSize = 32;
inline constexpr size_t kBatchHeaderSize = 28;
// The unit a torn write loses whole: a crash leaves a sector as it was or as written.
inline constexpr uint64_t kSectorSize = 512;
// Offsets inside a segment are 32 bits wide (Location), so no segment grows past this.
inline constexpr uint64_t kMaxSegmentBytes = UINT32_MAX;

// "0000000042.seg". Segment numbers start at 1.
std::string SegmentFileName(uint32_t segment);
// The number of a name produced by SegmentFileName; nullopt for anything else.
std::optional<uint32_t> ParseSegmentFileName(std::string_view name);

struct SegmentHeader {
  uint32_t version = kVersion;
  uint32_t segment = 0;
  // v2 only. The sequence number of the segment's first batch, and where the previous
  // segment's data ended (0: no previous segment, or not known after a salvage).
  uint64_t first_seq = 0;
  uint32_t prev_end = 0;

  uint64_t data_start() const { return version == kVersion1 ? kHeaderSizeV1 : kHeaderSize; }
};

// A version 2 header (kHeaderSize bytes).
std::string EncodeHeader(const SegmentHeader& header);

enum class HeaderKind {
  kValid,   // a version 1 or 2 header of the expected segment, checksum intact
  kUnused,  // all zero (or shorter than a header and all zero): preallocated, never used
  kBad,     // anything else
};
// `bytes` is what the file holds at offset 0 (up to kHeaderSize bytes). Fills `out`
// when kValid.
HeaderKind ClassifyHeader(std::string_view bytes, uint32_t expected_segment, SegmentHeader* out);

// Every group commit (one write of the writer) starts with a batch header:
//   u32 length of the records that follow
//   u32 flags
//   u64 seq             batch sequence number, +1 per batch across the whole log
//   u64 synced_through  highest seq whose data was known durable (fdatasync returned)
//                       when this header was filled in
//   u32 masked CRC32C of the 24 bytes before it (last, so a write cut short inside
//                       the header leaves it zero)
struct BatchHeader {
  uint32_t length = 0;
  uint32_t flags = 0;
  uint64_t seq = 0;
  uint64_t synced_through = 0;
};
// The batch holds no records: salvage wrote it over damaged bytes it skipped. Its seq
// is that of the last batch it stands for (the one before it if none is known).
inline constexpr uint32_t kBatchFiller = 1;

void EncodeBatchHeader(const BatchHeader& header, char out[kBatchHeaderSize]);
// False if the checksum does not match (or fewer than kBatchHeaderSize bytes).
bool DecodeBatchHeader(std::string_view bytes, BatchHeader* header);

// Records are framed as record_frame.h says.
using journal::EncodeRecordHeader;

// Why the scan of a segment stopped early, and what it knows about the damage.
struct Damage {
  uint64_t offset = 0;        // end of the intact data: the damaged batch starts here
  uint64_t region_begin = 0;  // first byte known not to be as written
  uint64_t region_end = 0;    // end of the damaged batch as far as known
  std::string problem;
};

// Reads the records of one segment file in order. Version 2: a batch's records are
// returned only once the whole batch checked out. Version 1: record by record.
class SegmentScanner {
 public:
  // `last_seq`: the seq of the batch before this segment's first (v2), 0 if unknown.
  SegmentScanner(const env::File* file, uint64_t file_size, const SegmentHeader& header,
                 uint64_t last_seq);

  enum class Outcome {
    kRecord,  // the outputs are filled (payload valid until the next call)
    kEnd,     // a zero length word or batch header, or the end of the file
    kBad,     // `damage` says what and where
  };
  // A read error is returned as the status.
  Result<Outcome> Next(RecordType* type, std::string_view* payload, uint64_t* record_offset,
                       Damage* damage);
  // Continue at a batch found past damage (salvage), whose predecessor is `last_seq`.
  void ResumeAt(uint64_t offset, uint64_t last_seq);

  // Offset of the next record or batch (after kEnd/kBad: the end of the intact data).
  uint64_t offset() const { return offset_; }
  uint64_t last_seq() const { return last_seq_; }

 private:
  // Makes [off, off+n) available in buffer_; n must be <= file_size_ - off.
  Result<std::string_view> View(uint64_t off, uint64_t n);
  Result<Outcome> NextV1(RecordType* type, std::string_view* payload, uint64_t* record_offset,
                         Damage* damage);
  // Reads and checks the batch at offset_; fills `records_` on success.
  Result<Outcome> LoadBatch(Damage* damage);

  const env::File* file_;
  const uint64_t file_size_;
  const SegmentHeader header_;
  uint64_t offset_;
  uint64_t last_seq_;
  std::string buffer_;
  uint64_t buffer_offset_ = 0;
  // The checked batch being handed out: record offsets, the next to return, its end.
  std::vector<uint64_t> records_;
  size_t next_record_ = 0;
  uint64_t batch_end_ = 0;
};

// ---- telling a torn write from damage (see journal.h, "Recovery") ----

// The first batch with an intact header at or after `from` whose seq is above
// `after_seq` (a filler's may equal it), searched byte by byte, or nullopt. The search
// stops at `file_size` (pass less than the file's size to bound it).
struct FoundBatch {
  uint64_t offset = 0;
  BatchHeader header;
};
Result<std::optional<FoundBatch>> FindBatch(const env::File* file, uint64_t file_size,
                                            uint64_t from, uint64_t after_seq);

// Whether the bytes [begin, end) of a write can be what a crash left of it: some
// sector of it reads as zeros within the range (never reached the disk). A flipped bit
// or a zeroed word leaves every sector written. False if the file ends before `end`:
// a segment's size is durable before anything is written into it (journal.h), so no
// crash leaves a segment shorter than its data.
Result<bool> MayBeTorn(const env::File* file, uint64_t file_size, uint64_t begin, uint64_t end);

// One past the last non-zero byte in [begin, end), or `begin` if all are zero.
Result<uint64_t> EndOfNonZero(const env::File* file, uint64_t begin, uint64_t end);

}  // namespace cmq::journal::format
