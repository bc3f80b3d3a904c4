#include "admin/queue_families.h"

#include <gtest/gtest.h>

#include "broker/broker_test_util.h"

namespace cmq::admin {
namespace {

using broker::testing::kAccount;

class QueueFamiliesTest : public broker::testing::BrokerFixture {
 protected:
  std::string Scrape(int64_t max_queues) {
    MetricsText text;
    WriteQueueFamilies(text, *broker_, max_queues, clock_.NowMs());
    return text.Take();
  }
};

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_F(QueueFamiliesTest, QueuesBeyondTheCapAddUpInOneOtherSeries) {
  Create("first");
  Create("second");
  Create("third");
  Send("first", {"a"});
  Send("second", {"b", "c"});
  Send("third", {"d", "e", "f"});
  ReceiveOne("third");
  Advance(10 * 1000);

  const std::string account = std::to_string(kAccount);
  std::string text = Scrape(1);
  EXPECT_TRUE(
      Has(text, "cmq_queue_messages_sent_total{account=\"" + account + "\",queue=\"first\"} 1"))
      << text;
  EXPECT_TRUE(Has(text, "cmq_queue_messages_sent_total{queue=\"__other__\"} 5")) << text;
  EXPECT_TRUE(Has(text, "cmq_queue_messages_received_total{queue=\"__other__\"} 1")) << text;
  EXPECT_TRUE(Has(text, "cmq_queue_messages{queue=\"__other__\",state=\"active\"} 4")) << text;
  EXPECT_TRUE(Has(text, "cmq_queue_messages{queue=\"__other__\",state=\"inactive\"} 1")) << text;
  EXPECT_TRUE(Has(text, "cmq_queue_oldest_message_age_seconds{queue=\"__other__\"} 10")) << text;
  EXPECT_EQ(text.find("queue=\"second\""), std::string::npos) << text;
  // Each family once, its samples together.
  EXPECT_EQ(text.find("# TYPE cmq_queue_messages gauge"),
            text.rfind("# TYPE cmq_queue_messages gauge"));

  std::string all = Scrape(1000);
  EXPECT_EQ(all.find("__other__"), std::string::npos) << all;
  EXPECT_TRUE(Has(
      all, "cmq_queue_messages{account=\"" + account + "\",queue=\"third\",state=\"inactive\"} 1"))
      << all;
}

}  // namespace
}  // namespace cmq::admin
