#include "broker/message_table.h"

namespace cmq::broker {

MessageEntry* MessageTable::Find(uint64_t pos) {
  return const_cast<MessageEntry*>(static_cast<const MessageTable*>(this)->Find(pos));
}

const MessageEntry* MessageTable::Find(uint64_t pos) const {
  uint64_t c = pos / kChunkSize;
  if (c < base_chunk_ || c - base_chunk_ >= chunks_.size()) return nullptr;
  const Chunk* chunk = chunks_[c - base_chunk_].get();
  if (chunk == nullptr) return nullptr;
  const MessageEntry& e = chunk->entries[pos % kChunkSize];
  return e.state == MessageState::kGone ? nullptr : &e;
}

MessageEntry* MessageTable::Insert(uint64_t pos, const MessageEntry& e) {
  uint64_t c = pos / kChunkSize;
  if (chunks_.empty()) {
    base_chunk_ = c;
    chunks_.emplace_back();
  }
  while (c < base_chunk_) {
    chunks_.emplace_front();
    --base_chunk_;
  }
  while (c - base_chunk_ >= chunks_.size()) chunks_.emplace_back();
  auto& chunk = chunks_[c - base_chunk_];
  if (!chunk) {
    chunk = std::make_unique<Chunk>();
    ++allocated_chunks_;
  }
  MessageEntry& slot = chunk->entries[pos % kChunkSize];
  if (slot.state == MessageState::kGone) {
    ++chunk->live;
    ++live_;
  }
  slot = e;
  return &slot;
}

void MessageTable::Erase(uint64_t pos) {
  uint64_t c = pos / kChunkSize;
  if (c < base_chunk_ || c - base_chunk_ >= chunks_.size()) return;
  auto& chunk = chunks_[c - base_chunk_];
  if (!chunk) return;
  MessageEntry& slot = chunk->entries[pos % kChunkSize];
  if (slot.state == MessageState::kGone) return;
  slot.state = MessageState::kGone;
  --live_;
  if (--chunk->live == 0) {
    chunk.reset();
    --allocated_chunks_;
    TrimEnds();
  }
}

void MessageTable::TrimEnds() {
  while (!chunks_.empty() && !chunks_.front()) {
    chunks_.pop_front();
    ++base_chunk_;
  }
  while (!chunks_.empty() && !chunks_.back()) chunks_.pop_back();
}

std::optional<uint64_t> MessageTable::NextLive(uint64_t pos) const {
  uint64_t c = pos / kChunkSize;
  if (c < base_chunk_) {
    c = base_chunk_;
    pos = c * kChunkSize;
  }
  for (; c - base_chunk_ < chunks_.size(); ++c, pos = c * kChunkSize) {
    const Chunk* chunk = chunks_[c - base_chunk_].get();
    if (chunk == nullptr) continue;
    for (uint64_t i = pos % kChunkSize; i < kChunkSize; ++i) {
      if (chunk->entries[i].state != MessageState::kGone) return c * kChunkSize + i;
    }
  }
  return std::nullopt;
}

size_t MessageTable::MemoryBytes() const {
  return allocated_chunks_ * sizeof(Chunk) + chunks_.size() * sizeof(std::unique_ptr<Chunk>);
}

void MessageTable::Clear() {
  chunks_.clear();
  base_chunk_ = 0;
  live_ = 0;
  allocated_chunks_ = 0;
}

}  // namespace cmq::broker
