#include "watch_view.h"

#include <gtest/gtest.h>

namespace cmqctl {
namespace {

QueueSample Sample(double seconds, int64_t active, int64_t inactive) {
  QueueSample s;
  s.unix_time = 1795557600 + static_cast<int64_t>(seconds);
  s.seconds = seconds;
  s.active = active;
  s.inactive = inactive;
  s.delayed = 1;
  s.min_msg_time = 1795557600 - 65;
  s.sent = 100 + 4 * static_cast<int64_t>(seconds);
  s.received = 50 + 3 * static_cast<int64_t>(seconds);
  s.deleted = 40 + 2 * static_cast<int64_t>(seconds);
  return s;
}

TEST(WatchViewTest, QueueScreenShowsValuesChangesAndRates) {
  QueueSample prev = Sample(0, 10, 0);
  QueueSample cur = Sample(2, 16, 2);
  std::vector<std::string> lines = QueueScreen("orders", 2, &prev, cur);
  ASSERT_EQ(lines.size(), 13u);
  EXPECT_EQ(lines[0], "Every 2s: queue orders    2026-11-24T22:00:02Z    (Ctrl-C to stop)");
  EXPECT_EQ(lines[2], "COUNTER     VALUE  CHANGE  PER SEC");
  EXPECT_EQ(lines[3], "active         16      +6      3.0");
  EXPECT_EQ(lines[4], "inactive        2      +2      1.0");
  EXPECT_EQ(lines[5], "delayed         1       0      0.0");
  EXPECT_EQ(lines[7], "held           19      +8      4.0");
  EXPECT_EQ(lines[8], "sent          108      +8      4.0");
  EXPECT_EQ(lines[9], "received       56      +6      3.0");
  EXPECT_EQ(lines[10], "deleted        44      +4      2.0");
  EXPECT_EQ(lines[12], "oldest message: 2026-11-24T21:58:55Z (1m07s ago)");
}

TEST(WatchViewTest, FirstSampleHasNoChanges) {
  QueueSample cur = Sample(0, 5, 0);
  std::vector<std::string> lines = QueueScreen("q", 1, nullptr, cur);
  EXPECT_EQ(lines[3], "active          5       0      0.0");
  EXPECT_EQ(QueueLine("q", nullptr, cur),
            "2026-11-24T22:00:00Z q active=5 (0) inactive=0 (0) delayed=1 (0) rewindable=0 (0) "
            "sent/s=0.0 received/s=0.0 deleted/s=0.0");
}

TEST(WatchViewTest, QueueLineAndJsonCarryDeltas) {
  QueueSample prev = Sample(0, 10, 3);
  QueueSample cur = Sample(1, 7, 3);
  EXPECT_EQ(QueueLine("orders", &prev, cur),
            "2026-11-24T22:00:01Z orders active=7 (-3) inactive=3 (0) delayed=1 (0) "
            "rewindable=0 (0) sent/s=4.0 received/s=3.0 deleted/s=2.0");
  EXPECT_EQ(QueueSampleJson("orders", &prev, cur).Dump(),
            R"({"time":1795557601,"queueName":"orders","activeMsgNum":7,"inactiveMsgNum":3,)"
            R"("delayMsgNum":1,"rewindMsgNum":0,"minMsgTime":1795557535,"intervalSeconds":1,)"
            R"("delta":{"activeMsgNum":-3,"inactiveMsgNum":0,"delayMsgNum":0,"rewindMsgNum":0},)"
            R"("msgSentTotal":104,"msgReceivedTotal":53,"msgDeletedTotal":42,)"
            R"("ratesPerSecond":{"sent":4,"received":3,"deleted":2}})");
}

TEST(WatchViewTest, TotalsThatWentDownMeanARestartNotANegativeRate) {
  QueueSample prev = Sample(0, 1, 0);
  QueueSample cur = Sample(1, 1, 0);
  cur.sent = 3;  // the server restarted: its totals began again
  std::vector<std::string> lines = QueueScreen("q", 1, &prev, cur);
  EXPECT_EQ(lines[8], "sent            3   reset        -");
  EXPECT_NE(QueueLine("q", &prev, cur).find(" sent/s=- received/s=3.0"), std::string::npos);
  std::string json = QueueSampleJson("q", &prev, cur).Dump();
  EXPECT_NE(json.find(R"("ratesPerSecond":{"sent":null,"received":3,)"), std::string::npos) << json;
}

TEST(WatchViewTest, TopicViewsMatchSubscriptionsByName) {
  TopicSample prev{1795557600, 0, 4, {{"a", "queue", "qa", 3}, {"gone", "queue", "qg", 1}}};
  TopicSample cur{1795557601, 1, 6, {{"a", "queue", "qa", 5}, {"new", "http", "http://h/x", 1}}};
  EXPECT_EQ(TopicLine("events", &prev, cur),
            "2026-11-24T22:00:01Z events msgCount=6 (+2) a=5 (+2) new=1 (0)");
  std::vector<std::string> lines = TopicScreen("events", 1, &prev, cur);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[2], "pending messages: 6 (+2, 2.0/s)");
  EXPECT_EQ(lines[4], "SUBSCRIPTION  PROTOCOL  ENDPOINT    PENDING  CHANGE  PER SEC");
  EXPECT_EQ(lines[5], "a             queue     qa                5      +2      2.0");
  EXPECT_EQ(lines[6], "new           http      http://h/x        1       0      0.0");
  Json j = TopicSampleJson("events", &prev, cur);
  EXPECT_EQ(j.Dump(),
            R"({"time":1795557601,"topicName":"events","msgCount":6,"intervalSeconds":1,)"
            R"("delta":{"msgCount":2},"subscriptions":[{"subscriptionName":"a","protocol":"queue",)"
            R"("endpoint":"qa","msgCount":5,"delta":{"msgCount":2}},{"subscriptionName":"new",)"
            R"("protocol":"http","endpoint":"http://h/x","msgCount":1,"delta":{"msgCount":0}}]})");
}

TEST(WatchViewTest, TopicWithoutSubscriptions) {
  TopicSample cur{1795557600, 0, 0, {}};
  std::vector<std::string> lines = TopicScreen("t", 1, nullptr, cur);
  EXPECT_EQ(lines.back(), "no subscriptions");
}

TEST(WatchViewTest, SignedDelta) {
  EXPECT_EQ(SignedDelta(3), "+3");
  EXPECT_EQ(SignedDelta(0), "0");
  EXPECT_EQ(SignedDelta(-2), "-2");
}

}  // namespace
}  // namespace cmqctl
