#include "render.h"

#include <algorithm>

namespace cmqctl {

Json MessageJson(const cmq::Message& m) {
  Json j = Json::Object();
  j.Set("msgId", m.msgId);
  // A peeked message has no handle.
  if (!m.receiptHandle.empty()) j.Set("receiptHandle", m.receiptHandle);
  j.Set("msgBody", m.msgBody)
      .Set("enqueueTime", m.enqueueTime)
      .Set("firstDequeueTime", m.firstDequeueTime)
      .Set("nextVisibleTime", m.nextVisibleTime)
      .Set("dequeueCount", m.dequeueCount);
  return j;
}

Json MessageJson(const cmq::PeekedMessage& m) {
  Json j = MessageJson(m.message);
  j.Set("state", m.state);
  return j;
}

std::string SecondsForHumans(int64_t seconds) {
  std::string out = std::to_string(seconds);
  if (seconds < 60) return out;
  struct Unit {
    int64_t size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}};
  std::string reading;
  int64_t left = seconds;
  for (const Unit& u : kUnits) {
    if (left >= u.size) {
      reading += std::to_string(left / u.size) + u.name;
      left %= u.size;
    }
  }
  if (left > 0) reading += std::to_string(left) + "s";
  return out + " (" + reading + ")";
}

std::vector<cmq::ResourceSummary> ListAll(
    const std::function<cmq::ListResult(int offset, int limit)>& fetch, int page_size,
    int64_t* total_count) {
  std::vector<cmq::ResourceSummary> all;
  int64_t total = 0;
  while (true) {
    cmq::ListResult page = fetch(static_cast<int>(all.size()), page_size);
    total = page.totalCount;
    if (page.items.empty()) break;
    for (cmq::ResourceSummary& item : page.items) all.push_back(std::move(item));
    if (static_cast<int64_t>(all.size()) >= total) break;
  }
  if (total_count != nullptr) *total_count = std::max<int64_t>(total, all.size());
  return all;
}

}  // namespace cmqctl
