// MessageTable: one queue's messages indexed by queue position.
//
// Positions are assigned in enqueue order, so the table is a deque of fixed-size
// chunks; a chunk is freed as soon as it holds no live message, so a few long-lived
// messages do not pin the memory of everything sent after them. The entry is small and
// fixed (no body: the body stays in the journal at `body`).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "journal/record_log.h"

namespace cmq::broker {

enum class MessageState : uint8_t { kGone = 0, kDelayed, kActive, kInactive, kRewindable };

struct MessageEntry {
  uint64_t msg_id = 0;
  journal::Location body = 0;
  int64_t enqueue_ms = 0;
  int64_t deadline_ms = 0;       // Delayed: end of delay; Inactive: nextVisibleTime
  int64_t first_dequeue_ms = 0;  // 0 until first received
  uint32_t body_len = 0;
  uint32_t dequeue_count = 0;
  uint32_t generation = 0;  // receive generation, names the latest receipt handle
  MessageState state = MessageState::kGone;
  // LSN of the record that put the message where it is (send, publish, dead-letter
  // move, rewind), 0 for records replayed at start-up: a receive returning the
  // message is answered once the log is durable up to here.
  uint64_t lsn = 0;
};

class MessageTable {
 public:
  static constexpr uint64_t kChunkSize = 64;

  // The live entry at `pos`, or null.
  MessageEntry* Find(uint64_t pos);
  const MessageEntry* Find(uint64_t pos) const;
  // Stores `e` (state != kGone) at `pos`, overwriting whatever was there.
  MessageEntry* Insert(uint64_t pos, const MessageEntry& e);
  // Forgets the entry at `pos` (no-op if none).
  void Erase(uint64_t pos);
  // The smallest live position >= `pos`.
  std::optional<uint64_t> NextLive(uint64_t pos) const;
  uint64_t size() const { return live_; }
  size_t MemoryBytes() const;
  void Clear();

 private:
  struct Chunk {
    std::array<MessageEntry, kChunkSize> entries;
    uint32_t live = 0;
  };
  void TrimEnds();

  std::deque<std::unique_ptr<Chunk>> chunks_;
  uint64_t base_chunk_ = 0;  // chunk number of chunks_[0]
  uint64_t live_ = 0;
  size_t allocated_chunks_ = 0;
};

}  // namespace cmq::broker
