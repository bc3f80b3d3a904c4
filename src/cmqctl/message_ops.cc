#include "message_ops.h"

#include <algorithm>

#include "table.h"
#include "time_format.h"

namespace cmqctl {

namespace {

// `second` (the receipt handle, or a peeked message's state) follows the msgId.
std::string MessageText(const cmq::Message& m, std::pair<std::string, std::string> second) {
  return RenderKeyValues({{"msgId", m.msgId},
                          std::move(second),
                          {"enqueueTime", FormatUnixTime(m.enqueueTime)},
                          {"firstDequeueTime", FormatUnixTime(m.firstDequeueTime)},
                          {"nextVisibleTime", FormatUnixTime(m.nextVisibleTime)},
                          {"dequeueCount", std::to_string(m.dequeueCount)},
                          {"body", m.msgBody}});
}

}  // namespace

std::string MessageText(const cmq::Message& m) {
  return MessageText(m, {"receiptHandle", m.receiptHandle});
}

std::string MessageText(const cmq::PeekedMessage& m) {
  return MessageText(m.message, {"state", m.state});
}

std::vector<cmq::CMQBatchDeleteException::Failure> DeleteHandles(
    const cmq::Queue& queue, const std::vector<std::string>& handles, bool throw_on_failure) {
  std::vector<cmq::CMQBatchDeleteException::Failure> failures;
  for (size_t start = 0; start < handles.size(); start += 16) {
    size_t end = std::min(handles.size(), start + 16);
    if (end - start == 1) {
      // The single-handle action gives the plain 4430 error, clearer than a batch's 6020.
      try {
        queue.deleteMessage(handles[start]);
      } catch (const cmq::CMQServerException& e) {
        if (throw_on_failure) throw;
        failures.push_back({e.getCode(), e.getMessage(), handles[start]});
      }
      continue;
    }
    try {
      queue.batchDeleteMessage(
          std::vector<std::string>(handles.begin() + start, handles.begin() + end));
    } catch (const cmq::CMQBatchDeleteException& e) {
      if (throw_on_failure) throw;
      failures.insert(failures.end(), e.errorList().begin(), e.errorList().end());
    }
  }
  return failures;
}

}  // namespace cmqctl
