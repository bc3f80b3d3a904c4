// SnapshotPolicy: which journal segments start with a snapshot of the broker's
// metadata, and whether the segment about to start should get one.
//
// Reclamation drops segments only up to one that starts with a snapshot: it describes
// everything the dropped records established. Writing one at every roll made the
// bytes written grow with the metadata (with 10,000 queues a snapshot outgrows a
// 1 MiB segment, and every append started a segment, and a snapshot, of its own). So
// a segment gets one only once kSpacing times the last snapshot's size has been
// appended since it: snapshots add at most 1/kSpacing to what is written, and the dead
// segments that wait for the next snapshot before they can go hold at most about that
// many bytes plus a segment.
//
// The log asks for a preamble when it starts a segment but may then fail to start it,
// so an offered snapshot counts only once an append lands in its segment. Replay sees
// the snapshot records themselves; the broker writes them only as preambles, so a
// segment holding one starts with it.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "journal/record_log.h"

namespace cmq::broker {

class SnapshotPolicy {
 public:
  static constexpr uint64_t kSpacing = 4;

  // Whether a segment starting now should start with a snapshot.
  bool Due() const { return last_bytes_ == 0 || since_bytes_ >= kSpacing * last_bytes_; }

  // A snapshot of `bytes` was handed to the log as the preamble of `segment`.
  void Offered(uint32_t segment, uint64_t bytes) { offer_ = {segment, bytes}; }
  // A record of `bytes` was appended at `loc`.
  void Appended(journal::Location loc, uint64_t bytes) {
    if (offer_ && offer_->first == journal::SegmentOf(loc)) Note(offer_->first, offer_->second);
    offer_.reset();
    since_bytes_ += bytes;
  }
  // An append failed: whatever segment it was starting may not exist.
  void AppendFailed() { offer_.reset(); }
  // Replay of a record of `bytes` at `loc`.
  void Replayed(bool snapshot, journal::Location loc, uint64_t bytes) {
    if (snapshot) {
      Note(journal::SegmentOf(loc), bytes);
    } else {
      since_bytes_ += bytes;
    }
  }

  // The last segment at or before `segment` that starts with a snapshot.
  std::optional<uint32_t> LastAtOrBefore(uint32_t segment) const {
    auto it = segments_.upper_bound(segment);
    if (it == segments_.begin()) return std::nullopt;
    return *std::prev(it);
  }
  // Segments below `segment` were dropped.
  void ForgetBefore(uint32_t segment) {
    segments_.erase(segments_.begin(), segments_.lower_bound(segment));
  }

 private:
  void Note(uint32_t segment, uint64_t bytes) {
    segments_.insert(segment);
    last_bytes_ = bytes;
    since_bytes_ = 0;
  }

  std::set<uint32_t> segments_;  // starting with a snapshot
  uint64_t last_bytes_ = 0;      // size of the last snapshot (0: none yet)
  uint64_t since_bytes_ = 0;     // appended after it
  // The snapshot offered as a preamble and not yet seen in its segment: (segment, bytes).
  std::optional<std::pair<uint32_t, uint64_t>> offer_;
};

}  // namespace cmq::broker
