#include "sdk/request_params.h"

namespace cmq::sdk {

void AppendIndexed(std::string_view name, const std::vector<std::string>& values,
                   ParamList* params) {
  for (size_t i = 0; i < values.size(); ++i) {
    params->emplace_back(std::string(name) + "." + std::to_string(i + 1), values[i]);
  }
}

void AppendQueueMeta(const QueueMeta& meta, ParamList* params) {
  auto add = [params](const char* name, const std::optional<int>& value) {
    if (value) params->emplace_back(name, std::to_string(*value));
  };
  add("maxMsgHeapNum", meta.maxMsgHeapNum);
  add("pollingWaitSeconds", meta.pollingWaitSeconds);
  add("visibilityTimeout", meta.visibilityTimeout);
  add("maxMsgSize", meta.maxMsgSize);
  add("msgRetentionSeconds", meta.msgRetentionSeconds);
  add("rewindSeconds", meta.rewindSeconds);
  if (meta.deadLetterPolicy) params->emplace_back("deadLetterPolicy", *meta.deadLetterPolicy);
}

void AppendPaging(const std::string& search_word, std::optional<int> offset,
                  std::optional<int> limit, ParamList* params) {
  if (!search_word.empty()) params->emplace_back("searchWord", search_word);
  if (offset) params->emplace_back("offset", std::to_string(*offset));
  if (limit) params->emplace_back("limit", std::to_string(*limit));
}

}  // namespace cmq::sdk
