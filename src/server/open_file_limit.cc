#include "server/open_file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cmq::server {

Result<OpenFileLimit> RaiseOpenFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return Status(ErrorCode::kIoError,
                  std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  OpenFileLimit out;
  out.soft_before = limit.rlim_cur;
  out.soft = limit.rlim_cur;
  out.hard = limit.rlim_max;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      out.soft = raised.rlim_cur;
    } else {
      out.raise_error = std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno);
    }
  }
  return out;
}

uint64_t ReservedDescriptors(uint64_t limit, uint64_t journal_files) {
  uint64_t push = std::max(kMinPushDescriptors, limit / 16);
  return kProcessDescriptors + journal_files + kJournalGrowthDescriptors + push;
}

size_t ConnectionCap(uint64_t limit, uint64_t journal_files, size_t max_connections) {
  uint64_t reserved = ReservedDescriptors(limit, journal_files);
  uint64_t left = limit > reserved ? limit - reserved : 0;
  return static_cast<size_t>(
      std::min<uint64_t>(std::max<uint64_t>(left, kMinClientConnections), max_connections));
}

Status CheckOpenFileLimit(uint64_t limit, uint64_t journal_files) {
  uint64_t reserved = ReservedDescriptors(limit, journal_files);
  if (limit >= reserved + kMinClientConnections) return Status::Ok();
  return Status(ErrorCode::kTooManyOpenFiles,
                "the open-file limit (ulimit -n) is " + std::to_string(limit) +
                    "; cmqd needs at least " + std::to_string(reserved + kMinClientConnections) +
                    ": " + std::to_string(reserved) +
                    " for the journal, push deliveries and itself, and " +
                    std::to_string(kMinClientConnections) +
                    " for client connections. Raise the hard limit (ulimit -Hn, or "
                    "LimitNOFILE= under systemd)");
}

std::string DescribeConnectionBudget(const OpenFileLimit& limit, uint64_t journal_files,
                                     size_t max_connections) {
  std::string out = "open-file limit " + std::to_string(limit.soft);
  if (!limit.raise_error.empty()) {
    out += " (cannot raise it to the hard limit " + std::to_string(limit.hard) + ": " +
           limit.raise_error + ")";
  } else if (limit.soft != limit.soft_before) {
    out += " (raised from " + std::to_string(limit.soft_before) + " to the hard limit)";
  }
  uint64_t reserved = ReservedDescriptors(limit.soft, journal_files);
  out += "; " + std::to_string(reserved) + " descriptors kept for the journal (" +
         std::to_string(journal_files) + " files now), push deliveries and the process: at most " +
         std::to_string(ConnectionCap(limit.soft, journal_files, max_connections)) +
         " client connections (max_connections " + std::to_string(max_connections) + ")";
  return out;
}

}  // namespace cmq::server
