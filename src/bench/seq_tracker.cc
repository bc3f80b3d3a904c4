#include "bench/seq_tracker.h"

namespace cmq::bench {

SeqTracker::SeqTracker() : chunks_(new std::atomic<Chunk*>[kChunks]) {
  for (size_t i = 0; i < kChunks; ++i) chunks_[i].store(nullptr, std::memory_order_relaxed);
}

SeqTracker::~SeqTracker() {
  for (size_t i = 0; i < kChunks; ++i) delete[] chunks_[i].load(std::memory_order_relaxed);
}

bool SeqTracker::Mark(uint64_t seq) {
  if (seq >= kLimit) return false;
  std::atomic<Chunk*>& slot = chunks_[seq >> kChunkBits];
  Chunk* chunk = slot.load(std::memory_order_acquire);
  if (chunk == nullptr) {
    Chunk* fresh = new Chunk[kWordsPerChunk];
    for (size_t i = 0; i < kWordsPerChunk; ++i) fresh[i].store(0, std::memory_order_relaxed);
    if (slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) {
      chunk = fresh;
    } else {
      delete[] fresh;  // another thread installed one; `chunk` now holds it
    }
  }
  uint64_t offset = seq & ((uint64_t{1} << kChunkBits) - 1);
  uint64_t bit = uint64_t{1} << (offset % 64);
  uint64_t before = chunk[offset / 64].fetch_or(bit, std::memory_order_relaxed);
  return (before & bit) == 0;
}

bool SeqTracker::Contains(uint64_t seq) const {
  if (seq >= kLimit) return false;
  const Chunk* chunk = chunks_[seq >> kChunkBits].load(std::memory_order_acquire);
  if (chunk == nullptr) return false;
  uint64_t offset = seq & ((uint64_t{1} << kChunkBits) - 1);
  return (chunk[offset / 64].load(std::memory_order_relaxed) >> (offset % 64)) & 1;
}

}  // namespace cmq::bench
