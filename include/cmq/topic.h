// Topic: publishing to one topic and listing its subscriptions (docs/cmq-api.md 7).
//
// A Topic is a name and a shared CMQClient: cheap to copy, safe to use from many
// threads at once (see cmq_client.h). It does not check that the topic exists.
//
// Errors common to every method: CMQClientException for bad arguments (before anything
// is sent) and transport failures; CMQServerException 4440 topic does not exist, 4100
// authentication failed, 4000 invalid parameter (see getModuleCode()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmq/list_result.h"
#include "cmq/message_trace.h"
#include "cmq/topic_meta.h"

namespace cmq {

class CMQClient;

class Topic {
 public:
  // Throws CMQClientException(kInvalidArgument) for an invalid name or a null client.
  Topic(std::string topicName, std::shared_ptr<CMQClient> client);

  const std::string& getTopicName() const { return name_; }

  // Changes maxMsgSize if `meta` holds one (nothing else is changeable).
  // Server errors: 4000/10350 out of range.
  void setTopicAttributes(const TopicMeta& meta) const;
  TopicMeta getTopicAttributes() const;

  // Publishes one message to every subscription that accepts it and returns its msgId.
  // `msgTags` (0..5, each 1..16 characters) are matched against subscriptions' filter
  // tags on a filterType 1 topic; `routingKey` against their binding keys on a
  // filterType 2 topic (required there; "" is a valid key with zero words).
  // Client errors: empty body, more than 5 tags, an empty or too long tag.
  // Server errors: 4400 body too large; 6030 no subscription at all (10650) or none
  // accepting this message (10730) - the message is then not stored; 4000/10700 no
  // routing key on a filterType 2 topic.
  std::string publishMessage(const std::string& msgBody,
                             const std::vector<std::string>& msgTags = {},
                             const std::optional<std::string>& routingKey = std::nullopt) const;
  // Publishes 1..16 messages sharing the tags and routing key; returns their msgIds.
  // Client errors as publishMessage, plus batch size outside 1..16. Server errors as
  // publishMessage, plus 4470 bodies larger than 1 MiB in total.
  std::vector<std::string> batchPublishMessage(
      const std::vector<std::string>& msgBodies, const std::vector<std::string>& msgTags = {},
      const std::optional<std::string>& routingKey = std::nullopt) const;

  // One page of the topic's subscriptions whose name contains `searchWord`. `offset`
  // (>= 0) and `limit` (1..100) are sent only when given (server defaults 0 and 20).
  ListResult listSubscription(const std::string& searchWord = "",
                              std::optional<int> offset = std::nullopt,
                              std::optional<int> limit = std::nullopt) const;

  // What happened to message `msgId` published to this topic (a cmqd extension,
  // TraceMessage): published, each delivery to a queue, each push attempt and its
  // outcome. Errors as Queue::traceMessage (4440: no such topic).
  MessageTrace traceMessage(const std::string& msgId) const;

 private:
  std::string name_;
  std::shared_ptr<CMQClient> client_;
};

}  // namespace cmq
