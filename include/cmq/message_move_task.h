// MessageMoveTask: a redrive of a dead-letter queue as Queue::startMessageMoveTask and
// Queue::listMessageMoveTasks show it (a cmqd extension, docs/cmq-api.md 13.1).
#pragma once

#include <cstdint>
#include <string>

namespace cmq {

struct MessageMoveTask {
  std::string taskHandle;            // "move-<n>"
  std::string sourceQueueName;       // "" once the queue was deleted
  std::string destinationQueueName;  // likewise
  std::string status;                // "RUNNING", "COMPLETED" or "FAILED"
  std::string failureReason;         // why it FAILED
  int64_t movedMsgNum = 0;           // moved so far
  int64_t toMoveMsgNum = 0;          // receivable messages of the source when it started
  int64_t startedTime = 0;           // Unix seconds
};

}  // namespace cmq
