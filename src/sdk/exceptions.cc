#include "cmq/exceptions.h"

#include <cstdlib>

namespace cmq {
namespace {

std::string ClientWhat(CMQClientException::Kind kind, const std::string& message,
                       int http_status) {
  std::string out = std::string("CMQClientException (") + CMQClientException::kindName(kind);
  if (kind == CMQClientException::Kind::kHttpStatus)
    out.append(" ").append(std::to_string(http_status));
  return out + "): " + message;
}

std::string ServerWhat(int code, const std::string& message, const std::string& request_id) {
  return "CMQServerException " + std::to_string(code) + ": " + message + " [requestId " +
         (request_id.empty() ? "-" : request_id) + "]";
}

// "(10100)queue is not existed" -> 10100; 0 without such a prefix.
int ModuleCodeOf(const std::string& message) {
  if (message.size() < 3 || message[0] != '(') return 0;
  size_t close = message.find(')');
  if (close == std::string::npos || close == 1 || close > 11) return 0;
  int value = 0;
  for (size_t i = 1; i < close; ++i) {
    if (message[i] < '0' || message[i] > '9') return 0;
    value = value * 10 + (message[i] - '0');
  }
  return value;
}

}  // namespace

CMQClientException::CMQClientException(Kind kind, std::string message, int httpStatus,
                                       bool outcomeUnknown)
    : CMQException(ClientWhat(kind, message, httpStatus)),
      kind_(kind),
      message_(std::move(message)),
      http_status_(httpStatus),
      outcome_unknown_(outcomeUnknown) {}

const char* CMQClientException::kindName(Kind kind) {
  switch (kind) {
    case Kind::kInvalidArgument: return "invalid argument";
    case Kind::kNetwork: return "network";
    case Kind::kTimeout: return "timeout";
    case Kind::kProtocol: return "protocol";
    case Kind::kHttpStatus: return "http status";
    case Kind::kBadResponse: return "bad response";
  }
  return "unknown";
}

CMQServerException::CMQServerException(int code, std::string message, std::string requestId)
    : CMQException(ServerWhat(code, message, requestId)),
      code_(code),
      message_(std::move(message)),
      request_id_(std::move(requestId)),
      module_code_(ModuleCodeOf(message_)) {}

}  // namespace cmq
