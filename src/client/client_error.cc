#include "client/client_error.h"

namespace cmq::client {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return "invalid argument";
    case ErrorKind::kNetwork: return "network error";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kProtocol: return "http protocol error";
    case ErrorKind::kHttpStatus: return "http status";
    case ErrorKind::kBadResponse: return "bad response";
    case ErrorKind::kServer: return "server error";
  }
  return "error";
}

std::string Error::ToString() const {
  std::string out = ErrorKindName(kind);
  if (kind == ErrorKind::kServer || kind == ErrorKind::kHttpStatus) {
    out += ' ';
    out += std::to_string(code);
  }
  if (!message.empty()) {
    out += kind == ErrorKind::kServer || kind == ErrorKind::kHttpStatus ? " " : ": ";
    out += message;
  }
  if (!request_id.empty()) out += " [requestId " + request_id + "]";
  return out;
}

}  // namespace cmq::client
