#include "journal/segment_cursor.h"

#include <optional>
#include <string>
#include <utility>

#include "journal/segment_format.h"

namespace cmq::journal {
namespace {

using format::SegmentScanner;

class SegmentCursor : public RecordCursor {
 public:
  explicit SegmentCursor(std::vector<CursorSegment> segments) : segments_(std::move(segments)) {}

  Result<bool> Next(RecordType* type, std::string_view* payload, Location* location) override {
    while (true) {
      if (!scanner_) {
        if (next_ == segments_.size()) return false;
        Result<bool> opened = OpenNext();
        if (!opened.ok()) return opened.status();
        if (!*opened) continue;
      }
      const CursorSegment& seg = segments_[next_ - 1];
      uint64_t at = 0;
      format::Damage damage;
      auto outcome = scanner_->Next(type, payload, &at, &damage);
      if (!outcome.ok()) return outcome.status();
      if (*outcome == SegmentScanner::Outcome::kRecord) {
        *location = MakeLocation(seg.number, static_cast<uint32_t>(at + kRecordOverhead));
        return true;
      }
      // The end of a segment, or a batch that does not check out: in the last segment
      // the one being written; in an earlier one damage recovery let pass.
      if (*outcome == SegmentScanner::Outcome::kBad && next_ < segments_.size()) skipped_ = true;
      last_seq_ = scanner_->last_seq();
      scanner_.reset();
    }
  }

  bool skipped_records() const override { return skipped_; }

 private:
  // Starts the scan of the next segment; false if it holds nothing to scan.
  Result<bool> OpenNext() {
    const CursorSegment& seg = segments_[next_++];
    auto size = seg.file->Size();
    if (!size.ok()) return size.status();
    std::string header;
    CMQ_RETURN_IF_ERROR(seg.file->PRead(0, format::kHeaderSize, &header));
    format::SegmentHeader h;
    if (format::ClassifyHeader(header, seg.number, &h) != format::HeaderKind::kValid) {
      // Not written yet (the current segment before its first batch), or a header
      // recovery rebuilt or skipped.
      if (next_ < segments_.size()) skipped_ = true;
      return false;
    }
    scanner_.emplace(seg.file.get(), *size, h, last_seq_);
    return true;
  }

  std::vector<CursorSegment> segments_;
  size_t next_ = 0;  // the next segment to open
  std::optional<SegmentScanner> scanner_;
  uint64_t last_seq_ = 0;
  bool skipped_ = false;
};

}  // namespace

std::unique_ptr<RecordCursor> NewSegmentCursor(std::vector<CursorSegment> segments) {
  return std::make_unique<SegmentCursor>(std::move(segments));
}

}  // namespace cmq::journal
