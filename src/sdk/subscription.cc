#include "cmq/subscription.h"

#include <utility>

#include "cmq/cmq_client.h"
#include "sdk/client_impl.h"
#include "sdk/request_params.h"
#include "sdk/response_reader.h"
#include "sdk/validate.h"

namespace cmq {

Subscription::Subscription(std::string topicName, std::string subscriptionName,
                           std::shared_ptr<CMQClient> client)
    : topic_(std::move(topicName)), name_(std::move(subscriptionName)), client_(std::move(client)) {
  sdk::CheckName("topic name", topic_);
  sdk::CheckName("subscription name", name_);
  if (client_ == nullptr) sdk::ThrowInvalidArgument("Subscription: client is null");
}

void Subscription::setSubscriptionAttributes(const SubscriptionMeta& meta) const {
  sdk::CheckTags("filter tags", meta.filterTag);
  sdk::CheckBindingKeys(meta.bindingKey);
  ParamList params = {{"topicName", topic_}, {"subscriptionName", name_}};
  if (!meta.notifyStrategy.empty()) params.emplace_back("notifyStrategy", meta.notifyStrategy);
  if (!meta.notifyContentFormat.empty()) {
    params.emplace_back("notifyContentFormat", meta.notifyContentFormat);
  }
  sdk::AppendIndexed("filterTag", meta.filterTag, &params);
  sdk::AppendIndexed("bindingKey", meta.bindingKey, &params);
  client_->impl().Call("SetSubscriptionAttributes", std::move(params));
}

SubscriptionMeta Subscription::getSubscriptionAttributes() const {
  JsonValue response = client_->impl().Call(
      "GetSubscriptionAttributes", {{"topicName", topic_}, {"subscriptionName", name_}});
  sdk::ResponseReader r("GetSubscriptionAttributes", response);
  SubscriptionMeta meta;
  meta.topicOwner = r.Has("topicOwner") ? r.String("topicOwner") : "";
  meta.endpoint = r.String("endpoint");
  // The spec's server sends both spellings; older servers only the misspelled one.
  meta.protocol = r.Has("protocol") ? r.String("protocol") : r.String("protocal");
  meta.notifyStrategy = r.String("notifyStrategy");
  meta.notifyContentFormat = r.String("notifyContentFormat");
  meta.filterTag = r.Has("filterTag") ? r.StringsOr("filterTag") : r.StringsOr("filterTags");
  meta.bindingKey = r.StringsOr("bindingKey");
  meta.msgCount = r.IntOr("msgCount", 0);
  meta.createTime = r.IntOr("createTime", 0);
  meta.lastModifyTime = r.IntOr("lastModifyTime", 0);
  meta.lastPushError = r.Has("lastPushError") ? r.String("lastPushError") : "";
  meta.lastPushErrorTime = r.IntOr("lastPushErrorTime", 0);
  meta.pushFailures = r.IntOr("pushFailures", 0);
  meta.retryBacklog = r.IntOr("retryBacklog", 0);
  return meta;
}

void Subscription::clearFilterTags() const {
  client_->impl().Call("ClearSubscriptionFilterTags",
                       {{"topicName", topic_}, {"subscriptionName", name_}});
}

}  // namespace cmq
