// Value types of the topic model (docs/cmq-api.md sections 7-9), shared by the
// broker, the delivery layer and the api.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/types.h"

namespace cmq::broker {

enum class FilterType { kTag = 1, kRoutingKey = 2 };

struct TopicAttributes {
  int max_msg_size = 65536;
  FilterType filter_type = FilterType::kTag;
};

struct TopicView {
  std::string topic_id;  // "topic-" + 10 [a-z0-9]
  std::string name;      // original spelling
  TopicAttributes attributes;
  int msg_retention_seconds = 86400;
  int64_t msg_count = 0;  // messages with at least one pending delivery
  int64_t create_time = 0;
  int64_t last_modify_time = 0;
  AccountId owner = 0;
};

struct TopicRef {
  std::string topic_id;
  std::string name;
};

struct TopicPage {
  int64_t total_count = 0;
  std::vector<TopicRef> topics;
};

enum class Protocol { kHttp, kQueue };
enum class NotifyStrategy { kBackoffRetry, kExponentialDecayRetry };
enum class ContentFormat { kJson, kSimplified };

// What Subscribe takes. The api has validated syntax, lengths and counts; the broker
// checks existence, duplicates, quotas and the rules that depend on the topic.
struct SubscriptionSpec {
  std::string name;
  Protocol protocol = Protocol::kHttp;
  std::string endpoint;  // URL for http, queue name for queue
  NotifyStrategy notify_strategy = NotifyStrategy::kExponentialDecayRetry;
  ContentFormat content_format = ContentFormat::kJson;  // queue: stored as kSimplified
  std::vector<std::string> filter_tags;
  std::vector<std::string> binding_keys;
};

// SetSubscriptionAttributes: unset members are unchanged; a set vector replaces.
struct SubscriptionUpdate {
  std::optional<NotifyStrategy> notify_strategy;
  std::optional<ContentFormat> content_format;
  std::optional<std::vector<std::string>> filter_tags;
  std::optional<std::vector<std::string>> binding_keys;
};

struct SubscriptionView {
  std::string subscription_id;  // "subsc-" + 10 [a-z0-9]
  std::string name;
  std::string topic_name;
  SubscriptionSpec spec;  // spec.name == name
  int64_t msg_count = 0;  // deliveries pending for this subscription
  int64_t create_time = 0;
  int64_t last_modify_time = 0;
  AccountId topic_owner = 0;
  std::string last_push_error;       // of the latest failed push the log holds; "" if none
  int64_t last_push_error_time = 0;  // its time in seconds; 0 if none
  int64_t push_failures = 0;         // failed HTTP push attempts since recovery ended
  // Pending deliveries that failed at least once and wait for a retry. Only
  // GetSubscription fills it (it scans the topic's messages); lists leave 0.
  int64_t retry_backlog = 0;
};

// What happened at a topic and its subscriptions since recovery ended (like
// QueueTraffic): observations for /metrics, never recorded.
struct TopicTraffic {
  int64_t published = 0;  // messages published
};
struct SubscriptionTraffic {
  int64_t delivered = 0;       // put into the subscription's queue, or pushed with success
  int64_t push_successes = 0;  // HTTP push attempts the endpoint accepted
  int64_t push_failures = 0;   // HTTP push attempts that failed (each retry again)
};

// One subscription as /metrics shows it.
struct SubscriptionFigures {
  std::string_view name;
  SubscriptionTraffic traffic;
  int64_t waiting_retry = 0;         // deliveries that failed and wait for their next attempt
  int64_t last_push_error_time = 0;  // Unix s of the latest failed push; 0 if none the log holds
};

// One topic as /metrics shows it, with its subscriptions in creation order.
struct TopicFigures {
  AccountId account = 0;
  std::string_view name;
  TopicTraffic traffic;
  std::vector<SubscriptionFigures> subscriptions;
};

struct SubscriptionPage {
  int64_t total_count = 0;
  std::vector<SubscriptionView> subscriptions;
};

struct PublishedMessage {
  std::string msg_id;
};

// One HTTP push attempt the broker asks the delivery layer to make (section 9.5).
struct PushTask {
  uint64_t delivery_id = 0;  // identifies (message, subscription) for CompletePush
  std::string endpoint;      // URL as stored
  ContentFormat format = ContentFormat::kJson;
  AccountId topic_owner = 0;
  std::string topic_name;
  std::string subscription_name;
  std::string msg_id;
  std::string body;
  std::vector<std::string> tags;
  int64_t publish_time = 0;  // Unix s
  int attempt = 0;           // 0 for the first attempt
};

}  // namespace cmq::broker
