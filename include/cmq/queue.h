// Queue: the message operations of one queue (docs/cmq-api.md 6).
//
// A Queue is a name and a shared CMQClient: cheap to copy, and safe to use from many
// threads at once (see cmq_client.h). It does not check that the queue exists; a call
// on a missing queue throws CMQServerException 4440.
//
// Errors common to every method:
//   CMQClientException  kInvalidArgument for the argument errors named per method
//                       (thrown before anything is sent); kNetwork, kTimeout,
//                       kProtocol, kHttpStatus, kBadResponse for transport failures.
//   CMQServerException  4440 queue does not exist; 4100 authentication failed;
//                       4000 invalid parameter (see getModuleCode()); 6000 server error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmq/message.h"
#include "cmq/message_move_task.h"
#include "cmq/message_trace.h"
#include "cmq/queue_meta.h"

namespace cmq {

class CMQClient;

class Queue {
 public:
  // Throws CMQClientException(kInvalidArgument) if `queueName` is not a valid name
  // (a letter, then up to 63 letters, digits, '-' or '_') or `client` is null.
  Queue(std::string queueName, std::shared_ptr<CMQClient> client);

  const std::string& getQueueName() const { return name_; }

  // Changes the attributes that hold a value in `meta`; the others stay as they are.
  // Server errors: 4000 value out of range (10350) or rewindSeconds greater than
  // msgRetentionSeconds (10700), dead-letter policy errors (107xx).
  void setQueueAttributes(const QueueMeta& meta) const;
  // Every attribute and counter of the queue.
  QueueMeta getQueueAttributes() const;

  // Sends one message, receivable after `delaySeconds`; returns its msgId.
  // Client errors: empty body, negative delay. Server errors: 4400 body larger than
  // maxMsgSize, 4410 queue full (maxMsgHeapNum), 4000 delay out of range.
  std::string sendMessage(const std::string& msgBody, int delaySeconds = 0) const;
  // Sends 1..16 messages atomically (all or none); returns their msgIds in order.
  // Client errors: batch size outside 1..16, an empty body, negative delay. Server
  // errors as sendMessage, plus 4470 bodies larger than 1 MiB in total.
  std::vector<std::string> batchSendMessage(const std::vector<std::string>& msgBodies,
                                            int delaySeconds = 0) const;

  // Receives one message, waiting up to `pollingWaitSeconds` (0..30; nullopt uses the
  // queue's pollingWaitSeconds attribute) for one to become receivable. The read
  // timeout of the call is readTimeoutMs plus that wait.
  // Throws CMQNoMessageException when none arrived within the wait.
  // Client errors: pollingWaitSeconds outside 0..30.
  Message receiveMessage(std::optional<int> pollingWaitSeconds = std::nullopt) const;
  // Receives 1..numOfMsg messages (whatever is receivable now, or the first to arrive
  // within the wait). Throws CMQNoMessageException when none arrived.
  // Client errors: numOfMsg outside 1..16, pollingWaitSeconds outside 0..30.
  std::vector<Message> batchReceiveMessage(
      int numOfMsg, std::optional<int> pollingWaitSeconds = std::nullopt) const;

  // Deletes a received message. Server errors: 4430 the handle is invalid, expired
  // (the message became visible again) or superseded by a later receive.
  // Client errors: empty handle.
  void deleteMessage(const std::string& receiptHandle) const;
  // Deletes 1..16 received messages, each independently. Throws
  // CMQBatchDeleteException (code 6010 some, 6020 all failed) listing the handles that
  // failed; the others were deleted. Client errors: batch size outside 1..16, an empty
  // handle.
  void batchDeleteMessage(const std::vector<std::string>& receiptHandles) const;

  // Makes deleted messages enqueued at or after `startConsumeTime` (Unix seconds)
  // receivable again. Server errors: 6050 rewind is not enabled on the queue
  // (rewindSeconds is 0); 4000/10680 the time is outside [now - rewindSeconds, now].
  void rewindQueue(int64_t startConsumeTime) const;

  // --- cmqd extensions (not in Tencent's CMQ; docs/cmq-api.md 13.1) ---
  // Shows up to `numOfMsg` (1..32) messages, oldest first, without changing anything:
  // no receive, no receipt handle. `state` "" shows all undeleted messages, else only
  // "active", "delayed" or "inactive" ones. Client errors: numOfMsg outside 1..32.
  // Server errors: 4000/10900 unknown state.
  std::vector<PeekedMessage> peekMessage(int numOfMsg = 16, const std::string& state = "") const;
  // Deletes every message of the queue (delayed, active, inactive), as deleteMessage
  // would; returns how many.
  int64_t purgeQueue() const;
  // Redrive: starts moving the receivable messages of this queue (a dead-letter queue)
  // back to the queue whose dead-letter queue it is, or to `destinationQueueName`.
  // The server moves them in batches; follow it with listMessageMoveTasks. Server
  // errors: 4000/10910 not a dead-letter queue, 10920 several source queues and no
  // destination, 10930 the destination is this queue, 10940 a task already runs.
  MessageMoveTask startMessageMoveTask(const std::string& destinationQueueName = "") const;
  // The move tasks from this queue, newest first.
  std::vector<MessageMoveTask> listMessageMoveTasks() const;
  // What happened to message `msgId` of this queue (a cmqd extension, TraceMessage):
  // sent, each receive and by which client address, deleted, dead-lettered, ... for
  // as long as the server's journal holds it. Server errors: 4440 no such queue;
  // 4000/10950 a msgId the server never gave out; 6000/10960 too many traces running
  // (retry). Client errors: empty msgId.
  MessageTrace traceMessage(const std::string& msgId) const;

 private:
  std::string name_;
  std::shared_ptr<CMQClient> client_;
};

}  // namespace cmq
