// Queue management actions (docs/cmq-api.md 6.7): CreateQueue, ListQueue,
// GetQueueAttributes, SetQueueAttributes, DeleteQueue, RewindQueue,
// ListDeadLetterSourceQueues, UnbindDeadLetterQueue.
#include <cstdint>
#include <string>
#include <utility>

#include "api/action.h"

namespace cmq::api {
namespace {

using broker::QueueAttributeUpdate;
using broker::QueuePage;
using broker::QueueView;

// Single-value ranges of 6.1; the broker checks the ones that depend on other values
// (rewindSeconds <= msgRetentionSeconds, maxTimeToLive < msgRetentionSeconds).
constexpr int64_t kMinVisibilityTimeout = 1;
constexpr int64_t kMaxVisibilityTimeout = 43200;
constexpr int64_t kMinRetention = 60;
constexpr int64_t kMaxRetention = 1296000;
constexpr int64_t kMaxRewindSeconds = kMaxRetention;

// Reads one optional Int attribute into `*out` when present.
template <typename T>
Status ReadAttribute(const Params& params, std::string_view name, int64_t min, int64_t max,
                     std::optional<T>* out) {
  Result<std::optional<int64_t>> v = params.OptionalInt(name, min, max);
  if (!v.ok()) return v.status();
  if (v->has_value()) *out = static_cast<T>(**v);
  return Status::Ok();
}

// The attributes of CreateQueue / SetQueueAttributes that the request carries.
Result<QueueAttributeUpdate> ParseAttributes(const Params& params, const broker::Limits& limits) {
  QueueAttributeUpdate u;
  CMQ_RETURN_IF_ERROR(ReadAttribute(params, "maxMsgHeapNum", limits.min_max_msg_heap_num,
                                    limits.max_max_msg_heap_num, &u.max_msg_heap_num));
  CMQ_RETURN_IF_ERROR(ReadAttribute(params, "pollingWaitSeconds", 0,
                                    limits.max_polling_wait_seconds, &u.polling_wait_seconds));
  CMQ_RETURN_IF_ERROR(ReadAttribute(params, "visibilityTimeout", kMinVisibilityTimeout,
                                    kMaxVisibilityTimeout, &u.visibility_timeout));
  CMQ_RETURN_IF_ERROR(
      ReadAttribute(params, "maxMsgSize", kMinMaxMsgSize, kMaxMaxMsgSize, &u.max_msg_size));
  CMQ_RETURN_IF_ERROR(ReadAttribute(params, "msgRetentionSeconds", kMinRetention, kMaxRetention,
                                    &u.msg_retention_seconds));
  CMQ_RETURN_IF_ERROR(
      ReadAttribute(params, "rewindSeconds", 0, kMaxRewindSeconds, &u.rewind_seconds));
  // An empty value means "no change": some clients send every field of their meta
  // object, unset ones as "".
  Result<std::optional<std::string_view>> policy = params.OptionalString("deadLetterPolicy");
  if (!policy.ok()) return policy.status();
  if (policy->has_value() && !(*policy)->empty()) {
    Result<broker::DeadLetterPolicy> parsed = ParseDeadLetterPolicy(**policy);
    if (!parsed.ok()) return parsed.status();
    u.dead_letter_policy = std::move(parsed).value();
  }
  return u;
}

void WriteDeadLetterPolicy(JsonWriter& w, const broker::QueueAttributes& a) {
  if (a.dead_letter_policy)
    w.Field("deadLetterPolicy", DeadLetterPolicyJson(*a.dead_letter_policy));
}

void WriteSettableAttributes(JsonWriter& w, const broker::QueueAttributes& a) {
  w.Field("maxMsgHeapNum", a.max_msg_heap_num)
      .Field("pollingWaitSeconds", a.polling_wait_seconds)
      .Field("visibilityTimeout", a.visibility_timeout)
      .Field("maxMsgSize", a.max_msg_size)
      .Field("msgRetentionSeconds", a.msg_retention_seconds)
      .Field("rewindSeconds", a.rewind_seconds);
}

void WriteQueuePage(JsonWriter& w, const QueuePage& page) {
  w.Field("totalCount", page.total_count);
  w.Key("queueList").BeginArray();
  for (const broker::QueueRef& q : page.queues) {
    w.BeginObject().Field("queueId", q.queue_id).Field("queueName", q.name).EndObject();
  }
  w.EndArray();
}

void CreateQueue(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<QueueAttributeUpdate> attributes = ParseAttributes(call.params, call.options->limits);
  if (!attributes.ok()) return call.reply.Error(attributes.status());
  call.broker->CreateQueue(call.account, *name, *attributes,
                           call.reply.OnResult<QueueView>([](JsonWriter& w, const QueueView& q) {
                             w.Field("queueId", q.queue_id).Field("queueName", q.name);
                           }));
}

void ListQueue(Call& call) {
  Result<Paging> paging = ParsePaging(call.params, kDefaultListLimit, kMaxListLimit);
  if (!paging.ok()) return call.reply.Error(paging.status());
  Result<QueuePage> page =
      call.broker->ListQueues(call.account, paging->search_word, paging->offset, paging->limit);
  if (!page.ok()) return call.reply.Error(page.status());
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) { WriteQueuePage(w, *page); });
}

void GetQueueAttributes(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<QueueView> queue = call.broker->GetQueue(call.account, *name);
  if (!queue.ok()) return call.reply.Error(queue.status());
  const QueueView& q = *queue;
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    WriteSettableAttributes(w, q.attributes);
    w.Field("createTime", q.create_time)
        .Field("lastModifyTime", q.last_modify_time)
        .Field("activeMsgNum", q.counters.active)
        .Field("inactiveMsgNum", q.counters.inactive)
        .Field("delayMsgNum", q.counters.delayed)
        // Both spellings: Python/C++ read the first, Java 1.0.8+ requires the second.
        .Field("rewindmsgNum", q.counters.rewindable)
        .Field("rewindMsgNum", q.counters.rewindable)
        .Field("minMsgTime", q.counters.min_msg_time)
        // Our extension (docs/cmq-api.md 13.1): totals since the serving node started
        // serving the queue, for rates (cmqctl watch).
        .Field("msgSentTotal", q.traffic.sent)
        .Field("msgReceivedTotal", q.traffic.received)
        .Field("msgDeletedTotal", q.traffic.deleted)
        .Field("queueId", q.queue_id)
        .Field("queueName", q.name);
    WriteDeadLetterPolicy(w, q.attributes);
  });
}

void SetQueueAttributes(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<QueueAttributeUpdate> update = ParseAttributes(call.params, call.options->limits);
  if (!update.ok()) return call.reply.Error(update.status());
  call.broker->SetQueueAttributes(
      call.account, *name, *update,
      call.reply.OnResult<QueueView>([](JsonWriter& w, const QueueView& q) {
        w.Field("queueId", q.queue_id);
        WriteSettableAttributes(w, q.attributes);
        WriteDeadLetterPolicy(w, q.attributes);
      }));
}

void DeleteQueue(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  call.broker->DeleteQueue(call.account, *name, call.reply.OnStatus());
}

void RewindQueue(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  // The window (now - rewindSeconds .. now) is the broker's to check; here only the
  // type, so that the C++ SDK's single garbage byte gets kErrorType.
  Result<int64_t> start = call.params.RequiredInt("startConsumeTime", INT64_MIN, INT64_MAX);
  if (!start.ok()) return call.reply.Error(start.status());
  call.broker->RewindQueue(call.account, *name, *start, call.reply.OnStatus());
}

void ListDeadLetterSourceQueues(Call& call) {
  Result<std::string_view> dlq = call.params.QueueName("deadLetterQueueName");
  if (!dlq.ok()) return call.reply.Error(dlq.status());
  Result<Paging> paging = ParsePaging(call.params, kDefaultListLimit, kMaxListLimit);
  if (!paging.ok()) return call.reply.Error(paging.status());
  Result<QueuePage> page = call.broker->ListDeadLetterSourceQueues(
      call.account, *dlq, paging->search_word, paging->offset, paging->limit);
  if (!page.ok()) return call.reply.Error(page.status());
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) { WriteQueuePage(w, *page); });
}

void UnbindDeadLetterQueue(Call& call) {
  Result<std::string_view> name = call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  call.broker->UnbindDeadLetterQueue(
      call.account, *name,
      call.reply.OnResult<std::string>(
          [](JsonWriter& w, const std::string& id) { w.Field("queueId", id); }));
}

constexpr ActionEntry kQueueActions[] = {
    {"CreateQueue", CreateQueue},
    {"ListQueue", ListQueue},
    {"GetQueueAttributes", GetQueueAttributes},
    {"SetQueueAttributes", SetQueueAttributes},
    {"DeleteQueue", DeleteQueue},
    {"RewindQueue", RewindQueue},
    {"ListDeadLetterSourceQueues", ListDeadLetterSourceQueues},
    {"UnbindDeadLetterQueue", UnbindDeadLetterQueue},
};

}  // namespace

std::span<const ActionEntry> QueueActions() { return kQueueActions; }

}  // namespace cmq::api
