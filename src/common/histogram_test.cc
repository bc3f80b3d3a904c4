#include "common/histogram.h"

#include <gtest/gtest.h>

#include <thread>

namespace cmq {
namespace {

constexpr double kBounds[] = {1, 10};

TEST(HistogramTest, BucketsAreBoundedAboveInclusively) {
  Histogram h(kBounds);
  for (double v : {0.5, 1.0, 1.5, 10.0, 11.0}) h.Observe(v);
  EXPECT_EQ(h.bucket(0), 2u);
  EXPECT_EQ(h.bucket(1), 2u);
  EXPECT_EQ(h.bucket(2), 1u);
  EXPECT_EQ(h.sum(), 24.0);
}

TEST(ConcurrentHistogramTest, SnapshotHoldsEveryObservationOfOtherThreads) {
  ConcurrentHistogram h(kBounds);
  constexpr int kPerThread = 10000;
  std::thread small([&] {
    for (int i = 0; i < kPerThread; ++i) h.Observe(1);
  });
  std::thread large([&] {
    for (int i = 0; i < kPerThread; ++i) h.Observe(100);
  });
  // A snapshot taken meanwhile is whole in each bucket, never more than observed.
  Histogram during = h.Snapshot();
  EXPECT_LE(during.bucket(0), uint64_t{kPerThread});
  small.join();
  large.join();
  Histogram after = h.Snapshot();
  EXPECT_EQ(after.bucket(0), uint64_t{kPerThread});
  EXPECT_EQ(after.bucket(1), 0u);
  EXPECT_EQ(after.bucket(2), uint64_t{kPerThread});
  EXPECT_EQ(after.sum(), 101.0 * kPerThread);
  EXPECT_EQ(after.upper_bounds().size(), 2u);
}

}  // namespace
}  // namespace cmq
