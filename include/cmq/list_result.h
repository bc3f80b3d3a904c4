// One page of ListQueue, ListTopic or ListSubscriptionByTopic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmq {

struct ResourceSummary {
  std::string name;
  std::string id;  // queueId, topicId or subscriptionId
  // Subscriptions only: "queue"/"http" and the queue name or URL.
  std::string protocol;
  std::string endpoint;
};

struct ListResult {
  // Resources matching the search word in total, not the size of this page: page on
  // with offset = previous offset + items.size() while that is below totalCount.
  int64_t totalCount = 0;
  std::vector<ResourceSummary> items;  // stable order (creation order)

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    out.reserve(items.size());
    for (const ResourceSummary& item : items) out.push_back(item.name);
    return out;
  }
};

}  // namespace cmq
