// RequestMetrics as the Api keeps it: every answer counted once under its action and
// CMQ code, with its latency.
#include "api/request_metrics.h"

#include <gtest/gtest.h>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using RequestMetricsTest = ApiTest;

const RequestMetrics::Action* FindAction(const RequestMetrics& metrics, std::string_view name) {
  for (const RequestMetrics::Action& a : metrics.actions()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

uint64_t Answers(const RequestMetrics& metrics, std::string_view action, int code) {
  const RequestMetrics::Action* a = FindAction(metrics, action);
  if (a == nullptr) return 0;
  for (const auto& [seen, count] : a->codes) {
    if (seen == code) return count;
  }
  return 0;
}

uint64_t Observed(const RequestMetrics& metrics, std::string_view action) {
  const RequestMetrics::Action* a = FindAction(metrics, action);
  uint64_t n = 0;
  for (size_t i = 0; a != nullptr && i <= a->seconds.upper_bounds().size(); ++i) {
    n += a->seconds.bucket(i);
  }
  return n;
}

TEST_F(RequestMetricsTest, EveryAnswerCountsOnceUnderItsActionAndCode) {
  const RequestMetrics& metrics = api_->request_metrics();
  ASSERT_NE(FindAction(metrics, "SendMessage"), nullptr);
  EXPECT_EQ(Code(Call("CreateQueue", {{"queueName", "q"}})), 0);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Code(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "b"}})), 0);
  }
  // Matched case-insensitively, counted under the canonical name.
  EXPECT_EQ(Code(Call("sendmessage", {{"queueName", "q"}, {"msgBody", "b"}})), 0);
  int missing = Code(Call("SendMessage", {{"queueName", "missing"}, {"msgBody", "b"}}));
  ASSERT_NE(missing, 0);
  int unknown = Code(Call("NoSuchAction"));
  ASSERT_NE(unknown, 0);

  EXPECT_EQ(Answers(metrics, "CreateQueue", 0), 1u);
  EXPECT_EQ(Answers(metrics, "SendMessage", 0), 4u);
  EXPECT_EQ(Answers(metrics, "SendMessage", missing), 1u);
  EXPECT_EQ(Answers(metrics, "unknown", unknown), 1u);
  EXPECT_EQ(Answers(metrics, "ReceiveMessage", 0), 0u);
  EXPECT_EQ(Observed(metrics, "SendMessage"), 5u);
  EXPECT_EQ(Observed(metrics, "unknown"), 1u);
  EXPECT_GE(FindAction(metrics, "SendMessage")->seconds.sum(), 0.0);
}

}  // namespace
}  // namespace cmq::api
