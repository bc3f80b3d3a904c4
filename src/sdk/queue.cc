#include "cmq/queue.h"

#include <utility>

#include "cmq/cmq_client.h"
#include "cmq/exceptions.h"
#include "sdk/client_impl.h"
#include "sdk/message_trace.h"
#include "sdk/request_params.h"
#include "sdk/response_reader.h"
#include "sdk/validate.h"

namespace cmq {
namespace {

// Without an explicit wait the server uses the queue's attribute, at most 30 s.
int64_t LongPollMs(std::optional<int> polling_wait_seconds) {
  return int64_t{1000} * polling_wait_seconds.value_or(sdk::kMaxPollingWaitSeconds);
}

}  // namespace

Queue::Queue(std::string queueName, std::shared_ptr<CMQClient> client)
    : name_(std::move(queueName)), client_(std::move(client)) {
  sdk::CheckName("queue name", name_);
  if (client_ == nullptr) sdk::ThrowInvalidArgument("Queue: client is null");
}

void Queue::setQueueAttributes(const QueueMeta& meta) const {
  ParamList params = {{"queueName", name_}};
  sdk::AppendQueueMeta(meta, &params);
  client_->impl().Call("SetQueueAttributes", std::move(params));
}

QueueMeta Queue::getQueueAttributes() const {
  JsonValue response = client_->impl().Call("GetQueueAttributes", {{"queueName", name_}});
  sdk::ResponseReader r("GetQueueAttributes", response);
  QueueMeta meta;
  auto settable = [&r](const char* key) { return static_cast<int>(r.Int(key)); };
  meta.maxMsgHeapNum = settable("maxMsgHeapNum");
  meta.pollingWaitSeconds = settable("pollingWaitSeconds");
  meta.visibilityTimeout = settable("visibilityTimeout");
  meta.maxMsgSize = settable("maxMsgSize");
  meta.msgRetentionSeconds = settable("msgRetentionSeconds");
  meta.rewindSeconds = static_cast<int>(r.IntOr("rewindSeconds", 0));
  if (r.Has("deadLetterPolicy")) meta.deadLetterPolicy = r.String("deadLetterPolicy");
  meta.createTime = r.IntOr("createTime", 0);
  meta.lastModifyTime = r.IntOr("lastModifyTime", 0);
  meta.activeMsgNum = r.IntOr("activeMsgNum", 0);
  meta.inactiveMsgNum = r.IntOr("inactiveMsgNum", 0);
  meta.delayMsgNum = r.IntOr("delayMsgNum", 0);
  // The docs spell it rewindmsgNum, Java reads rewindMsgNum; servers may send either.
  meta.rewindMsgNum = r.IntOr("rewindmsgNum", r.IntOr("rewindMsgNum", 0));
  meta.minMsgTime = r.IntOr("minMsgTime", 0);
  meta.msgSentTotal = r.IntOr("msgSentTotal", 0);
  meta.msgReceivedTotal = r.IntOr("msgReceivedTotal", 0);
  meta.msgDeletedTotal = r.IntOr("msgDeletedTotal", 0);
  return meta;
}

std::string Queue::sendMessage(const std::string& msgBody, int delaySeconds) const {
  sdk::CheckBody(msgBody);
  sdk::CheckDelay(delaySeconds);
  JsonValue response = client_->impl().Call(
      "SendMessage", {{"queueName", name_},
                      {"msgBody", msgBody},
                      {"delaySeconds", std::to_string(delaySeconds)}});
  return sdk::ResponseReader("SendMessage", response).String("msgId");
}

std::vector<std::string> Queue::batchSendMessage(const std::vector<std::string>& msgBodies,
                                                 int delaySeconds) const {
  sdk::CheckBodies(msgBodies);
  sdk::CheckDelay(delaySeconds);
  ParamList params = {{"queueName", name_}, {"delaySeconds", std::to_string(delaySeconds)}};
  sdk::AppendIndexed("msgBody", msgBodies, &params);
  JsonValue response = client_->impl().Call("BatchSendMessage", std::move(params));
  return sdk::ResponseReader("BatchSendMessage", response).MsgIds(msgBodies.size());
}

Message Queue::receiveMessage(std::optional<int> pollingWaitSeconds) const {
  sdk::CheckPollingWait(pollingWaitSeconds);
  ParamList params = {{"queueName", name_}};
  if (pollingWaitSeconds) {
    params.emplace_back("pollingWaitSeconds", std::to_string(*pollingWaitSeconds));
  }
  JsonValue response = client_->impl().Call("ReceiveMessage", std::move(params),
                                            LongPollMs(pollingWaitSeconds));
  return sdk::ResponseReader("ReceiveMessage", response).ReadMessage();
}

std::vector<Message> Queue::batchReceiveMessage(int numOfMsg,
                                                std::optional<int> pollingWaitSeconds) const {
  sdk::CheckNumOfMsg(numOfMsg, sdk::kMaxBatch);
  sdk::CheckPollingWait(pollingWaitSeconds);
  ParamList params = {{"queueName", name_}, {"numOfMsg", std::to_string(numOfMsg)}};
  if (pollingWaitSeconds) {
    params.emplace_back("pollingWaitSeconds", std::to_string(*pollingWaitSeconds));
  }
  JsonValue response = client_->impl().Call("BatchReceiveMessage", std::move(params),
                                            LongPollMs(pollingWaitSeconds));
  sdk::ResponseReader r("BatchReceiveMessage", response);
  std::vector<Message> messages;
  for (const JsonValue& item : r.Array("msgInfoList")) {
    messages.push_back(r.Element(item).ReadMessage());
  }
  if (messages.empty()) r.Fail("msgInfoList", "is empty on success");
  return messages;
}

void Queue::deleteMessage(const std::string& receiptHandle) const {
  sdk::CheckNonEmpty("receiptHandle", receiptHandle);
  client_->impl().Call("DeleteMessage", {{"queueName", name_}, {"receiptHandle", receiptHandle}});
}

void Queue::batchDeleteMessage(const std::vector<std::string>& receiptHandles) const {
  sdk::CheckBatchSize("receipt handles", receiptHandles.size());
  for (const std::string& handle : receiptHandles) sdk::CheckNonEmpty("receiptHandle", handle);
  ParamList params = {{"queueName", name_}};
  sdk::AppendIndexed("receiptHandle", receiptHandles, &params);
  client::ClientResult<JsonValue> result =
      client_->impl().TryCall("BatchDeleteMessage", std::move(params));
  if (result.ok()) return;
  const client::Error& error = result.error();
  const JsonValue* list = error.is_server() ? error.response.Find("errorList") : nullptr;
  if (list == nullptr || !list->is_array()) ThrowError(error);
  std::vector<CMQBatchDeleteException::Failure> failures;
  sdk::ResponseReader r("BatchDeleteMessage", error.response);
  for (const JsonValue& item : list->items()) {
    sdk::ResponseReader entry = r.Element(item);
    failures.push_back({static_cast<int>(entry.IntOr("code", 0)),
                        entry.Has("message") ? entry.String("message") : std::string(),
                        entry.Has("receiptHandle") ? entry.String("receiptHandle") : std::string()});
  }
  throw CMQBatchDeleteException(error.code, error.message, error.request_id, std::move(failures));
}

void Queue::rewindQueue(int64_t startConsumeTime) const {
  if (startConsumeTime < 0) {
    sdk::ThrowInvalidArgument("startConsumeTime " + std::to_string(startConsumeTime) +
                              " is negative");
  }
  client_->impl().Call("RewindQueue", {{"queueName", name_},
                                       {"startConsumeTime", std::to_string(startConsumeTime)}});
}

std::vector<PeekedMessage> Queue::peekMessage(int numOfMsg, const std::string& state) const {
  sdk::CheckNumOfMsg(numOfMsg, sdk::kMaxPeek);
  ParamList params = {{"queueName", name_}, {"numOfMsg", std::to_string(numOfMsg)}};
  if (!state.empty()) params.emplace_back("state", state);
  JsonValue response = client_->impl().Call("PeekMessage", std::move(params));
  sdk::ResponseReader r("PeekMessage", response);
  std::vector<PeekedMessage> messages;
  for (const JsonValue& item : r.Array("msgInfoList")) {
    sdk::ResponseReader entry = r.Element(item);
    messages.push_back({entry.ReadMessage(/*with_handle=*/false), entry.String("state")});
  }
  return messages;
}

namespace {

MessageMoveTask ReadMoveTask(const sdk::ResponseReader& r) {
  MessageMoveTask t;
  t.taskHandle = r.String("taskHandle");
  t.sourceQueueName = r.String("sourceQueueName");
  t.destinationQueueName = r.String("destinationQueueName");
  t.status = r.String("status");
  t.failureReason = r.String("failureReason");
  t.movedMsgNum = r.Int("movedMsgNum");
  t.toMoveMsgNum = r.Int("toMoveMsgNum");
  t.startedTime = r.Int("startedTime");
  return t;
}

}  // namespace

MessageMoveTask Queue::startMessageMoveTask(const std::string& destinationQueueName) const {
  ParamList params = {{"sourceQueueName", name_}};
  if (!destinationQueueName.empty()) {
    params.emplace_back("destinationQueueName", destinationQueueName);
  }
  JsonValue response = client_->impl().Call("StartMessageMoveTask", std::move(params));
  return ReadMoveTask(sdk::ResponseReader("StartMessageMoveTask", response));
}

std::vector<MessageMoveTask> Queue::listMessageMoveTasks() const {
  JsonValue response = client_->impl().Call("ListMessageMoveTasks", {{"sourceQueueName", name_}});
  sdk::ResponseReader r("ListMessageMoveTasks", response);
  std::vector<MessageMoveTask> tasks;
  for (const JsonValue& item : r.Array("taskList")) tasks.push_back(ReadMoveTask(r.Element(item)));
  return tasks;
}

int64_t Queue::purgeQueue() const {
  JsonValue response = client_->impl().Call("PurgeQueue", {{"queueName", name_}});
  return sdk::ResponseReader("PurgeQueue", response).Int("purgedMsgNum");
}

MessageTrace Queue::traceMessage(const std::string& msgId) const {
  return sdk::ReadMessageTrace(
      client_->impl().Call("TraceMessage", sdk::TraceParams("queueName", name_, msgId)));
}

}  // namespace cmq
