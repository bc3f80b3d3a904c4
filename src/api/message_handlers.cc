// Queue message actions (docs/cmq-api.md 6.3, 6.7): SendMessage, BatchSendMessage,
// ReceiveMessage, BatchReceiveMessage, DeleteMessage, BatchDeleteMessage.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/action.h"

namespace cmq::api {
namespace {

using broker::ReceivedMessage;

// Without a configured maximum the delay may reach msgRetentionSeconds - 1 of the
// queue; the largest retention bounds what can be checked before the broker.
constexpr int64_t kMaxRetention = 1296000;

int64_t MaxDelaySeconds(const broker::Limits& limits) {
  return limits.max_delay_seconds >= 0 ? limits.max_delay_seconds : kMaxRetention - 1;
}

Result<int64_t> ParseDelay(const Call& call) {
  Result<std::optional<int64_t>> delay =
      call.params.OptionalInt("delaySeconds", 0, MaxDelaySeconds(call.options->limits));
  if (!delay.ok()) return delay.status();
  return delay->value_or(0);
}

// Stores `bodies` (all-or-nothing) and answers once the send is durable.
void Send(Call& call, std::string_view queue, const std::vector<std::string_view>& bodies,
          bool batch) {
  for (std::string_view body : bodies) {
    Status encoding = CheckBodyEncoding(body);
    if (!encoding.ok()) return call.reply.Error(encoding);
  }
  Result<int64_t> delay = ParseDelay(call);
  if (!delay.ok()) return call.reply.Error(delay.status());
  call.broker->SendMessages(call.account, queue, bodies, *delay,
                            call.reply.OnResult<std::vector<std::string>>(
                                [batch](JsonWriter& w, const std::vector<std::string>& ids) {
                                  WriteMessageIds(w, ids, batch);
                                }));
}

void SendMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<std::string_view> body = call.params.RequiredString("msgBody");
  if (!body.ok()) return call.reply.Error(body.status());
  Send(call, *queue, {*body}, /*batch=*/false);
}

void BatchSendMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<std::vector<std::string_view>> bodies = call.params.Indexed("msgBody", kMaxBatchSize);
  if (!bodies.ok()) return call.reply.Error(bodies.status());
  if (bodies->empty()) return call.reply.Error(Status(ErrorCode::kLackedParameter, "msgBody.N"));
  Send(call, *queue, *bodies, /*batch=*/true);
}

void WriteMessage(JsonWriter& w, const ReceivedMessage& m) {
  w.Field("msgBody", m.body)
      .Field("msgId", m.msg_id)
      .Field("receiptHandle", m.receipt_handle)
      .Field("enqueueTime", m.enqueue_time)
      .Field("firstDequeueTime", m.first_dequeue_time)
      .Field("nextVisibleTime", m.next_visible_time)
      .Field("dequeueCount", m.dequeue_count);
}

// The request's long-poll wait: -1 (absent: the queue's attribute), else clamped to
// the configured maximum (the Java SDK sends 30000 for "forever").
Result<int> ParseWait(const Call& call) {
  Result<std::optional<int64_t>> wait = call.params.OptionalInt("pollingWaitSeconds", 0, INT64_MAX);
  if (!wait.ok()) return wait.status();
  if (!wait->has_value()) return -1;
  return static_cast<int>(std::min<int64_t>(**wait, call.options->limits.max_polling_wait_seconds));
}

// Receives up to `max_messages`; parks when none is Active and the wait allows. The
// broker completes the receive once the messages may be shown (see broker.h).
void Receive(Call& call, std::string_view queue, int max_messages, bool batch) {
  Result<int> wait = ParseWait(call);
  if (!wait.ok()) return call.reply.Error(wait.status());

  // The client may go away while parked or while its messages are being synced; from
  // then on nothing is answered.
  auto cancelled = std::make_shared<bool>(false);
  Reply reply = call.reply.UnlessCancelled(cancelled);
  broker::Broker* broker = call.broker;

  auto answer = [reply, batch](Result<std::vector<ReceivedMessage>> received) {
    if (!received.ok()) return reply.Error(received.status());
    if (received->empty()) return reply.Error(Status(ErrorCode::kNoMessage));
    reply.Send(Status::Ok(), [&](JsonWriter& w) {
      if (!batch) return WriteMessage(w, received->front());
      w.Key("msgInfoList").BeginArray();
      for (const ReceivedMessage& m : *received) {
        w.BeginObject();
        WriteMessage(w, m);
        w.EndObject();
      }
      w.EndArray();
    });
  };
  uint64_t waiter =
      broker->ReceiveMessages(call.account, queue, max_messages, *wait, std::move(answer),
                              broker::ParseClientAddress(call.client));
  if (waiter == 0) return;  // served already: answered, or answering once durable
  // A receive served meanwhile is not stopped by CancelReceive; `cancelled` drops its
  // answer.
  call.cancel = [cancelled, broker, waiter] {
    if (*cancelled) return;
    *cancelled = true;
    broker->CancelReceive(waiter);
  };
}

void ReceiveMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Receive(call, *queue, 1, /*batch=*/false);
}

void BatchReceiveMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<int64_t> count = call.params.RequiredInt("numOfMsg", 1, kMaxBatchSize);
  if (!count.ok()) return call.reply.Error(count.status());
  Receive(call, *queue, static_cast<int>(*count), /*batch=*/true);
}

void DeleteMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<std::string_view> handle = call.params.RequiredString("receiptHandle");
  if (!handle.ok()) return call.reply.Error(handle.status());
  call.broker->DeleteMessages(
      call.account, *queue, {*handle},
      [reply = call.reply](Result<std::vector<broker::DeleteOutcome>> outcomes) {
        if (!outcomes.ok()) return reply.Error(outcomes.status());
        if (outcomes->empty()) return reply.Error(Status(ErrorCode::kDeleteFailed));
        reply.Send(outcomes->front().status);
      });
}

void BatchDeleteMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<std::vector<std::string_view>> handles =
      call.params.Indexed("receiptHandle", kMaxBatchSize);
  if (!handles.ok()) return call.reply.Error(handles.status());
  if (handles->empty()) {
    return call.reply.Error(Status(ErrorCode::kLackedParameter, "receiptHandle.N"));
  }
  call.broker->DeleteMessages(
      call.account, *queue, *handles,
      [reply = call.reply](Result<std::vector<broker::DeleteOutcome>> outcomes) {
        if (!outcomes.ok()) return reply.Error(outcomes.status());
        size_t failed = 0;
        for (const broker::DeleteOutcome& outcome : *outcomes) failed += !outcome.status.ok();
        Status status = failed == 0                  ? Status::Ok()
                        : failed == outcomes->size() ? Status(ErrorCode::kBatchDeleteFailed)
                                                     : Status(ErrorCode::kBatchDeletePartial);
        reply.Send(status, [&](JsonWriter& w) {
          w.Key("errorList").BeginArray();
          for (const broker::DeleteOutcome& f : *outcomes) {
            if (f.status.ok()) continue;
            w.BeginObject()
                .Field("code", f.status.cmq_code())
                .Field("message", f.status.WireMessage())
                .Field("receiptHandle", f.receipt_handle)
                .EndObject();
          }
          w.EndArray();
        });
      });
}

constexpr ActionEntry kMessageActions[] = {
    {"SendMessage", SendMessage},       {"BatchSendMessage", BatchSendMessage},
    {"ReceiveMessage", ReceiveMessage}, {"BatchReceiveMessage", BatchReceiveMessage},
    {"DeleteMessage", DeleteMessage},   {"BatchDeleteMessage", BatchDeleteMessage},
};

}  // namespace

std::span<const ActionEntry> MessageActions() { return kMessageActions; }

}  // namespace cmq::api
