// MetricsText: writes the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): per family a HELP
// and a TYPE line, then its samples, `name{label="value",...} value`; label values
// and help texts escaped; histograms as cumulative `_bucket{le=...}`, `_sum` and
// `_count`.
//
// Every sample of a family must follow that family's Family() line. Code that visits
// many objects once (every queue) and writes several families from each keeps one
// MetricsText per family and Append()s them in order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/histogram.h"

namespace cmq::admin {

enum class MetricType { kCounter, kGauge, kHistogram };

// The inside of a sample's braces, `a="x",b="y"`, built once and reused for every
// sample of the same object; values are escaped (backslash, double quote, newline).
class Labels {
 public:
  Labels() = default;
  Labels& Add(std::string_view name, std::string_view value);
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

class MetricsText {
 public:
  void Family(std::string_view name, MetricType type, std::string_view help);
  // One sample named `name` (the family's name, or it with a suffix).
  void Sample(std::string_view name, const Labels& labels, int64_t value);
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  void Sample(std::string_view name, const Labels& labels, double value);
  // A sample with one label more than `labels`: `extra` is one rendered label,
  // `name="value"` (a constant, so nothing to escape), e.g. state="active".
  void Sample(std::string_view name, const Labels& labels, std::string_view extra, int64_t value);
  // The samples of a histogram family `name`: a bucket per bound and +Inf, sum, count.
  void HistogramSamples(std::string_view name, const Labels& labels, const Histogram& h);
  // Shorthand: a family with one sample without labels.
  void Single(std::string_view name, MetricType type, std::string_view help, int64_t value);
  void Single(std::string_view name, MetricType type, std::string_view help, double value);
  // Appends what `other` wrote (whole families).
  void Append(const MetricsText& other) { out_ += other.out_; }

  std::string Take() { return std::move(out_); }

 private:
  void Start(std::string_view name, std::string_view labels, std::string_view extra = {});
  std::string out_;
};

}  // namespace cmq::admin
