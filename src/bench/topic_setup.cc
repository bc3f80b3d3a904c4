#include "bench/topic_setup.h"

#include <cstdio>

#include "bench/bench_setup.h"

namespace cmq::bench {

using client::ClientResult;

namespace {
constexpr char kDefaultRoutingKey[] = "cmq.bench";
constexpr char kDefaultBindingKey[] = "#";
}  // namespace

std::string SubscriptionQueueName(const BenchOptions& options, int i) {
  return options.topic + "-q" + std::to_string(i);
}

std::string HttpSubscriptionName(const BenchOptions& options, int i) {
  return options.topic + "-h" + std::to_string(i);
}

BenchOptions SubscriptionQueueOptions(const BenchOptions& options, int i) {
  BenchOptions o = options;
  o.queue = SubscriptionQueueName(options, i);
  o.create_queue = options.create_topic;
  o.delete_queue = options.delete_topic;
  return o;
}

std::optional<int> PrepareTopic(client::Caller* caller, const BenchOptions& options) {
  if (options.create_topic) {
    ParamList params = {{"topicName", options.topic}};
    if (options.filter_type > 0) params.emplace_back("filterType", std::to_string(options.filter_type));
    if (int64_t size = MaxMsgSizeToRequest(options); size >= 0) {
      params.emplace_back("maxMsgSize", std::to_string(size));
    }
    ClientResult<JsonValue> r = caller->Call("CreateTopic", std::move(params));
    if (r.ok()) {
      std::fprintf(stderr, "cmq-bench: created topic %s\n", options.topic.c_str());
    } else if (r.error().code == 4460) {
      std::fprintf(stderr, "cmq-bench: topic %s exists, using it as it is\n",
                   options.topic.c_str());
    } else {
      std::fprintf(stderr, "cmq-bench: CreateTopic %s: %s\n", options.topic.c_str(),
                   r.error().ToString().c_str());
      return std::nullopt;
    }
  }
  ClientResult<JsonValue> attrs =
      caller->Call("GetTopicAttributes", {{"topicName", options.topic}});
  if (!attrs.ok()) {
    std::fprintf(stderr, "cmq-bench: topic %s: %s%s\n", options.topic.c_str(),
                 attrs.error().ToString().c_str(),
                 attrs.error().code == 4440 ? " (use --create-topic)" : "");
    return std::nullopt;
  }
  const JsonValue* type = attrs->Find("filterType");
  int filter_type = type ? static_cast<int>(type->as_int().value_or(1)) : 1;
  if (options.filter_type > 0 && filter_type != options.filter_type) {
    std::fprintf(stderr, "cmq-bench: warning: topic %s has filterType %d, not %d\n",
                 options.topic.c_str(), filter_type, options.filter_type);
  }
  return filter_type;
}

ParamList PublishTarget(const BenchOptions& options, int filter_type) {
  ParamList params = {{"topicName", options.topic}};
  if (!options.tag.empty()) params.emplace_back("msgTag.1", options.tag);
  if (options.routing_key) {
    params.emplace_back("routingKey", *options.routing_key);
  } else if (filter_type == 2) {
    params.emplace_back("routingKey", kDefaultRoutingKey);
  }
  return params;
}

bool SubscribeTo(client::Caller* caller, const BenchOptions& options, int filter_type,
                 const SubscriptionSpec& spec) {
  ParamList params = {{"topicName", options.topic},
                      {"subscriptionName", spec.name},
                      {"protocol", spec.protocol},
                      {"endpoint", spec.endpoint}};
  if (!spec.format.empty()) params.emplace_back("notifyContentFormat", spec.format);
  if (!options.tag.empty()) params.emplace_back("filterTag.1", options.tag);
  if (!options.binding_key.empty()) {
    params.emplace_back("bindingKey.1", options.binding_key);
  } else if (filter_type == 2) {
    params.emplace_back("bindingKey.1", kDefaultBindingKey);
  }
  ClientResult<JsonValue> r = caller->Call("Subscribe", params);
  if (!r.ok() && r.error().code == 4490 && spec.replace) {
    ClientResult<JsonValue> u = caller->Call(
        "Unsubscribe", {{"topicName", options.topic}, {"subscriptionName", spec.name}});
    if (u.ok()) r = caller->Call("Subscribe", params);
  }
  if (r.ok()) {
    std::fprintf(stderr, "cmq-bench: subscribed %s (%s %s) to topic %s\n", spec.name.c_str(),
                 spec.protocol.c_str(), spec.endpoint.c_str(), options.topic.c_str());
    return true;
  }
  if (r.error().code == 4490) {
    std::fprintf(stderr, "cmq-bench: subscription %s exists, using it as it is\n",
                 spec.name.c_str());
    return true;
  }
  std::fprintf(stderr, "cmq-bench: Subscribe %s to %s: %s\n", spec.name.c_str(),
               options.topic.c_str(), r.error().ToString().c_str());
  return false;
}

void UnsubscribeFrom(client::Caller* caller, const BenchOptions& options,
                     const std::string& name) {
  ClientResult<JsonValue> r =
      caller->Call("Unsubscribe", {{"topicName", options.topic}, {"subscriptionName", name}});
  if (!r.ok()) {
    std::fprintf(stderr, "cmq-bench: warning: Unsubscribe %s: %s\n", name.c_str(),
                 r.error().ToString().c_str());
  } else {
    std::fprintf(stderr, "cmq-bench: unsubscribed %s\n", name.c_str());
  }
}

void DeleteTopic(client::Caller* caller, const BenchOptions& options) {
  ClientResult<JsonValue> r = caller->Call("DeleteTopic", {{"topicName", options.topic}});
  if (!r.ok()) {
    std::fprintf(stderr, "cmq-bench: warning: DeleteTopic %s: %s\n", options.topic.c_str(),
                 r.error().ToString().c_str());
  } else {
    std::fprintf(stderr, "cmq-bench: deleted topic %s\n", options.topic.c_str());
  }
}

}  // namespace cmq::bench
