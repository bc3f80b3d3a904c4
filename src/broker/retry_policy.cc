#include "broker/retry_policy.h"

#include <algorithm>

namespace cmq::broker {
namespace {

// splitmix64's finaliser: a fast, well-mixed, platform-independent hash step.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::optional<int64_t> RetryDelayMs(NotifyStrategy strategy, int retry, uint64_t msg_id,
                                    uint64_t subscription_uid, const TopicLimits& limits) {
  if (retry < 1) return std::nullopt;
  if (strategy == NotifyStrategy::kBackoffRetry) {
    if (retry > kBackoffRetries) return std::nullopt;
    int64_t lo = std::max(limits.backoff_retry_min_seconds, 0);
    int64_t hi = std::max<int64_t>(limits.backoff_retry_max_seconds, lo);
    uint64_t h = Mix(Mix(Mix(msg_id) ^ subscription_uid) ^ static_cast<uint64_t>(retry));
    return (lo + static_cast<int64_t>(h % static_cast<uint64_t>(hi - lo + 1))) * 1000;
  }
  if (retry > kExponentialDecayRetries) return std::nullopt;
  return (retry <= 9 ? int64_t{1} << (retry - 1) : 512) * 1000;
}

}  // namespace cmq::broker
