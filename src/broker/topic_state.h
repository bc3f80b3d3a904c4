// In-memory state of the topic model: topics, subscriptions, topic messages with their
// pending deliveries, and the due-time index of those deliveries. Changed only by the
// topic apply functions (broker_topic_apply.cc). Internal to the broker library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/topic_records.h"
#include "journal/record_log.h"

namespace cmq::broker {

// One pending (message, subscription) delivery. It ends on success, when its retry
// policy is exhausted, or when the message reaches the topic retention.
struct Delivery {
  uint64_t subscription = 0;  // uid
  int64_t next_ms = 0;        // when the next attempt is due
  uint64_t push_id = 0;       // HTTP: the PushTask handed out (not recorded); 0 if none
  uint32_t attempts = 0;      // attempts made (and failed) so far

  // Failed before and waiting for its next attempt (not in flight): what
  // Subscription::waiting_retry counts.
  bool WaitingRetry() const { return attempts > 0 && push_id == 0; }
};

// A published message that still has pending deliveries. Its body stays in the
// journal (inside the publish record).
struct TopicMessage {
  int64_t publish_ms = 0;
  journal::Location body = 0;
  uint32_t body_len = 0;
  std::shared_ptr<const std::vector<std::string>> tags;  // shared by the batch; null: none
  std::vector<Delivery> deliveries;                      // pending only; never empty

  Delivery* Find(uint64_t subscription) {
    for (auto& d : deliveries) {
      if (d.subscription == subscription) return &d;
    }
    return nullptr;
  }
};

struct Subscription {
  explicit Subscription(SubscriptionMeta m) : meta(std::move(m)) {}
  SubscriptionMeta meta;
  int64_t pending = 0;  // deliveries pending (msgCount)
  // Of those, the ones with Delivery::WaitingRetry(); kept up to date wherever a
  // delivery's attempts or push_id change, or it ends.
  int64_t waiting_retry = 0;
  SubscriptionTraffic traffic;
  // Why the latest failed push attempt failed, and when: from its push-outcome record,
  // so also after a restart, as long as the log holds that record.
  std::string last_push_error;
  int64_t last_push_error_ms = 0;
};

// Publish rate limit of one topic: a token bucket refilled by the clock, in
// thousandths of a request so that integer arithmetic is exact. Not recorded: it only
// decides whether a publish is accepted, never what a record does.
class PublishThrottle {
 public:
  bool TryAcquire(int64_t now_ms, int64_t per_second) {
    if (per_second <= 0) return true;
    const int64_t capacity = per_second * 1000;
    if (tokens_ < 0) {
      tokens_ = capacity;
    } else if (now_ms > last_ms_) {
      // Clamp the gap so the product cannot overflow after a long idle time.
      int64_t gap = std::min<int64_t>(now_ms - last_ms_, 1000);
      tokens_ = std::min(capacity, tokens_ + gap * per_second);
    }
    last_ms_ = std::max(last_ms_, now_ms);
    if (tokens_ < 1000) return false;
    tokens_ -= 1000;
    return true;
  }

 private:
  int64_t tokens_ = -1;  // -1: full, not used yet
  int64_t last_ms_ = 0;
};

struct Topic {
  explicit Topic(TopicMeta m) : meta(std::move(m)) {}
  int64_t retention_ms() const { return static_cast<int64_t>(meta.retention_seconds) * 1000; }

  TopicMeta meta;
  std::map<uint64_t, Subscription*> subscriptions;               // by uid: creation order
  std::unordered_map<std::string, uint64_t> subscription_names;  // lower-cased -> uid
  std::map<uint64_t, TopicMessage> messages;  // by msgId: publish order, so retention
                                              // ends in key order
  int64_t scheduled = INT64_MAX;  // retention end under which the broker has it scheduled
  PublishThrottle throttle;
  TopicTraffic traffic;
};

// Min-heap of (due time, message, subscription). Entries are not removed when a
// delivery changes; the broker checks each against the delivery when it reaches the
// top (lazy invalidation) and rebuilds the heap when stale entries pile up.
class DeliveryHeap {
 public:
  struct Entry {
    int64_t due = 0;
    uint64_t msg_id = 0;
    uint64_t subscription = 0;
    bool operator>(const Entry& o) const {
      if (due != o.due) return due > o.due;
      if (msg_id != o.msg_id) return msg_id > o.msg_id;
      return subscription > o.subscription;
    }
  };
  void Push(const Entry& e) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
  const Entry& Top() const { return heap_.front(); }
  void Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
  }
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  void Clear() { heap_.clear(); }
  size_t MemoryBytes() const { return heap_.capacity() * sizeof(Entry); }

 private:
  std::vector<Entry> heap_;
};

}  // namespace cmq::broker
