// Black-box: long polling (docs/cmq-api.md 6.3). Parked receives are woken by sends on
// other connections, answer 7000 when their wait ends, 4440 when their queue is
// deleted, and many parked receives each get their own message. Assertions are on
// what is returned, never on how fast.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class LongPollTest : public SharedServerTest {
 protected:
  // Writes a signed ReceiveMessage on its own raw connection and returns it, so the
  // request is surely on its way before the test goes on.
  std::unique_ptr<RawConnection> ParkReceive(const std::string& q, int wait,
                                             const std::string& action = "ReceiveMessage",
                                             ParamList extra = {}) {
    auto raw = std::make_unique<RawConnection>();
    EXPECT_TRUE(raw->Connect(server().port()));
    extra.emplace_back("queueName", q);
    extra.emplace_back("pollingWaitSeconds", std::to_string(wait));
    EXPECT_TRUE(raw->Send(RawSignedPost(*caller_, action, std::move(extra))));
    return raw;
  }
  // A round trip on another connection: by the time it is answered the server has, in
  // practice, read the parked request written before it. Only the arrival-order and
  // hang-up tests depend on it (and use two); elsewhere it just makes the "parked" case
  // the one exercised.
  void Barrier(const std::string& q) { Attributes(q); }

  ClientResult<JsonValue> Answer(RawConnection* raw, int64_t timeout_ms = 40000) {
    ClientResult<HttpResponse> resp = raw->ReadResponse(timeout_ms);
    if (!resp.ok()) return resp.take_error();
    EXPECT_EQ(resp->status, 200);
    return ParseEnvelope(*resp);
  }
};

TEST_F(LongPollTest, ParkedReceiveWokenBySend) {
  std::string q = UniqueName("wake");
  CreateQueue(q);
  std::unique_ptr<RawConnection> parked = ParkReceive(q, 10);
  Barrier(q);
  std::string id = Send(q, "wake up");
  ClientResult<JsonValue> got = Answer(parked.get());
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgId"), id);
  EXPECT_EQ(StrField(*got, "msgBody"), "wake up");
  EXPECT_EQ(IntField(Attributes(q), "inactiveMsgNum"), 1);
}

TEST_F(LongPollTest, ParkedReceiveOnCallerThread) {
  // The same through the Caller on a thread of its own, as SDK users do it.
  std::string q = UniqueName("wake-thread");
  CreateQueue(q);
  ClientResult<JsonValue> result = client::MakeError(client::ErrorKind::kNetwork, "not run");
  std::thread receiver([&] {
    Caller c = server().NewCaller();
    result = c.Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "10"}}, 15000);
  });
  Barrier(q);
  std::string id = Send(q, "from another connection");
  receiver.join();
  ASSERT_TRUE(IsSuccess(result));
  EXPECT_EQ(StrField(*result, "msgId"), id);
}

TEST_F(LongPollTest, ParkedBatchReceiveWokenBySend) {
  std::string q = UniqueName("wake-batch");
  CreateQueue(q);
  std::unique_ptr<RawConnection> parked =
      ParkReceive(q, 10, "BatchReceiveMessage", {{"numOfMsg", "16"}});
  Barrier(q);
  Ok("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "x"}, {"msgBody.2", "y"}});
  ClientResult<JsonValue> got = Answer(parked.get());
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_GE(ArrayField(*got, "msgInfoList").size(), 1u);
}

TEST_F(LongPollTest, QueueAttributeIsTheDefaultWait) {
  std::string q = UniqueName("attrwait");
  CreateQueue(q, {{"pollingWaitSeconds", "10"}});
  // No pollingWaitSeconds in the request: the queue's 10 s apply, so it parks.
  auto raw = std::make_unique<RawConnection>();
  ASSERT_TRUE(raw->Connect(server().port()));
  ASSERT_TRUE(raw->Send(RawSignedPost(*caller_, "ReceiveMessage", {{"queueName", q}})));
  Barrier(q);
  std::string id = Send(q, "default wait");
  ClientResult<JsonValue> got = Answer(raw.get());
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgId"), id);
}

// Waits above the maximum are clamped, not refused (6.3, 14 item 26): the Java SDK's
// deprecated receiveMessage(int) sends 30000.
TEST_F(LongPollTest, WaitAboveMaximumIsClamped) {
  std::string q = UniqueName("clamp");
  CreateQueue(q);
  std::string id = Send(q, "there already");
  ClientResult<JsonValue> got = caller_->Call(
      "ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "30000"}}, 40000);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgId"), id);
}

TEST_F(LongPollTest, EmptyQueueAnswersNoMessageWhenWaitEnds) {
  std::string q = UniqueName("timeout");
  CreateQueue(q);
  EXPECT_TRUE(IsServerError(Receive(q, 1), 7000, 10200));
  EXPECT_TRUE(IsServerError(
      caller_->Call("BatchReceiveMessage",
                    {{"queueName", q}, {"numOfMsg", "4"}, {"pollingWaitSeconds", "1"}}, 10000),
      7000, 10200));
  // The connection stays usable after a parked request was answered.
  Send(q, "after");
  ClientResult<JsonValue> got = Receive(q, 1);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), "after");
}

TEST_F(LongPollTest, DeleteQueueAnswersParkedReceives) {
  std::string q = UniqueName("deleted");
  CreateQueue(q);
  std::unique_ptr<RawConnection> a = ParkReceive(q, 10);
  std::unique_ptr<RawConnection> b =
      ParkReceive(q, 10, "BatchReceiveMessage", {{"numOfMsg", "3"}});
  Barrier(q);
  Ok("DeleteQueue", {{"queueName", q}});
  EXPECT_TRUE(IsServerError(Answer(a.get()), 4440, 10100));
  EXPECT_TRUE(IsServerError(Answer(b.get()), 4440, 10100));
}

TEST_F(LongPollTest, DisconnectedReceiverDoesNotTakeTheMessage) {
  std::string q = UniqueName("gone");
  CreateQueue(q);
  std::unique_ptr<RawConnection> parked = ParkReceive(q, 10);
  Barrier(q);
  parked->Close();
  // Two round trips on another connection: the server has then seen the close (an
  // event loop may read a request and its connection's EOF in different rounds).
  Barrier(q);
  Barrier(q);
  std::string id = Send(q, "for the living");
  ClientResult<JsonValue> got = Receive(q, 0);
  ASSERT_TRUE(IsSuccess(got)) << "the message went to a receiver that had hung up";
  EXPECT_EQ(StrField(*got, "msgId"), id);
}

TEST_F(LongPollTest, ParkedReceiversServedInArrivalOrder) {
  std::string q = UniqueName("fifo");
  CreateQueue(q);
  std::unique_ptr<RawConnection> first = ParkReceive(q, 10);
  Barrier(q);
  Barrier(q);
  std::unique_ptr<RawConnection> second = ParkReceive(q, 10);
  Barrier(q);
  std::string id1 = Send(q, "one");
  std::string id2 = Send(q, "two");
  ClientResult<JsonValue> a = Answer(first.get());
  ClientResult<JsonValue> b = Answer(second.get());
  ASSERT_TRUE(IsSuccess(a));
  ASSERT_TRUE(IsSuccess(b));
  EXPECT_EQ(StrField(*a, "msgId"), id1);
  EXPECT_EQ(StrField(*b, "msgId"), id2);
}

TEST_F(LongPollTest, TwoHundredParkedReceivesEachGetOneMessage) {
  constexpr int kReceivers = 200;
  std::string q = UniqueName("many");
  CreateQueue(q, {{"visibilityTimeout", "600"}});
  std::vector<std::unique_ptr<RawConnection>> parked;
  for (int i = 0; i < kReceivers; ++i) parked.push_back(ParkReceive(q, 30));
  Barrier(q);

  std::set<std::string> sent;
  for (int i = 0; i < kReceivers; i += 16) {
    ParamList batch = {{"queueName", q}};
    for (int j = i; j < std::min(kReceivers, i + 16); ++j) {
      std::string body = "msg-" + std::to_string(j);
      batch.emplace_back("msgBody." + std::to_string(j - i + 1), body);
      sent.insert(body);
    }
    Ok("BatchSendMessage", batch);
  }

  std::multiset<std::string> received;
  for (auto& raw : parked) {
    ClientResult<JsonValue> got = Answer(raw.get());
    ASSERT_TRUE(IsSuccess(got));
    received.insert(StrField(*got, "msgBody"));
  }
  EXPECT_EQ(received, std::multiset<std::string>(sent.begin(), sent.end()))
      << "every parked receive gets a different message";
  JsonValue a = Attributes(q);
  EXPECT_EQ(IntField(a, "inactiveMsgNum"), kReceivers);
  EXPECT_EQ(IntField(a, "activeMsgNum"), 0);
}

}  // namespace
}  // namespace cmq::testing
