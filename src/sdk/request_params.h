// Building the API parameters of SDK calls (docs/cmq-api.md 4, 6.7, 7.2, 8.2).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cmq/queue_meta.h"
#include "common/form.h"

namespace cmq::sdk {

// name.1=values[0], name.2=values[1], ... (every official SDK but Go counts from 1).
void AppendIndexed(std::string_view name, const std::vector<std::string>& values,
                   ParamList* params);
// The attributes of `meta` that hold a value.
void AppendQueueMeta(const QueueMeta& meta, ParamList* params);
// searchWord when non-empty, offset and limit when given.
void AppendPaging(const std::string& search_word, std::optional<int> offset,
                  std::optional<int> limit, ParamList* params);

}  // namespace cmq::sdk
