// Output pieces shared by several commands: SDK values as JSON objects, durations for
// people, and paging through list actions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cmq/list_result.h"
#include "cmq/message.h"
#include "json_out.h"

namespace cmqctl {

// msgId, receiptHandle, msgBody, enqueueTime, firstDequeueTime, nextVisibleTime,
// dequeueCount: the names of the CMQ API, times in Unix seconds.
Json MessageJson(const cmq::Message& m);
// A peeked message: no receiptHandle, its state.
Json MessageJson(const cmq::PeekedMessage& m);

// "345600 (4d)", "60 (1m)", "0": seconds with a short human reading.
std::string SecondsForHumans(int64_t seconds);

// Pages through a list action (offset/limit) until every item is read. `fetch` gets
// (offset, limit). Stops early on an empty page, so a list that shrinks while it is
// read still ends.
std::vector<cmq::ResourceSummary> ListAll(
    const std::function<cmq::ListResult(int offset, int limit)>& fetch, int page_size,
    int64_t* total_count = nullptr);

}  // namespace cmqctl
