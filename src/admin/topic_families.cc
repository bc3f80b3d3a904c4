#include "admin/topic_families.h"

#include <algorithm>
#include <string>

#include "admin/queue_families.h"

namespace cmq::admin {
namespace {

constexpr std::string_view kPublished = "cmq_topic_messages_published_total";
constexpr std::string_view kDelivered = "cmq_subscription_messages_delivered_total";
constexpr std::string_view kPushes = "cmq_subscription_pushes_total";
constexpr std::string_view kWaiting = "cmq_subscription_deliveries_waiting_retry";
constexpr std::string_view kErrorTime = "cmq_subscription_last_push_error_time_seconds";

// The samples of one subscription, or of those beyond the cap added up.
struct SubscriptionSeries {
  broker::SubscriptionTraffic traffic;
  int64_t waiting_retry = 0;
  int64_t last_push_error_time = 0;

  void Add(const broker::SubscriptionFigures& s) {
    traffic.delivered += s.traffic.delivered;
    traffic.push_successes += s.traffic.push_successes;
    traffic.push_failures += s.traffic.push_failures;
    waiting_retry += s.waiting_retry;
    last_push_error_time = std::max(last_push_error_time, s.last_push_error_time);
  }
};

}  // namespace

void WriteTopicFamilies(MetricsText& text, const broker::Broker& broker, int64_t max_series) {
  MetricsText published;
  published.Family(kPublished, MetricType::kCounter, "Messages published to the topic.");
  MetricsText delivered;
  delivered.Family(kDelivered, MetricType::kCounter,
                   "Messages delivered to the subscription: put into its queue, or pushed to "
                   "its endpoint with success.");
  MetricsText pushes;
  pushes.Family(kPushes, MetricType::kCounter,
                "HTTP push attempts to the subscription's endpoint by outcome (each retry "
                "counts again).");
  MetricsText waiting;
  waiting.Family(kWaiting, MetricType::kGauge,
                 "Deliveries to the subscription that failed and wait for their next attempt.");
  MetricsText error_times;
  error_times.Family(kErrorTime, MetricType::kGauge,
                     "Time of the latest failed push the log holds, in seconds since the "
                     "Unix epoch (0: none).");

  auto write = [&](const Labels& labels, const SubscriptionSeries& s) {
    delivered.Sample(kDelivered, labels, s.traffic.delivered);
    pushes.Sample(kPushes, labels, "outcome=\"success\"", s.traffic.push_successes);
    pushes.Sample(kPushes, labels, "outcome=\"failure\"", s.traffic.push_failures);
    waiting.Sample(kWaiting, labels, s.waiting_retry);
    error_times.Sample(kErrorTime, labels, s.last_push_error_time);
  };

  int64_t topics_seen = 0;
  int64_t subscriptions_seen = 0;
  int64_t other_published = 0;
  SubscriptionSeries other;
  bool any_other_subscription = false;
  broker.ForEachTopic([&](const broker::TopicFigures& t) {
    if (topics_seen++ >= max_series) {
      other_published += t.traffic.published;
      for (const broker::SubscriptionFigures& s : t.subscriptions) other.Add(s);
      any_other_subscription = any_other_subscription || !t.subscriptions.empty();
      return;
    }
    Labels topic = Labels().Add("account", std::to_string(t.account)).Add("topic", t.name);
    published.Sample(kPublished, topic, t.traffic.published);
    for (const broker::SubscriptionFigures& s : t.subscriptions) {
      if (subscriptions_seen++ >= max_series) {
        other.Add(s);
        any_other_subscription = true;
        continue;
      }
      SubscriptionSeries series;
      series.Add(s);
      write(Labels(topic).Add("subscription", s.name), series);
    }
  });
  if (topics_seen > max_series) {
    published.Sample(kPublished, Labels().Add("topic", kOtherQueues), other_published);
  }
  if (any_other_subscription) {
    write(Labels().Add("topic", kOtherQueues).Add("subscription", kOtherQueues), other);
  }

  text.Append(published);
  text.Append(delivered);
  text.Append(pushes);
  text.Append(waiting);
  text.Append(error_times);
}

}  // namespace cmq::admin
