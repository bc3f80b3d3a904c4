// Durability (broker.h): a mutating call completes once what it appended is durable in
// the RecordLog, an error at once; a receive completes once the records of the
// messages it returns are durable, and with receives_wait_for_their_own_record once
// its own record is too. MemRecordLog holds durability back until the test releases it.
#include "broker/broker_test_util.h"
#include "broker/records.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::kAccount;
using testing::Received;

class DurabilityTest : public BrokerFixture {
 protected:
  // From now on records become durable only when the test says so.
  void HoldDurability() { log_.SetAutoDurable(false); }

  // Reset with receives that wait for their own record.
  void ReceivesWaitForTheirOwnRecord() {
    BrokerOptions options;
    options.receives_wait_for_their_own_record = true;
    Reset(testing::TestLimits(), options);
  }
};

TEST_F(DurabilityTest, MutationsCompleteOnceTheirRecordIsDurable) {
  Create("q");
  HoldDurability();
  auto send = Call(&Broker::SendMessages).Start(kAccount, "q", {"a", "b"}, 0);
  const journal::Lsn send_lsn = log_.LastAppended();
  QueueAttributeUpdate update;
  update.visibility_timeout = 5;
  auto set = Call(&Broker::SetQueueAttributes).Start(kAccount, "q", update);
  auto create = Call(&Broker::CreateQueue).Start(kAccount, "q2", {});
  auto topic = Call(&Broker::CreateTopic).Start(kAccount, "t", {});
  log_.MakeDurableUpTo(send_lsn - 1);
  EXPECT_FALSE(send->has_value());
  log_.MakeDurableUpTo(send_lsn);
  ASSERT_TRUE(send->has_value());
  ASSERT_TRUE(send->value().ok());
  EXPECT_EQ(send->value()->size(), 2u);
  EXPECT_FALSE(set->has_value());
  EXPECT_FALSE(create->has_value());
  EXPECT_FALSE(topic->has_value());
  log_.MakeDurable();
  ASSERT_TRUE(set->has_value() && create->has_value() && topic->has_value());
  EXPECT_EQ(set->value()->attributes.visibility_timeout, 5);
  EXPECT_EQ(create->value()->name, "q2");
  EXPECT_EQ(topic->value()->name, "t");

  // Deletes too (the receive itself answers at once: its messages are durable).
  Received got;
  StartReceive("q", 2, 0, &got);
  ASSERT_TRUE(got.called);
  ASSERT_EQ(got.messages.size(), 2u);
  auto del =
      Call(&Broker::DeleteMessages).Start(kAccount, "q", {got.messages[0].receipt_handle, "bogus"});
  EXPECT_FALSE(del->has_value());
  log_.MakeDurable();
  ASSERT_TRUE(del->has_value());
  ASSERT_TRUE(del->value().ok());
  EXPECT_TRUE(del->value()->at(0).status.ok());
  EXPECT_EQ(del->value()->at(1).status.error(), ErrorCode::kReceiptHandleInvalid);
}

TEST_F(DurabilityTest, ErrorsAndDeletesOfNothingCompleteAtOnce) {
  Create("q");
  HoldDurability();
  auto pending = Call(&Broker::SendMessages).Start(kAccount, "q", {"a"}, 0);
  const journal::Lsn appended = log_.LastAppended();

  auto exists = Call(&Broker::CreateQueue).Start(kAccount, "Q", {});
  ASSERT_TRUE(exists->has_value());
  EXPECT_EQ(exists->value().status().error(), ErrorCode::kQueueExists);
  auto missing = Call(&Broker::DeleteQueue).Start(kAccount, "nope");
  ASSERT_TRUE(missing->has_value());
  EXPECT_EQ(missing->value().error(), ErrorCode::kQueueNotExist);
  auto empty = Call(&Broker::SendMessages).Start(kAccount, "q", {""}, 0);
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ(empty->value().status().error(), ErrorCode::kEmptyBody);
  // No valid handle: nothing appended, so nothing to wait for.
  auto none = Call(&Broker::DeleteMessages).Start(kAccount, "q", {"x", "y"});
  ASSERT_TRUE(none->has_value());
  ASSERT_TRUE(none->value().ok());
  EXPECT_EQ(none->value()->at(1).status.error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_EQ(log_.LastAppended(), appended);
  EXPECT_FALSE(pending->has_value());
}

// A success depends on the state it saw, so it waits for everything appended before
// it, even when it appended nothing itself.
TEST_F(DurabilityTest, ASuccessWaitsForWhatWasAppendedBefore) {
  Create("q");
  HoldDurability();
  auto send = Call(&Broker::SendMessages).Start(kAccount, "q", {"a"}, 0);
  const journal::Lsn appended = log_.LastAppended();
  auto unbind = Call(&Broker::UnbindDeadLetterQueue).Start(kAccount, "q");  // no policy
  EXPECT_EQ(log_.LastAppended(), appended);
  EXPECT_FALSE(unbind->has_value());
  log_.MakeDurable();
  ASSERT_TRUE(unbind->has_value());
  EXPECT_TRUE(unbind->value().ok());
  EXPECT_TRUE(send->has_value());
}

// Only the records that put the messages where they are must be durable: not other
// queues' records appended later than the message's own send, not the receive record.
TEST_F(DurabilityTest, ReceiveWaitsOnlyForTheRecordsOfItsMessages) {
  Create("q");
  Create("other");
  HoldDurability();
  Call(&Broker::SendMessages).Start(kAccount, "q", {"first"}, 0);
  const journal::Lsn first = log_.LastAppended();
  Call(&Broker::SendMessages).Start(kAccount, "q", {"second"}, 0);
  const journal::Lsn second = log_.LastAppended();
  Call(&Broker::SendMessages).Start(kAccount, "other", {"unrelated"}, 0);

  EXPECT_EQ(ReceiveOnceDurableUpTo("q", first).messages.at(0).body, "first");
  EXPECT_EQ(ReceiveOnceDurableUpTo("q", second).messages.at(0).body, "second");
  EXPECT_LT(log_.durable_lsn(), log_.LastAppended());  // the receive records are not
}

TEST_F(DurabilityTest, ReceiveAfterRewindWaitsForTheRewindRecord) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 3600;
  Create("q", u);
  SendOne("q", "again");
  ASSERT_TRUE(Delete("q", ReceiveOne("q").receipt_handle).ok());
  HoldDurability();
  auto rewind = Call(&Broker::RewindQueue).Start(kAccount, "q", NowS());
  EXPECT_EQ(ReceiveOnceDurableUpTo("q", log_.LastAppended()).messages.at(0).body, "again");
  EXPECT_TRUE(rewind->has_value());
}

TEST_F(DurabilityTest, ParkedReceiveServedBySendWaitsForTheSend) {
  Create("q");
  Received r;
  EXPECT_NE(StartReceive("q", 1, 10, &r), 0u);
  HoldDurability();
  auto send = Call(&Broker::SendMessages).Start(kAccount, "q", {"m"}, 0);
  ASSERT_EQ(log_.Records().back().type, kRecReceive);  // right after the send
  const journal::Lsn send_lsn = log_.LastAppended() - 1;
  EXPECT_EQ(broker_->GetStats().parked_receives, 0);  // served, not yet answered
  log_.MakeDurableUpTo(send_lsn - 1);
  EXPECT_FALSE(r.called);
  log_.MakeDurableUpTo(send_lsn);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).body, "m");
}

// A client holds a message only once its receive record is durable: a restart (or a
// node taking the log over) then knows the receipt handle it was given.
TEST_F(DurabilityTest, ReceiveWaitsForItsOwnRecordWhenAsked) {
  ReceivesWaitForTheirOwnRecord();
  Create("q");
  SendOne("q", "a");
  HoldDurability();
  // The receive record is the next one appended.
  EXPECT_EQ(ReceiveOnceDurableUpTo("q", log_.LastAppended() + 1).messages.at(0).body, "a");
  EXPECT_EQ(log_.Records().back().type, kRecReceive);

  // A parked receive served by a send: the send's record alone is not enough.
  Received parked;
  StartReceive("q", 1, 10, &parked);
  auto send = Call(&Broker::SendMessages).Start(kAccount, "q", {"b"}, 0);
  ASSERT_EQ(log_.Records().back().type, kRecReceive);
  log_.MakeDurableUpTo(log_.LastAppended() - 1);
  EXPECT_FALSE(parked.called);
  log_.MakeDurable();
  ASSERT_TRUE(parked.called);
  EXPECT_EQ(parked.messages.at(0).body, "b");
  EXPECT_TRUE(send->has_value());
}

// Without the option a receive's own record rides a later commit.
TEST_F(DurabilityTest, ReceiveOfADurableMessageDoesNotWaitForItsOwnRecord) {
  Create("q");
  SendOne("q", "a");
  HoldDurability();
  Received r;
  StartReceive("q", 1, 0, &r);
  EXPECT_EQ(log_.Records().back().type, kRecReceive);
  EXPECT_LT(log_.durable_lsn(), log_.LastAppended());
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).body, "a");
}

TEST_F(DurabilityTest, StorageFailureReachesWaitingCompletions) {
  Create("q");
  SendOne("q", "a");
  HoldDurability();
  auto send = Call(&Broker::SendMessages).Start(kAccount, "q", {"b"}, 0);
  Received r;
  StartReceive("q", 2, 0, &r);  // a and b: waits for b's send
  EXPECT_FALSE(r.called);
  log_.FailSync();
  ASSERT_TRUE(send->has_value());
  EXPECT_EQ(send->value().status().error(), ErrorCode::kStorageFailed);
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.status.error(), ErrorCode::kStorageFailed);

  // Later writes fail at once; nothing was lost from memory.
  auto later = Call(&Broker::SendMessages).Start(kAccount, "q", {"c"}, 0);
  ASSERT_TRUE(later->has_value());
  EXPECT_EQ(later->value().status().error(), ErrorCode::kStorageFailed);
  Advance(30000);  // the visibility timeout of a and b ends
  EXPECT_EQ(Counters("q").active, 2);
  EXPECT_EQ(Receive("q").status.error(), ErrorCode::kStorageFailed);
  EXPECT_EQ(Counters("q").active, 2);
}

// CancelReceive forgets a parked receive; one already served completes anyway (the
// caller drops the answer).
TEST_F(DurabilityTest, CancelDoesNotStopAServedReceive) {
  Create("q");
  Received r;
  uint64_t id = StartReceive("q", 1, 10, &r);
  HoldDurability();
  Call(&Broker::SendMessages).Start(kAccount, "q", {"m"}, 0);
  broker_->CancelReceive(id);
  log_.MakeDurable();
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.messages.at(0).body, "m");
  EXPECT_EQ(Counters("q").inactive, 1);
}

}  // namespace
}  // namespace cmq::broker
