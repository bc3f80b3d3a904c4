// Long polling (spec 6.3): parked receives are served first come first served as soon
// as a message becomes Active, and answered 7000 exactly at their deadline.
#include "broker/broker_test_util.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::kAccount;
using testing::Received;

class WaiterTest : public BrokerFixture {};

TEST_F(WaiterTest, TimesOutExactlyAtDeadline) {
  Create("q");
  Received r;
  int64_t start = clock_.NowMs();
  uint64_t id = StartReceive("q", 1, 5, &r);
  EXPECT_NE(id, 0u);
  EXPECT_FALSE(r.called);
  EXPECT_EQ(broker_->NextDeadlineMs(), start + 5000);
  EXPECT_EQ(broker_->GetStats().parked_receives, 1);
  Advance(4999);
  EXPECT_FALSE(r.called);
  Advance(1);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.status.error(), ErrorCode::kNoMessage);
  EXPECT_EQ(broker_->GetStats().parked_receives, 0);
  EXPECT_EQ(broker_->NextDeadlineMs(), INT64_MAX);
}

TEST_F(WaiterTest, ServedOnSendFirstComeFirstServed) {
  Create("q");
  Received first, second;
  StartReceive("q", 1, 10, &first);
  StartReceive("q", 1, 10, &second);
  clock_.Advance(1000);
  SendOne("q", "one");
  ASSERT_TRUE(first.called);
  EXPECT_FALSE(second.called);
  ASSERT_EQ(first.messages.size(), 1u);
  EXPECT_EQ(first.messages[0].body, "one");
  SendOne("q", "two");
  ASSERT_TRUE(second.called);
  EXPECT_EQ(second.messages[0].body, "two");
  EXPECT_EQ(Counters("q").inactive, 2);
}

TEST_F(WaiterTest, BatchWaiterTakesUpToItsCount) {
  Create("q");
  Received r, other;
  StartReceive("q", 3, 10, &r);
  StartReceive("q", 3, 10, &other);
  Send("q", {"a", "b", "c", "d"});
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.size(), 3u);
  ASSERT_TRUE(other.called);
  ASSERT_EQ(other.messages.size(), 1u);
  EXPECT_EQ(other.messages[0].body, "d");
}

TEST_F(WaiterTest, ServedWhenDelayEnds) {
  Create("q");
  SendOne("q", "later", 3);
  Received r;
  StartReceive("q", 1, 10, &r);
  Advance(2999);
  EXPECT_FALSE(r.called);
  Advance(1);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).body, "later");
}

TEST_F(WaiterTest, ServedWhenVisibilityEnds) {
  QueueAttributeUpdate u;
  u.visibility_timeout = 4;
  Create("q", u);
  SendOne("q", "m");
  ReceivedMessage m = ReceiveOne("q");
  Received r;
  StartReceive("q", 1, 10, &r);
  Advance(3999);
  EXPECT_FALSE(r.called);
  Advance(1);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).msg_id, m.msg_id);
  EXPECT_EQ(r.messages.at(0).dequeue_count, 2);
}

TEST_F(WaiterTest, ServedOnRewind) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 100;
  Create("q", u);
  int64_t t0 = NowS();
  SendOne("q", "m");
  ASSERT_TRUE(Delete("q", ReceiveOne("q").receipt_handle).ok());
  Received r;
  StartReceive("q", 1, 10, &r);
  EXPECT_FALSE(r.called);
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0).ok());
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).body, "m");
}

TEST_F(WaiterTest, DeletingQueueAnswersQueueNotExist) {
  Create("q");
  Received a, b;
  StartReceive("q", 1, 10, &a);
  StartReceive("q", 1, 10, &b);
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  ASSERT_TRUE(a.called);
  ASSERT_TRUE(b.called);
  EXPECT_EQ(a.status.error(), ErrorCode::kQueueNotExist);
  EXPECT_EQ(b.status.error(), ErrorCode::kQueueNotExist);
  Advance(20000);  // no second answer
  EXPECT_EQ(broker_->GetStats().parked_receives, 0);
}

TEST_F(WaiterTest, CancelledWaiterIsNeverCalled) {
  Create("q");
  bool called = false;
  uint64_t id = broker_->ReceiveMessages(
      kAccount, "q", 1, 10, [&](Result<std::vector<ReceivedMessage>>) { called = true; });
  Received next;
  StartReceive("q", 1, 10, &next);
  broker_->CancelReceive(id);
  broker_->CancelReceive(id);      // twice is harmless
  broker_->CancelReceive(987654);  // unknown too
  SendOne("q", "m");
  EXPECT_FALSE(called);
  ASSERT_TRUE(next.called);  // the next in line got it
  Advance(20000);
  EXPECT_FALSE(called);
}

TEST_F(WaiterTest, WaitDefaultsToQueueAttributeAndIsClamped) {
  QueueAttributeUpdate u;
  u.polling_wait_seconds = 7;
  Create("q", u);
  int64_t start = clock_.NowMs();
  Received r;
  StartReceive("q", 1, -1, &r);
  EXPECT_EQ(broker_->NextDeadlineMs(), start + 7000);
  Received clamped;
  StartReceive("q", 1, 30000, &clamped);
  Advance(7000);
  EXPECT_TRUE(r.called);
  EXPECT_FALSE(clamped.called);
  Advance(30000 - 7000 - 1);
  EXPECT_FALSE(clamped.called);
  Advance(1);
  EXPECT_TRUE(clamped.called);
  EXPECT_EQ(clamped.status.error(), ErrorCode::kNoMessage);
}

TEST_F(WaiterTest, ZeroWaitAnswersAtOnce) {
  QueueAttributeUpdate u;
  u.polling_wait_seconds = 20;
  Create("q", u);
  Received r;
  EXPECT_EQ(StartReceive("q", 1, 0, &r), 0u);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.status.error(), ErrorCode::kNoMessage);
}

TEST_F(WaiterTest, ManyCancelledWaitersDoNotAccumulate) {
  Create("q");
  for (int i = 0; i < 10000; ++i) {
    Received r;
    broker_->CancelReceive(StartReceive("q", 1, 30, &r));
  }
  EXPECT_EQ(broker_->GetStats().parked_receives, 0);
  EXPECT_LT(broker_->GetStats().memory_bytes, 100000);
}

}  // namespace
}  // namespace cmq::broker
