#include "broker/waiters.h"

namespace cmq::broker {

uint64_t WaiterTable::Park(uint64_t queue_uid, int max_messages, int64_t deadline_ms, Done done,
                          const ClientAddress& client) {
  uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{queue_uid, max_messages, deadline_ms, std::move(done), client});
  Line& line = lines_[queue_uid];
  line.ids.push_back(id);
  ++line.live;
  by_deadline_.emplace(deadline_ms, id);
  return id;
}

void WaiterTable::Unlink(uint64_t id, const Waiter& w) {
  by_deadline_.erase({w.deadline_ms, id});
  auto it = lines_.find(w.queue_uid);
  if (it == lines_.end()) return;
  Line& line = it->second;
  --line.live;
  if (line.live == 0) {
    lines_.erase(it);
  } else if (line.ids.size() > 2 * line.live + 16) {
    std::erase_if(line.ids, [this](uint64_t i) { return !waiters_.contains(i); });
  }
}

std::optional<WaiterTable::Waiter> WaiterTable::Remove(uint64_t id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return std::nullopt;
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  Unlink(id, w);
  return w;
}

std::optional<WaiterTable::Waiter> WaiterTable::PopFront(uint64_t queue_uid) {
  auto it = lines_.find(queue_uid);
  while (it != lines_.end() && !it->second.ids.empty()) {
    uint64_t id = it->second.ids.front();
    it->second.ids.pop_front();
    if (auto w = Remove(id)) return w;  // may erase the line
    it = lines_.find(queue_uid);
  }
  return std::nullopt;
}

bool WaiterTable::HasWaiters(uint64_t queue_uid) const { return lines_.contains(queue_uid); }

std::vector<WaiterTable::Waiter> WaiterTable::PopExpired(int64_t now_ms) {
  std::vector<Waiter> out;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now_ms) {
    if (auto w = Remove(by_deadline_.begin()->second)) {
      out.push_back(std::move(*w));
    } else {
      by_deadline_.erase(by_deadline_.begin());
    }
  }
  return out;
}

std::vector<WaiterTable::Waiter> WaiterTable::RemoveQueue(uint64_t queue_uid) {
  std::vector<Waiter> out;
  while (auto w = PopFront(queue_uid)) out.push_back(std::move(*w));
  return out;
}

int64_t WaiterTable::NextDeadline() const {
  return by_deadline_.empty() ? INT64_MAX : by_deadline_.begin()->first;
}

size_t WaiterTable::MemoryBytes() const {
  return waiters_.size() * (sizeof(Waiter) + 64) + by_deadline_.size() * 48 + lines_.size() * 96;
}

}  // namespace cmq::broker
