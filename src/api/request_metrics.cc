#include "api/request_metrics.h"

namespace cmq::api {

RequestMetrics::RequestMetrics() { AddAction("unknown"); }

size_t RequestMetrics::AddAction(std::string_view action) {
  actions_.push_back(Action{std::string(action), {}, Histogram(kRequestSecondsBounds)});
  return actions_.size() - 1;
}

void RequestMetrics::Record(size_t slot, int code, double seconds) {
  Action& action = actions_[slot];
  action.seconds.Observe(seconds);
  // An action answers with a handful of codes: a short scan beats a map.
  for (auto& [seen, count] : action.codes) {
    if (seen == code) {
      ++count;
      return;
    }
  }
  action.codes.emplace_back(code, 1);
}

}  // namespace cmq::api
