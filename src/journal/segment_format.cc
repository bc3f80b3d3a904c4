#include "journal/segment_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/strings.h"

namespace cmq::journal::format {
namespace {

constexpr uint64_t kReadBlock = 1 << 20;

void StoreFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

}  // namespace

std::string SegmentFileName(uint32_t segment) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%010u.seg", segment);
  return buf;
}

std::optional<uint32_t> ParseSegmentFileName(std::string_view name) {
  if (name.size() != 14 || name.substr(10) != ".seg") return std::nullopt;
  uint64_t n = 0;
  for (char c : name.substr(0, 10)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (n == 0 || n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(n);
}

std::string EncodeHeader(uint32_t segment) {
  std::string h(kMagic, sizeof(kMagic));
  PutFixed32(&h, kVersion);
  PutFixed32(&h, segment);
  return h;
}

HeaderKind ClassifyHeader(std::string_view bytes, uint32_t expected_segment) {
  if (bytes.find_first_not_of('\0') == std::string_view::npos) return HeaderKind::kUnused;
  if (bytes.size() < kHeaderSize) return HeaderKind::kBad;
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return HeaderKind::kBad;
  if (DecodeFixed32(bytes.data() + 8) != kVersion) return HeaderKind::kBad;
  if (DecodeFixed32(bytes.data() + 12) != expected_segment) return HeaderKind::kBad;
  return HeaderKind::kValid;
}

void EncodeRecordHeader(RecordType type, std::span<const std::string_view> parts, char out[9]) {
  char type_byte = static_cast<char>(type);
  uint32_t crc = Crc32c(std::string_view(&type_byte, 1));
  uint64_t length = 1;
  for (std::string_view p : parts) {
    crc = Crc32c(p, crc);
    length += p.size();
  }
  StoreFixed32(out, static_cast<uint32_t>(length));
  StoreFixed32(out + 4, MaskCrc(crc));
  out[8] = type_byte;
}

SegmentScanner::SegmentScanner(const env::File* file, uint64_t file_size, uint32_t segment)
    : file_(file), file_size_(file_size), segment_(segment) {}

Result<std::string_view> SegmentScanner::View(uint64_t off, uint64_t n) {
  if (off < buffer_offset_ || off + n > buffer_offset_ + buffer_.size()) {
    // Read ahead a block, but never past the end of the file; n itself is bounded by
    // the file size, so a corrupt length cannot make this allocate more than that.
    uint64_t want = std::min(std::max(n, kReadBlock), file_size_ - off);
    CMQ_RETURN_IF_ERROR(file_->PRead(off, want, &buffer_));
    buffer_offset_ = off;
    if (buffer_.size() < n) {
      return Status(ErrorCode::kIoError, "segment " + std::to_string(segment_) +
                                             ": short read at offset " + std::to_string(off) +
                                             " (file shrank?)");
    }
  }
  return std::string_view(buffer_).substr(off - buffer_offset_, n);
}

Result<SegmentScanner::Outcome> SegmentScanner::Next(RecordType* type, std::string_view* payload,
                                                     std::string* problem) {
  if (offset_ >= file_size_ || file_size_ - offset_ < 4) return Outcome::kEnd;
  uint64_t left = file_size_ - offset_;
  auto length_bytes = View(offset_, 4);
  if (!length_bytes.ok()) return length_bytes.status();
  uint32_t length = DecodeFixed32(length_bytes->data());
  if (length == 0) return Outcome::kEnd;
  if (left < 8) {
    *problem = "truncated record header";
    return Outcome::kBad;
  }
  if (length > left - 8) {
    *problem = "record length " + std::to_string(length) + " runs past the end of the file";
    return Outcome::kBad;
  }
  auto record = View(offset_, 8 + uint64_t{length});
  if (!record.ok()) return record.status();
  std::string_view body = record->substr(8);  // type + payload
  uint32_t stored = UnmaskCrc(DecodeFixed32(record->data() + 4));
  if (stored != Crc32c(body)) {
    *problem = "checksum mismatch in record of length " + std::to_string(length);
    return Outcome::kBad;
  }
  if (body[0] == 0) {
    *problem = "record of reserved type 0";
    return Outcome::kBad;
  }
  *type = static_cast<RecordType>(body[0]);
  *payload = body.substr(1);
  offset_ += 8 + uint64_t{length};
  return Outcome::kRecord;
}

}  // namespace cmq::journal::format
