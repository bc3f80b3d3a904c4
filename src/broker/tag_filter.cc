#include "broker/tag_filter.h"

#include <algorithm>

namespace cmq::broker {

bool TagFilterAccepts(const std::vector<std::string>& filter_tags,
                      const std::vector<std::string>& message_tags) {
  if (filter_tags.empty()) return true;
  // At most five tags each side: a nested scan beats building a set.
  return std::any_of(message_tags.begin(), message_tags.end(), [&](const std::string& tag) {
    return std::find(filter_tags.begin(), filter_tags.end(), tag) != filter_tags.end();
  });
}

}  // namespace cmq::broker
