// Message life cycle (spec 6.2): send, receive, visibility, delete, delay, retention,
// heap limit, validation and disk headroom (durability: broker_durability_test.cc).
#include <set>

#include "broker/broker_test_util.h"
#include "broker/records.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::ExpectCounters;
using testing::kAccount;
using testing::Received;

class MessageTest : public BrokerFixture {};

TEST_F(MessageTest, CountersFollowEveryTransition) {
  Create("q");
  ExpectCounters(Counters("q"), 0, 0, 0, 0);
  SendOne("q", "a");
  SendOne("q", "b", 10);
  ExpectCounters(Counters("q"), 1, 0, 1, 0);
  ReceivedMessage m = ReceiveOne("q");
  ExpectCounters(Counters("q"), 0, 1, 1, 0);
  ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  ExpectCounters(Counters("q"), 0, 0, 1, 0);
  Advance(10000);
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
  EXPECT_EQ(broker_->GetStats().messages, 1);
}

TEST_F(MessageTest, ReceiveReturnsFieldsInEnqueueOrder) {
  Create("q");
  int64_t t0 = NowS();
  auto ids = Send("q", {"first", "second", "third"});
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_NE(ids[0], ids[1]);
  clock_.Advance(2000);
  Received r = Receive("q", 2);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].body, "first");
  EXPECT_EQ(r.messages[0].msg_id, ids[0]);
  EXPECT_EQ(r.messages[1].body, "second");
  const ReceivedMessage& m = r.messages[0];
  EXPECT_EQ(m.enqueue_time, t0);
  EXPECT_EQ(m.first_dequeue_time, t0 + 2);
  EXPECT_EQ(m.next_visible_time, t0 + 2 + 30);
  EXPECT_EQ(m.dequeue_count, 1);
  EXPECT_NE(r.messages[0].receipt_handle, r.messages[1].receipt_handle);
  // A batch larger than what is there returns what is there.
  Received rest = Receive("q", 16);
  ASSERT_EQ(rest.messages.size(), 1u);
  EXPECT_EQ(rest.messages[0].body, "third");
  EXPECT_EQ(Receive("q").status.error(), ErrorCode::kNoMessage);
}

TEST_F(MessageTest, MsgIdsAreDecimalAndUniqueAcrossQueues) {
  Create("a");
  Create("b");
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    for (const auto& id : Send(i % 2 ? "a" : "b", {"x", "y"})) {
      EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos);
      EXPECT_TRUE(ids.insert(id).second);
    }
  }
}

TEST_F(MessageTest, VisibilityExpiryMakesActiveAndStalesHandle) {
  QueueAttributeUpdate u;
  u.visibility_timeout = 10;
  Create("q", u);
  SendOne("q", "m");
  ReceivedMessage first = ReceiveOne("q");
  Advance(9999);
  ExpectCounters(Counters("q"), 0, 1, 0, 0);
  EXPECT_EQ(Receive("q").status.error(), ErrorCode::kNoMessage);
  Advance(1);
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
  EXPECT_EQ(Delete("q", first.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);

  clock_.Advance(3000);
  ReceivedMessage second = ReceiveOne("q");
  EXPECT_EQ(second.msg_id, first.msg_id);
  EXPECT_EQ(second.dequeue_count, 2);
  EXPECT_EQ(second.first_dequeue_time, first.first_dequeue_time);
  EXPECT_EQ(second.next_visible_time, NowS() + 10);
  EXPECT_NE(second.receipt_handle, first.receipt_handle);
  EXPECT_EQ(Delete("q", first.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_TRUE(Delete("q", second.receipt_handle).ok());
  ExpectCounters(Counters("q"), 0, 0, 0, 0);
  // A handle works once.
  EXPECT_EQ(Delete("q", second.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
}

TEST_F(MessageTest, DeleteAtNextVisibleTimeIsTooLateEvenWithoutTick) {
  QueueAttributeUpdate u;
  u.visibility_timeout = 5;
  Create("q", u);
  SendOne("q", "m");
  ReceivedMessage m = ReceiveOne("q");
  clock_.Advance(5000);  // no Tick: the delete itself must notice
  EXPECT_EQ(Delete("q", m.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
}

TEST_F(MessageTest, NewVisibilityTimeoutAppliesToLaterReceives) {
  Create("q");
  Send("q", {"a", "b"});
  ReceivedMessage a = ReceiveOne("q");
  QueueAttributeUpdate u;
  u.visibility_timeout = 100;
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", u).ok());
  ReceivedMessage b = ReceiveOne("q");
  EXPECT_EQ(a.next_visible_time, NowS() + 30);
  EXPECT_EQ(b.next_visible_time, NowS() + 100);
}

TEST_F(MessageTest, DelayedMessagesBecomeActiveExactlyOnTime) {
  Create("q");
  SendOne("q", "later", 5);
  ExpectCounters(Counters("q"), 0, 0, 1, 0);
  EXPECT_EQ(broker_->NextDeadlineMs(), clock_.NowMs() + 5000);
  Advance(4999);
  ExpectCounters(Counters("q"), 0, 0, 1, 0);
  EXPECT_EQ(Receive("q").status.error(), ErrorCode::kNoMessage);
  Advance(1);
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
  EXPECT_EQ(ReceiveOne("q").body, "later");
}

TEST_F(MessageTest, DelayRangeIsCheckedByTheBroker) {
  QueueAttributeUpdate u;
  u.msg_retention_seconds = 100;
  Create("q", u);
  auto neg = Call(&Broker::SendMessages)(kAccount, "q", {"x"}, -1);
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.status().error(), ErrorCode::kOutOfRange);
  EXPECT_EQ(neg.status().detail(), "delaySeconds");
  EXPECT_TRUE(Call(&Broker::SendMessages)(kAccount, "q", {"x"}, 99).ok());
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "q", {"x"}, 100).status().error(),
            ErrorCode::kOutOfRange);

  Limits l = testing::TestLimits();
  l.max_delay_seconds = 3600;
  Reset(l);
  Create("q2");
  EXPECT_TRUE(Call(&Broker::SendMessages)(kAccount, "q2", {"x"}, 3600).ok());
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "q2", {"x"}, 3601).status().error(),
            ErrorCode::kOutOfRange);
}

TEST_F(MessageTest, BodyValidation) {
  QueueAttributeUpdate u;
  u.max_msg_size = 1024;
  Create("q", u);
  auto err = [&](std::vector<std::string_view> bodies) {
    auto r = Call(&Broker::SendMessages)(kAccount, "q", bodies, 0);
    return r.ok() ? ErrorCode::kOk : r.status().error();
  };
  std::string max(1024, 'x');
  std::string over(1025, 'x');
  EXPECT_EQ(err({""}), ErrorCode::kEmptyBody);
  EXPECT_EQ(err({"a", ""}), ErrorCode::kEmptyBody);
  EXPECT_EQ(err({over}), ErrorCode::kMsgTooLarge);
  EXPECT_EQ(err({}), ErrorCode::kBatchSizeOutOfRange);
  EXPECT_EQ(err({max}), ErrorCode::kOk);
  // Nothing of a failed batch was stored.
  EXPECT_EQ(Counters("q").active, 1);

  Limits l = testing::TestLimits();
  l.max_batch_body_bytes = 2048;
  Reset(l);
  Create("q", u);
  EXPECT_EQ(err({max, max}), ErrorCode::kOk);
  EXPECT_EQ(err({max, max, "y"}), ErrorCode::kBatchTooLarge);
  EXPECT_EQ(Counters("q").active, 2);
}

TEST_F(MessageTest, HeapLimitCountsHeldMessagesAndRejectsWholeBatch) {
  QueueAttributeUpdate u;
  u.max_msg_heap_num = 3;
  u.rewind_seconds = 100;
  Create("q", u);
  SendOne("q", "a");
  SendOne("q", "b", 10);
  auto batch = Call(&Broker::SendMessages)(kAccount, "q", {"c", "d"}, 0);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().error(), ErrorCode::kHeapFull);
  ExpectCounters(Counters("q"), 1, 0, 1, 0);
  SendOne("q", "c");
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "q", {"d"}, 0).status().error(),
            ErrorCode::kHeapFull);
  // Inactive messages count; rewindable ones do not.
  ReceivedMessage m = ReceiveOne("q");
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "q", {"d"}, 0).status().error(),
            ErrorCode::kHeapFull);
  ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  ExpectCounters(Counters("q"), 1, 0, 1, 1);
  SendOne("q", "d");
  // A lower limit only blocks future sends.
  QueueAttributeUpdate lower;
  lower.max_msg_heap_num = 1;
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", lower).ok());
  ExpectCounters(Counters("q"), 2, 0, 1, 1);
  EXPECT_EQ(Call(&Broker::SendMessages)(kAccount, "q", {"e"}, 0).status().error(),
            ErrorCode::kHeapFull);
}

TEST_F(MessageTest, OptionalInflightCap) {
  Limits l = testing::TestLimits();
  l.max_inflight_per_queue = 2;
  Reset(l);
  Create("q");
  Send("q", {"a", "b", "c"});
  ReceiveOne("q");
  SendOne("q", "d", 10);
  auto r = Call(&Broker::SendMessages)(kAccount, "q", {"e"}, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error(), ErrorCode::kTooManyInflight);
}

TEST_F(MessageTest, RetentionEndsMessagesInAnyState) {
  QueueAttributeUpdate u;
  u.msg_retention_seconds = 60;
  u.visibility_timeout = 3600;
  Create("q", u);
  int64_t t0 = NowS();
  Send("q", {"inactive", "active"});
  SendOne("q", "delayed", 50);
  ReceivedMessage m = ReceiveOne("q");
  EXPECT_EQ(Counters("q").min_msg_time, t0);
  Advance(59999);
  ExpectCounters(Counters("q"), 2, 1, 0, 0);  // the delayed one became active at 50 s
  Advance(1);
  ExpectCounters(Counters("q"), 0, 0, 0, 0);
  EXPECT_EQ(Counters("q").min_msg_time, 0);
  EXPECT_EQ(Delete("q", m.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_EQ(broker_->GetStats().messages, 0);
}

TEST_F(MessageTest, LoweredRetentionExpiresOldMessagesAtNextTick) {
  Create("q");
  SendOne("q", "old");
  Advance(100000);
  SendOne("q", "new");
  QueueAttributeUpdate u;
  u.msg_retention_seconds = 60;
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", u).ok());
  broker_->Tick();
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
  EXPECT_EQ(ReceiveOne("q").body, "new");
}

TEST_F(MessageTest, MinMsgTimeIsOldestUndeleted) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 1000;
  Create("q", u);
  int64_t t0 = NowS();
  SendOne("q", "a");
  clock_.Advance(3000);
  SendOne("q", "b");
  EXPECT_EQ(Counters("q").min_msg_time, t0);
  ReceivedMessage a = ReceiveOne("q");
  EXPECT_EQ(Counters("q").min_msg_time, t0);  // inactive is not deleted
  ASSERT_TRUE(Delete("q", a.receipt_handle).ok());
  EXPECT_EQ(Counters("q").min_msg_time, t0 + 3);  // rewindable is deleted
  ASSERT_TRUE(Call(&Broker::RewindQueue)(kAccount, "q", t0).ok());
  EXPECT_EQ(Counters("q").min_msg_time, t0);
}

TEST_F(MessageTest, DeleteBatchChecksEachHandle) {
  Create("q");
  Send("q", {"a", "b"});
  Received r = Receive("q", 2);
  ASSERT_EQ(r.messages.size(), 2u);
  const std::string& h0 = r.messages[0].receipt_handle;
  auto out = Call(&Broker::DeleteMessages)(kAccount, "q",
                                           {h0, "garbage", h0, r.messages[1].receipt_handle});
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 4u);
  EXPECT_TRUE((*out)[0].status.ok());
  EXPECT_EQ((*out)[1].status.error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_EQ((*out)[1].receipt_handle, "garbage");
  EXPECT_EQ((*out)[2].status.error(), ErrorCode::kReceiptHandleInvalid);  // duplicate
  EXPECT_TRUE((*out)[3].status.ok());
  ExpectCounters(Counters("q"), 0, 0, 0, 0);
}

TEST_F(MessageTest, HandlesFromElsewhereAreRejected) {
  Create("q");
  Create("other");
  SendOne("q", "a");
  SendOne("other", "b");
  ReceivedMessage m = ReceiveOne("q");
  ReceivedMessage o = ReceiveOne("other");
  EXPECT_EQ(Delete("q", o.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_EQ(Delete("other", m.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
  // Tampering with any character breaks the handle.
  for (size_t i = 0; i < m.receipt_handle.size(); ++i) {
    std::string forged = m.receipt_handle;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Delete("q", forged).error(), ErrorCode::kReceiptHandleInvalid) << i;
  }
  for (std::string_view junk : {std::string_view(""), std::string_view("@x"),
                                std::string_view("123"), std::string_view("\0\xff", 2)}) {
    EXPECT_EQ(Delete("q", junk).error(), ErrorCode::kReceiptHandleInvalid);
  }
  EXPECT_EQ(Delete("q", std::string(100000, 'A')).error(), ErrorCode::kReceiptHandleInvalid);
  EXPECT_TRUE(Delete("q", m.receipt_handle).ok());

  // A queue deleted and re-created under the same name rejects the old handles.
  SendOne("q", "c");
  ReceivedMessage old = ReceiveOne("q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  Create("q");
  SendOne("q", "d");
  ReceiveOne("q");
  EXPECT_EQ(Delete("q", old.receipt_handle).error(), ErrorCode::kReceiptHandleInvalid);
}

TEST_F(MessageTest, HandleAlphabetAndLength) {
  Create("q");
  SendOne("q", "a");
  std::string h = ReceiveOne("q").receipt_handle;
  EXPECT_LE(h.size(), 256u);
  EXPECT_NE(h[0], '@');
  EXPECT_EQ(h.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"),
            std::string::npos);
}

TEST_F(MessageTest, ClockSteppingBackKeepsEnqueueOrder) {
  Create("q");
  SendOne("q", "first");
  int64_t t0 = NowS();
  clock_.Set(clock_.NowMs() - 60000);
  SendOne("q", "second", 2);
  Received r = Receive("q", 16);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body, "first");
  clock_.Advance(60000 + 1999);
  broker_->Tick();
  EXPECT_EQ(Counters("q").delayed, 1);  // the delay counts from broker time
  Advance(1);
  ReceivedMessage second = ReceiveOne("q");
  EXPECT_EQ(second.body, "second");
  EXPECT_EQ(second.enqueue_time, t0);
}

TEST_F(MessageTest, DiskFullRefusesSendsButNotDeletes) {
  Create("q");
  Send("q", {"a", "b"});
  ReceivedMessage m = ReceiveOne("q");
  log_.SetDiskFull(true);
  auto r = Call(&Broker::SendMessages)(kAccount, "q", {"c"}, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().error(), ErrorCode::kDiskFull);
  EXPECT_EQ(r.status().detail(), "disk full");
  EXPECT_EQ(r.status().cmq_code(), 6000);
  EXPECT_TRUE(Delete("q", m.receipt_handle).ok());
  ExpectCounters(Counters("q"), 1, 0, 0, 0);
  log_.SetDiskFull(false);
  EXPECT_TRUE(Call(&Broker::SendMessages)(kAccount, "q", {"c"}, 0).ok());
  // The reservation covers the record plus a delete record per held message.
  EXPECT_GE(log_.last_headroom_request(), 2 * kDeleteRecordReserve + 1);
  EXPECT_LE(log_.last_headroom_request(), 2 * kDeleteRecordReserve + 64);
}

TEST_F(MessageTest, OutOfSpaceWhileTheRefusedRoomIsStillMissing) {
  Create("q");
  EXPECT_FALSE(broker_->OutOfSpace());
  log_.SetDiskFull(true);
  EXPECT_FALSE(broker_->OutOfSpace()) << "nothing was refused yet";
  ASSERT_FALSE(Call(&Broker::SendMessages)(kAccount, "q", {"c"}, 0).ok());
  EXPECT_TRUE(broker_->OutOfSpace());
  EXPECT_TRUE(broker_->OutOfSpace()) << "asking does not end it";
  // Space is back: known at the next question, before any send succeeds.
  log_.SetDiskFull(false);
  EXPECT_FALSE(broker_->OutOfSpace());
  log_.SetDiskFull(true);
  EXPECT_FALSE(broker_->OutOfSpace()) << "the refusal was over; no send refused since";
}

}  // namespace
}  // namespace cmq::broker
