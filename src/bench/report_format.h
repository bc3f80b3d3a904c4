// Number and table formatting shared by the cmq-bench reports (text and JSON).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench/latency_histogram.h"
#include "common/json.h"

namespace cmq::bench {

// n per second over ns nanoseconds (0 when ns <= 0).
double PerSecond(uint64_t n, int64_t ns);
// Nanoseconds as seconds / milliseconds with three decimals.
std::string Secs(int64_t ns);
std::string Ms(int64_t ns);

// Error tallies by ErrorKey: a JSON member "errors": {...}, or "4440: 3, timeout: 1"
// ("none" when empty).
void WriteErrors(const std::map<std::string, uint64_t>& errors, JsonWriter* w);
std::string ErrorsText(const std::map<std::string, uint64_t>& errors);

// A JSON member "latency_us": {count, min, mean, p50, p99, p999, max}.
void WriteLatency(const LatencyHistogram& latency, JsonWriter* w);
// "<what> ms (N samples): p50 ..  p99 ..  p99.9 ..  max ..  mean .."
std::string LatencyText(const char* what, const LatencyHistogram& latency);

}  // namespace cmq::bench
