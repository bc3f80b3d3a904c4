// WaiterTable: parked long-poll receives.
//
// Per queue a first-come-first-served line; server-wide an index by deadline so that
// Tick answers each one exactly at its deadline. Cancelled or answered ids may stay in
// a queue's line and are skipped; a line is compacted when they pile up.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker/types.h"
#include "common/status.h"

namespace cmq::broker {

class WaiterTable {
 public:
  using Done = broker::Done<std::vector<ReceivedMessage>>;
  struct Waiter {
    uint64_t queue_uid = 0;
    int max_messages = 1;
    int64_t deadline_ms = 0;
    Done done;
    ClientAddress client;  // who asked (the receive record names it)
  };

  // Returns the waiter id (never 0).
  uint64_t Park(uint64_t queue_uid, int max_messages, int64_t deadline_ms, Done done,
                const ClientAddress& client);
  // Removes a waiter; nullopt if unknown (answered or cancelled already).
  std::optional<Waiter> Remove(uint64_t id);
  // Removes and returns the first waiter in the queue's line.
  std::optional<Waiter> PopFront(uint64_t queue_uid);
  bool HasWaiters(uint64_t queue_uid) const;
  // Removes and returns every waiter whose deadline is <= now, earliest first.
  std::vector<Waiter> PopExpired(int64_t now_ms);
  // Removes and returns the queue's waiters in line order.
  std::vector<Waiter> RemoveQueue(uint64_t queue_uid);
  int64_t NextDeadline() const;
  size_t size() const { return waiters_.size(); }
  size_t MemoryBytes() const;

 private:
  struct Line {
    std::deque<uint64_t> ids;
    size_t live = 0;
  };
  void Unlink(uint64_t id, const Waiter& w);

  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Waiter> waiters_;
  std::unordered_map<uint64_t, Line> lines_;            // by queue uid
  std::set<std::pair<int64_t, uint64_t>> by_deadline_;  // (deadline, id)
};

}  // namespace cmq::broker
