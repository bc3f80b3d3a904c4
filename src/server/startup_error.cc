#include "server/startup_error.h"

namespace cmq::server {

Status StartupError(const std::string& doing, const Status& cause) {
  if (cause.ok()) return cause;
  std::string kind;
  switch (cause.error()) {
    case ErrorCode::kCorruption:
      kind = "corrupt data";
      break;
    case ErrorCode::kDiskFull:
      kind = "disk full";
      break;
    case ErrorCode::kStorageFailed:
      kind = "storage stopped";
      break;
    default:
      break;
  }
  std::string why = cause.detail();
  if (why.empty()) {
    why = kind.empty() ? GetErrorInfo(cause.error()).text : kind;
  } else if (!kind.empty()) {
    why = kind + ": " + why;
  }
  return Status(cause.error(), doing + ": " + why);
}

}  // namespace cmq::server
