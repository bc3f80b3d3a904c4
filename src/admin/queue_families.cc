#include "admin/queue_families.h"

#include <algorithm>
#include <array>
#include <string>

namespace cmq::admin {
namespace {

// The counter families, in the order of Traffic() below.
struct CounterFamily {
  std::string_view name;
  std::string_view help;
};
constexpr std::array<CounterFamily, 5> kCounters = {{
    {"cmq_queue_messages_sent_total", "Messages put into the queue (sends and topic deliveries)."},
    {"cmq_queue_messages_received_total", "Messages handed to consumers (each redelivery again)."},
    {"cmq_queue_messages_deleted_total", "Messages deleted by consumers."},
    {"cmq_queue_messages_dead_lettered_total",
     "Messages moved to the dead-letter queue (or dropped without one)."},
    {"cmq_queue_messages_expired_total",
     "Undeleted messages dropped at the end of their retention."},
}};

std::array<int64_t, 5> Traffic(const broker::QueueTraffic& t) {
  return {t.sent, t.received, t.deleted, t.dead_lettered, t.expired};
}

// The state label of each gauge, rendered.
constexpr std::array<std::string_view, 4> kStates = {"state=\"active\"", "state=\"inactive\"",
                                                     "state=\"delayed\"", "state=\"rewindable\""};

std::array<int64_t, 4> ByState(const broker::QueueCounters& c) {
  return {c.active, c.inactive, c.delayed, c.rewindable};
}

// The samples of one queue, or of the queues beyond the cap added up.
struct Series {
  std::array<int64_t, 5> traffic{};
  std::array<int64_t, 4> states{};
  int64_t oldest_age_seconds = 0;
};

}  // namespace

void WriteQueueFamilies(MetricsText& text, const broker::Broker& broker, int64_t max_queues,
                        int64_t now_ms) {
  std::array<MetricsText, 5> counters;
  for (size_t i = 0; i < kCounters.size(); ++i) {
    counters[i].Family(kCounters[i].name, MetricType::kCounter, kCounters[i].help);
  }
  MetricsText states;
  states.Family("cmq_queue_messages", MetricType::kGauge,
                "Messages in the queue by state (activeMsgNum, inactiveMsgNum, delayMsgNum, "
                "rewindMsgNum).");
  MetricsText ages;
  ages.Family("cmq_queue_oldest_message_age_seconds", MetricType::kGauge,
              "Age of the oldest undeleted message in seconds (0: none).");

  auto write = [&](const Labels& labels, const Series& s) {
    for (size_t i = 0; i < kCounters.size(); ++i) {
      counters[i].Sample(kCounters[i].name, labels, s.traffic[i]);
    }
    for (size_t i = 0; i < kStates.size(); ++i) {
      states.Sample("cmq_queue_messages", labels, kStates[i], s.states[i]);
    }
    ages.Sample("cmq_queue_oldest_message_age_seconds", labels, s.oldest_age_seconds);
  };

  const int64_t now_s = now_ms / 1000;
  int64_t seen = 0;
  Series other;
  broker.ForEachQueue([&](const broker::QueueFigures& q) {
    Series s{
        Traffic(q.traffic), ByState(q.counters),
        q.counters.min_msg_time > 0 ? std::max<int64_t>(0, now_s - q.counters.min_msg_time) : 0};
    if (seen++ < max_queues) {
      write(Labels().Add("account", std::to_string(q.account)).Add("queue", q.name), s);
      return;
    }
    for (size_t i = 0; i < s.traffic.size(); ++i) other.traffic[i] += s.traffic[i];
    for (size_t i = 0; i < s.states.size(); ++i) other.states[i] += s.states[i];
    other.oldest_age_seconds = std::max(other.oldest_age_seconds, s.oldest_age_seconds);
  });
  if (seen > max_queues) write(Labels().Add("queue", kOtherQueues), other);

  for (const MetricsText& family : counters) text.Append(family);
  text.Append(states);
  text.Append(ages);
}

}  // namespace cmq::admin
