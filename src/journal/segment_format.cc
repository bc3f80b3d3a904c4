#include "journal/segment_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/coding.h"
#include "common/strings.h"

namespace cmq::journal::format {
namespace {

constexpr uint64_t kReadBlock = 1 << 20;

bool AllZero(std::string_view bytes) {
  return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// Reads [off, off+n) (fewer bytes at the end of the file).
Result<std::string> ReadRange(const env::File* file, uint64_t off, uint64_t n) {
  std::string out;
  CMQ_RETURN_IF_ERROR(file->PRead(off, n, &out));
  return out;
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

// magic[8] | u32 version | u32 segment | u64 first_seq | u32 prev_end | u32 masked CRC
std::string EncodeHeader(const SegmentHeader& header) {
  std::string h(kMagic, sizeof(kMagic));
  PutFixed32(&h, kVersion);
  PutFixed32(&h, header.segment);
  PutFixed64(&h, header.first_seq);
  PutFixed32(&h, header.prev_end);
  PutFixed32(&h, MaskCrc(Crc32c(h)));
  return h;
}

HeaderKind ClassifyHeader(std::string_view bytes, uint32_t expected_segment, SegmentHeader* out) {
  bytes = bytes.substr(0, kHeaderSize);
  if (AllZero(bytes)) return HeaderKind::kUnused;
  if (bytes.size() < kHeaderSizeV1) return HeaderKind::kBad;
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return HeaderKind::kBad;
  if (DecodeFixed32(bytes.data() + 12) != expected_segment) return HeaderKind::kBad;
  SegmentHeader h;
  h.version = DecodeFixed32(bytes.data() + 8);
  h.segment = expected_segment;
  if (h.version == kVersion) {
    if (bytes.size() < kHeaderSize) return HeaderKind::kBad;
    if (UnmaskCrc(DecodeFixed32(bytes.data() + 28)) != Crc32c(bytes.substr(0, 28))) {
      return HeaderKind::kBad;
    }
    h.first_seq = DecodeFixed64(bytes.data() + 16);
    h.prev_end = DecodeFixed32(bytes.data() + 24);
  } else if (h.version != kVersion1) {
    return HeaderKind::kBad;
  }
  *out = h;
  return HeaderKind::kValid;
}

void EncodeBatchHeader(const BatchHeader& header, char out[kBatchHeaderSize]) {
  StoreFixed32(out, header.length);
  StoreFixed32(out + 4, header.flags);
  StoreFixed64(out + 8, header.seq);
  StoreFixed64(out + 16, header.synced_through);
  StoreFixed32(out + 24, MaskCrc(Crc32c(std::string_view(out, 24))));
}

bool DecodeBatchHeader(std::string_view bytes, BatchHeader* header) {
  if (bytes.size() < kBatchHeaderSize) return false;
  if (UnmaskCrc(DecodeFixed32(bytes.data() + 24)) != Crc32c(bytes.substr(0, 24))) return false;
  header->length = DecodeFixed32(bytes.data());
  header->flags = DecodeFixed32(bytes.data() + 4);
  header->seq = DecodeFixed64(bytes.data() + 8);
  header->synced_through = DecodeFixed64(bytes.data() + 16);
  return true;
}

// ================================================================== scanner

SegmentScanner::SegmentScanner(const env::File* file, uint64_t file_size,
                               const SegmentHeader& header, uint64_t last_seq)
    : file_(file),
      file_size_(file_size),
      header_(header),
      offset_(header.data_start()),
      last_seq_(header.version == kVersion && header.first_seq > 0 ? header.first_seq - 1
                                                                   : last_seq) {}

Result<std::string_view> SegmentScanner::View(uint64_t off, uint64_t n) {
  if (off < buffer_offset_ || off + n > buffer_offset_ + buffer_.size()) {
    // Read ahead a block, but never past the end of the file; n itself is bounded by
    // the file size, so a corrupt length cannot make this allocate more than that.
    uint64_t want = std::min(std::max(n, kReadBlock), file_size_ - off);
    CMQ_RETURN_IF_ERROR(file_->PRead(off, want, &buffer_));
    buffer_offset_ = off;
    if (buffer_.size() < n) {
      return Status(ErrorCode::kIoError, "segment " + std::to_string(header_.segment) +
                                             ": short read at offset " + std::to_string(off) +
                                             " (file shrank?)");
    }
  }
  return std::string_view(buffer_).substr(off - buffer_offset_, n);
}

void SegmentScanner::ResumeAt(uint64_t offset, uint64_t last_seq) {
  offset_ = offset;
  last_seq_ = last_seq;
  records_.clear();
  next_record_ = 0;
}

Result<SegmentScanner::Outcome> SegmentScanner::Next(RecordType* type, std::string_view* payload,
                                                     uint64_t* record_offset, Damage* damage) {
  if (header_.version == kVersion1) return NextV1(type, payload, record_offset, damage);
  while (next_record_ == records_.size()) {
    if (!records_.empty()) {
      offset_ = batch_end_;
      records_.clear();
      next_record_ = 0;
    }
    auto loaded = LoadBatch(damage);
    if (!loaded.ok() || *loaded != Outcome::kRecord) return loaded;
  }
  uint64_t at = records_[next_record_++];
  auto frame = View(at, 9);
  if (!frame.ok()) return frame.status();
  uint32_t length = DecodeFixed32(frame->data());
  auto body = View(at + 8, length);  // checked by LoadBatch
  if (!body.ok()) return body.status();
  *type = static_cast<RecordType>((*body)[0]);
  *payload = body->substr(1);
  *record_offset = at;
  return Outcome::kRecord;
}

Result<SegmentScanner::Outcome> SegmentScanner::LoadBatch(Damage* damage) {
  while (true) {
    if (offset_ >= file_size_) return Outcome::kEnd;
    uint64_t left = file_size_ - offset_;
    auto head = View(offset_, std::min<uint64_t>(left, kBatchHeaderSize));
    if (!head.ok()) return head.status();
    if (AllZero(*head)) return Outcome::kEnd;
    auto bad = [&](uint64_t begin, uint64_t end, std::string problem) {
      *damage = Damage{offset_, begin, end, std::move(problem)};
      return Outcome::kBad;
    };
    BatchHeader h;
    if (!DecodeBatchHeader(*head, &h)) {
      return bad(offset_, offset_ + kBatchHeaderSize, "batch header checksum mismatch");
    }
    uint64_t end = offset_ + kBatchHeaderSize + h.length;
    if ((h.flags & kBatchFiller) != 0) {
      if (h.seq < last_seq_ || h.length > left - kBatchHeaderSize) {
        return bad(offset_, end, "filler batch out of place");
      }
      last_seq_ = h.seq;
      offset_ = end;  // bytes a salvage gave up on
      continue;
    }
    if (h.flags != 0)
      return bad(offset_, end, "batch with unknown flags " + std::to_string(h.flags));
    if (last_seq_ != 0 && h.seq != last_seq_ + 1) {
      return bad(offset_, end,
                 "batch " + std::to_string(h.seq) + " where batch " +
                     std::to_string(last_seq_ + 1) + " belongs");
    }
    if (h.length > left - kBatchHeaderSize) {
      return bad(offset_, end,
                 "batch of " + std::to_string(h.length) + " bytes runs past the end of the file");
    }
    auto batch = View(offset_ + kBatchHeaderSize, h.length);
    if (!batch.ok()) return batch.status();
    records_.clear();
    next_record_ = 0;
    uint64_t pos = 0;
    while (pos < h.length) {
      uint64_t at = offset_ + kBatchHeaderSize + pos;
      RecordType type;
      std::string_view payload;
      size_t size = 0;
      std::string problem = DecodeRecord(batch->substr(pos), &type, &payload, &size);
      if (!problem.empty()) return bad(at, end, std::move(problem));
      records_.push_back(at);
      pos += size;
    }
    last_seq_ = h.seq;
    batch_end_ = end;
    if (records_.empty()) {
      offset_ = end;  // an empty batch: legal, nothing to hand out
      continue;
    }
    return Outcome::kRecord;
  }
}

Result<SegmentScanner::Outcome> SegmentScanner::NextV1(RecordType* type, std::string_view* payload,
                                                       uint64_t* record_offset, Damage* damage) {
  if (offset_ >= file_size_ || file_size_ - offset_ < 4) return Outcome::kEnd;
  uint64_t left = file_size_ - offset_;
  auto length_bytes = View(offset_, 4);
  if (!length_bytes.ok()) return length_bytes.status();
  uint32_t length = DecodeFixed32(length_bytes->data());
  if (length == 0) return Outcome::kEnd;
  auto bad = [&](std::string problem) {
    *damage = Damage{offset_, offset_, file_size_, std::move(problem)};
    return Outcome::kBad;
  };
  if (left < 8) return bad("truncated record header");
  if (length > left - 8) {
    return bad("record length " + std::to_string(length) + " runs past the end of the file");
  }
  auto record = View(offset_, 8 + uint64_t{length});
  if (!record.ok()) return record.status();
  std::string_view body = record->substr(8);  // type + payload
  uint32_t stored = UnmaskCrc(DecodeFixed32(record->data() + 4));
  if (stored != Crc32c(body)) {
    return bad("checksum mismatch in record of length " + std::to_string(length));
  }
  if (body[0] == 0) return bad("record of reserved type 0");
  *type = static_cast<RecordType>(body[0]);
  *payload = body.substr(1);
  *record_offset = offset_;
  offset_ += 8 + uint64_t{length};
  return Outcome::kRecord;
}

// ================================================================== damage

Result<std::optional<FoundBatch>> FindBatch(const env::File* file, uint64_t file_size,
                                            uint64_t from, uint64_t after_seq) {
  // Blocks overlap by a header, so a header across a block boundary is seen whole.
  for (uint64_t block = from; block + kBatchHeaderSize <= file_size;
       block += kReadBlock - kBatchHeaderSize) {
    auto bytes = ReadRange(file, block, std::min(kReadBlock, file_size - block));
    if (!bytes.ok()) return bytes.status();
    std::string_view b = *bytes;
    for (size_t i = 0; i + kBatchHeaderSize <= b.size(); ++i) {
      // A header has a non-zero byte (its seq), so runs of zeros, the common case past
      // the end of the data, are skipped at memchr speed.
      size_t nonzero = b.find_first_not_of('\0', i);
      if (nonzero == std::string_view::npos) break;
      if (nonzero >= i + kBatchHeaderSize) i = nonzero - (kBatchHeaderSize - 1);
      if (i + kBatchHeaderSize > b.size()) break;
      // Cheap filter next: a plausible seq.
      uint64_t seq = DecodeFixed64(b.data() + i + 8);
      if (seq < after_seq || seq - after_seq > (uint64_t{1} << 40)) continue;
      BatchHeader h;
      if (!DecodeBatchHeader(b.substr(i, kBatchHeaderSize), &h)) continue;
      bool filler = (h.flags & kBatchFiller) != 0;
      if (h.seq > after_seq || (filler && h.seq >= after_seq)) {
        return std::optional<FoundBatch>(FoundBatch{block + i, h});
      }
    }
    if (block + b.size() >= file_size || b.size() < kReadBlock) break;
  }
  return std::optional<FoundBatch>();
}

Result<bool> MayBeTorn(const env::File* file, uint64_t file_size, uint64_t begin, uint64_t end) {
  if (end <= begin) return false;
  if (end > file_size) return false;  // cut short, not torn
  for (uint64_t block = begin; block < end; block += kReadBlock) {
    auto bytes = ReadRange(file, block, std::min(kReadBlock, end - block));
    if (!bytes.ok()) return bytes.status();
    std::string_view b = *bytes;
    for (uint64_t at = block; at < block + b.size();) {
      uint64_t sector_end = std::min(block + b.size(), (at / kSectorSize + 1) * kSectorSize);
      if (AllZero(b.substr(at - block, sector_end - at))) return true;
      at = sector_end;
    }
  }
  return false;
}

Result<uint64_t> EndOfNonZero(const env::File* file, uint64_t begin, uint64_t end) {
  uint64_t last = begin;
  for (uint64_t block = begin; block < end; block += kReadBlock) {
    auto bytes = ReadRange(file, block, std::min(kReadBlock, end - block));
    if (!bytes.ok()) return bytes.status();
    size_t nz = bytes->find_last_not_of('\0');
    if (nz != std::string::npos) last = block + nz + 1;
    if (bytes->size() < std::min(kReadBlock, end - block)) break;
  }
  return last;
}

}  // namespace cmq::journal::format
