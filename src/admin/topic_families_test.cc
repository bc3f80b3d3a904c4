#include "admin/topic_families.h"

#include <gtest/gtest.h>

#include "broker/topic_test_util.h"

namespace cmq::admin {
namespace {

using broker::NotifyStrategy;
using broker::PushTask;
using broker::testing::kAccount;

class TopicFamiliesTest : public broker::testing::TopicFixture {
 protected:
  TopicFamiliesTest() { InstallSink(); }

  std::string Scrape(int64_t max_series, const broker::Broker& broker) {
    MetricsText text;
    WriteTopicFamilies(text, broker, max_series);
    return text.Take();
  }
  std::string Scrape(int64_t max_series) { return Scrape(max_series, *broker_); }

  // `name{labels} value` with the account label first.
  static std::string Line(std::string_view name, std::string_view labels, std::string_view value) {
    return std::string(name) + "{account=\"" + std::to_string(kAccount) + "\"," +
           std::string(labels) + "} " + std::string(value);
  }
};

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_F(TopicFamiliesTest, PushOutcomesAndRetriesWaitingFollowTheDeliveries) {
  Create("inbox");
  CreateTopic("t");
  SubscribeHttp("t", "hook");
  SubscribeQueue("t", "copy", "inbox");
  ASSERT_TRUE(Publish("t", {"a", "b"}).ok());
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 2u);
  const std::string hook = "topic=\"t\",subscription=\"hook\"";

  // In flight: not waiting for a retry.
  std::string text = Scrape(10);
  EXPECT_TRUE(Has(text, Line("cmq_topic_messages_published_total", "topic=\"t\"", "2"))) << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_messages_delivered_total",
                             "topic=\"t\",subscription=\"copy\"", "2")))
      << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_deliveries_waiting_retry", hook, "0"))) << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_last_push_error_time_seconds", hook, "0"))) << text;

  broker_->CompletePush(tasks[0].delivery_id, false, "HTTP 500");
  broker_->CompletePush(tasks[1].delivery_id, true);
  text = Scrape(10);
  EXPECT_TRUE(Has(text, Line("cmq_subscription_pushes_total", hook + ",outcome=\"failure\"", "1")))
      << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_pushes_total", hook + ",outcome=\"success\"", "1")))
      << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_messages_delivered_total", hook, "1"))) << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_deliveries_waiting_retry", hook, "1"))) << text;
  EXPECT_TRUE(Has(
      text, Line("cmq_subscription_last_push_error_time_seconds", hook, std::to_string(NowS()))))
      << text;

  // The retry is handed out (in flight again), then fails for good under a new policy.
  Advance(1000);
  tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_TRUE(Has(Scrape(10), Line("cmq_subscription_deliveries_waiting_retry", hook, "0")));
  broker_->CompletePush(tasks[0].delivery_id, false, "refused");
  EXPECT_TRUE(Has(Scrape(10), Line("cmq_subscription_deliveries_waiting_retry", hook, "1")));

  // A restart replays the records: the state (waiting) comes back, the traffic is
  // counted from zero.
  std::unique_ptr<broker::Broker> recovered = Recover();
  text = Scrape(10, *recovered);
  EXPECT_TRUE(Has(text, Line("cmq_subscription_deliveries_waiting_retry", hook, "1"))) << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_pushes_total", hook + ",outcome=\"failure\"", "0")))
      << text;
  EXPECT_TRUE(Has(text, Line("cmq_topic_messages_published_total", "topic=\"t\"", "0"))) << text;

  // Unsubscribing ends the waiting delivery.
  ASSERT_TRUE(Call(&broker::Broker::Unsubscribe)(kAccount, "t", "hook").ok());
  SubscribeHttp("t", "hook");
  EXPECT_TRUE(Has(Scrape(10), Line("cmq_subscription_deliveries_waiting_retry", hook, "0")));
}

TEST_F(TopicFamiliesTest, AbandonedDeliveriesNoLongerWait) {
  CreateTopic("t");
  SubscribeHttp("t", "hook", NotifyStrategy::kBackoffRetry);
  PublishOne("t", "m");
  const std::string waiting =
      Line("cmq_subscription_deliveries_waiting_retry", "topic=\"t\",subscription=\"hook\"", "");
  for (int attempt = 0; attempt <= 3; ++attempt) {
    std::vector<PushTask> tasks = TakeTasks();
    ASSERT_EQ(tasks.size(), 1u) << attempt;
    broker_->CompletePush(tasks[0].delivery_id, false, "HTTP 503");
    EXPECT_TRUE(Has(Scrape(10), waiting + (attempt < 3 ? "1" : "0"))) << attempt;
    if (attempt == 3) break;
    clock_.Set(broker_->NextDeadlineMs());
    broker_->Tick();
  }
  EXPECT_EQ(SubscriptionCount("t", "hook"), 0);
}

TEST_F(TopicFamiliesTest, TopicsAndSubscriptionsBeyondTheCapAddUpInOtherSeries) {
  Create("inbox");
  CreateTopic("first");
  CreateTopic("second");
  SubscribeQueue("first", "one", "inbox");
  SubscribeQueue("first", "two", "inbox");
  SubscribeQueue("second", "three", "inbox");
  PublishOne("first", "a");
  ASSERT_TRUE(Publish("second", {"b", "c"}).ok());

  std::string text = Scrape(1);
  EXPECT_TRUE(Has(text, Line("cmq_topic_messages_published_total", "topic=\"first\"", "1")))
      << text;
  EXPECT_TRUE(Has(text, "cmq_topic_messages_published_total{topic=\"__other__\"} 2")) << text;
  EXPECT_TRUE(Has(text, Line("cmq_subscription_messages_delivered_total",
                             "topic=\"first\",subscription=\"one\"", "1")))
      << text;
  EXPECT_TRUE(Has(text,
                  "cmq_subscription_messages_delivered_total{topic=\"__other__\",subscription="
                  "\"__other__\"} 3"))
      << text;
  EXPECT_EQ(text.find("\"two\""), std::string::npos) << text;
  EXPECT_EQ(text.find("# TYPE cmq_subscription_pushes_total counter"),
            text.rfind("# TYPE cmq_subscription_pushes_total counter"));

  std::string all = Scrape(1000);
  EXPECT_EQ(all.find("__other__"), std::string::npos) << all;
}

}  // namespace
}  // namespace cmq::admin
