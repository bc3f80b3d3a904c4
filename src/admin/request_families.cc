#include "admin/request_families.h"

#include <string>

namespace cmq::admin {

void WriteRequestFamilies(MetricsText& text, const api::RequestMetrics& metrics) {
  text.Family("cmq_requests_total", MetricType::kCounter,
              "CMQ API requests answered, by action and CMQ code (0: success); action "
              "\"unknown\" for requests refused before their action was known.");
  for (const api::RequestMetrics::Action& action : metrics.actions()) {
    for (const auto& [code, count] : action.codes) {
      text.Sample("cmq_requests_total",
                  Labels().Add("action", action.name).Add("code", std::to_string(code)), count);
    }
  }
  text.Family("cmq_request_duration_seconds", MetricType::kHistogram,
              "Time from a CMQ API request's arrival to its answer, by action (a long poll "
              "includes its wait).");
  for (const api::RequestMetrics::Action& action : metrics.actions()) {
    if (action.codes.empty()) continue;
    text.HistogramSamples("cmq_request_duration_seconds", Labels().Add("action", action.name),
                          action.seconds);
  }
}

}  // namespace cmq::admin
