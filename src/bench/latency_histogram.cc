#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cmq::bench {

namespace {
constexpr size_t kSub = size_t{1} << 7;
// Values below 2*kSub are exact; above, each power of two [2^e, 2^(e+1)) for e = 8..63
// gets kSub buckets.
constexpr size_t kBuckets = (64 - 7 + 1) * kSub;
}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t v) {
  if (v < 2 * kSub) return static_cast<size_t>(v);
  int e = 63 - std::countl_zero(v);  // >= 8
  uint64_t top = v >> (e - kSubBits);  // in [kSub, 2*kSub)
  return static_cast<size_t>(e - kSubBits + 1) * kSub + static_cast<size_t>(top - kSub);
}

uint64_t LatencyHistogram::BucketMidpoint(size_t index) {
  if (index < 2 * kSub) return index;
  int e = static_cast<int>(index / kSub) + kSubBits - 1;
  uint64_t top = index % kSub + kSub;
  uint64_t width = uint64_t{1} << (e - kSubBits);
  return (top << (e - kSubBits)) + width / 2;
}

void LatencyHistogram::Record(int64_t ns) {
  if (ns < 0) ns = 0;
  ++buckets_[BucketOf(static_cast<uint64_t>(ns))];
  if (count_ == 0 || ns < min_) min_ = ns;
  max_ = std::max(max_, ns);
  sum_ += ns;
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ ? std::min(min_, other.min_) : other.min_;
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

int64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  if (rank == count_) return max_;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::clamp(static_cast<int64_t>(BucketMidpoint(i)), min_, max_);
    }
  }
  return max_;
}

}  // namespace cmq::bench
