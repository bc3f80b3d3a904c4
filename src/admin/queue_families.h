// The queues on /metrics: per queue its traffic since start (sent, received,
// deleted, dead-lettered, expired), its messages by state and the age of its oldest.
// Only the first `max_queues` queues (Broker::ForEachQueue's order, which is stable)
// have series of their own; the others add up into one series labelled
// queue="__other__" (the age: the oldest of them), so many queues cannot flood a
// Prometheus server. Written in one pass over the queues.
#pragma once

#include <cstdint>

#include "admin/metrics_text.h"
#include "broker/broker.h"

namespace cmq::admin {

inline constexpr std::string_view kOtherQueues = "__other__";

void WriteQueueFamilies(MetricsText& text, const broker::Broker& broker, int64_t max_queues,
                        int64_t now_ms);

}  // namespace cmq::admin
