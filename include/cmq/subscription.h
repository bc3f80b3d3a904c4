// Subscription: the attributes of one subscription of a topic (docs/cmq-api.md 8).
//
// A Subscription is two names and a shared CMQClient: cheap to copy, safe to use from
// many threads at once (see cmq_client.h).
//
// Errors common to every method: CMQClientException for bad arguments and transport
// failures; CMQServerException 4440 topic does not exist, 4000/10560 subscription does
// not exist, 4100 authentication failed.
#pragma once

#include <memory>
#include <string>

#include "cmq/subscription_meta.h"

namespace cmq {

class CMQClient;

class Subscription {
 public:
  // Throws CMQClientException(kInvalidArgument) for an invalid topic or subscription
  // name or a null client.
  Subscription(std::string topicName, std::string subscriptionName,
               std::shared_ptr<CMQClient> client);

  const std::string& getTopicName() const { return topic_; }
  const std::string& getSubscriptionName() const { return name_; }

  // Changes notifyStrategy / notifyContentFormat when non-empty, and replaces the
  // filter tags / binding keys when the vector is non-empty. protocol and endpoint
  // cannot change. Client errors: more than 5 tags or keys, an empty or too long tag.
  // Server errors: 4000/10520 unknown strategy, 4000/10530 unknown format.
  void setSubscriptionAttributes(const SubscriptionMeta& meta) const;
  SubscriptionMeta getSubscriptionAttributes() const;
  // Empties the filter tags: on a tag-filter topic the subscription then receives every
  // message.
  void clearFilterTags() const;

 private:
  std::string topic_;
  std::string name_;
  std::shared_ptr<CMQClient> client_;
};

}  // namespace cmq
