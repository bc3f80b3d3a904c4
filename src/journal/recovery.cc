#include "journal/recovery.h"

#include <algorithm>
#include <set>

namespace cmq::journal::internal {
namespace {

using format::Damage;
using format::kBatchHeaderSize;
using format::SegmentScanner;

Status Corruption(const std::string& path, uint64_t offset, const std::string& problem) {
  return Status(ErrorCode::kCorruption, "journal corruption in " + path + " at offset " +
                                            std::to_string(offset) + ": " + problem);
}

// What lies after a damaged spot: the valid batches (headers intact) written later.
struct Survey {
  bool found = false;
  uint64_t first_offset = 0;
  format::BatchHeader first;
  uint64_t max_synced_through = 0;
  uint64_t max_synced_offset = 0;
  uint64_t max_synced_seq = 0;
};

// Follows batch to batch where the headers chain up, and searches byte by byte where
// they do not, up to `limit`.
Result<Survey> SurveyLater(const env::File* file, uint64_t limit, uint64_t from,
                           uint64_t after_seq) {
  Survey s;
  uint64_t next = from;
  bool direct = false;  // `next` is where the previous batch found ends
  while (next + kBatchHeaderSize <= limit) {
    std::optional<format::FoundBatch> found;
    if (direct) {
      std::string bytes;
      CMQ_RETURN_IF_ERROR(file->PRead(next, kBatchHeaderSize, &bytes));
      format::BatchHeader h;
      if (format::DecodeBatchHeader(bytes, &h) && h.seq >= after_seq) {
        found = format::FoundBatch{next, h};
      }
    }
    if (!found) {
      auto searched = format::FindBatch(file, limit, next, after_seq);
      if (!searched.ok()) return searched.status();
      if (!*searched) break;
      found = **searched;
    }
    if (!s.found) {
      s.found = true;
      s.first_offset = found->offset;
      s.first = found->header;
    }
    if ((found->header.flags & format::kBatchFiller) == 0 &&
        found->header.synced_through >= s.max_synced_through) {
      s.max_synced_through = found->header.synced_through;
      s.max_synced_offset = found->offset;
      s.max_synced_seq = found->header.seq;
    }
    after_seq = found->header.seq;
    uint64_t end = found->offset + kBatchHeaderSize + found->header.length;
    direct = end < limit;
    next = direct ? end : found->offset + 1;
  }
  return s;
}

// Bytes salvage writes once every record was replayed.
struct Repair {
  size_t file;
  uint64_t offset;
  std::string bytes;
};

class Replayer {
 public:
  Replayer(std::vector<SegmentFileInfo>& files, bool salvage, const Journal::RecoverFn& fn)
      : files_(files), salvage_(salvage), fn_(fn), rebuilt_(files.size(), false) {}

  Result<ReplayResult> Run() {
    CMQ_RETURN_IF_ERROR(Classify());
    for (size_t i = 0; i < r_.used; ++i) CMQ_RETURN_IF_ERROR(ReplayOne(i));
    CMQ_RETURN_IF_ERROR(CheckFirstSpare());
    std::set<size_t> repaired;
    for (const Repair& repair : repairs_) {
      CMQ_RETURN_IF_ERROR(files_[repair.file].file->PWrite(repair.offset, repair.bytes));
      repaired.insert(repair.file);
    }
    for (size_t i : repaired) CMQ_RETURN_IF_ERROR(files_[i].file->DataSync());
    return std::move(r_);
  }

 private:
  using Kind = RecoveryNote::Kind;
  void Note(const SegmentFileInfo& f, uint64_t begin, uint64_t end, Kind kind, std::string what) {
    r_.notes.push_back(RecoveryNote{kind, f.path, begin, std::max(end, begin), std::move(what)});
  }

  // Decides which files are segments. In format 2 a file whose first sector holds data
  // past the header was used, whatever its header says (the header is written in the
  // same sector as the first batch), so a damaged or zeroed header there is corruption.
  Status Classify() {
    int last_valid = -1;
    for (size_t i = 0; i < files_.size(); ++i) {
      if (files_[i].kind == format::HeaderKind::kValid) last_valid = static_cast<int>(i);
    }
    format2_ = last_valid < 0 || files_[last_valid].header.version == format::kVersion;
    size_t used = static_cast<size_t>(last_valid + 1);
    if (format2_) {
      for (size_t i = used; i < files_.size(); ++i) {
        auto shows = ShowsUse(files_[i]);
        if (!shows.ok()) return shows.status();
        if (*shows) used = i + 1;
      }
    }
    for (size_t i = 0; i < used; ++i) {
      SegmentFileInfo& f = files_[i];
      if (i > 0 && f.number != files_[i - 1].number + 1) {
        std::string problem = "segment " + std::to_string(files_[i - 1].number + 1) +
                              " is missing (it belongs before this one)";
        if (!salvage_) return Corruption(f.path, 0, problem);
        Note(f, 0, 0, Kind::kSkipped, problem + "; its records are lost");
        missing_before_.insert(i);
      }
      if (f.kind == format::HeaderKind::kValid) continue;
      std::string problem = "damaged segment header";
      if (f.kind == format::HeaderKind::kUnused) {
        problem = "zeroed segment header (the segment holds data)";
      } else if (f.size < format::kHeaderSize) {
        problem = "segment header cut short (the file has " + std::to_string(f.size) + " bytes)";
      }
      if (!salvage_) return Corruption(f.path, 0, problem);
      Note(f, 0, format::kHeaderSize, Kind::kSkipped, problem + "; rebuilt");
      f.kind = format::HeaderKind::kValid;
      f.header = format::SegmentHeader{format::kVersion, f.number, 0, 0};
      rebuilt_[i] = true;
    }
    r_.used = used;
    return Status::Ok();
  }

  // A file shorter than a header but not all zero is a header cut short: no spare is
  // that small (spares are preallocated, their size durable before any write).
  Result<bool> ShowsUse(const SegmentFileInfo& f) {
    if (f.size < format::kHeaderSize) return f.kind == format::HeaderKind::kBad;
    std::string sector;
    CMQ_RETURN_IF_ERROR(
        f.file->PRead(format::kHeaderSize, format::kSectorSize - format::kHeaderSize, &sector));
    return sector.find_first_not_of('\0') != std::string::npos;
  }

  Status ReplayOne(size_t i) {
    SegmentFileInfo& f = files_[i];
    format::SegmentHeader& h = f.header;
    bool last = i + 1 == r_.used;
    if (rebuilt_[i]) {
      h.first_seq = next_seq_;
      h.prev_end = i > 0 && !missing_before_.count(i) ? static_cast<uint32_t>(prev_end_) : 0;
      repairs_.push_back({i, 0, format::EncodeHeader(h)});
    } else if (h.version == format::kVersion && next_seq_ != 0 && h.first_seq != next_seq_ &&
               !missing_before_.count(i)) {
      std::string problem = "segment starts with batch " + std::to_string(h.first_seq) +
                            " but the one before it ends before batch " + std::to_string(next_seq_);
      if (!salvage_) return Corruption(f.path, 0, problem);
      Note(f, 0, format::kHeaderSize, Kind::kSkipped, problem + "; header rewritten");
      h.first_seq = next_seq_;
      repairs_.push_back({i, 0, format::EncodeHeader(h)});
    }
    // A sealed segment must end exactly where its successor says it did.
    uint64_t recorded_end = 0;
    if (!last && !rebuilt_[i + 1] && !missing_before_.count(i + 1) &&
        files_[i + 1].header.version == format::kVersion) {
      recorded_end = files_[i + 1].header.prev_end;
    }
    uint64_t limit = recorded_end != 0 ? std::min(f.size, recorded_end) : f.size;
    SegmentScanner scanner(f.file.get(), limit, h, next_seq_ == 0 ? 0 : next_seq_ - 1);
    bool first = true;
    uint64_t end = 0;
    while (true) {
      RecordType type;
      std::string_view payload;
      uint64_t at = 0;
      Damage d;
      auto outcome = scanner.Next(&type, &payload, &at, &d);
      if (!outcome.ok()) return outcome.status();
      if (*outcome == SegmentScanner::Outcome::kRecord) {
        uint64_t framed = kRecordOverhead + payload.size();
        r_.max_record = std::max(r_.max_record, framed);
        // The first record of a segment is normally the broker's preamble.
        if (first && last) r_.preamble_bytes = framed;
        first = false;
        ++r_.records;
        CMQ_RETURN_IF_ERROR(
            fn_(type, payload, MakeLocation(f.number, static_cast<uint32_t>(at + 9))));
        continue;
      }
      bool zero_header = false;
      if (*outcome == SegmentScanner::Outcome::kEnd) {
        uint64_t e = scanner.offset();
        end = e;
        if (recorded_end != 0 && e != recorded_end) {
          d = Damage{e, e, recorded_end,
                     (e >= f.size ? "the file ends at " : "the data ends at ") + std::to_string(e) +
                         " but " + files_[i + 1].path + " records its end at " +
                         std::to_string(recorded_end)};
        } else if (last && h.version == format::kVersion) {
          auto nonzero = format::EndOfNonZero(f.file.get(), e, f.size);
          if (!nonzero.ok()) return nonzero.status();
          if (*nonzero == e) break;  // the normal end: nothing after it
          d = Damage{e, e, e + kBatchHeaderSize, "data after a zero batch header"};
          zero_header = true;
        } else {
          break;
        }
      }
      auto resume = OnDamage(i, scanner, d, zero_header, recorded_end, &end);
      if (!resume.ok()) return resume.status();
      if (!*resume) break;
    }
    if (last) r_.end = end;
    prev_end_ = end;
    if (h.version == format::kVersion) {
      next_seq_ = scanner.last_seq() + 1;
      r_.last_seq = scanner.last_seq();
      r_.next_seq = next_seq_;
    }
    return Status::Ok();
  }

  // Damage `d` in files[i]. True: the scanner was moved past it (salvage), go on.
  // False: the segment ends at *end. An error: corruption (or a read error).
  Result<bool> OnDamage(size_t i, SegmentScanner& scanner, const Damage& d, bool zero_header,
                        uint64_t recorded_end, uint64_t* end) {
    SegmentFileInfo& f = files_[i];
    bool last = i + 1 == r_.used;
    *end = d.offset;
    std::string problem = d.problem;
    if (f.header.version == format::kVersion1) {
      // Format 1 cannot tell a torn write from a flipped bit: as before, damage in the
      // last segment is a torn tail, anywhere else corruption.
      if (last) return CutTornTail(f, d.offset, problem);
      if (!salvage_) return Corruption(f.path, d.offset, problem);
      Note(f, d.offset, recorded_end != 0 ? recorded_end : f.size, Kind::kSkipped,
           problem + "; the rest of this format 1 segment is skipped");
      return false;
    }
    if (last) {
      auto verdict = Judge(f, scanner, d, zero_header);
      if (!verdict.ok()) return verdict.status();
      if (verdict->empty()) return CutTornTail(f, d.offset, problem);
      problem = *verdict;
    }
    if (!salvage_) {
      // Name the damaged record itself where it is known.
      if (d.region_begin != d.offset && d.region_begin < d.region_end) {
        return Corruption(f.path, d.region_begin,
                          problem + " (in the batch at offset " + std::to_string(d.offset) + ")");
      }
      return Corruption(f.path, d.offset, problem);
    }

    // Salvage: go on at the next intact batch, writing a filler over what lies between.
    uint64_t limit = recorded_end != 0 ? std::min(f.size, recorded_end) : f.size;
    auto found =
        format::FindBatch(f.file.get(), limit, d.offset + kBatchHeaderSize, scanner.last_seq());
    if (!found.ok()) return found.status();
    if (*found) {
      bool filler = ((*found)->header.flags & format::kBatchFiller) != 0;
      uint64_t seq_before = filler ? scanner.last_seq() : (*found)->header.seq - 1;
      AddFiller(i, d.offset, (*found)->offset, seq_before);
      Note(f, d.offset, (*found)->offset, Kind::kSkipped, problem + "; skipped");
      scanner.ResumeAt((*found)->offset, seq_before);
      return true;
    }
    auto nonzero = format::EndOfNonZero(f.file.get(), d.offset, f.size);
    if (!nonzero.ok()) return nonzero.status();
    if (last) {
      Note(f, d.offset, *nonzero, Kind::kSkipped, problem + "; skipped to the end of the segment");
      return false;  // the caller cuts the segment at `end`
    }
    // A sealed segment: the filler runs to its recorded end (or over what is left).
    uint64_t stop = recorded_end != 0 ? recorded_end : *nonzero;
    Note(f, d.offset, stop, Kind::kSkipped, problem + "; skipped to the end of the segment");
    if (stop - d.offset >= kBatchHeaderSize) {
      uint64_t next_first = files_[i + 1].header.first_seq;
      uint64_t seq = next_first > scanner.last_seq() ? next_first - 1 : scanner.last_seq();
      AddFiller(i, d.offset, stop, seq);
      scanner.ResumeAt(stop, seq);
      *end = stop;
    } else if (recorded_end == 0) {
      repairs_.push_back({i, d.offset, std::string(stop - d.offset, '\0')});
    } else {
      return Corruption(f.path, d.offset, problem + "; too little room to mark it skipped");
    }
    return false;
  }

  // Damage in the last segment: "" if it is a torn write, else the problem to report.
  Result<std::string> Judge(const SegmentFileInfo& f, const SegmentScanner& scanner,
                            const Damage& d, bool zero_header) {
    uint64_t damaged_seq = scanner.last_seq() + 1;
    auto later = SurveyLater(f.file.get(), f.size, d.offset + 1, scanner.last_seq());
    if (!later.ok()) return later.status();
    if (later->max_synced_through >= damaged_seq) {
      return d.problem + "; batch " + std::to_string(later->max_synced_seq) + " at offset " +
             std::to_string(later->max_synced_offset) +
             ", written after it, shows it had been synced";
    }
    if (zero_header) {
      // Bytes after the header in its own sector were written after it: the header did
      // not get lost in a crash, it was zeroed.
      uint64_t sector_end = (d.offset / format::kSectorSize + 1) * format::kSectorSize;
      if (d.offset + kBatchHeaderSize < sector_end && sector_end <= f.size) {
        std::string rest;
        CMQ_RETURN_IF_ERROR(f.file->PRead(d.offset + kBatchHeaderSize,
                                          sector_end - d.offset - kBatchHeaderSize, &rest));
        if (rest.find_first_not_of('\0') != std::string::npos) {
          return std::string("zeroed batch header (its sector was written after it)");
        }
      }
      return std::string();
    }
    if (d.region_end > f.size) {
      return d.problem + " (the file was cut short: no crash shortens a segment, its size is " +
             "durable before anything is written into it)";
    }
    auto torn = format::MayBeTorn(f.file.get(), f.size, d.region_begin, d.region_end);
    if (!torn.ok()) return torn.status();
    if (*torn) return std::string();
    return d.problem + " (not a torn write: every sector of the batch was written)";
  }

  Result<bool> CutTornTail(const SegmentFileInfo& f, uint64_t at, const std::string& problem) {
    auto nonzero = format::EndOfNonZero(f.file.get(), at, f.size);
    if (!nonzero.ok()) return nonzero.status();
    r_.truncated_tail = true;
    Note(f, at, std::max(*nonzero, at + 1), Kind::kTornTail,
         "torn write (" + problem + ") cut off");
    return false;
  }

  void AddFiller(size_t i, uint64_t begin, uint64_t end, uint64_t seq) {
    format::BatchHeader h;
    h.length = static_cast<uint32_t>(end - begin - kBatchHeaderSize);
    h.flags = format::kBatchFiller;
    h.seq = seq;
    char bytes[kBatchHeaderSize];
    format::EncodeBatchHeader(h, bytes);
    repairs_.push_back({i, begin, std::string(bytes, sizeof(bytes))});
  }

  // The spare after the last segment may hold the remains of the first write into it
  // (its header sector lost in a crash). Torn unless a later batch shows it was synced.
  Status CheckFirstSpare() {
    size_t i = r_.used;
    if (!format2_ || i >= files_.size()) return Status::Ok();
    SegmentFileInfo& f = files_[i];
    if (i > 0 && f.number != files_[i - 1].number + 1) return Status::Ok();
    if (f.kind == format::HeaderKind::kBad) {
      Note(f, 0, format::kHeaderSize, Kind::kHarmless,
           "damaged header of a spare that was never used (nothing lost); zeroed");
      return Status::Ok();
    }
    auto nonzero = format::EndOfNonZero(f.file.get(), 0, f.size);
    if (!nonzero.ok()) return nonzero.status();
    if (*nonzero == 0) return Status::Ok();
    auto later = SurveyLater(f.file.get(), f.size, 0, r_.last_seq);
    if (!later.ok()) return later.status();
    if (later->max_synced_through > r_.last_seq) {
      std::string problem = "segment header lost, but batch " +
                            std::to_string(later->max_synced_seq) + " at offset " +
                            std::to_string(later->max_synced_offset) + " shows it was synced";
      if (!salvage_) return Corruption(f.path, 0, problem);
      Note(f, 0, *nonzero, Kind::kSkipped, problem + "; skipped");
      return Status::Ok();
    }
    r_.truncated_tail = true;
    Note(f, 0, *nonzero, Kind::kTornTail, "torn first write into the next segment cut off");
    return Status::Ok();
  }

  std::vector<SegmentFileInfo>& files_;
  const bool salvage_;
  const Journal::RecoverFn& fn_;
  std::vector<bool> rebuilt_;
  std::set<size_t> missing_before_;
  bool format2_ = true;
  uint64_t next_seq_ = 0;  // what the next segment's first batch must be (0: unknown)
  uint64_t prev_end_ = 0;
  ReplayResult r_;
  std::vector<Repair> repairs_;
};

}  // namespace

Result<ReplayResult> ReplaySegments(std::vector<SegmentFileInfo>& files, bool salvage,
                                    const Journal::RecoverFn& fn) {
  return Replayer(files, salvage, fn).Run();
}

}  // namespace cmq::journal::internal
