// Histogram: how many observations fell into each of fixed buckets, with their sum,
// as Prometheus histograms expose them (admin/metrics_text.h writes them). Observing
// is a short scan of the bounds and two additions: cheap enough for every request.
// Histogram is not thread-safe: one thread keeps it (and reads it, for a scrape).
// ConcurrentHistogram is kept by one thread and read by another (a journal's writer
// thread observes, the loop thread scrapes), with atomics and no lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cmq {

class Histogram {
 public:
  // `upper_bounds` ascending and finite; not copied: static storage (a constant
  // array). A last bucket above every bound (+Inf) is implied.
  explicit Histogram(std::span<const double> upper_bounds)
      : bounds_(upper_bounds), buckets_(upper_bounds.size() + 1, 0) {}

  // The bucket an observation of `value` falls into.
  static size_t BucketOf(std::span<const double> upper_bounds, double value) {
    size_t i = 0;
    while (i < upper_bounds.size() && value > upper_bounds[i]) ++i;
    return i;
  }

  void Observe(double value) {
    ++buckets_[BucketOf(bounds_, value)];
    sum_ += value;
  }
  // Adds `count` observations to bucket `i` (ConcurrentHistogram's snapshot), and
  // `sum` to the sum.
  void Add(size_t i, uint64_t count, double sum) {
    buckets_[i] += count;
    sum_ += sum;
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

class ConcurrentHistogram {
 public:
  // `upper_bounds` as for Histogram.
  explicit ConcurrentHistogram(std::span<const double> upper_bounds)
      : bounds_(upper_bounds),
        buckets_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds.size() + 1)) {}

  // Any thread. Relaxed: a reader may see the count before the sum, never a torn value.
  void Observe(double value) {
    buckets_[Histogram::BucketOf(bounds_, value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  // Any thread: the observations so far (those made meanwhile may be in or out).
  Histogram Snapshot() const {
    Histogram h(bounds_);
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      h.Add(i, buckets_[i].load(std::memory_order_relaxed), 0);
    }
    h.Add(0, 0, sum_.load(std::memory_order_relaxed));
    return h;
  }

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

}  // namespace cmq
