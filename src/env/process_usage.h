// What the running process uses, as the kernel counts it (for /metrics): CPU time,
// resident memory, open file descriptors and their limit. Linux (/proc/self).
#pragma once

#include <cstdint>

#include "common/status.h"

namespace cmq::env {

struct ProcessUsage {
  double cpu_seconds = 0;  // user + system, all threads
  uint64_t resident_bytes = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;  // the soft RLIMIT_NOFILE: open() fails beyond it
};

// Errors: kIoError naming what could not be read.
Result<ProcessUsage> ReadProcessUsage();

}  // namespace cmq::env
