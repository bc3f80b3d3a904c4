// Message operations CMQ lacks, cmqd extensions for operators (docs/cmq-api.md 13.1):
// PeekMessage (look without changing anything), PurgeQueue (delete every message),
// StartMessageMoveTask and ListMessageMoveTasks (redrive a dead-letter queue).
// Signed like any action; an account acts only on its own queues.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "api/action.h"

namespace cmq::api {
namespace {

using broker::PeekedMessage;
using broker::PeekState;

// More than a receive's batch: a look at a queue wants a screenful.
constexpr int64_t kMaxPeek = 32;
constexpr int64_t kDefaultPeek = 16;

std::string_view StateName(PeekState s) {
  switch (s) {
    case PeekState::kActive:
      return "active";
    case PeekState::kDelayed:
      return "delayed";
    case PeekState::kInactive:
      return "inactive";
  }
  return "active";
}

Result<std::optional<PeekState>> ParseState(const Params& params) {
  Result<std::optional<std::string_view>> v = params.OptionalString("state");
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<PeekState>();
  for (PeekState s : {PeekState::kActive, PeekState::kDelayed, PeekState::kInactive}) {
    if (**v == StateName(s)) return std::optional<PeekState>(s);
  }
  return Status(ErrorCode::kUndefinedMessageState);
}

void PeekMessage(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  Result<std::optional<int64_t>> count = call.params.OptionalInt("numOfMsg", 1, kMaxPeek);
  if (!count.ok()) return call.reply.Error(count.status());
  Result<std::optional<PeekState>> state = ParseState(call.params);
  if (!state.ok()) return call.reply.Error(state.status());
  call.broker->PeekMessages(call.account, *queue, static_cast<int>(count->value_or(kDefaultPeek)),
                            *state,
                            call.reply.OnResult<std::vector<PeekedMessage>>(
                                [](JsonWriter& w, const std::vector<PeekedMessage>& messages) {
                                  w.Key("msgInfoList").BeginArray();
                                  for (const PeekedMessage& m : messages) {
                                    w.BeginObject()
                                        .Field("msgBody", m.body)
                                        .Field("msgId", m.msg_id)
                                        .Field("state", StateName(m.state))
                                        .Field("enqueueTime", m.enqueue_time)
                                        .Field("firstDequeueTime", m.first_dequeue_time)
                                        .Field("nextVisibleTime", m.next_visible_time)
                                        .Field("dequeueCount", m.dequeue_count)
                                        .EndObject();
                                  }
                                  w.EndArray();
                                }));
}

void PurgeQueue(Call& call) {
  Result<std::string_view> queue = call.params.QueueName();
  if (!queue.ok()) return call.reply.Error(queue.status());
  call.broker->PurgeQueue(call.account, *queue,
                          call.reply.OnResult<int64_t>([](JsonWriter& w, int64_t purged) {
                            w.Field("purgedMsgNum", purged);
                          }));
}

void WriteMoveTask(JsonWriter& w, const broker::MoveTaskView& t) {
  w.Field("taskHandle", t.task_handle)
      .Field("sourceQueueName", t.source_queue)
      .Field("destinationQueueName", t.destination_queue)
      .Field("status", t.status)
      .Field("failureReason", t.failure_reason)
      .Field("movedMsgNum", t.moved)
      .Field("toMoveMsgNum", t.to_move)
      .Field("startedTime", t.started_time);
}

void StartMessageMoveTask(Call& call) {
  Result<std::string_view> source = call.params.QueueName("sourceQueueName");
  if (!source.ok()) return call.reply.Error(source.status());
  Result<std::optional<std::string_view>> given = call.params.OptionalString("destinationQueueName");
  if (!given.ok()) return call.reply.Error(given.status());
  std::optional<std::string_view> destination;
  if (given->has_value()) {
    Result<std::string_view> name = call.params.QueueName("destinationQueueName");
    if (!name.ok()) return call.reply.Error(name.status());
    destination = *name;
  }
  call.broker->StartMessageMoveTask(
      call.account, *source, destination,
      call.reply.OnResult<broker::MoveTaskView>(WriteMoveTask));
}

void ListMessageMoveTasks(Call& call) {
  Result<std::string_view> source = call.params.QueueName("sourceQueueName");
  if (!source.ok()) return call.reply.Error(source.status());
  Result<std::vector<broker::MoveTaskView>> tasks =
      call.broker->ListMessageMoveTasks(call.account, *source);
  if (!tasks.ok()) return call.reply.Error(tasks.status());
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    w.Key("taskList").BeginArray();
    for (const broker::MoveTaskView& t : *tasks) {
      w.BeginObject();
      WriteMoveTask(w, t);
      w.EndObject();
    }
    w.EndArray();
  });
}

constexpr ActionEntry kMessageOpsActions[] = {
    {"PeekMessage", PeekMessage},
    {"PurgeQueue", PurgeQueue},
    {"StartMessageMoveTask", StartMessageMoveTask},
    {"ListMessageMoveTasks", ListMessageMoveTasks},
};

}  // namespace

std::span<const ActionEntry> MessageOpsActions() { return kMessageOpsActions; }

}  // namespace cmq::api
