// Subscription attributes (docs/cmq-api.md 8.1).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmq {

struct SubscriptionMeta {
  // ---- changeable by setSubscriptionAttributes ----
  // "BACKOFF_RETRY" or "EXPONENTIAL_DECAY_RETRY"; "" leaves it unchanged.
  std::string notifyStrategy;
  // "JSON" or "SIMPLIFIED"; "" leaves it unchanged.
  std::string notifyContentFormat;
  // When non-empty, replaces the whole set; empty leaves it unchanged (use
  // Subscription::clearFilterTags to empty the tag set).
  std::vector<std::string> filterTag;
  std::vector<std::string> bindingKey;

  // ---- read-only, filled by getSubscriptionAttributes ----
  std::string topicOwner;
  std::string endpoint;  // queue name or http(s) URL
  std::string protocol;  // "queue" or "http"
  int64_t msgCount = 0;  // deliveries pending
  int64_t createTime = 0;
  int64_t lastModifyTime = 0;
  // cmqd extensions (0 / "" from other servers): why HTTP pushes fail. Observations
  // of the serving node since it started, not stored.
  std::string lastPushError;      // reason of the latest failed push attempt
  int64_t lastPushErrorTime = 0;  // its Unix time
  int64_t pushFailures = 0;       // failed push attempts
  int64_t retryBacklog = 0;       // pending deliveries that failed and wait for a retry
};

}  // namespace cmq
