// Dead-letter queues (spec 6.4): policies 0 and 1, the moves and both queues'
// counters, and the binding rules.
#include "broker/broker_test_util.h"
#include "broker/records.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::ExpectCounters;
using testing::kAccount;
using testing::Received;

class DeadLetterTest : public BrokerFixture {
 protected:
  QueueAttributeUpdate Policy(std::string dlq, int policy, int count_or_ttl) {
    QueueAttributeUpdate u;
    DeadLetterPolicy p;
    p.queue_name = std::move(dlq);
    p.policy = policy;
    if (policy == 0) p.max_receive_count = count_or_ttl;
    if (policy == 1) p.max_time_to_live = count_or_ttl;
    u.dead_letter_policy = p;
    return u;
  }
  ErrorCode CreateError(std::string_view name, const QueueAttributeUpdate& u) {
    auto r = Call(&Broker::CreateQueue)(kAccount, name, u);
    return r.ok() ? ErrorCode::kOk : r.status().error();
  }
  ErrorCode SetError(std::string_view name, const QueueAttributeUpdate& u) {
    auto r = Call(&Broker::SetQueueAttributes)(kAccount, name, u);
    return r.ok() ? ErrorCode::kOk : r.status().error();
  }
};

// A message moved to the dead-letter queue is answered once its move record is
// durable: the send alone no longer describes where it is.
TEST_F(DeadLetterTest, ReceiveFromTheDlqWaitsForTheMoveRecord) {
  Create("dlq");
  QueueAttributeUpdate u = Policy("dlq", 0, 1);
  u.visibility_timeout = 10;
  Create("src", u);
  SendOne("src", "poison");
  ReceiveOne("src");
  log_.SetAutoDurable(false);
  Advance(10000);  // the visibility timeout ends: the message moves
  ExpectCounters(Counters("dlq"), 1, 0, 0, 0);
  ASSERT_EQ(log_.Records().back().type, kRecDeadLetterMove);
  EXPECT_EQ(ReceiveOnceDurableUpTo("dlq", log_.LastAppended()).messages.at(0).body, "poison");
}

TEST_F(DeadLetterTest, Policy0MovesAfterMaxReceiveCount) {
  Create("dlq");
  QueueAttributeUpdate u = Policy("DLQ", 0, 2);
  u.visibility_timeout = 10;
  QueueView src = Create("src", u);
  ASSERT_TRUE(src.attributes.dead_letter_policy);
  EXPECT_EQ(src.attributes.dead_letter_policy->queue_name, "DLQ");
  std::string id = SendOne("src", "poison");

  ReceivedMessage r1 = ReceiveOne("src");
  Advance(10000);
  ExpectCounters(Counters("src"), 1, 0, 0, 0);  // count 1 < 2: back to Active
  ReceivedMessage r2 = ReceiveOne("src");
  EXPECT_EQ(r2.dequeue_count, 2);
  Advance(9999);
  ExpectCounters(Counters("src"), 0, 1, 0, 0);
  ExpectCounters(Counters("dlq"), 0, 0, 0, 0);
  Advance(1);
  ExpectCounters(Counters("src"), 0, 0, 0, 0);
  ExpectCounters(Counters("dlq"), 1, 0, 0, 0);
  EXPECT_EQ(Counters("dlq").min_msg_time, NowS());
  EXPECT_EQ(Delete("src", r2.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);

  ReceivedMessage moved = ReceiveOne("dlq");
  EXPECT_EQ(moved.msg_id, id);
  EXPECT_EQ(moved.body, "poison");
  EXPECT_EQ(moved.dequeue_count, 1);  // a fresh message in the DLQ
  EXPECT_EQ(moved.enqueue_time, NowS());
  EXPECT_TRUE(Delete("dlq", moved.receipt_handle).ok());
  EXPECT_EQ(broker_->GetStats().messages, 0);
}

TEST_F(DeadLetterTest, Policy1MovesAfterTimeToLiveButNotWhileHandleIsLive) {
  Create("dlq");
  QueueAttributeUpdate u = Policy("dlq", 1, 300);
  u.msg_retention_seconds = 600;
  u.visibility_timeout = 200;
  Create("src", u);
  Send("src", {"idle", "busy"});
  Advance(250000);
  ReceivedMessage idle = ReceiveOne("src");  // the oldest
  EXPECT_EQ(idle.body, "idle");
  Advance(50000 - 1);
  ExpectCounters(Counters("src"), 1, 1, 0, 0);
  Advance(1);  // 300 s: the Active one moves, the received one keeps its handle
  ExpectCounters(Counters("src"), 0, 1, 0, 0);
  ExpectCounters(Counters("dlq"), 1, 0, 0, 0);
  Advance(200000 - 50000 - 1);
  ExpectCounters(Counters("src"), 0, 1, 0, 0);
  Advance(1);  // its visibility ends past the TTL: moved instead of Active
  ExpectCounters(Counters("src"), 0, 0, 0, 0);
  ExpectCounters(Counters("dlq"), 2, 0, 0, 0);
  Received r = Receive("dlq", 16);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].body, "busy");
  EXPECT_EQ(r.messages[1].body, "idle");
}

TEST_F(DeadLetterTest, MoveServesWaitersOnTheDlq) {
  Create("dlq");
  QueueAttributeUpdate u = Policy("dlq", 0, 1);
  u.visibility_timeout = 5;
  Create("src", u);
  SendOne("src", "m");
  ReceiveOne("src");
  Received w;
  StartReceive("dlq", 1, 10, &w);
  Advance(5000);
  ASSERT_TRUE(w.called);
  EXPECT_EQ(w.messages.at(0).body, "m");
}

TEST_F(DeadLetterTest, BindingRules) {
  Create("dlq");
  Create("plain");
  EXPECT_EQ(CreateError("a", Policy("missing", 0, 3)), ErrorCode::kDlqNotExist);
  EXPECT_EQ(CreateError("self", Policy("SELF", 0, 3)), ErrorCode::kDlqNest);
  EXPECT_EQ(SetError("plain", Policy("plain", 0, 3)), ErrorCode::kDlqNest);
  EXPECT_EQ(CreateError("a", Policy("dlq", 2, 3)), ErrorCode::kDlqPolicyMember);
  EXPECT_EQ(CreateError("a", Policy("", 0, 3)), ErrorCode::kDlqQueueMember);
  EXPECT_EQ(CreateError("a", Policy("dlq", 0, 0)), ErrorCode::kDlqParams);
  QueueAttributeUpdate ttl = Policy("dlq", 1, 600);
  ttl.msg_retention_seconds = 600;  // maxTimeToLive must be below retention
  EXPECT_EQ(CreateError("a", ttl), ErrorCode::kDlqParams);
  ttl.msg_retention_seconds = 601;
  EXPECT_EQ(CreateError("a", ttl), ErrorCode::kOk);
  QueueAttributeUpdate shorter;
  shorter.msg_retention_seconds = 600;
  EXPECT_EQ(SetError("a", shorter), ErrorCode::kDlqParams);

  // No nesting: the DLQ may not have a policy, a DLQ may not get one.
  EXPECT_EQ(CreateError("b", Policy("a", 0, 3)), ErrorCode::kDlqNest);
  EXPECT_EQ(SetError("dlq", Policy("plain", 0, 3)), ErrorCode::kDlqNest);
  // A DLQ in use cannot be deleted; after unbinding it can.
  EXPECT_EQ(Call(&Broker::DeleteQueue)(kAccount, "dlq").error(), ErrorCode::kDlqDeleteActive);
  auto id = Call(&Broker::UnbindDeadLetterQueue)(kAccount, "A");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, broker_->GetQueue(kAccount, "a")->queue_id);
  EXPECT_FALSE(broker_->GetQueue(kAccount, "a")->attributes.dead_letter_policy);
  EXPECT_TRUE(Call(&Broker::UnbindDeadLetterQueue)(kAccount, "a").ok());  // idempotent
  EXPECT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "dlq").ok());
}

TEST_F(DeadLetterTest, SourcesPerDlqAreLimitedAndListed) {
  Limits l = testing::TestLimits();
  l.max_dead_letter_sources = 2;
  Reset(l);
  Create("dlq");
  EXPECT_EQ(CreateError("s1", Policy("dlq", 0, 3)), ErrorCode::kOk);
  Create("unrelated");
  EXPECT_EQ(CreateError("s2", Policy("dlq", 0, 3)), ErrorCode::kOk);
  EXPECT_EQ(CreateError("s3", Policy("dlq", 0, 3)), ErrorCode::kDlqBindTooMany);
  EXPECT_EQ(CreateError("s3", {}), ErrorCode::kOk);
  EXPECT_EQ(SetError("s3", Policy("dlq", 0, 3)), ErrorCode::kDlqBindTooMany);
  // Re-setting an existing binding does not count twice.
  EXPECT_EQ(SetError("s1", Policy("dlq", 0, 5)), ErrorCode::kOk);

  auto page = broker_->ListDeadLetterSourceQueues(kAccount, "DLQ", "", 0, 20);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total_count, 2);
  ASSERT_EQ(page->queues.size(), 2u);
  EXPECT_EQ(page->queues[0].name, "s1");
  EXPECT_EQ(page->queues[1].name, "s2");
  EXPECT_EQ(page->queues[0].queue_id, broker_->GetQueue(kAccount, "s1")->queue_id);
  EXPECT_EQ(broker_->ListDeadLetterSourceQueues(kAccount, "dlq", "2", 0, 20)->total_count, 1);
  EXPECT_EQ(broker_->ListDeadLetterSourceQueues(kAccount, "dlq", "", 1, 20)->queues.size(), 1u);
  EXPECT_EQ(broker_->ListDeadLetterSourceQueues(kAccount, "unrelated", "", 0, 20)->total_count, 0);
}

}  // namespace
}  // namespace cmq::broker
