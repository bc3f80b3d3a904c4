// Queue management: create, list, get, set, delete (spec 6.1, 6.7).
#include <regex>

#include "broker/broker_test_util.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::kAccount;

class QueueTest : public BrokerFixture {};

TEST_F(QueueTest, CreateGivesIdDefaultsAndTimes) {
  QueueView v = Create("orders");
  EXPECT_TRUE(std::regex_match(v.queue_id, std::regex("queue-[a-z0-9]{10}"))) << v.queue_id;
  EXPECT_EQ(v.name, "orders");
  EXPECT_EQ(v.attributes.max_msg_heap_num, limits_.default_max_msg_heap_num);
  EXPECT_EQ(v.attributes.polling_wait_seconds, 0);
  EXPECT_EQ(v.attributes.visibility_timeout, 30);
  EXPECT_EQ(v.attributes.max_msg_size, 65536);
  EXPECT_EQ(v.attributes.msg_retention_seconds, 345600);
  EXPECT_EQ(v.attributes.rewind_seconds, 0);
  EXPECT_FALSE(v.attributes.dead_letter_policy);
  EXPECT_EQ(v.create_time, NowS());
  EXPECT_EQ(v.last_modify_time, NowS());
  testing::ExpectCounters(v.counters, 0, 0, 0, 0);
  EXPECT_EQ(v.counters.min_msg_time, 0);
}

TEST_F(QueueTest, CreateAppliesGivenAttributes) {
  QueueAttributeUpdate u;
  u.max_msg_heap_num = 5000000;
  u.polling_wait_seconds = 10;
  u.visibility_timeout = 60;
  u.max_msg_size = 1024;
  u.msg_retention_seconds = 600;
  u.rewind_seconds = 600;
  QueueView v = Create("q", u);
  EXPECT_EQ(v.attributes.max_msg_heap_num, 5000000);
  EXPECT_EQ(v.attributes.polling_wait_seconds, 10);
  EXPECT_EQ(v.attributes.visibility_timeout, 60);
  EXPECT_EQ(v.attributes.max_msg_size, 1024);
  EXPECT_EQ(v.attributes.msg_retention_seconds, 600);
  EXPECT_EQ(v.attributes.rewind_seconds, 600);
}

TEST_F(QueueTest, NamesAreCaseInsensitiveButKeepSpelling) {
  Create("MyQueue");
  auto again = Call(&Broker::CreateQueue)(kAccount, "myQUEUE", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().error(), ErrorCode::kQueueExists);
  auto v = broker_->GetQueue(kAccount, "MYQUEUE");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->name, "MyQueue");
  // Another account has its own names.
  EXPECT_TRUE(Call(&Broker::CreateQueue)(kAccount + 1, "myqueue", {}).ok());
  EXPECT_EQ(broker_->GetQueue(kAccount + 1, "MyQueue")->name, "myqueue");
}

TEST_F(QueueTest, QuotaPerAccount) {
  Limits l = testing::TestLimits();
  l.max_queues_per_account = 2;
  Reset(l);
  Create("a");
  Create("b");
  auto r = Call(&Broker::CreateQueue)(kAccount, "c", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error(), ErrorCode::kQueueQuota);
  EXPECT_TRUE(Call(&Broker::CreateQueue)(kAccount + 1, "c", {}).ok());
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "a").ok());
  EXPECT_TRUE(Call(&Broker::CreateQueue)(kAccount, "c", {}).ok());
}

TEST_F(QueueTest, RewindMayNotExceedRetention) {
  QueueAttributeUpdate u;
  u.msg_retention_seconds = 100;
  u.rewind_seconds = 101;
  auto r = Call(&Broker::CreateQueue)(kAccount, "q", u);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error(), ErrorCode::kRewindExceedsRetention);

  u.rewind_seconds = 100;
  Create("q", u);
  QueueAttributeUpdate lower;
  lower.msg_retention_seconds = 99;  // merged: rewind 100 > retention 99
  auto s = Call(&Broker::SetQueueAttributes)(kAccount, "q", lower);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().error(), ErrorCode::kRewindExceedsRetention);
  lower.rewind_seconds = 50;
  EXPECT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", lower).ok());
}

TEST_F(QueueTest, ListInCreationOrderWithSearchAndPaging) {
  for (const char* n : {"beta", "Alpha", "gamma", "alphabet", "delta"}) Create(n);
  auto all = broker_->ListQueues(kAccount, "", 0, 20);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total_count, 5);
  ASSERT_EQ(all->queues.size(), 5u);
  EXPECT_EQ(all->queues[0].name, "beta");
  EXPECT_EQ(all->queues[1].name, "Alpha");
  EXPECT_EQ(all->queues[4].name, "delta");
  EXPECT_EQ(all->queues[1].queue_id, broker_->GetQueue(kAccount, "alpha")->queue_id);

  auto found = broker_->ListQueues(kAccount, "ALPHA", 0, 20);
  EXPECT_EQ(found->total_count, 2);
  EXPECT_EQ(found->queues[0].name, "Alpha");
  EXPECT_EQ(found->queues[1].name, "alphabet");

  auto page = broker_->ListQueues(kAccount, "", 2, 2);
  EXPECT_EQ(page->total_count, 5);
  ASSERT_EQ(page->queues.size(), 2u);
  EXPECT_EQ(page->queues[0].name, "gamma");
  EXPECT_EQ(page->queues[1].name, "alphabet");
  EXPECT_TRUE(broker_->ListQueues(kAccount, "", 10, 5)->queues.empty());
  EXPECT_TRUE(broker_->ListQueues(kAccount, "", -3, -1)->queues.empty());
  EXPECT_EQ(broker_->ListQueues(999, "", 0, 20)->total_count, 0);
}

TEST_F(QueueTest, SetChangesOnlyGivenAttributesAndModifyTime) {
  QueueView before = Create("q");
  clock_.Advance(5000);
  QueueAttributeUpdate u;
  u.visibility_timeout = 99;
  auto after = Call(&Broker::SetQueueAttributes)(kAccount, "Q", u);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->attributes.visibility_timeout, 99);
  EXPECT_EQ(after->attributes.msg_retention_seconds, before.attributes.msg_retention_seconds);
  EXPECT_EQ(after->queue_id, before.queue_id);
  EXPECT_EQ(after->create_time, before.create_time);
  EXPECT_EQ(after->last_modify_time, before.create_time + 5);
}

TEST_F(QueueTest, DeleteAndRecreateGivesNewQueue) {
  QueueView first = Create("q");
  SendOne("q", "x");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "Q").ok());
  EXPECT_EQ(broker_->GetQueue(kAccount, "q").status().error(), ErrorCode::kQueueNotExist);
  EXPECT_EQ(Call(&Broker::DeleteQueue)(kAccount, "q").error(), ErrorCode::kQueueNotExist);
  QueueView second = Create("q");
  EXPECT_NE(first.queue_id, second.queue_id);
  EXPECT_EQ(second.counters.active, 0);
  EXPECT_EQ(broker_->GetStats().messages, 0);
}

TEST_F(QueueTest, UnknownQueueEverywhere) {
  const auto kNo = ErrorCode::kQueueNotExist;
  EXPECT_EQ(broker_->GetQueue(kAccount, "nope").status().error(), kNo);
  EXPECT_EQ(Call(&Broker::SetQueueAttributes)(kAccount, "nope", {}).status().error(), kNo);
  EXPECT_EQ(Call(&Broker::DeleteQueue)(kAccount, "nope").error(), kNo);
  EXPECT_EQ(Call(&Broker::RewindQueue)(kAccount, "nope", NowS()).error(), kNo);
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "nope", {"x"}, 0).status().error(), kNo);
  EXPECT_EQ(Call(&Broker::DeleteMessages)(kAccount, "nope", {"x"}).status().error(), kNo);
  EXPECT_EQ(Call(&Broker::UnbindDeadLetterQueue)(kAccount, "nope").status().error(), kNo);
  EXPECT_EQ(broker_->ListDeadLetterSourceQueues(kAccount, "nope", "", 0, 20).status().error(), kNo);
  testing::Received r = Receive("nope");
  EXPECT_EQ(r.status.error(), kNo);
  Create("q");
  EXPECT_EQ(broker_->GetQueue(kAccount + 1, "q").status().error(), kNo);
}

TEST_F(QueueTest, StatsCountQueuesAndMessages) {
  Create("a");
  Create("b");
  Send("a", {"1", "2"});
  SendOne("b", "3", 10);
  auto s = broker_->GetStats();
  EXPECT_EQ(s.queues, 2);
  EXPECT_EQ(s.messages, 3);
  EXPECT_EQ(s.parked_receives, 0);
}

}  // namespace
}  // namespace cmq::broker
