// Log-linear histogram of durations in nanoseconds: 128 sub-buckets per power of two,
// so any reported percentile is within 1% of the true sample. Fixed size (58 KiB),
// mergeable, so every consumer thread keeps its own and the report merges them.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cmq::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();
  void Record(int64_t ns);  // negative values count as 0
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return max_; }
  int64_t mean() const { return count_ ? static_cast<int64_t>(sum_ / count_) : 0; }
  // The value at quantile q in [0, 1] (e.g. 0.999), 0 when empty.
  int64_t Percentile(double q) const;

 private:
  static constexpr int kSubBits = 7;
  static size_t BucketOf(uint64_t v);
  static uint64_t BucketMidpoint(size_t index);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace cmq::bench
