// The process's own families on /metrics: build info, and under the names every
// Prometheus client library uses (process_*, no cmq_ prefix, so the dashboards made
// for them work): start time, CPU, resident memory, open file descriptors and their
// limit.
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
