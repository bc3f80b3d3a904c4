// Value types shared by the broker and the layers that call it.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cmq::broker {

// The owner of a SecretId (its appId). Every name is scoped by it.
using AccountId = uint64_t;

// How a broker call that appends records completes: Done<T> gets the call's value or
// its error, Done<> (no value) the Status. See broker.h for when it runs.
template <typename T>
struct DoneFor {
  using type = std::function<void(Result<T>)>;
};
template <>
struct DoneFor<void> {
  using type = std::function<void(const Status&)>;
};
template <typename T = void>
using Done = typename DoneFor<T>::type;

// Limits of the topic model (docs/cmq-api.md 7-9, 11).
struct TopicLimits {
  int max_topics_per_account = 1000;
  int max_subscriptions_per_topic = 100;
  int topic_retention_seconds = 86400;   // messages dropped this long after publish
  int64_t publish_qps_per_topic = 5000;  // publish requests/s per topic (4420); 0 = off
  int backoff_retry_min_seconds = 10;    // BACKOFF_RETRY delay range
  int backoff_retry_max_seconds = 20;
};

// Server-wide limits. Ranges of single parameters are checked by the api layer with
// these numbers; the broker enforces the ones that depend on state.
struct Limits {
  int64_t min_max_msg_heap_num = 1000000;  // lower bound of maxMsgHeapNum (tests lower it)
  int64_t max_max_msg_heap_num = 1000000000;
  int64_t default_max_msg_heap_num = 100000000;
  int max_queues_per_account = 1000;
  int max_dead_letter_sources = 6;         // source queues per DLQ
  int max_delay_seconds = -1;              // -1: msgRetentionSeconds - 1 of the queue
  int max_polling_wait_seconds = 30;       // request values above are clamped
  int64_t max_inflight_per_queue = 0;      // 0: no cap (6070/10690 when set)
  int64_t max_batch_body_bytes = 1 << 20;  // 4470/10300
  TopicLimits topics;
};

struct DeadLetterPolicy {
  std::string queue_name;  // the DLQ, as the user spelled it (lookup is case-insensitive)
  int policy = 0;          // 0: after max_receive_count receives; 1: after max_time_to_live
  int max_receive_count = 0;
  int max_time_to_live = 0;  // seconds from enqueue
};

struct QueueAttributes {
  int64_t max_msg_heap_num = 100000000;
  int polling_wait_seconds = 0;
  int visibility_timeout = 30;
  int max_msg_size = 65536;
  int msg_retention_seconds = 345600;
  int rewind_seconds = 0;
  std::optional<DeadLetterPolicy> dead_letter_policy;
};

// A partial change: members left empty keep their current (or default) value.
struct QueueAttributeUpdate {
  std::optional<int64_t> max_msg_heap_num;
  std::optional<int> polling_wait_seconds;
  std::optional<int> visibility_timeout;
  std::optional<int> max_msg_size;
  std::optional<int> msg_retention_seconds;
  std::optional<int> rewind_seconds;
  std::optional<DeadLetterPolicy> dead_letter_policy;
};

struct QueueCounters {
  int64_t active = 0;        // activeMsgNum
  int64_t inactive = 0;      // inactiveMsgNum
  int64_t delayed = 0;       // delayMsgNum
  int64_t rewindable = 0;    // rewindmsgNum / rewindMsgNum
  int64_t min_msg_time = 0;  // Unix s of the oldest undeleted message, 0 if none
};

// What happened to a queue's messages since recovery ended (the process started, or in
// the distributed mode this life of the partition began): observations for /metrics,
// not state, so never recorded. Messages a topic delivered count as sent.
struct QueueTraffic {
  int64_t sent = 0;
  int64_t received = 0;  // each receive of a message (a redelivery counts again)
  int64_t deleted = 0;
  int64_t dead_lettered = 0;  // moved to the dead-letter queue, or dropped for lack of one
  int64_t expired = 0;        // undeleted messages whose retention ended
};

// One queue as /metrics shows it.
struct QueueFigures {
  AccountId account = 0;
  std::string_view name;
  QueueTraffic traffic;
  QueueCounters counters;  // min_msg_time: Unix s of the oldest undeleted message, 0 if none
};

struct QueueView {
  std::string queue_id;
  std::string name;  // original spelling
  QueueAttributes attributes;
  int64_t create_time = 0;  // Unix s
  int64_t last_modify_time = 0;
  QueueCounters counters;
  QueueTraffic traffic;  // since recovery ended (an observation, see QueueTraffic)
};

struct QueueRef {
  std::string queue_id;
  std::string name;
};

struct QueuePage {
  int64_t total_count = 0;  // matches of the search, not the page size
  std::vector<QueueRef> queues;
};

// The address of the client a receive was made for, as the api saw it (in the
// distributed mode the forwarding node's client). Kept in receive records for message
// trace. `len` 0: not known (records written before it was recorded).
struct ClientAddress {
  std::array<uint8_t, 16> bytes{};  // network byte order
  uint8_t len = 0;                  // 0, 4 (IPv4) or 16 (IPv6)
  uint16_t port = 0;
  bool operator==(const ClientAddress&) const = default;
};

struct ReceivedMessage {
  std::string msg_id;
  std::string receipt_handle;
  std::string body;
  int64_t enqueue_time = 0;        // Unix s
  int64_t first_dequeue_time = 0;  // Unix s
  int64_t next_visible_time = 0;   // Unix s
  int64_t dequeue_count = 0;       // including this receive
};

// A message's state as PeekMessages shows it: a delay or visibility timeout that ended
// shows as kActive even before Tick made it so.
enum class PeekState : uint8_t { kActive, kDelayed, kInactive };

// A message as PeekMessages shows it: no receipt handle, nothing about it changed.
struct PeekedMessage {
  std::string msg_id;
  std::string body;
  PeekState state = PeekState::kActive;
  int64_t enqueue_time = 0;        // Unix s
  int64_t first_dequeue_time = 0;  // Unix s, 0 if never received
  int64_t next_visible_time = 0;   // Unix s: end of the delay or of the visibility timeout
  int64_t dequeue_count = 0;
};

// A message move task (redrive of a dead-letter queue), as ListMessageMoveTasks shows it.
struct MoveTaskView {
  std::string task_handle;         // "move-<n>"
  std::string source_queue;        // names as they are now ("" once deleted)
  std::string destination_queue;
  std::string status;              // RUNNING, COMPLETED or FAILED
  std::string failure_reason;      // FAILED only
  int64_t moved = 0;               // messages moved so far
  int64_t to_move = 0;             // Active messages of the source when it started
  int64_t started_time = 0;        // Unix s
};

struct DeleteOutcome {
  std::string receipt_handle;
  Status status;  // OK or kReceiptHandleInvalid
};

}  // namespace cmq::broker
