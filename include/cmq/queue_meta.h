// Queue attributes (docs/cmq-api.md 6.1).
//
// The settable attributes are std::optional: createQueue and setQueueAttributes send
// only those that hold a value (an empty one means "server default" on create and
// "unchanged" on set), so a fresh QueueMeta never resets anything by accident.
// getQueueAttributes fills every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cmq {

struct QueueMeta {
  // ---- settable ----
  std::optional<int> maxMsgHeapNum;        // messages held at most
  std::optional<int> pollingWaitSeconds;   // default long-poll wait, 0..30
  std::optional<int> visibilityTimeout;    // seconds a received message stays hidden
  std::optional<int> maxMsgSize;           // bytes, 1024..1048576
  std::optional<int> msgRetentionSeconds;  // 60..1296000
  std::optional<int> rewindSeconds;        // 0 (rewind off) .. msgRetentionSeconds
  // JSON text, e.g. {"deadLetterQueue":"q-dlq","policy":0,"maxReceiveCount":5}
  // (spec 6.4). Filled by getQueueAttributes only when the queue has a policy.
  std::optional<std::string> deadLetterPolicy;

  // ---- read-only, filled by getQueueAttributes ----
  int64_t createTime = 0;      // Unix seconds
  int64_t lastModifyTime = 0;  // Unix seconds
  int64_t activeMsgNum = 0;    // receivable now
  int64_t inactiveMsgNum = 0;  // received, not yet deleted, still invisible
  int64_t delayMsgNum = 0;     // still inside their delay
  int64_t rewindMsgNum = 0;    // deleted but kept for rewind
  int64_t minMsgTime = 0;      // enqueue time of the oldest undeleted message, 0 if none
  // cmqd extensions (0 from other servers): messages sent, received (each receive)
  // and deleted since the serving node started serving the queue; they start again
  // from 0 when it restarts. Take rates from two samples.
  int64_t msgSentTotal = 0;
  int64_t msgReceivedTotal = 0;
  int64_t msgDeletedTotal = 0;
};

}  // namespace cmq
