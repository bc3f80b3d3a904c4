// Black-box: the message life cycle of docs/cmq-api.md 6.2-6.5 as a client sees it:
// visibility, redelivery, delay, rewind, dead-letter moves, heap limit, and the
// counters of GetQueueAttributes after each step. Waiting for time to pass is always
// a long-poll receive that returns as soon as the message is there, never a sleep.
#include <gtest/gtest.h>

#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class QueueSemanticsTest : public SharedServerTest {
 protected:
  struct Counts {
    int64_t active, inactive, delayed, rewindable;
  };
  Counts Count(const std::string& q) {
    JsonValue a = Attributes(q);
    EXPECT_EQ(IntField(a, "rewindmsgNum"), IntField(a, "rewindMsgNum"));
    return {IntField(a, "activeMsgNum"), IntField(a, "inactiveMsgNum"), IntField(a, "delayMsgNum"),
            IntField(a, "rewindmsgNum")};
  }
  void ExpectCounts(const std::string& q, int64_t active, int64_t inactive, int64_t delayed,
                    int64_t rewindable) {
    Counts c = Count(q);
    EXPECT_EQ(c.active, active) << "activeMsgNum";
    EXPECT_EQ(c.inactive, inactive) << "inactiveMsgNum";
    EXPECT_EQ(c.delayed, delayed) << "delayMsgNum";
    EXPECT_EQ(c.rewindable, rewindable) << "rewindmsgNum";
  }
  ClientResult<JsonValue> Delete(const std::string& q, const JsonValue& msg) {
    return caller_->Call("DeleteMessage",
                         {{"queueName", q}, {"receiptHandle", StrField(msg, "receiptHandle")}});
  }
};

TEST_F(QueueSemanticsTest, VisibilityHidesReceivedMessage) {
  std::string q = UniqueName("vis");
  CreateQueue(q, {{"visibilityTimeout", "600"}});
  ExpectCounts(q, 0, 0, 0, 0);
  int64_t before = NowSeconds();
  std::string id = Send(q, "hidden");
  ExpectCounts(q, 1, 0, 0, 0);
  int64_t min_time = IntField(Attributes(q), "minMsgTime");
  EXPECT_GE(min_time, before);
  EXPECT_LE(min_time, NowSeconds());

  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgId"), id);
  EXPECT_EQ(IntField(*got, "dequeueCount"), 1);
  EXPECT_EQ(IntField(*got, "nextVisibleTime") - IntField(*got, "firstDequeueTime"), 600);
  ExpectCounts(q, 0, 1, 0, 0);
  EXPECT_EQ(IntField(Attributes(q), "minMsgTime"), min_time) << "an inactive message still counts";

  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));
  ASSERT_TRUE(IsSuccess(Delete(q, *got)));
  ExpectCounts(q, 0, 0, 0, 0);
  EXPECT_EQ(IntField(Attributes(q), "minMsgTime"), 0);
  EXPECT_TRUE(IsServerError(Delete(q, *got), 4430, 10260)) << "deleted: the handle is spent";
  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));
}

TEST_F(QueueSemanticsTest, RedeliveryAfterVisibilityTimeout) {
  std::string q = UniqueName("redeliver");
  CreateQueue(q, {{"visibilityTimeout", "1"}});
  std::string id = Send(q, "again");
  ClientResult<JsonValue> first = Receive(q);
  ASSERT_TRUE(IsSuccess(first));
  // Parked until the visibility timeout makes the message Active again.
  ClientResult<JsonValue> second = Receive(q, 15);
  ASSERT_TRUE(IsSuccess(second));
  EXPECT_EQ(StrField(*second, "msgId"), id);
  EXPECT_EQ(StrField(*second, "msgBody"), "again");
  EXPECT_EQ(IntField(*second, "dequeueCount"), 2);
  EXPECT_EQ(IntField(*second, "firstDequeueTime"), IntField(*first, "firstDequeueTime"));
  EXPECT_EQ(IntField(*second, "enqueueTime"), IntField(*first, "enqueueTime"));
  EXPECT_NE(StrField(*second, "receiptHandle"), StrField(*first, "receiptHandle"));
  EXPECT_TRUE(IsServerError(Delete(q, *first), 4430, 10260));
  // A longer visibility for the next receive, so its handle surely stays valid.
  Ok("SetQueueAttributes", {{"queueName", q}, {"visibilityTimeout", "600"}});
  ClientResult<JsonValue> third = Receive(q, 15);
  ASSERT_TRUE(IsSuccess(third));
  EXPECT_EQ(IntField(*third, "dequeueCount"), 3);
  EXPECT_TRUE(IsSuccess(Delete(q, *third)));
  ExpectCounts(q, 0, 0, 0, 0);
}

TEST_F(QueueSemanticsTest, DelayedMessages) {
  std::string q = UniqueName("delay");
  CreateQueue(q);
  Send(q, "much later", {{"delaySeconds", "3600"}});
  ExpectCounts(q, 0, 0, 1, 0);
  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));

  std::string soon = Send(q, "soon", {{"delaySeconds", "1"}});
  // Parked until the delay ends; the hour-long one never shows up.
  ClientResult<JsonValue> got = Receive(q, 15);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgId"), soon);
  EXPECT_EQ(StrField(*got, "msgBody"), "soon");
  ExpectCounts(q, 0, 1, 1, 0);
  EXPECT_TRUE(IsSuccess(Delete(q, *got)));
  ExpectCounts(q, 0, 0, 1, 0);
  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));
  // BatchSend applies one delay to every message.
  Ok("BatchSendMessage",
     {{"queueName", q}, {"msgBody.1", "a"}, {"msgBody.2", "b"}, {"delaySeconds", "3600"}});
  ExpectCounts(q, 0, 0, 3, 0);
}

TEST_F(QueueSemanticsTest, RewindRestoresDeletedMessagesInOrder) {
  std::string q = UniqueName("rewind");
  CreateQueue(q, {{"rewindSeconds", "3600"}, {"visibilityTimeout", "600"}});
  int64_t start = NowSeconds();
  std::vector<std::string> ids;
  for (const char* body : {"r1", "r2", "r3"}) ids.push_back(Send(q, body));
  for (int i = 0; i < 3; ++i) {
    ClientResult<JsonValue> got = Receive(q);
    ASSERT_TRUE(IsSuccess(got));
    ASSERT_TRUE(IsSuccess(Delete(q, *got)));
  }
  ExpectCounts(q, 0, 0, 0, 3);
  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));

  ASSERT_TRUE(IsSuccess(caller_->Call(
      "RewindQueue", {{"queueName", q}, {"startConsumeTime", std::to_string(start - 5)}})));
  ExpectCounts(q, 3, 0, 0, 0);
  // In production order, counters kept (14 item 36).
  for (int i = 0; i < 3; ++i) {
    ClientResult<JsonValue> got = Receive(q);
    ASSERT_TRUE(IsSuccess(got));
    EXPECT_EQ(StrField(*got, "msgId"), ids[i]);
    EXPECT_EQ(StrField(*got, "msgBody"), std::string("r").append(std::to_string(i + 1)));
    EXPECT_EQ(IntField(*got, "dequeueCount"), 2);
    ASSERT_TRUE(IsSuccess(Delete(q, *got)));
  }
  ExpectCounts(q, 0, 0, 0, 3);

  // Disabling rewind discards the rewindable messages (6.5).
  Ok("SetQueueAttributes", {{"queueName", q}, {"rewindSeconds", "0"}});
  ExpectCounts(q, 0, 0, 0, 0);
}

TEST_F(QueueSemanticsTest, RewindLeavesPendingAndDelayedAlone) {
  std::string q = UniqueName("rewind-pending");
  CreateQueue(q, {{"rewindSeconds", "3600"}});
  int64_t start = NowSeconds();
  Send(q, "pending");
  Send(q, "delayed", {{"delaySeconds", "3600"}});
  ASSERT_TRUE(IsSuccess(caller_->Call(
      "RewindQueue", {{"queueName", q}, {"startConsumeTime", std::to_string(start - 5)}})));
  ExpectCounts(q, 1, 0, 1, 0);
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), "pending");
  EXPECT_EQ(IntField(*got, "dequeueCount"), 1);
  EXPECT_TRUE(IsServerError(Receive(q, 0), 7000, 10200));
}

TEST_F(QueueSemanticsTest, DeadLetterAfterMaxReceiveCount) {
  std::string dlq = UniqueName("dead");
  std::string src = UniqueName("dead-src");
  CreateQueue(dlq, {{"visibilityTimeout", "600"}});
  CreateQueue(src, {{"visibilityTimeout", "1"},
                    {"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                             R"(","policy":0,"maxReceiveCount":1})"}});
  Send(src, "to the graveyard");
  ClientResult<JsonValue> got = Receive(src);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(IntField(*got, "dequeueCount"), 1);
  // Not deleted: once its visibility ends it moves to the DLQ. Wait for it there.
  ClientResult<JsonValue> dead = Receive(dlq, 20);
  ASSERT_TRUE(IsSuccess(dead));
  EXPECT_EQ(StrField(*dead, "msgBody"), "to the graveyard");
  EXPECT_EQ(IntField(*dead, "dequeueCount"), 1) << "a moved message starts afresh in the DLQ";
  EXPECT_EQ(IntField(*dead, "nextVisibleTime") - IntField(*dead, "firstDequeueTime"), 600)
      << "DLQ attributes apply";
  // The source no longer holds it.
  ExpectCounts(src, 0, 0, 0, 0);
  EXPECT_TRUE(IsServerError(Receive(src, 0), 7000, 10200));
  EXPECT_TRUE(IsServerError(Delete(src, *got), 4430, 10260));
  EXPECT_TRUE(IsSuccess(Delete(dlq, *dead)));
  ExpectCounts(dlq, 0, 0, 0, 0);
}

TEST_F(QueueSemanticsTest, DeadLetterWaitsForMaxReceiveCount) {
  std::string dlq = UniqueName("dead2");
  std::string src = UniqueName("dead2-src");
  CreateQueue(dlq);
  CreateQueue(src, {{"visibilityTimeout", "1"},
                    {"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                             R"(","policy":0,"maxReceiveCount":2})"}});
  Send(src, "twice");
  ASSERT_TRUE(IsSuccess(Receive(src)));
  // The second receive is still allowed.
  ClientResult<JsonValue> again = Receive(src, 15);
  ASSERT_TRUE(IsSuccess(again));
  EXPECT_EQ(IntField(*again, "dequeueCount"), 2);
  ClientResult<JsonValue> dead = Receive(dlq, 20);
  ASSERT_TRUE(IsSuccess(dead));
  EXPECT_EQ(StrField(*dead, "msgBody"), "twice");
  ExpectCounts(src, 0, 0, 0, 0);
}

TEST_F(QueueSemanticsTest, HeapLimit) {
  std::string q = UniqueName("heap");
  CreateQueue(q, {{"maxMsgHeapNum", "3"}, {"rewindSeconds", "3600"}, {"visibilityTimeout", "600"}});
  EXPECT_EQ(IntField(Attributes(q), "maxMsgHeapNum"), 3);
  Send(q, "1");
  Send(q, "2", {{"delaySeconds", "3600"}});  // delayed messages count too
  ClientResult<JsonValue> r =
      caller_->Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "3"}, {"msgBody.2", "4"}});
  EXPECT_TRUE(IsServerError(r, 4410, 10240)) << "the whole batch must fit";
  ExpectCounts(q, 1, 0, 1, 0);
  Send(q, "3");
  EXPECT_TRUE(IsServerError(caller_->Call("SendMessage", {{"queueName", q}, {"msgBody", "4"}}), 4410,
                            10240));
  // Inactive messages count.
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_TRUE(IsServerError(caller_->Call("SendMessage", {{"queueName", q}, {"msgBody", "4"}}), 4410,
                            10240));
  // Rewindable ones do not.
  ASSERT_TRUE(IsSuccess(Delete(q, *got)));
  ExpectCounts(q, 1, 0, 1, 1);
  Send(q, "4");
  EXPECT_TRUE(IsServerError(caller_->Call("SendMessage", {{"queueName", q}, {"msgBody", "5"}}), 4410,
                            10240));
  // Raising the limit lets sends through; lowering it keeps what is there.
  Ok("SetQueueAttributes", {{"queueName", q}, {"maxMsgHeapNum", "4"}});
  Send(q, "5");
  Ok("SetQueueAttributes", {{"queueName", q}, {"maxMsgHeapNum", "1"}});
  ExpectCounts(q, 3, 0, 1, 1);
  EXPECT_TRUE(IsServerError(caller_->Call("SendMessage", {{"queueName", q}, {"msgBody", "6"}}), 4410,
                            10240));
}

TEST_F(QueueSemanticsTest, VisibilityTimeoutChangeAppliesToLaterReceives) {
  std::string q = UniqueName("vischange");
  CreateQueue(q, {{"visibilityTimeout", "600"}});
  Send(q, "a");
  Send(q, "b");
  ClientResult<JsonValue> a = Receive(q);
  ASSERT_TRUE(IsSuccess(a));
  EXPECT_EQ(IntField(*a, "nextVisibleTime") - IntField(*a, "firstDequeueTime"), 600);
  Ok("SetQueueAttributes", {{"queueName", q}, {"visibilityTimeout", "900"}});
  ClientResult<JsonValue> b = Receive(q);
  ASSERT_TRUE(IsSuccess(b));
  EXPECT_EQ(IntField(*b, "nextVisibleTime") - IntField(*b, "firstDequeueTime"), 900);
  EXPECT_TRUE(IsSuccess(Delete(q, *a))) << "the earlier receive keeps its handle";
  EXPECT_TRUE(IsSuccess(Delete(q, *b)));
}

TEST_F(QueueSemanticsTest, BatchReceiveTakesWhatIsThere) {
  std::string q = UniqueName("batchrecv");
  CreateQueue(q);
  for (int i = 0; i < 5; ++i) Send(q, std::string("m").append(std::to_string(i)));
  ClientResult<JsonValue> r = caller_->Call(
      "BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", "3"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_EQ(ArrayField(*r, "msgInfoList").size(), 3u);
  r = caller_->Call("BatchReceiveMessage",
                    {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "5"}}, 10000);
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_EQ(ArrayField(*r, "msgInfoList").size(), 2u);
  ExpectCounts(q, 0, 5, 0, 0);
}

}  // namespace
}  // namespace cmq::testing
