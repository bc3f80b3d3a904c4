// Topic actions (docs/cmq-api.md 7.2): CreateTopic, SetTopicAttributes, ListTopic,
// GetTopicAttributes, DeleteTopic, PublishMessage, BatchPublishMessage.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/action.h"

namespace cmq::api {
namespace {

constexpr int64_t kDefaultQps = 5000;  // reported when publish throttling is off (7.1)

Result<std::optional<int>> ParseMaxMsgSize(const Params& params) {
  Result<std::optional<int64_t>> v =
      params.OptionalInt("maxMsgSize", kMinMaxMsgSize, kMaxMaxMsgSize);
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<int>();
  return std::optional<int>(static_cast<int>(**v));
}

// filterType: 1 tags, 2 routing keys; 0 ("no filtering" in a C++ comment) is 1 (14.67).
Result<broker::FilterType> ParseFilterType(const Params& params) {
  Result<std::optional<int64_t>> v = params.OptionalInt("filterType", 0, 2);
  if (!v.ok()) return v.status();
  return v->value_or(1) == 2 ? broker::FilterType::kRoutingKey : broker::FilterType::kTag;
}

void CreateTopic(Call& call) {
  Result<std::string_view> name = call.params.TopicName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<std::optional<int>> max_msg_size = ParseMaxMsgSize(call.params);
  if (!max_msg_size.ok()) return call.reply.Error(max_msg_size.status());
  Result<broker::FilterType> filter_type = ParseFilterType(call.params);
  if (!filter_type.ok()) return call.reply.Error(filter_type.status());

  broker::TopicAttributes attributes;
  if (max_msg_size->has_value()) attributes.max_msg_size = **max_msg_size;
  attributes.filter_type = *filter_type;
  call.broker->CreateTopic(
      call.account, *name, attributes,
      call.reply.OnResult<broker::TopicView>(
          [](JsonWriter& w, const broker::TopicView& t) { w.Field("topicId", t.topic_id); }));
}

void SetTopicAttributes(Call& call) {
  Result<std::string_view> name = call.params.TopicName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<std::optional<int>> max_msg_size = ParseMaxMsgSize(call.params);
  if (!max_msg_size.ok()) return call.reply.Error(max_msg_size.status());
  call.broker->SetTopicAttributes(call.account, *name, *max_msg_size, call.reply.OnStatus());
}

void ListTopic(Call& call) {
  Result<Paging> paging = ParsePaging(call.params, kDefaultListLimit, kMaxListLimit);
  if (!paging.ok()) return call.reply.Error(paging.status());
  Result<broker::TopicPage> page =
      call.broker->ListTopics(call.account, paging->search_word, paging->offset, paging->limit);
  if (!page.ok()) return call.reply.Error(page.status());
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    w.Field("totalCount", page->total_count);
    w.Key("topicList").BeginArray();
    for (const broker::TopicRef& t : page->topics) {
      w.BeginObject().Field("topicId", t.topic_id).Field("topicName", t.name).EndObject();
    }
    w.EndArray();
  });
}

void GetTopicAttributes(Call& call) {
  Result<std::string_view> name = call.params.TopicName();
  if (!name.ok()) return call.reply.Error(name.status());
  Result<broker::TopicView> topic = call.broker->GetTopic(call.account, *name);
  if (!topic.ok()) return call.reply.Error(topic.status());
  const broker::TopicView& t = *topic;
  int64_t qps = call.options->limits.topics.publish_qps_per_topic;
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    // Java reads every Int with getInt: all are always present.
    w.Field("msgCount", t.msg_count)
        .Field("maxMsgSize", t.attributes.max_msg_size)
        .Field("msgRetentionSeconds", t.msg_retention_seconds)
        .Field("createTime", t.create_time)
        .Field("lastModifyTime", t.last_modify_time)
        .Field("filterType", static_cast<int>(t.attributes.filter_type))
        .Field("topicId", t.topic_id)
        .Field("topicName", t.name);
    w.Key("createUin").Uint(t.owner);
    w.Field("qps", qps > 0 ? qps : kDefaultQps).Field("LoggingEnabled", 0);
    w.Key("tags").BeginArray().EndArray();
  });
}

void DeleteTopic(Call& call) {
  Result<std::string_view> name = call.params.TopicName();
  if (!name.ok()) return call.reply.Error(name.status());
  call.broker->DeleteTopic(call.account, *name, call.reply.OnStatus());
}

// The message tags: msgTag.N, or (PHP client, 4 rule 7) filterTag.N when no msgTag.N
// is present.
Result<std::vector<std::string>> ParseMessageTags(const Params& params) {
  Result<std::vector<std::string>> tags = params.Tags("msgTag", ErrorCode::kTooManyMsgTags);
  if (!tags.ok() || !tags->empty()) return tags;
  return params.Tags("filterTag", ErrorCode::kTooManyMsgTags);
}

// Validates what the bodies share, publishes them (all-or-nothing) and answers once
// the publish is durable.
void Publish(Call& call, std::string_view topic, const std::vector<std::string_view>& bodies,
             bool batch) {
  for (std::string_view body : bodies) {
    Status encoding = CheckBodyEncoding(body);
    if (!encoding.ok()) return call.reply.Error(encoding);
  }
  Result<std::vector<std::string>> tags = ParseMessageTags(call.params);
  if (!tags.ok()) return call.reply.Error(tags.status());
  Result<std::optional<std::string_view>> routing_key = call.params.RoutingKey();
  if (!routing_key.ok()) return call.reply.Error(routing_key.status());
  call.broker->PublishMessages(call.account, topic, bodies, *tags, *routing_key,
                               call.reply.OnResult<std::vector<std::string>>(
                                   [batch](JsonWriter& w, const std::vector<std::string>& ids) {
                                     WriteMessageIds(w, ids, batch);
                                   }));
}

void PublishMessage(Call& call) {
  Result<std::string_view> topic = call.params.TopicName();
  if (!topic.ok()) return call.reply.Error(topic.status());
  Result<std::string_view> body = call.params.RequiredString("msgBody");
  if (!body.ok()) return call.reply.Error(body.status());
  Publish(call, *topic, {*body}, /*batch=*/false);
}

void BatchPublishMessage(Call& call) {
  Result<std::string_view> topic = call.params.TopicName();
  if (!topic.ok()) return call.reply.Error(topic.status());
  Result<std::vector<std::string_view>> bodies = call.params.Indexed("msgBody", kMaxBatchSize);
  if (!bodies.ok()) return call.reply.Error(bodies.status());
  if (bodies->empty()) return call.reply.Error(Status(ErrorCode::kLackedParameter, "msgBody.N"));
  Publish(call, *topic, *bodies, /*batch=*/true);
}

constexpr ActionEntry kTopicActions[] = {
    {"CreateTopic", CreateTopic},
    {"SetTopicAttributes", SetTopicAttributes},
    {"ListTopic", ListTopic},
    {"GetTopicAttributes", GetTopicAttributes},
    {"DeleteTopic", DeleteTopic},
    {"PublishMessage", PublishMessage},
    {"BatchPublishMessage", BatchPublishMessage},
};

}  // namespace

std::span<const ActionEntry> TopicActions() { return kTopicActions; }

}  // namespace cmq::api
