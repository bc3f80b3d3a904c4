#include "broker/queue.h"

#include <algorithm>
#include <functional>

namespace cmq::broker {
namespace {

// Heaps are rebuilt once stale entries exceed the live ones by this much.
constexpr size_t kHeapSlack = 1024;

bool Undeleted(MessageState s) {
  return s == MessageState::kDelayed || s == MessageState::kActive || s == MessageState::kInactive;
}

int64_t Seconds(int s) { return static_cast<int64_t>(s) * 1000; }

}  // namespace

Queue::Queue(QueueMeta meta, SegmentUsage* usage, MessageTotals* totals)
    : meta_(std::move(meta)), usage_(usage), totals_(totals) {}

Queue::~Queue() {
  for (auto p = table_.NextLive(0); p; p = table_.NextLive(*p + 1)) {
    const MessageEntry* e = table_.Find(*p);
    Count(e->state, -1);
    usage_->Remove(e->body, e->body_len);
  }
}

void Queue::Count(MessageState s, int delta) {
  switch (s) {
    case MessageState::kDelayed:
      delayed_count_ += delta;
      totals_->held += delta;
      break;
    case MessageState::kActive:
      active_count_ += delta;
      totals_->held += delta;
      break;
    case MessageState::kInactive:
      inactive_count_ += delta;
      totals_->held += delta;
      break;
    case MessageState::kRewindable:
      rewindable_count_ += delta;
      totals_->rewindable += delta;
      break;
    case MessageState::kGone:
      break;
  }
}

void Queue::SetState(MessageEntry* e, MessageState s) {
  Count(e->state, -1);
  Count(s, 1);
  e->state = s;
}

void Queue::PushActive(uint64_t pos) {
  ready_.push_back(pos);
  std::push_heap(ready_.begin(), ready_.end(), std::greater<>());
  CompactReady();
}

void Queue::PushTimer(uint64_t pos, const MessageEntry& e) {
  timers_.push_back(Timer{e.deadline_ms, pos, e.generation});
  std::push_heap(timers_.begin(), timers_.end(), std::greater<>());
  CompactTimers();
}

void Queue::PushRewindable(uint64_t pos) {
  rewind_.push_back(pos);
  std::push_heap(rewind_.begin(), rewind_.end(), std::greater<>());
  CompactRewind();
}

bool Queue::TimerValid(const Timer& t) const {
  const MessageEntry* e = table_.Find(t.pos);
  if (e == nullptr || t.deadline != e->deadline_ms) return false;
  if (e->state == MessageState::kDelayed) return true;
  return e->state == MessageState::kInactive && t.generation == e->generation;
}

namespace {

// Drops positions whose message is no longer in state `s`; sorting leaves a valid
// min-heap and makes duplicates adjacent.
template <typename Table>
void KeepPositionsIn(const Table& table, std::vector<uint64_t>* heap, MessageState s) {
  std::erase_if(*heap, [&](uint64_t p) {
    const MessageEntry* e = table.Find(p);
    return e == nullptr || e->state != s;
  });
  std::sort(heap->begin(), heap->end());
  heap->erase(std::unique(heap->begin(), heap->end()), heap->end());
}

}  // namespace

void Queue::CompactReady() {
  if (ready_.size() > 2 * static_cast<size_t>(active_count_) + kHeapSlack) {
    KeepPositionsIn(table_, &ready_, MessageState::kActive);
  }
}

void Queue::CompactRewind() {
  if (rewind_.size() > 2 * static_cast<size_t>(rewindable_count_) + kHeapSlack) {
    KeepPositionsIn(table_, &rewind_, MessageState::kRewindable);
  }
}

void Queue::CompactTimers() {
  if (timers_.size() > 2 * static_cast<size_t>(delayed_count_ + inactive_count_) + kHeapSlack) {
    std::erase_if(timers_, [this](const Timer& t) { return !TimerValid(t); });
    std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
  }
}

void Queue::AddMessage(uint64_t pos, const MessageEntry& e) {
  if (e.state == MessageState::kGone) return;
  RemoveMessage(pos);
  MessageEntry* stored = table_.Insert(pos, e);
  Count(e.state, 1);
  usage_->Add(e.body, e.body_len);
  meta_.next_pos = std::max(meta_.next_pos, pos + 1);
  if (Undeleted(e.state)) undeleted_hint_ = std::min(undeleted_hint_, pos);
  switch (e.state) {
    case MessageState::kActive:
      PushActive(pos);
      break;
    case MessageState::kDelayed:
    case MessageState::kInactive:
      PushTimer(pos, *stored);
      break;
    case MessageState::kRewindable:
      PushRewindable(pos);
      break;
    case MessageState::kGone:
      break;
  }
}

void Queue::RemoveMessage(uint64_t pos) {
  MessageEntry* e = table_.Find(pos);
  if (e == nullptr) return;
  Count(e->state, -1);
  usage_->Remove(e->body, e->body_len);
  table_.Erase(pos);
}

void Queue::ExpireTo(int64_t t) {
  const int64_t retention_ms = Seconds(meta_.attributes.msg_retention_seconds);
  // Enqueue times grow with positions, so the expired messages form a prefix.
  for (auto p = table_.NextLive(0); p; p = table_.NextLive(*p)) {
    const MessageEntry* e = table_.Find(*p);
    if (e->enqueue_ms + retention_ms > t) break;
    if (Undeleted(e->state)) ++traffic.expired;
    RemoveMessage(*p);
  }
  if (rewindable_count_ == 0) return;
  const int64_t keep_ms =
      Seconds(std::min(meta_.attributes.rewind_seconds, meta_.attributes.msg_retention_seconds));
  while (!rewind_.empty()) {
    uint64_t pos = rewind_.front();
    const MessageEntry* e = table_.Find(pos);
    if (e != nullptr && e->state == MessageState::kRewindable && e->enqueue_ms + keep_ms > t) {
      break;
    }
    std::pop_heap(rewind_.begin(), rewind_.end(), std::greater<>());
    rewind_.pop_back();
    if (e != nullptr && e->state == MessageState::kRewindable) RemoveMessage(pos);
  }
}

void Queue::MarkReceived(uint64_t pos, int64_t t, int64_t visible_until) {
  MessageEntry* e = table_.Find(pos);
  if (e == nullptr || !Undeleted(e->state)) return;
  SetState(e, MessageState::kInactive);
  ++e->dequeue_count;
  if (e->first_dequeue_ms == 0) e->first_dequeue_ms = t;
  ++e->generation;
  e->deadline_ms = visible_until;
  PushTimer(pos, *e);
}

void Queue::MarkDeleted(uint64_t pos, int64_t t) {
  MessageEntry* e = table_.Find(pos);
  if (e == nullptr || !Undeleted(e->state)) return;
  const QueueAttributes& a = meta_.attributes;
  const int64_t keep_ms = Seconds(std::min(a.rewind_seconds, a.msg_retention_seconds));
  if (a.rewind_seconds > 0 && e->enqueue_ms + keep_ms > t) {
    SetState(e, MessageState::kRewindable);
    PushRewindable(pos);
  } else {
    RemoveMessage(pos);
  }
}

int64_t Queue::DeleteAll(int64_t t) {
  int64_t deleted = 0;
  for (auto p = table_.NextLive(undeleted_hint_); p; p = table_.NextLive(*p + 1)) {
    if (!Undeleted(table_.Find(*p)->state)) continue;
    MarkDeleted(*p, t);
    ++deleted;
  }
  return deleted;
}

void Queue::Restore(int64_t start_ms, uint64_t lsn) {
  for (uint64_t pos : rewind_) {
    MessageEntry* e = table_.Find(pos);
    if (e == nullptr || e->state != MessageState::kRewindable || e->enqueue_ms < start_ms) continue;
    e->lsn = lsn;
    SetState(e, MessageState::kActive);
    PushActive(pos);
    undeleted_hint_ = std::min(undeleted_hint_, pos);
  }
  KeepPositionsIn(table_, &rewind_, MessageState::kRewindable);
}

void Queue::DiscardRewindable() {
  for (uint64_t pos : rewind_) {
    const MessageEntry* e = table_.Find(pos);
    if (e != nullptr && e->state == MessageState::kRewindable) RemoveMessage(pos);
  }
  rewind_.clear();
}

void Queue::SetAttributes(const QueueAttributes& attributes, int64_t t) {
  meta_.attributes = attributes;
  meta_.modify_ms = t;
  if (attributes.rewind_seconds <= 0) DiscardRewindable();
  ExpireTo(t);
}

void Queue::MoveBody(uint64_t pos, journal::Location body) {
  MessageEntry* e = table_.Find(pos);
  if (e == nullptr) return;
  usage_->Remove(e->body, e->body_len);
  e->body = body;
  usage_->Add(e->body, e->body_len);
}

void Queue::ProcessDue(int64_t now, const DeadLetterRule& rule, std::vector<uint64_t>* moves) {
  while (!timers_.empty() && timers_.front().deadline <= now) {
    Timer t = timers_.front();
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
    if (!TimerValid(t)) continue;
    MessageEntry* e = table_.Find(t.pos);
    if (e->state == MessageState::kInactive && rule.enabled &&
        ((rule.policy == 0 && e->dequeue_count >= rule.max_receive_count) ||
         (rule.policy == 1 && e->enqueue_ms + rule.ttl_ms <= now))) {
      moves->push_back(t.pos);
      continue;
    }
    SetState(e, MessageState::kActive);
    PushActive(t.pos);
  }
  if (!rule.enabled || rule.policy != 1) return;
  // Policy 1 also claims Active messages; the oldest sits on top of the ready heap.
  while (!ready_.empty()) {
    uint64_t pos = ready_.front();
    const MessageEntry* e = table_.Find(pos);
    bool valid = e != nullptr && e->state == MessageState::kActive;
    if (valid && e->enqueue_ms + rule.ttl_ms > now) break;
    std::pop_heap(ready_.begin(), ready_.end(), std::greater<>());
    ready_.pop_back();
    if (valid && (moves->empty() || moves->back() != pos)) moves->push_back(pos);
  }
}

void Queue::Activate(uint64_t pos) {
  MessageEntry* e = table_.Find(pos);
  if (e == nullptr || !Undeleted(e->state)) return;
  SetState(e, MessageState::kActive);
  PushActive(pos);
}

std::vector<uint64_t> Queue::TakeActive(int n) {
  std::vector<uint64_t> out;
  while (static_cast<int>(out.size()) < n && !ready_.empty()) {
    uint64_t pos = ready_.front();
    std::pop_heap(ready_.begin(), ready_.end(), std::greater<>());
    ready_.pop_back();
    const MessageEntry* e = table_.Find(pos);
    if (e == nullptr || e->state != MessageState::kActive) continue;
    if (!out.empty() && out.back() == pos) continue;  // duplicate left by replay
    out.push_back(pos);
  }
  return out;
}

void Queue::ReturnActive(const std::vector<uint64_t>& positions) {
  for (uint64_t pos : positions) PushActive(pos);
}

int64_t Queue::NextDeadline(const DeadLetterRule& rule) {
  CompactReady();
  CompactRewind();
  CompactTimers();
  int64_t best = INT64_MAX;
  while (!timers_.empty() && !TimerValid(timers_.front())) {
    std::pop_heap(timers_.begin(), timers_.end(), std::greater<>());
    timers_.pop_back();
  }
  if (!timers_.empty()) best = std::min(best, timers_.front().deadline);
  const QueueAttributes& a = meta_.attributes;
  if (auto p = table_.NextLive(0)) {
    best = std::min(best, table_.Find(*p)->enqueue_ms + Seconds(a.msg_retention_seconds));
  }
  auto top_in = [this](std::vector<uint64_t>* heap, MessageState s) -> const MessageEntry* {
    while (!heap->empty()) {
      const MessageEntry* e = table_.Find(heap->front());
      if (e != nullptr && e->state == s) return e;
      std::pop_heap(heap->begin(), heap->end(), std::greater<>());
      heap->pop_back();
    }
    return nullptr;
  };
  if (const MessageEntry* e = top_in(&rewind_, MessageState::kRewindable)) {
    best = std::min(best,
                    e->enqueue_ms + Seconds(std::min(a.rewind_seconds, a.msg_retention_seconds)));
  }
  if (rule.enabled && rule.policy == 1) {
    if (const MessageEntry* e = top_in(&ready_, MessageState::kActive)) {
      best = std::min(best, e->enqueue_ms + rule.ttl_ms);
    }
  }
  return best;
}

void Queue::RebuildIndexes() {
  ready_.clear();
  timers_.clear();
  rewind_.clear();
  for (auto p = table_.NextLive(0); p; p = table_.NextLive(*p + 1)) {
    const MessageEntry* e = table_.Find(*p);
    switch (e->state) {
      case MessageState::kActive:
        ready_.push_back(*p);
        break;
      case MessageState::kDelayed:
      case MessageState::kInactive:
        timers_.push_back(Timer{e->deadline_ms, *p, e->generation});
        break;
      case MessageState::kRewindable:
        rewind_.push_back(*p);
        break;
      case MessageState::kGone:
        break;
    }
  }
  // Positions were visited in ascending order: already min-heaps.
  std::make_heap(timers_.begin(), timers_.end(), std::greater<>());
  undeleted_hint_ = 0;
}

QueueCounters Queue::Counters() const {
  QueueCounters c;
  c.active = active_count_;
  c.inactive = inactive_count_;
  c.delayed = delayed_count_;
  c.rewindable = rewindable_count_;
  if (held() > 0) {
    for (int pass = 0; pass < 2 && c.min_msg_time == 0; ++pass) {
      for (auto p = table_.NextLive(undeleted_hint_); p; p = table_.NextLive(*p + 1)) {
        const MessageEntry* e = table_.Find(*p);
        if (Undeleted(e->state)) {
          undeleted_hint_ = *p;
          c.min_msg_time = e->enqueue_ms / 1000;
          break;
        }
      }
      if (c.min_msg_time == 0) undeleted_hint_ = 0;
    }
  }
  return c;
}

size_t Queue::MemoryBytes() const {
  return sizeof(*this) + table_.MemoryBytes() + ready_.capacity() * sizeof(uint64_t) +
         timers_.capacity() * sizeof(Timer) + rewind_.capacity() * sizeof(uint64_t);
}

}  // namespace cmq::broker
