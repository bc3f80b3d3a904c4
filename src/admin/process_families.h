// The process's own families on /metrics: build info, start time, CPU, resident
// memory, open file descriptors.
#pragma once

#include <string>

#include "admin/metrics_text.h"

namespace cmq::admin {

struct ProcessFacts {
  double start_time_seconds = 0;  // Unix time the process started
  std::string version;            // what `cmqd --version` says after the name
};

// What the kernel cannot tell (an unreadable /proc) is left out, not guessed.
void WriteProcessFamilies(MetricsText& text, const ProcessFacts& facts);

}  // namespace cmq::admin
