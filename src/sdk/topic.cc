#include "cmq/topic.h"

#include <utility>

#include "cmq/cmq_client.h"
#include "sdk/client_impl.h"
#include "sdk/message_trace.h"
#include "sdk/request_params.h"
#include "sdk/response_reader.h"
#include "sdk/validate.h"

namespace cmq {
namespace {

// Tags and routing key shared by PublishMessage and BatchPublishMessage.
void AppendRouting(const std::vector<std::string>& tags,
                   const std::optional<std::string>& routing_key, ParamList* params) {
  sdk::AppendIndexed("msgTag", tags, params);
  if (routing_key) params->emplace_back("routingKey", *routing_key);
}

}  // namespace

Topic::Topic(std::string topicName, std::shared_ptr<CMQClient> client)
    : name_(std::move(topicName)), client_(std::move(client)) {
  sdk::CheckName("topic name", name_);
  if (client_ == nullptr) sdk::ThrowInvalidArgument("Topic: client is null");
}

void Topic::setTopicAttributes(const TopicMeta& meta) const {
  ParamList params = {{"topicName", name_}};
  if (meta.maxMsgSize) params.emplace_back("maxMsgSize", std::to_string(*meta.maxMsgSize));
  client_->impl().Call("SetTopicAttributes", std::move(params));
}

TopicMeta Topic::getTopicAttributes() const {
  JsonValue response = client_->impl().Call("GetTopicAttributes", {{"topicName", name_}});
  sdk::ResponseReader r("GetTopicAttributes", response);
  TopicMeta meta;
  meta.maxMsgSize = static_cast<int>(r.Int("maxMsgSize"));
  meta.filterType = static_cast<int>(r.IntOr("filterType", 1));
  meta.msgRetentionSeconds = r.IntOr("msgRetentionSeconds", 0);
  meta.msgCount = r.IntOr("msgCount", 0);
  meta.createTime = r.IntOr("createTime", 0);
  meta.lastModifyTime = r.IntOr("lastModifyTime", 0);
  if (r.Has("topicId")) meta.topicId = r.String("topicId");
  return meta;
}

std::string Topic::publishMessage(const std::string& msgBody,
                                  const std::vector<std::string>& msgTags,
                                  const std::optional<std::string>& routingKey) const {
  sdk::CheckBody(msgBody);
  sdk::CheckTags("message tags", msgTags);
  ParamList params = {{"topicName", name_}, {"msgBody", msgBody}};
  AppendRouting(msgTags, routingKey, &params);
  JsonValue response = client_->impl().Call("PublishMessage", std::move(params));
  return sdk::ResponseReader("PublishMessage", response).String("msgId");
}

std::vector<std::string> Topic::batchPublishMessage(
    const std::vector<std::string>& msgBodies, const std::vector<std::string>& msgTags,
    const std::optional<std::string>& routingKey) const {
  sdk::CheckBodies(msgBodies);
  sdk::CheckTags("message tags", msgTags);
  ParamList params = {{"topicName", name_}};
  sdk::AppendIndexed("msgBody", msgBodies, &params);
  AppendRouting(msgTags, routingKey, &params);
  JsonValue response = client_->impl().Call("BatchPublishMessage", std::move(params));
  return sdk::ResponseReader("BatchPublishMessage", response).MsgIds(msgBodies.size());
}

ListResult Topic::listSubscription(const std::string& searchWord, std::optional<int> offset,
                                   std::optional<int> limit) const {
  sdk::CheckPaging(offset, limit);
  ParamList params = {{"topicName", name_}};
  sdk::AppendPaging(searchWord, offset, limit, &params);
  JsonValue response = client_->impl().Call("ListSubscriptionByTopic", std::move(params));
  return sdk::ResponseReader("ListSubscriptionByTopic", response)
      .ReadList("subscriptionList", "subscriptionName", "subscriptionId");
}

MessageTrace Topic::traceMessage(const std::string& msgId) const {
  return sdk::ReadMessageTrace(
      client_->impl().Call("TraceMessage", sdk::TraceParams("topicName", name_, msgId)));
}

}  // namespace cmq
