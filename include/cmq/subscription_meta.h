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
};

}  // namespace cmq
