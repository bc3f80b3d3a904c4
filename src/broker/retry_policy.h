// Retry schedules of topic deliveries (docs/cmq-api.md 9.6).
//
// The first attempt is immediate; retry k (1-based) follows a failed attempt after:
// * BACKOFF_RETRY: k <= 3, a delay in [backoff_retry_min_seconds,
//   backoff_retry_max_seconds] whole seconds picked by a hash of (msgId, subscription,
//   k). A hash rather than a random draw, so that replaying the failure record gives
//   the same schedule without recording randomness.
// * EXPONENTIAL_DECAY_RETRY: k <= 176, 2^(k-1) s for k = 1..9, then 512 s.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "broker/topic_types.h"
#include "broker/types.h"

namespace cmq::broker {

inline constexpr int kBackoffRetries = 3;
inline constexpr int kExponentialDecayRetries = 176;

// Delay in ms before retry `retry` (1-based), nullopt when the policy has no such retry.
std::optional<int64_t> RetryDelayMs(NotifyStrategy strategy, int retry, uint64_t msg_id,
                                    uint64_t subscription_uid, const TopicLimits& limits);

}  // namespace cmq::broker
