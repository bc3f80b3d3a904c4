// Account: the entry point. Creates, lists and deletes queues, topics and
// subscriptions, and hands out Queue, Topic and Subscription objects that share its
// CMQClient.
//
//   cmq::Account account("http://127.0.0.1:8080", secretId, secretKey);
//   account.createQueue("orders", cmq::QueueMeta{});
//   cmq::Queue queue = account.getQueue("orders");
//   std::string msgId = queue.sendMessage("hello");
//   cmq::Message m = queue.receiveMessage(10);
//   queue.deleteMessage(m.receiptHandle);
//
// Thread-safety: safe to use from many threads at once; so are the objects it hands
// out (see cmq_client.h).
//
// Errors common to every method: CMQClientException for bad arguments (thrown before
// anything is sent) and transport failures; CMQServerException for CMQ error codes
// (4100 authentication failed, 4000 invalid parameter, 6000 server error, ...).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmq/cluster.h"
#include "cmq/cmq_client.h"
#include "cmq/list_result.h"
#include "cmq/queue.h"
#include "cmq/queue_meta.h"
#include "cmq/subscription.h"
#include "cmq/topic.h"

namespace cmq {

class Account {
 public:
  // Makes its own CMQClient; throws as the CMQClient constructor does.
  Account(const std::string& endpoint, const std::string& secretId,
          const std::string& secretKey, CMQClientOptions options = {});
  // Shares an existing client. Throws CMQClientException(kInvalidArgument) if null.
  explicit Account(std::shared_ptr<CMQClient> client);

  const std::shared_ptr<CMQClient>& client() const { return client_; }

  // ---- queues ----
  // Creates a queue with the attributes that hold a value in `meta` (the others get
  // the server defaults) and returns its queueId. Client errors: invalid name.
  // Server errors: 4460 a queue of that name exists (names are case-insensitive),
  // 4450 too many queues, 4000 attribute out of range.
  std::string createQueue(const std::string& queueName, const QueueMeta& meta = {}) const;
  // Deletes the queue and all its messages. Server errors: 4440 no such queue,
  // 4000/10750 the queue is some queue's dead-letter queue.
  void deleteQueue(const std::string& queueName) const;
  // One page of the queues whose name contains `searchWord` (case-insensitive).
  // `offset` (>= 0) and `limit` (1..50) are sent only when given (server defaults 0
  // and 20). Client errors: negative offset, limit < 1.
  ListResult listQueue(const std::string& searchWord = "",
                       std::optional<int> offset = std::nullopt,
                       std::optional<int> limit = std::nullopt) const;
  // A handle for the queue; no network call. Client errors: invalid name.
  Queue getQueue(const std::string& queueName) const;

  // ---- topics ----
  // Creates a topic and returns its topicId. `filterType` 1 filters by message tags,
  // 2 by routing keys. Client errors: invalid name, filterType not 1 or 2.
  // Server errors: 4460 exists, 4450 too many topics, 4000 maxMsgSize out of range.
  std::string createTopic(const std::string& topicName, int maxMsgSize = 65536,
                          int filterType = 1) const;
  // Server errors: 4440 no such topic, 4000/10540 the topic still has subscriptions.
  void deleteTopic(const std::string& topicName) const;
  // Like listQueue, for topics.
  ListResult listTopic(const std::string& searchWord = "",
                       std::optional<int> offset = std::nullopt,
                       std::optional<int> limit = std::nullopt) const;
  Topic getTopic(const std::string& topicName) const;

  // ---- subscriptions ----
  // Subscribes `endpoint` to the topic and returns the subscriptionId.
  // `protocol` is "queue" (endpoint = the name of an existing queue) or "http"
  // (endpoint = an http:// or https:// URL). `filterTags` (0..5) apply on a filterType
  // 1 topic, `bindingKeys` (0..5; at least one on a filterType 2 topic) on a filterType
  // 2 topic. `notifyStrategy` ("BACKOFF_RETRY" or "EXPONENTIAL_DECAY_RETRY") and
  // `notifyContentFormat` ("JSON" or "SIMPLIFIED"; queues always get SIMPLIFIED) use the
  // server defaults when empty.
  // Client errors: invalid names, empty endpoint or protocol, more than 5 tags or keys,
  // an empty or too long tag. Server errors: 4440 no such topic, 4490 subscription
  // exists, 4000/10630 the endpoint queue does not exist, 4000/10500 bad endpoint,
  // 4000/10510 unknown protocol, 4000/10710 no binding key on a filterType 2 topic.
  std::string createSubscribe(const std::string& topicName, const std::string& subscriptionName,
                              const std::string& endpoint, const std::string& protocol,
                              const std::vector<std::string>& filterTags = {},
                              const std::vector<std::string>& bindingKeys = {},
                              const std::string& notifyStrategy = "",
                              const std::string& notifyContentFormat = "") const;
  Subscription getSubscription(const std::string& topicName,
                               const std::string& subscriptionName) const;
  // Server errors: 4440 no such topic, 4000/10560 no such subscription.
  void deleteSubscribe(const std::string& topicName, const std::string& subscriptionName) const;

  // What the node at the endpoint knows of its cluster (cluster.h). A cmqd extension:
  // the CMQ service answers it with an unknown-action error. Server errors: 6000 when
  // the node cannot read its database now (retry).
  ClusterInfo describeCluster() const;

 private:
  std::shared_ptr<CMQClient> client_;
};

}  // namespace cmq
