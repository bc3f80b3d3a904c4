// Histogram: how many observations fell into each of fixed buckets, with their sum,
// as Prometheus histograms expose them (admin/metrics_text.h writes them). Observing
// is a short scan of the bounds and two additions: cheap enough for every request.
// Not thread-safe: one thread keeps it (and reads it, for a scrape).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace cmq {

class Histogram {
 public:
  // `upper_bounds` ascending and finite; not copied: static storage (a constant
  // array). A last bucket above every bound (+Inf) is implied.
  explicit Histogram(std::span<const double> upper_bounds)
      : bounds_(upper_bounds), buckets_(upper_bounds.size() + 1, 0) {}

  void Observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;
    ++buckets_[i];
    sum_ += value;
  }

  std::span<const double> upper_bounds() const { return bounds_; }
  // Observations in bucket `i` alone (not cumulative): at most upper_bounds()[i] and
  // above the bound before; i == upper_bounds().size() is the +Inf bucket.
  uint64_t bucket(size_t i) const { return buckets_[i]; }
  double sum() const { return sum_; }

 private:
  std::span<const double> bounds_;
  std::vector<uint64_t> buckets_;
  double sum_ = 0;
};

}  // namespace cmq
