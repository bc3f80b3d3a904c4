// A concurrent set of message sequence numbers, one bit each, grown in 128 KiB chunks
// as higher numbers appear. Many consumer threads mark; the report reads at the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace cmq::bench {

class SeqTracker {
 public:
  // Sequence numbers at or above this are not tracked (Mark returns false).
  static constexpr uint64_t kLimit = uint64_t{1} << 36;

  SeqTracker();
  ~SeqTracker();
  SeqTracker(const SeqTracker&) = delete;
  SeqTracker& operator=(const SeqTracker&) = delete;

  // Marks `seq`; true if it was not marked before. Thread-safe, lock-free.
  bool Mark(uint64_t seq);
  // Whether `seq` is marked. Thread-safe.
  bool Contains(uint64_t seq) const;

 private:
  static constexpr int kChunkBits = 20;  // sequence numbers per chunk: 2^20
  static constexpr size_t kWordsPerChunk = (size_t{1} << kChunkBits) / 64;
  static constexpr size_t kChunks = kLimit >> kChunkBits;
  using Chunk = std::atomic<uint64_t>;
  std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
};

}  // namespace cmq::bench
