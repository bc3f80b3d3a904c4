// The topics and subscriptions on /metrics: per topic the messages published since
// start; per subscription the messages delivered, HTTP push attempts by outcome, the
// deliveries waiting for a retry and the time of the latest failed push. Capped like
// the queues (queue_families.h): the first `max_series` topics, and the first
// `max_series` subscriptions among theirs, have series of their own; the rest add up
// into topic="__other__" (and subscription="__other__"), the error time being the
// latest of them. Written in one pass over the topics.
#pragma once

#include <cstdint>

#include "admin/metrics_text.h"
#include "broker/broker.h"

namespace cmq::admin {

void WriteTopicFamilies(MetricsText& text, const broker::Broker& broker, int64_t max_series);

}  // namespace cmq::admin
