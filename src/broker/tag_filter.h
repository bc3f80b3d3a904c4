// Tag filtering of topics with filterType 1 (docs/cmq-api.md 9.2).
//
// A subscription without filter tags accepts every message, tagged or not; one with
// filter tags never accepts an untagged message, and otherwise accepts when the two
// sets share a tag. Comparison is exact (case-sensitive). Pure, thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cmq::broker {

bool TagFilterAccepts(const std::vector<std::string>& filter_tags,
                      const std::vector<std::string>& message_tags);

}  // namespace cmq::broker
