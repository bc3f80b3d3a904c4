// SegmentUsage: how many live message bodies (and bytes) each journal segment holds,
// and how far each kept segment has been written. Drives space reclamation: segments
// older than the first one holding a live body can be dropped, and the live bodies of
// the oldest segments are worth copying forward when that frees much more than it
// copies.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "journal/record_log.h"

namespace cmq::broker {

class SegmentUsage {
 public:
  // Copying forward is worth it when it frees at least this many times what it copies.
  static constexpr int64_t kCopyGain = 4;

  void Add(journal::Location body, uint32_t len) {
    Use& u = live_[journal::SegmentOf(body)];
    ++u.count;
    u.bytes += len;
  }
  void Remove(journal::Location body, uint32_t len) {
    auto it = live_.find(journal::SegmentOf(body));
    if (it == live_.end()) return;
    --it->second.count;
    it->second.bytes -= len;
    if (it->second.count <= 0) live_.erase(it);
  }
  // Records that a payload of `size` bytes was written at `loc`.
  void NoteWrite(journal::Location loc, uint64_t size) {
    uint64_t& end = written_[journal::SegmentOf(loc)];
    end = std::max(end, journal::OffsetOf(loc) + size);
  }
  // Segments below `segment` were dropped.
  void ForgetBefore(uint32_t segment) {
    written_.erase(written_.begin(), written_.lower_bound(segment));
  }
  // The oldest segment holding a live body.
  std::optional<uint32_t> FirstLive() const {
    if (live_.empty()) return std::nullopt;
    return live_.begin()->first;
  }
  int64_t LiveCount(uint32_t segment) const {
    auto it = live_.find(segment);
    return it == live_.end() ? 0 : it->second.count;
  }
  // Whether, for some segment X in (first, current], copying forward the live bodies
  // of segments [first, X) would free at least kCopyGain times the bytes it copies.
  // Looking past the first segment matters: one dense old segment must not pin every
  // dead segment after it. Keeping to this rule bounds the log at about kCopyGain
  // times its live bytes (plus the segments being written), and copying costs at most
  // 1/kCopyGain of what it frees.
  bool WorthEmptying(uint32_t first, uint32_t current) const {
    int64_t live = 0;
    uint64_t written = 0;
    auto l = live_.lower_bound(first);
    for (auto w = written_.lower_bound(first); w != written_.end() && w->first < current; ++w) {
      written += w->second;
      for (; l != live_.end() && l->first <= w->first; ++l) live += l->second.bytes;
      if (static_cast<uint64_t>(live) * kCopyGain <= written) return true;
    }
    return false;
  }

 private:
  struct Use {
    int64_t count = 0;
    int64_t bytes = 0;
  };
  std::map<uint32_t, Use> live_;
  std::map<uint32_t, uint64_t> written_;  // end of the data of each kept segment
};

}  // namespace cmq::broker
