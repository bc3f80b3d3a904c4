// Subscription actions (docs/cmq-api.md 8.2): Subscribe, ListSubscriptionByTopic,
// SetSubscriptionAttributes, GetSubscriptionAttributes, Unsubscribe,
// ClearSubscriptionFilterTags.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/action.h"

namespace cmq::api {
namespace {

using broker::ContentFormat;
using broker::Protocol;

constexpr int64_t kMaxSubscriptionListLimit = 100;
constexpr int64_t kMaxListOffset = 1000;

// topicName and subscriptionName, both required, in that order of checking.
struct SubscriptionKey {
  std::string_view topic;
  std::string_view name;
};

Result<SubscriptionKey> ParseKey(const Params& params) {
  Result<std::string_view> topic = params.TopicName();
  if (!topic.ok()) return topic.status();
  Result<std::string_view> name = params.SubscriptionName();
  if (!name.ok()) return name.status();
  return SubscriptionKey{*topic, *name};
}

// filterTag.N / bindingKey.N: nullopt when the request has none.
Result<std::optional<std::vector<std::string>>> ParseFilterTags(const Params& params) {
  Result<std::vector<std::string>> tags = params.Tags("filterTag", ErrorCode::kTooManyFilterTags);
  if (!tags.ok()) return tags.status();
  if (tags->empty()) return std::optional<std::vector<std::string>>();
  return std::optional(std::move(tags).value());
}

Result<std::optional<std::vector<std::string>>> ParseBindingKeys(const Params& params) {
  Result<std::vector<std::string>> keys = params.BindingKeys();
  if (!keys.ok()) return keys.status();
  if (keys->empty()) return std::optional<std::vector<std::string>>();
  return std::optional(std::move(keys).value());
}

// The one format a queue endpoint gets is the raw body, whatever was asked (14.48).
ContentFormat EffectiveFormat(Protocol protocol, std::optional<ContentFormat> requested) {
  if (protocol == Protocol::kQueue) return ContentFormat::kSimplified;
  return requested.value_or(ContentFormat::kJson);
}

void Subscribe(Call& call) {
  Result<SubscriptionKey> key = ParseKey(call.params);
  if (!key.ok()) return call.reply.Error(key.status());
  Result<Protocol> protocol = call.params.SubscriptionProtocol();
  if (!protocol.ok()) return call.reply.Error(protocol.status());
  Result<std::string_view> endpoint = call.params.Endpoint(*protocol);
  if (!endpoint.ok()) return call.reply.Error(endpoint.status());
  if (*protocol == Protocol::kHttp) {
    Status reachable = call.options->push_policy->CheckEndpoint(*ParseEndpointUrl(*endpoint));
    if (!reachable.ok()) return call.reply.Error(reachable);
  }
  Result<std::optional<broker::NotifyStrategy>> strategy = call.params.OptionalNotifyStrategy();
  if (!strategy.ok()) return call.reply.Error(strategy.status());
  Result<std::optional<ContentFormat>> format = call.params.OptionalContentFormat();
  if (!format.ok()) return call.reply.Error(format.status());
  Result<std::optional<std::vector<std::string>>> tags = ParseFilterTags(call.params);
  if (!tags.ok()) return call.reply.Error(tags.status());
  Result<std::optional<std::vector<std::string>>> keys = ParseBindingKeys(call.params);
  if (!keys.ok()) return call.reply.Error(keys.status());

  broker::SubscriptionSpec spec;
  spec.name = std::string(key->name);
  spec.protocol = *protocol;
  spec.endpoint = std::string(*endpoint);
  spec.notify_strategy = strategy->value_or(broker::NotifyStrategy::kExponentialDecayRetry);
  spec.content_format = EffectiveFormat(*protocol, *format);
  spec.filter_tags = std::move(*tags).value_or(std::vector<std::string>());
  spec.binding_keys = std::move(*keys).value_or(std::vector<std::string>());
  call.broker->Subscribe(call.account, key->topic, spec,
                         call.reply.OnResult<broker::SubscriptionView>(
                             [](JsonWriter& w, const broker::SubscriptionView& s) {
                               w.Field("subscriptionId", s.subscription_id);
                             }));
}

void ListSubscriptionByTopic(Call& call) {
  Result<std::string_view> topic = call.params.TopicName();
  if (!topic.ok()) return call.reply.Error(topic.status());
  Result<Paging> paging = ParsePaging(call.params, kDefaultListLimit, kMaxSubscriptionListLimit);
  if (!paging.ok()) return call.reply.Error(paging.status());
  if (paging->offset > kMaxListOffset)
    return call.reply.Error(Status(ErrorCode::kOutOfRange, "offset"));
  Result<broker::SubscriptionPage> page = call.broker->ListSubscriptions(
      call.account, *topic, paging->search_word, paging->offset, paging->limit);
  if (!page.ok()) return call.reply.Error(page.status());
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    w.Field("totalCount", page->total_count);
    w.Key("subscriptionList").BeginArray();
    for (const broker::SubscriptionView& s : page->subscriptions) {
      w.BeginObject()
          .Field("subscriptionId", s.subscription_id)
          .Field("subscriptionName", s.name)
          .Field("protocol", ProtocolName(s.spec.protocol))
          .Field("endpoint", s.spec.endpoint)
          .EndObject();
    }
    w.EndArray();
  });
}

void SetSubscriptionAttributes(Call& call) {
  Result<SubscriptionKey> key = ParseKey(call.params);
  if (!key.ok()) return call.reply.Error(key.status());
  // Absent and "" both mean unchanged: the C++ SDK sends every field (14.57).
  Result<std::optional<broker::NotifyStrategy>> strategy = call.params.OptionalNotifyStrategy();
  if (!strategy.ok()) return call.reply.Error(strategy.status());
  Result<std::optional<ContentFormat>> format = call.params.OptionalContentFormat();
  if (!format.ok()) return call.reply.Error(format.status());
  Result<std::optional<std::vector<std::string>>> tags = ParseFilterTags(call.params);
  if (!tags.ok()) return call.reply.Error(tags.status());
  Result<std::optional<std::vector<std::string>>> keys = ParseBindingKeys(call.params);
  if (!keys.ok()) return call.reply.Error(keys.status());

  broker::SubscriptionUpdate update;
  update.notify_strategy = *strategy;
  if (format->has_value()) {
    // Coerced like on Subscribe, which needs the protocol.
    Result<broker::SubscriptionView> current =
        call.broker->GetSubscription(call.account, key->topic, key->name);
    if (!current.ok()) return call.reply.Error(current.status());
    update.content_format = EffectiveFormat(current->spec.protocol, *format);
  }
  update.filter_tags = std::move(tags).value();
  update.binding_keys = std::move(keys).value();
  call.broker->SetSubscriptionAttributes(call.account, key->topic, key->name, update,
                                         call.reply.OnStatus());
}

void WriteStrings(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).BeginArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

void GetSubscriptionAttributes(Call& call) {
  Result<SubscriptionKey> key = ParseKey(call.params);
  if (!key.ok()) return call.reply.Error(key.status());
  Result<broker::SubscriptionView> subscription =
      call.broker->GetSubscription(call.account, key->topic, key->name);
  if (!subscription.ok()) return call.reply.Error(subscription.status());
  const broker::SubscriptionView& s = *subscription;
  call.reply.Send(Status::Ok(), [&](JsonWriter& w) {
    // Both spellings of protocol and filterTag: the SDKs disagree (8.1, 14.14).
    w.Field("topicOwner", std::to_string(s.topic_owner))
        .Field("msgCount", s.msg_count)
        .Field("protocol", ProtocolName(s.spec.protocol))
        .Field("protocal", ProtocolName(s.spec.protocol))
        .Field("endpoint", s.spec.endpoint)
        .Field("notifyStrategy", NotifyStrategyName(s.spec.notify_strategy))
        .Field("notifyContentFormat", ContentFormatName(s.spec.content_format))
        .Field("createTime", s.create_time)
        .Field("lastModifyTime", s.last_modify_time);
    WriteStrings(w, "filterTag", s.spec.filter_tags);
    WriteStrings(w, "filterTags", s.spec.filter_tags);
    WriteStrings(w, "bindingKey", s.spec.binding_keys);
    w.Field("subscriptionId", s.subscription_id)
        .Field("subscriptionName", s.name)
        .Field("topicName", s.topic_name)
        // Our extension: why the latest push failed (cmqd's own diagnostic).
        .Field("lastPushError", s.last_push_error)
        .Field("lastPushErrorTime", s.last_push_error_time)
        .Field("pushFailures", s.push_failures)
        .Field("retryBacklog", s.retry_backlog);
  });
}

void Unsubscribe(Call& call) {
  Result<SubscriptionKey> key = ParseKey(call.params);
  if (!key.ok()) return call.reply.Error(key.status());
  call.broker->Unsubscribe(call.account, key->topic, key->name, call.reply.OnStatus());
}

void ClearSubscriptionFilterTags(Call& call) {
  Result<SubscriptionKey> key = ParseKey(call.params);
  if (!key.ok()) return call.reply.Error(key.status());
  call.broker->ClearSubscriptionFilterTags(call.account, key->topic, key->name,
                                           call.reply.OnStatus());
}

constexpr ActionEntry kSubscriptionActions[] = {
    {"Subscribe", Subscribe},
    {"ListSubscriptionByTopic", ListSubscriptionByTopic},
    {"SetSubscriptionAttributes", SetSubscriptionAttributes},
    {"GetSubscriptionAttributes", GetSubscriptionAttributes},
    {"Unsubscribe", Unsubscribe},
    {"ClearSubscriptionFilterTags", ClearSubscriptionFilterTags},
};

}  // namespace

std::span<const ActionEntry> SubscriptionActions() { return kSubscriptionActions; }

}  // namespace cmq::api
