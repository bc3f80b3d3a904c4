// Topic attributes (docs/cmq-api.md 7.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cmq {

struct TopicMeta {
  // The only attribute setTopicAttributes can change; sent only when it holds a value.
  std::optional<int> maxMsgSize;  // bytes, 1024..1048576

  // ---- read-only, filled by getTopicAttributes ----
  int filterType = 1;                 // 1 tag filtering, 2 routing-key matching
  int64_t msgRetentionSeconds = 0;
  int64_t msgCount = 0;               // messages with deliveries still pending
  int64_t createTime = 0;             // Unix seconds
  int64_t lastModifyTime = 0;         // Unix seconds
  std::string topicId;
};

}  // namespace cmq
