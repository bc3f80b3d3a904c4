// RequestMetrics: every answered request counted by action and CMQ code, and its
// latency per action (from Api::Handle to the answer), for /metrics. Kept on the loop
// thread as plain integers: each request adds to the slot its action was given once,
// at start-up, so the hot path looks up nothing by name.
//
// Thread: the event loop (the api's); a scrape reads it there too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/histogram.h"

namespace cmq::api {

// Upper bounds of the latency buckets, in seconds: a synced send takes about a
// millisecond, a long poll up to its wait (at most an hour, usually 30 s).
inline constexpr double kRequestSecondsBounds[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

class RequestMetrics {
 public:
  // Requests answered before their action was known (bad method, bad signature,
  // unknown or missing Action) count under this slot, named "unknown".
  static constexpr size_t kUnknownAction = 0;

  RequestMetrics();
  // Gives `action` (canonical spelling) a slot of its own; returns it.
  size_t AddAction(std::string_view action);

  // One answer of `slot`'s action with CMQ `code` (0 for success), `seconds` after
  // the request arrived.
  void Record(size_t slot, int code, double seconds);

  struct Action {
    std::string name;
    std::vector<std::pair<int, uint64_t>> codes;  // (CMQ code, answers), first seen first
    Histogram seconds{kRequestSecondsBounds};
  };
  // Every slot, in the order they were added ("unknown" first).
  std::span<const Action> actions() const { return actions_; }

 private:
  std::vector<Action> actions_;
};

}  // namespace cmq::api
