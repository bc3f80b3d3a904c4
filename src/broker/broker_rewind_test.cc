// Rewind (spec 6.5): window, order, counters kept, expiry of rewindable messages.
#include "broker/broker_test_util.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::ExpectCounters;
using testing::kAccount;

class RewindTest : public BrokerFixture {
 protected:
  void CreateRewindable(int rewind_seconds, int retention = 345600) {
    QueueAttributeUpdate u;
    u.rewind_seconds = rewind_seconds;
    u.msg_retention_seconds = retention;
    Create("q", u);
  }
  void ConsumeAll() {
    while (true) {
      testing::Received r = Receive("q", 16);
      if (!r.status.ok()) break;
      for (const auto& m : r.messages) ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
    }
  }
};

TEST_F(RewindTest, DisabledQueueRefuses) {
  Create("q");
  Status s = Call(&Broker::RewindQueue)(kAccount, "q", NowS());
  EXPECT_EQ(s.error(), ErrorCode::kRewindDisabled);
  EXPECT_EQ(s.cmq_code(), 6050);
}

TEST_F(RewindTest, StartMustLieInWindow) {
  CreateRewindable(100);
  int64_t now = NowS();
  EXPECT_EQ(Call(&Broker::RewindQueue)(kAccount, "q", now - 101).error(),
            ErrorCode::kRewindTimeInvalid);
  EXPECT_EQ(Call(&Broker::RewindQueue)(kAccount, "q", now + 1).error(),
            ErrorCode::kRewindTimeInvalid);
  EXPECT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", now - 100).ok());
  EXPECT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", now).ok());
}

TEST_F(RewindTest, RestoresDeletedMessagesFromStartInProductionOrder) {
  CreateRewindable(1000);
  int64_t t0 = NowS();
  SendOne("q", "m0");
  clock_.Advance(1000);
  SendOne("q", "m1");
  clock_.Advance(1000);
  SendOne("q", "m2");
  clock_.Advance(1000);
  SendOne("q", "pending", 500);  // delayed: unaffected by rewind
  ReceivedMessage first = ReceiveOne("q");
  ASSERT_TRUE(Delete("q", first.receipt_handle).ok());
  ConsumeAll();
  ExpectCounters(Counters("q"), 0, 0, 1, 3);

  clock_.Advance(5000);
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0 + 1).ok());
  ExpectCounters(Counters("q"), 2, 0, 1, 1);
  testing::Received r = Receive("q", 16);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].body, "m1");
  EXPECT_EQ(r.messages[1].body, "m2");
  EXPECT_EQ(r.messages[0].dequeue_count, 2);  // counters kept
  EXPECT_EQ(r.messages[0].first_dequeue_time, first.first_dequeue_time);

  // Rewinding further back brings the rest, still oldest first.
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0).ok());
  EXPECT_EQ(ReceiveOne("q").body, "m0");
  EXPECT_EQ(Counters("q").rewindable, 0);
}

TEST_F(RewindTest, RewindableMessagesExpireAtEnqueuePlusRewindSeconds) {
  CreateRewindable(10);
  SendOne("q", "a");
  ConsumeAll();
  EXPECT_EQ(Counters("q").rewindable, 1);
  Advance(9999);
  EXPECT_EQ(Counters("q").rewindable, 1);
  Advance(1);
  EXPECT_EQ(Counters("q").rewindable, 0);
  EXPECT_EQ(broker_->GetStats().messages, 0);
  // Deleted after its window already ended: gone at once.
  SendOne("q", "b");
  ReceivedMessage b = ReceiveOne("q");
  clock_.Advance(10000);  // visibility is 30 s, the rewind window 10 s
  ASSERT_TRUE(Delete("q", b.receipt_handle).ok());
  EXPECT_EQ(Counters("q").rewindable, 0);
}

TEST_F(RewindTest, DisablingDiscardsRewindableMessages) {
  CreateRewindable(100);
  Send("q", {"a", "b"});
  ConsumeAll();
  EXPECT_EQ(Counters("q").rewindable, 2);
  QueueAttributeUpdate off;
  off.rewind_seconds = 0;
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", off).ok());
  EXPECT_EQ(Counters("q").rewindable, 0);
  EXPECT_EQ(broker_->GetStats().messages, 0);
}

TEST_F(RewindTest, PendingMessagesAreUnaffected) {
  CreateRewindable(100);
  int64_t t0 = NowS();
  Send("q", {"a", "b"});
  ReceivedMessage a = ReceiveOne("q");
  ASSERT_TRUE(Delete("q", a.receipt_handle).ok());
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0).ok());
  ExpectCounters(Counters("q"), 2, 0, 0, 0);
  testing::Received r = Receive("q", 16);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].body, "a");
  EXPECT_EQ(r.messages[1].body, "b");
}

}  // namespace
}  // namespace cmq::broker
