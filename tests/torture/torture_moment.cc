#include "torture/torture_moment.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace cmq::torture {

const char* TriggerName(Trigger t) {
  switch (t) {
    case Trigger::kAcked:
      return "acknowledged operations";
    case Trigger::kSegmentRemoved:
      return "a segment removed";
    default:
      return "a segment created";
  }
}

std::string WaitForKillMoment(Trigger trigger, int64_t target, const Workload& workload,
                              const SegmentWatch& watch) {
  constexpr int64_t kPollMs = 20;
  int64_t base = workload.acked();
  int64_t give_up_ms = NowMs() + 300000;  // only turns a stall into a failure
  while (true) {
    int64_t acked = workload.acked() - base;
    if (trigger == Trigger::kAcked && acked >= target) {
      return std::to_string(acked) + " " + TriggerName(trigger);
    }
    if (trigger != Trigger::kAcked && acked >= 4 * target) {
      return std::to_string(acked) + " acknowledged operations (waited for " +
             TriggerName(trigger) + ")";
    }
    if (workload.failed() > 0) return "a client failure";
    if (NowMs() > give_up_ms) {
      ADD_FAILURE() << "no progress: " << acked << " operations acknowledged in 300 s";
      return "a stall";
    }
    if (trigger == Trigger::kAcked) {
      // Polling the counter; not a timing assertion.
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
      continue;
    }
    std::string segment = watch(kPollMs);
    if (!segment.empty() && acked >= 10) {
      return std::string(TriggerName(trigger)) + " (" + segment + ") at " + std::to_string(acked) +
             " acknowledged operations";
    }
  }
}

}  // namespace cmq::torture
