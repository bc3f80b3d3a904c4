#include "bench/report_format.h"

#include <cstdio>

namespace cmq::bench {

double PerSecond(uint64_t n, int64_t ns) {
  return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0;
}

std::string Secs(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string Ms(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

void WriteErrors(const std::map<std::string, uint64_t>& errors, JsonWriter* w) {
  w->Key("errors").BeginObject();
  for (const auto& [k, v] : errors) w->Key(k).Uint(v);
  w->EndObject();
}

std::string ErrorsText(const std::map<std::string, uint64_t>& errors) {
  if (errors.empty()) return "none";
  std::string out;
  for (const auto& [k, v] : errors) {
    if (!out.empty()) out += ", ";
    out += k + ": " + std::to_string(v);
  }
  return out;
}

void WriteLatency(const LatencyHistogram& latency, JsonWriter* w) {
  w->Key("latency_us").BeginObject();
  w->Key("count").Uint(latency.count());
  w->Field("min", latency.min() / 1000);
  w->Field("mean", latency.mean() / 1000);
  w->Field("p50", latency.Percentile(0.5) / 1000);
  w->Field("p99", latency.Percentile(0.99) / 1000);
  w->Field("p999", latency.Percentile(0.999) / 1000);
  w->Field("max", latency.max() / 1000);
  w->EndObject();
}

std::string LatencyText(const char* what, const LatencyHistogram& latency) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%s ms (%llu samples): p50 %s  p99 %s  p99.9 %s  max %s  mean %s",
                what, static_cast<unsigned long long>(latency.count()),
                Ms(latency.Percentile(0.5)).c_str(), Ms(latency.Percentile(0.99)).c_str(),
                Ms(latency.Percentile(0.999)).c_str(), Ms(latency.max()).c_str(),
                Ms(latency.mean()).c_str());
  return buf;
}

}  // namespace cmq::bench
