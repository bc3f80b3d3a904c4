// The api's requests on /metrics: answers by action and CMQ code, latency per action.
#pragma once

#include "admin/metrics_text.h"
#include "api/request_metrics.h"

namespace cmq::admin {

// Actions that answered nothing yet have no series.
void WriteRequestFamilies(MetricsText& text, const api::RequestMetrics& metrics);

}  // namespace cmq::admin
