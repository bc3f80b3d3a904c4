#include "admin/metrics_text.h"

#include <gtest/gtest.h>

namespace cmq::admin {
namespace {

TEST(MetricsTextTest, FamiliesHaveHelpAndTypeAndSamplesFollow) {
  MetricsText text;
  text.Family("cmq_things_total", MetricType::kCounter, "Things.\nAnd a back\\slash.");
  text.Sample("cmq_things_total", Labels().Add("queue", "q1"), int64_t{3});
  text.Sample("cmq_things_total", Labels(), uint64_t{18446744073709551615u});
  text.Single("cmq_ratio", MetricType::kGauge, "A float.", 0.25);
  EXPECT_EQ(text.Take(),
            "# HELP cmq_things_total Things.\\nAnd a back\\\\slash.\n"
            "# TYPE cmq_things_total counter\n"
            "cmq_things_total{queue=\"q1\"} 3\n"
            "cmq_things_total 18446744073709551615\n"
            "# HELP cmq_ratio A float.\n"
            "# TYPE cmq_ratio gauge\n"
            "cmq_ratio 0.25\n");
}

TEST(MetricsTextTest, LabelValuesAreEscaped) {
  Labels labels;
  labels.Add("queue", "a\"b\\c\nd").Add("account", "7");
  EXPECT_EQ(labels.str(), "queue=\"a\\\"b\\\\c\\nd\",account=\"7\"");
}

TEST(MetricsTextTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  static constexpr double kBounds[] = {0.125, 0.5};  // exact in binary, as the sum below
  Histogram h(kBounds);
  h.Observe(0.0625);
  h.Observe(0.125);  // a bound is inclusive
  h.Observe(0.25);
  h.Observe(7);
  MetricsText text;
  text.HistogramSamples("cmq_wait_seconds", Labels().Add("action", "X"), h);
  EXPECT_EQ(text.Take(),
            "cmq_wait_seconds_bucket{action=\"X\",le=\"0.125\"} 2\n"
            "cmq_wait_seconds_bucket{action=\"X\",le=\"0.5\"} 3\n"
            "cmq_wait_seconds_bucket{action=\"X\",le=\"+Inf\"} 4\n"
            "cmq_wait_seconds_sum{action=\"X\"} 7.4375\n"
            "cmq_wait_seconds_count{action=\"X\"} 4\n");
}

}  // namespace
}  // namespace cmq::admin
