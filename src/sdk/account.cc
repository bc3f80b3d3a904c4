#include "cmq/account.h"

#include <utility>

#include "sdk/client_impl.h"
#include "sdk/request_params.h"
#include "sdk/response_reader.h"
#include "sdk/validate.h"

namespace cmq {

Account::Account(const std::string& endpoint, const std::string& secretId,
                 const std::string& secretKey, CMQClientOptions options)
    : client_(std::make_shared<CMQClient>(endpoint, secretId, secretKey, std::move(options))) {}

Account::Account(std::shared_ptr<CMQClient> client) : client_(std::move(client)) {
  if (client_ == nullptr) sdk::ThrowInvalidArgument("Account: client is null");
}

std::string Account::createQueue(const std::string& queueName, const QueueMeta& meta) const {
  sdk::CheckName("queue name", queueName);
  ParamList params = {{"queueName", queueName}};
  sdk::AppendQueueMeta(meta, &params);
  JsonValue response = client_->impl().Call("CreateQueue", std::move(params));
  return sdk::ResponseReader("CreateQueue", response).String("queueId");
}

void Account::deleteQueue(const std::string& queueName) const {
  sdk::CheckName("queue name", queueName);
  client_->impl().Call("DeleteQueue", {{"queueName", queueName}});
}

ListResult Account::listQueue(const std::string& searchWord, std::optional<int> offset,
                              std::optional<int> limit) const {
  sdk::CheckPaging(offset, limit);
  ParamList params;
  sdk::AppendPaging(searchWord, offset, limit, &params);
  JsonValue response = client_->impl().Call("ListQueue", std::move(params));
  return sdk::ResponseReader("ListQueue", response).ReadList("queueList", "queueName", "queueId");
}

Queue Account::getQueue(const std::string& queueName) const { return Queue(queueName, client_); }

std::string Account::createTopic(const std::string& topicName, int maxMsgSize,
                                 int filterType) const {
  sdk::CheckName("topic name", topicName);
  if (filterType != 1 && filterType != 2) {
    sdk::ThrowInvalidArgument("filterType " + std::to_string(filterType) +
                              " is neither 1 (tags) nor 2 (routing keys)");
  }
  JsonValue response = client_->impl().Call("CreateTopic",
                                            {{"topicName", topicName},
                                             {"maxMsgSize", std::to_string(maxMsgSize)},
                                             {"filterType", std::to_string(filterType)}});
  return sdk::ResponseReader("CreateTopic", response).String("topicId");
}

void Account::deleteTopic(const std::string& topicName) const {
  sdk::CheckName("topic name", topicName);
  client_->impl().Call("DeleteTopic", {{"topicName", topicName}});
}

ListResult Account::listTopic(const std::string& searchWord, std::optional<int> offset,
                              std::optional<int> limit) const {
  sdk::CheckPaging(offset, limit);
  ParamList params;
  sdk::AppendPaging(searchWord, offset, limit, &params);
  JsonValue response = client_->impl().Call("ListTopic", std::move(params));
  return sdk::ResponseReader("ListTopic", response).ReadList("topicList", "topicName", "topicId");
}

Topic Account::getTopic(const std::string& topicName) const { return Topic(topicName, client_); }

std::string Account::createSubscribe(const std::string& topicName,
                                     const std::string& subscriptionName,
                                     const std::string& endpoint, const std::string& protocol,
                                     const std::vector<std::string>& filterTags,
                                     const std::vector<std::string>& bindingKeys,
                                     const std::string& notifyStrategy,
                                     const std::string& notifyContentFormat) const {
  sdk::CheckName("topic name", topicName);
  sdk::CheckName("subscription name", subscriptionName);
  sdk::CheckNonEmpty("endpoint", endpoint);
  sdk::CheckNonEmpty("protocol", protocol);
  sdk::CheckTags("filter tags", filterTags);
  sdk::CheckBindingKeys(bindingKeys);
  ParamList params = {{"topicName", topicName},
                      {"subscriptionName", subscriptionName},
                      {"endpoint", endpoint},
                      {"protocol", protocol}};
  if (!notifyStrategy.empty()) params.emplace_back("notifyStrategy", notifyStrategy);
  if (!notifyContentFormat.empty()) params.emplace_back("notifyContentFormat", notifyContentFormat);
  sdk::AppendIndexed("filterTag", filterTags, &params);
  sdk::AppendIndexed("bindingKey", bindingKeys, &params);
  JsonValue response = client_->impl().Call("Subscribe", std::move(params));
  return sdk::ResponseReader("Subscribe", response).String("subscriptionId");
}

Subscription Account::getSubscription(const std::string& topicName,
                                      const std::string& subscriptionName) const {
  return Subscription(topicName, subscriptionName, client_);
}

void Account::deleteSubscribe(const std::string& topicName,
                              const std::string& subscriptionName) const {
  sdk::CheckName("topic name", topicName);
  sdk::CheckName("subscription name", subscriptionName);
  client_->impl().Call("Unsubscribe", {{"topicName", topicName},
                                       {"subscriptionName", subscriptionName}});
}

ClusterInfo Account::describeCluster() const {
  JsonValue response = client_->impl().Call("DescribeCluster", {});
  sdk::ResponseReader r("DescribeCluster", response);
  ClusterInfo info;
  info.storage = r.String("storage");
  info.nodeId = r.String("nodeId");
  for (const JsonValue& item : r.Array("nodes")) {
    sdk::ResponseReader n = r.Element(item);
    ClusterNode node;
    node.nodeId = n.String("nodeId");
    node.address = n.String("address");
    node.startTime = n.Int("startTime");
    node.heartbeatAgeMs = n.Int("heartbeatAgeMs");
    node.alive = n.Bool("alive");
    for (const JsonValue& p : n.Array("partitions")) {
      std::optional<int64_t> v = p.is_number() ? p.as_int() : std::nullopt;
      if (!v) n.Fail("partitions", "holds a value that is not an integer");
      node.partitions.push_back(static_cast<int>(*v));
    }
    info.nodes.push_back(std::move(node));
  }
  for (const JsonValue& item : r.Array("partitions")) {
    sdk::ResponseReader p = r.Element(item);
    ClusterPartition partition;
    partition.partition = static_cast<int>(p.Int("partition"));
    partition.owner = p.String("owner");
    partition.ownerAddress = p.String("ownerAddress");
    partition.epoch = static_cast<uint64_t>(p.Int("epoch"));
    partition.leaseLeftMs = p.Int("leaseLeftMs");
    partition.segments = p.Int("segments");
    partition.logBytes = p.Int("logBytes");
    info.partitions.push_back(std::move(partition));
  }
  if (r.Has("database")) {
    sdk::ResponseReader db = r.Object("database");
    info.databaseServer = db.String("server");
    for (const JsonValue& item : db.Array("standbys")) {
      sdk::ResponseReader s = db.Element(item);
      DatabaseStandby standby;
      standby.name = s.String("name");
      standby.address = s.String("address");
      standby.state = s.String("state");
      standby.syncState = s.String("syncState");
      standby.lagBytes = s.Int("lagBytes");
      standby.replayLagMs = s.Int("replayLagMs");
      info.standbys.push_back(std::move(standby));
    }
  }
  return info;
}

}  // namespace cmq
