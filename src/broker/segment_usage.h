// SegmentUsage: how many live message bodies (and bytes) each journal segment holds,
// and how far each segment has been written. Drives space reclamation: segments
// older than the first one holding a live body can be dropped, and a sealed segment
// whose live bytes are a small share of it is worth copying forward.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>

#include "journal/record_log.h"

namespace cmq::broker {

class SegmentUsage {
 public:
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
    // Sizes of segments older than every live body no longer matter.
    uint32_t keep_from = journal::SegmentOf(loc);
    if (!live_.empty()) keep_from = std::min(keep_from, live_.begin()->first);
    written_.erase(written_.begin(), written_.lower_bound(keep_from));
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
  // At most a quarter of what was written to the segment is still live. Segments whose
  // size we never saw (written before a restart and not replayed) count by bytes only.
  bool IsSparse(uint32_t segment) const {
    auto it = live_.find(segment);
    if (it == live_.end()) return false;
    auto w = written_.find(segment);
    uint64_t written = w == written_.end() ? 0 : w->second;
    if (written == 0) return it->second.bytes <= (1 << 20);
    return static_cast<uint64_t>(it->second.bytes) * 4 <= written;
  }

 private:
  struct Use {
    int64_t count = 0;
    int64_t bytes = 0;
  };
  std::map<uint32_t, Use> live_;
  std::map<uint32_t, uint64_t> written_;
};

}  // namespace cmq::broker
