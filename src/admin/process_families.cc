#include "admin/process_families.h"

#include "env/process_usage.h"

namespace cmq::admin {

void WriteProcessFamilies(MetricsText& text, const ProcessFacts& facts) {
  text.Family("cmq_build_info", MetricType::kGauge, "The cmqd build serving: always 1.");
  text.Sample("cmq_build_info", Labels().Add("version", facts.version), int64_t{1});
  text.Single("process_start_time_seconds", MetricType::kGauge,
              "Start time of the process since the Unix epoch in seconds.",
              facts.start_time_seconds);
  Result<env::ProcessUsage> usage = env::ReadProcessUsage();
  if (!usage.ok()) return;
  text.Single("process_cpu_seconds_total", MetricType::kCounter,
              "User and system CPU time of all threads in seconds.", usage->cpu_seconds);
  text.Single("process_resident_memory_bytes", MetricType::kGauge, "Resident memory size in bytes.",
              static_cast<int64_t>(usage->resident_bytes));
  text.Single("process_open_fds", MetricType::kGauge,
              "Open file descriptors: connections, journal segments, the process's own.",
              usage->open_fds);
  text.Single("process_max_fds", MetricType::kGauge,
              "Maximum number of open file descriptors (the soft RLIMIT_NOFILE).", usage->max_fds);
}

}  // namespace cmq::admin
