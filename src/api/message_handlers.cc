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
  Result<std::vector<std::string>> ids =
      call.broker->SendMessages(call.account, queue, bodies, *delay);
  if (!ids.ok()) return call.reply.Error(ids.status());
  call.reply.SendWhenDurable(call.broker, Status::Ok(),
                             MessageIdFields(std::move(ids).value(), batch));
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

// Receives up to `max_messages`; parks when none is Active and the wait allows.
// Received messages are answered once the records they depend on (their sends) are
// durable; the receive record itself rides a later group commit.
void Receive(Call& call, std::string_view queue, int max_messages, bool batch) {
  Result<int> wait = ParseWait(call);
  if (!wait.ok()) return call.reply.Error(wait.status());

  // Shared by the broker callback, the durability callback and the canceller. The
  // client may go away while parked or while its receive record is being synced; from
  // then on nothing is answered.
  struct PendingReceive {
    bool cancelled = false;
    bool served = false;  // the broker has called back; its waiter id is gone
  };
  auto state = std::make_shared<PendingReceive>();
  auto cancelled = std::shared_ptr<const bool>(state, &state->cancelled);
  Reply reply = call.reply.UnlessCancelled(cancelled);
  broker::Broker* broker = call.broker;

  uint64_t waiter = broker->ReceiveMessages(
      call.account, queue, max_messages, *wait,
      [state, reply, broker, batch](Result<std::vector<ReceivedMessage>> received) {
        state->served = true;
        if (state->cancelled) return;
        if (!received.ok()) return reply.Error(received.status());
        if (received->empty()) return reply.Error(Status(ErrorCode::kNoMessage));
        uint64_t lsn = 0;
        for (const ReceivedMessage& m : *received) lsn = std::max(lsn, m.answer_after_lsn);
        reply.SendWhenDurableUpTo(broker, lsn, Status::Ok(),
                              [messages = std::move(received).value(), batch](JsonWriter& w) {
                                if (!batch) return WriteMessage(w, messages.front());
                                w.Key("msgInfoList").BeginArray();
                                for (const ReceivedMessage& m : messages) {
                                  w.BeginObject();
                                  WriteMessage(w, m);
                                  w.EndObject();
                                }
                                w.EndArray();
                              });
      });
  if (waiter == 0) return;  // answered (or answering once durable) already
  call.cancel = [state, broker, waiter] {
    if (state->cancelled) return;
    state->cancelled = true;
    if (!state->served) broker->CancelReceive(waiter);
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
  Result<std::vector<broker::DeleteOutcome>> outcomes =
      call.broker->DeleteMessages(call.account, *queue, {*handle});
  if (!outcomes.ok()) return call.reply.Error(outcomes.status());
  if (outcomes->empty()) return call.reply.Error(Status(ErrorCode::kDeleteFailed));
  if (!outcomes->front().status.ok()) return call.reply.Error(outcomes->front().status);
  call.reply.SendWhenDurable(call.broker, Status::Ok());
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
  Result<std::vector<broker::DeleteOutcome>> outcomes =
      call.broker->DeleteMessages(call.account, *queue, *handles);
  if (!outcomes.ok()) return call.reply.Error(outcomes.status());

  std::vector<broker::DeleteOutcome> failed;
  for (broker::DeleteOutcome& outcome : *outcomes) {
    if (!outcome.status.ok()) failed.push_back(std::move(outcome));
  }
  FieldWriter error_list = [failed](JsonWriter& w) {
    w.Key("errorList").BeginArray();
    for (const broker::DeleteOutcome& f : failed) {
      w.BeginObject()
          .Field("code", f.status.cmq_code())
          .Field("message", f.status.WireMessage())
          .Field("receiptHandle", f.receipt_handle)
          .EndObject();
    }
    w.EndArray();
  };
  // Nothing was deleted: nothing to wait for.
  if (failed.size() == outcomes->size()) {
    return call.reply.Send(Status(ErrorCode::kBatchDeleteFailed), error_list);
  }
  call.reply.SendWhenDurable(call.broker,
                             failed.empty() ? Status::Ok() : Status(ErrorCode::kBatchDeletePartial),
                             std::move(error_list));
}

constexpr ActionEntry kMessageActions[] = {
    {"SendMessage", SendMessage},       {"BatchSendMessage", BatchSendMessage},
    {"ReceiveMessage", ReceiveMessage}, {"BatchReceiveMessage", BatchReceiveMessage},
    {"DeleteMessage", DeleteMessage},   {"BatchDeleteMessage", BatchDeleteMessage},
};

}  // namespace

std::span<const ActionEntry> MessageActions() { return kMessageActions; }

}  // namespace cmq::api
