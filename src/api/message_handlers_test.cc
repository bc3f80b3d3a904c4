// Message actions: success shapes, every error of 6.3 and 6.7, long polling and
// answering only after durability.
#include <algorithm>
#include <string>
#include <vector>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using MessageActionsTest = ApiTest;

int64_t Now(const env::FakeClock& clock) { return clock.NowMs() / 1000; }

void ExpectMessageShape(const JsonValue& m) {
  for (const char* s : {"msgBody", "msgId", "receiptHandle"}) {
    ASSERT_NE(m.Find(s), nullptr) << s;
    EXPECT_TRUE(m.Find(s)->is_string()) << s;
  }
  for (const char* n : {"enqueueTime", "firstDequeueTime", "nextVisibleTime", "dequeueCount"}) {
    ASSERT_NE(m.Find(n), nullptr) << n;
    EXPECT_TRUE(m.Find(n)->is_number()) << n;
  }
}

ParamList With(ParamList params, const std::string& queue) {
  params.push_back({"queueName", queue});
  return params;
}

// --- SendMessage ---------------------------------------------------------------------

TEST_F(MessageActionsTest, SendMessageAnswersMsgId) {
  CreateQueue("q");
  JsonValue v = Call("SendMessage", {{"queueName", "q"}, {"msgBody", "hello world 你好"}});
  ExpectOk(v);
  EXPECT_FALSE(Str(v, "msgId").empty());
  EXPECT_EQ(Int(Attributes("q"), "activeMsgNum"), 1);
  JsonValue got = Receive("q");
  EXPECT_EQ(Str(got, "msgBody"), "hello world 你好");
  EXPECT_EQ(Str(got, "msgId"), Str(v, "msgId"));
}

TEST_F(MessageActionsTest, SendMessageErrors) {
  CreateQueue("q", {{"maxMsgSize", "1024"}});
  ExpectError(Call("SendMessage", {{"queueName", "q"}}), 4000, 10390, "msgBody");
  JsonValue empty = Call("SendMessage", {{"queueName", "q"}, {"msgBody", ""}});
  ExpectError(empty, 4000, 10120);
  EXPECT_EQ(Message(empty), "(10120)message body can't be empty");
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", std::string(1024, 'x')}}));
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", std::string(1025, 'x')}}), 4400,
              10230);
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "bad \xc3\x28"}}), 4000, 10360,
              "msgBody");
  ExpectError(Call("SendMessage", {{"queueName", "nope"}, {"msgBody", "m"}}), 4440, 10100);
  // The plain key is required; an indexed one does not stand in for it.
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody.1", "m"}}), 4000, 10390,
              "msgBody");
}

TEST_F(MessageActionsTest, DelaySeconds) {
  CreateQueue("q", {{"msgRetentionSeconds", "600"}});
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "later"}, {"delaySeconds", "10"}}));
  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "delayMsgNum"), 1);
  EXPECT_EQ(Int(a, "activeMsgNum"), 0);
  ExpectError(Receive("q"), 7000, 10200);
  AdvanceSeconds(10);
  ExpectOk(Receive("q"));

  for (const char* bad : {"-1", "1296000"}) {
    ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", bad}}),
                4000, 10350, "delaySeconds");
  }
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "soon"}}),
              4000, 10360, "delaySeconds");
  // Up to msgRetentionSeconds - 1 of the queue (the broker knows the queue).
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "599"}}));
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "600"}}),
              4000, 10350);
}

TEST_F(MessageActionsTest, ConfiguredMaxDelay) {
  broker::Limits limits = TestLimits();
  limits.max_delay_seconds = 3600;
  Reset(limits);
  CreateQueue("q");
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "3600"}}));
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "3601"}}),
              4000, 10350, "delaySeconds");
}

TEST_F(MessageActionsTest, HeapFull) {
  CreateQueue("q", {{"maxMsgHeapNum", "2"}});
  SendMessage("q", "1");
  SendMessage("q", "2");
  JsonValue v = Call("SendMessage", {{"queueName", "q"}, {"msgBody", "3"}});
  ExpectError(v, 4410, 10240);
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a"}), "q")), 4410, 10240);
}

TEST_F(MessageActionsTest, InflightCap) {
  broker::Limits limits = TestLimits();
  limits.max_inflight_per_queue = 1;
  Reset(limits);
  CreateQueue("q");
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "60"}}));
  ExpectError(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}, {"delaySeconds", "60"}}),
              6070, 10690);
}

TEST_F(MessageActionsTest, DiskFull) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  log_->SetDiskFull(true);
  JsonValue v = Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}});
  ExpectError(v, 6000, 10090);
}

// --- BatchSendMessage ----------------------------------------------------------------

TEST_F(MessageActionsTest, BatchSendFromOneAndFromZero) {
  CreateQueue("q");
  for (int first : {0, 1}) {
    JsonValue v = Call("BatchSendMessage", With(Indexed("msgBody", first, {"a", "b", "c"}), "q"));
    ExpectOk(v);
    const JsonValue* list = v.Find("msgList");
    ASSERT_NE(list, nullptr);
    ASSERT_TRUE(list->is_array());
    ASSERT_EQ(list->items().size(), 3u);
    for (const JsonValue& m : list->items()) EXPECT_FALSE(Str(m, "msgId").empty());
  }
  JsonValue batch = Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "16"}});
  ExpectOk(batch);
  const auto& items = batch.Find("msgInfoList")->items();
  ASSERT_EQ(items.size(), 6u);
  EXPECT_EQ(Str(items[0], "msgBody"), "a");
  EXPECT_EQ(Str(items[1], "msgBody"), "b");
  EXPECT_EQ(Str(items[2], "msgBody"), "c");
}

TEST_F(MessageActionsTest, BatchSendIndexOrderIsNumeric) {
  CreateQueue("q");
  std::vector<std::string> bodies;
  for (int i = 1; i <= 16; ++i) bodies.push_back(std::string("m").append(std::to_string(i)));
  ParamList params = Indexed("msgBody", 1, bodies);
  std::reverse(params.begin(), params.end());
  ExpectOk(Call("BatchSendMessage", With(params, "q")));
  JsonValue batch = Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "16"}});
  const auto& items = batch.Find("msgInfoList")->items();
  ASSERT_EQ(items.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(Str(items[i], "msgBody"), bodies[i]);
}

TEST_F(MessageActionsTest, BatchSendErrors) {
  CreateQueue("q", {{"maxMsgSize", "1048576"}});
  ExpectError(Call("BatchSendMessage", {{"queueName", "q"}}), 4000, 10390, "msgBody");
  ExpectError(Call("BatchSendMessage", {{"queueName", "q"}, {"msgBody", "plain"}}), 4000, 10390,
              "msgBody");
  JsonValue gap =
      Call("BatchSendMessage", {{"queueName", "q"}, {"msgBody.1", "a"}, {"msgBody.3", "c"}});
  ExpectError(gap, 4000, 10380);
  EXPECT_EQ(Message(gap), "(10380)msgBody parameter is not consequent");
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 2, {"a", "b"}), "q")), 4000, 10380);
  std::vector<std::string> seventeen(17, "x");
  JsonValue too_many = Call("BatchSendMessage", With(Indexed("msgBody", 1, seventeen), "q"));
  ExpectError(too_many, 4000, 10370);
  EXPECT_EQ(Message(too_many), "(10370)msgBody parameter batch size is out of range");
  ExpectError(Call("BatchSendMessage", {{"queueName", "q"}, {"msgBody.one", "a"}}), 4000, 10310,
              "msgBody.one");
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a", ""}), "q")), 4000, 10120);
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a", "\xff"}), "q")), 4000,
              10360, "msgBody");
  std::string big(600 * 1024, 'x');
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 1, {big, big}), "q")), 4470, 10300);
  ExpectError(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a"}), "nope")), 4440, 10100);
  // All-or-nothing: none of the failed batches stored anything.
  EXPECT_EQ(Int(Attributes("q"), "activeMsgNum"), 0);
}

TEST_F(MessageActionsTest, BatchSendDuplicateIndexIsRefused) {
  CreateQueue("q");
  JsonValue v =
      Call("BatchSendMessage",
           {{"queueName", "q"}, {"msgBody.1", "old"}, {"msgBody.2", "two"}, {"msgBody.1", "new"}});
  ExpectError(v, 4000, 10330, "msgBody.1");
  ExpectError(Receive("q"), 7000, 10200);
}

// --- ReceiveMessage ------------------------------------------------------------------

TEST_F(MessageActionsTest, ReceiveMessageShape) {
  CreateQueue("q");
  int64_t sent_at = Now(clock_);
  std::string id = SendMessage("q", "body");
  clock_.Advance(2000);
  JsonValue v = Receive("q");
  ExpectOk(v);
  ExpectMessageShape(v);
  EXPECT_EQ(Str(v, "msgBody"), "body");
  EXPECT_EQ(Str(v, "msgId"), id);
  EXPECT_FALSE(Str(v, "receiptHandle").empty());
  EXPECT_EQ(Int(v, "enqueueTime"), sent_at);
  EXPECT_EQ(Int(v, "firstDequeueTime"), sent_at + 2);
  EXPECT_EQ(Int(v, "nextVisibleTime"), sent_at + 2 + 30);
  EXPECT_EQ(Int(v, "dequeueCount"), 1);
  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "inactiveMsgNum"), 1);
  EXPECT_EQ(Int(a, "activeMsgNum"), 0);
  EXPECT_EQ(Int(a, "minMsgTime"), sent_at);

  // Visible again after the timeout, with a new handle and count.
  AdvanceSeconds(30);
  JsonValue again = Receive("q");
  ExpectOk(again);
  EXPECT_EQ(Int(again, "dequeueCount"), 2);
  EXPECT_EQ(Int(again, "firstDequeueTime"), sent_at + 2);
  EXPECT_NE(Str(again, "receiptHandle"), Str(v, "receiptHandle"));
}

TEST_F(MessageActionsTest, ReceiveErrors) {
  CreateQueue("q");
  JsonValue none = Receive("q");
  EXPECT_EQ(Code(none), 7000);
  EXPECT_EQ(Message(none), "(10200)no message");
  ExpectError(Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "-1"}}), 4000,
              10350, "pollingWaitSeconds");
  ExpectError(Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "ten"}}), 4000,
              10360, "pollingWaitSeconds");
  ExpectError(Call("ReceiveMessage", {{"queueName", "nope"}, {"pollingWaitSeconds", "0"}}), 4440,
              10100);
  ExpectError(Call("ReceiveMessage", {{"queueName", "nope"}}), 4440, 10100);
}

TEST_F(MessageActionsTest, UserpollingWaitSecondsIsIgnored) {
  CreateQueue("q");
  // The queue default (0) applies: answered at once.
  JsonValue v = Call("ReceiveMessage", {{"queueName", "q"}, {"UserpollingWaitSeconds", "30"}});
  ExpectError(v, 7000, 10200);
}

TEST_F(MessageActionsTest, LongPollServedByLaterSend) {
  CreateQueue("q");
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "10"}});
  EXPECT_FALSE(parked.answered());
  EXPECT_TRUE(static_cast<bool>(parked.cancel));
  AdvanceSeconds(3);
  EXPECT_FALSE(parked.answered());
  std::string id = SendMessage("q", "wake up");
  ASSERT_TRUE(parked.answered());
  JsonValue v = parked.json();
  ExpectOk(v);
  ExpectMessageShape(v);
  EXPECT_EQ(Str(v, "msgId"), id);
  EXPECT_EQ(Str(v, "msgBody"), "wake up");
  // Cancelling after the answer is harmless.
  parked.cancel();
  EXPECT_EQ(parked.answers->size(), 1u);
}

TEST_F(MessageActionsTest, LongPollFirstComeFirstServed) {
  CreateQueue("q");
  Pending first = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "10"}});
  Pending second = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "10"}});
  SendMessage("q", "one");
  EXPECT_TRUE(first.answered());
  EXPECT_FALSE(second.answered());
  SendMessage("q", "two");
  ASSERT_TRUE(second.answered());
  EXPECT_EQ(Str(second.json(), "msgBody"), "two");
}

TEST_F(MessageActionsTest, LongPollTimesOut) {
  CreateQueue("q");
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "5"}});
  AdvanceSeconds(4);
  EXPECT_FALSE(parked.answered());
  AdvanceSeconds(1);
  ASSERT_TRUE(parked.answered());
  ExpectError(parked.json(), 7000, 10200);
}

TEST_F(MessageActionsTest, LongPollWaitIsClampedToMaximum) {
  CreateQueue("q");
  // The Java SDK's deprecated receiveMessage(int) sends 30000.
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "30000"}});
  AdvanceSeconds(29);
  EXPECT_FALSE(parked.answered());
  AdvanceSeconds(1);
  ASSERT_TRUE(parked.answered());
  ExpectError(parked.json(), 7000, 10200);
}

TEST_F(MessageActionsTest, AbsentWaitUsesQueueAttribute) {
  CreateQueue("q", {{"pollingWaitSeconds", "3"}});
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}});
  EXPECT_FALSE(parked.answered());
  AdvanceSeconds(3);
  ASSERT_TRUE(parked.answered());
  ExpectError(parked.json(), 7000, 10200);
  // An explicit 0 answers at once whatever the attribute.
  ExpectError(Receive("q"), 7000, 10200);
}

TEST_F(MessageActionsTest, CancelledLongPollIsNeverAnswered) {
  CreateQueue("q");
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "10"}});
  ASSERT_TRUE(static_cast<bool>(parked.cancel));
  parked.cancel();
  SendMessage("q", "kept");
  AdvanceSeconds(20);
  EXPECT_FALSE(parked.answered());
  // The message went to nobody.
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "kept");
}

TEST_F(MessageActionsTest, DeleteQueueAnswersParkedReceives) {
  CreateQueue("q");
  Pending parked = Start("BatchReceiveMessage",
                         {{"queueName", "q"}, {"numOfMsg", "4"}, {"pollingWaitSeconds", "10"}});
  ExpectOk(Call("DeleteQueue", {{"queueName", "q"}}));
  ASSERT_TRUE(parked.answered());
  ExpectError(parked.json(), 4440, 10100);
}

// --- BatchReceiveMessage -------------------------------------------------------------

TEST_F(MessageActionsTest, BatchReceiveReturnsWhatIsAvailable) {
  CreateQueue("q");
  SendMessage("q", "a");
  SendMessage("q", "b");
  JsonValue v = Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "5"}});
  ExpectOk(v);
  const JsonValue* list = v.Find("msgInfoList");
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->is_array());
  ASSERT_EQ(list->items().size(), 2u);
  for (const JsonValue& m : list->items()) ExpectMessageShape(m);
  ExpectError(Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "5"}}), 7000, 10200);
}

TEST_F(MessageActionsTest, BatchReceiveParksUntilAMessageArrives) {
  CreateQueue("q");
  Pending parked = Start("BatchReceiveMessage",
                         {{"queueName", "q"}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "20"}});
  EXPECT_FALSE(parked.answered());
  ExpectOk(Call("BatchSendMessage", With(Indexed("msgBody", 0, {"x", "y"}), "q")));
  ASSERT_TRUE(parked.answered());
  JsonValue v = parked.json();
  ExpectOk(v);
  EXPECT_GE(v.Find("msgInfoList")->items().size(), 1u);
}

TEST_F(MessageActionsTest, BatchReceiveErrors) {
  CreateQueue("q");
  ExpectError(Call("BatchReceiveMessage", {{"queueName", "q"}}), 4000, 10390, "numOfMsg");
  for (const char* bad : {"0", "17", "-1"}) {
    ExpectError(Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", bad}}), 4000, 10350,
                "numOfMsg");
  }
  ExpectError(Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "many"}}), 4000, 10360,
              "numOfMsg");
  ExpectError(Call("BatchReceiveMessage",
                   {{"queueName", "q"}, {"numOfMsg", "1"}, {"pollingWaitSeconds", "-5"}}),
              4000, 10350, "pollingWaitSeconds");
  ExpectError(Call("BatchReceiveMessage", {{"queueName", "nope"}, {"numOfMsg", "1"}}), 4440, 10100);
}

// --- DeleteMessage -------------------------------------------------------------------

TEST_F(MessageActionsTest, DeleteMessage) {
  CreateQueue("q");
  SendMessage("q", "m");
  std::string handle = Str(Receive("q"), "receiptHandle");
  ExpectError(Call("DeleteMessage", {{"queueName", "q"}}), 4000, 10390, "receiptHandle");
  ExpectError(Call("DeleteMessage", {{"queueName", "nope"}, {"receiptHandle", handle}}), 4440,
              10100);
  JsonValue v = Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", handle}});
  ExpectOk(v);
  EXPECT_EQ(Int(Attributes("q"), "inactiveMsgNum"), 0);
  JsonValue twice = Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", handle}});
  ExpectError(twice, 4430, 10260);
  EXPECT_EQ(Message(twice), "(10260)receipt handle is invalid");
  for (const char* garbage : {"", "garbage", "@x", "\xff\xfe"}) {
    ExpectError(Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", garbage}}), 4430,
                10260);
  }
}

TEST_F(MessageActionsTest, DeleteWithStaleOrForeignHandle) {
  CreateQueue("q");
  CreateQueue("other");
  SendMessage("q", "m");
  std::string first = Str(Receive("q"), "receiptHandle");
  AdvanceSeconds(30);  // visibility expired
  ExpectError(Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", first}}), 4430, 10260);
  std::string second = Str(Receive("q"), "receiptHandle");
  ExpectError(Call("DeleteMessage", {{"queueName", "other"}, {"receiptHandle", second}}), 4430,
              10260);
  ExpectOk(Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", second}}));
}

// --- BatchDeleteMessage --------------------------------------------------------------

std::vector<std::string> Handles(const JsonValue& batch) {
  std::vector<std::string> out;
  for (const JsonValue& m : batch.Find("msgInfoList")->items()) {
    out.push_back(m.Find("receiptHandle")->as_string());
  }
  return out;
}

TEST_F(MessageActionsTest, BatchDeleteAllSucceed) {
  CreateQueue("q");
  ExpectOk(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a", "b", "c"}), "q")));
  std::vector<std::string> handles =
      Handles(Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "3"}}));
  ASSERT_EQ(handles.size(), 3u);
  JsonValue v = Call("BatchDeleteMessage", With(Indexed("receiptHandle", 0, handles), "q"));
  ExpectOk(v);
  ASSERT_NE(v.Find("errorList"), nullptr);
  EXPECT_TRUE(v.Find("errorList")->is_array());
  EXPECT_TRUE(v.Find("errorList")->items().empty());
  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "inactiveMsgNum"), 0);
  EXPECT_EQ(Int(a, "activeMsgNum"), 0);
}

TEST_F(MessageActionsTest, BatchDeletePartialFailure) {
  CreateQueue("q");
  ExpectOk(Call("BatchSendMessage", With(Indexed("msgBody", 1, {"a", "b"}), "q")));
  std::vector<std::string> handles =
      Handles(Call("BatchReceiveMessage", {{"queueName", "q"}, {"numOfMsg", "2"}}));
  handles.push_back("bogus");
  JsonValue v = Call("BatchDeleteMessage", With(Indexed("receiptHandle", 1, handles), "q"));
  EXPECT_EQ(Code(v), 6010);
  EXPECT_EQ(Message(v), "(10150)delete message partially failed");
  const JsonValue* errors = v.Find("errorList");
  ASSERT_NE(errors, nullptr);
  ASSERT_EQ(errors->items().size(), 1u);
  const JsonValue& e = errors->items()[0];
  EXPECT_EQ(Int(e, "code"), 4430);
  EXPECT_EQ(Str(e, "message"), "(10260)receipt handle is invalid");
  EXPECT_EQ(Str(e, "receiptHandle"), "bogus");
  EXPECT_EQ(Int(Attributes("q"), "inactiveMsgNum"), 0);
}

TEST_F(MessageActionsTest, BatchDeleteAllFail) {
  CreateQueue("q");
  JsonValue v = Call("BatchDeleteMessage", With(Indexed("receiptHandle", 1, {"x", "y"}), "q"));
  EXPECT_EQ(Code(v), 6020);
  EXPECT_EQ(Message(v), "(10290)batch delete message failed");
  const JsonValue* errors = v.Find("errorList");
  ASSERT_NE(errors, nullptr);
  ASSERT_EQ(errors->items().size(), 2u);
  EXPECT_EQ(Str(errors->items()[0], "receiptHandle"), "x");
  EXPECT_EQ(Str(errors->items()[1], "receiptHandle"), "y");
  EXPECT_EQ(Int(errors->items()[1], "code"), 4430);
}

TEST_F(MessageActionsTest, BatchDeleteParameterErrors) {
  CreateQueue("q");
  ExpectError(Call("BatchDeleteMessage", {{"queueName", "q"}}), 4000, 10390, "receiptHandle");
  ExpectError(Call("BatchDeleteMessage", {{"queueName", "q"}, {"receiptHandle", "h"}}), 4000, 10390,
              "receiptHandle");
  ExpectError(Call("BatchDeleteMessage",
                   {{"queueName", "q"}, {"receiptHandle.0", "a"}, {"receiptHandle.2", "b"}}),
              4000, 10380, "receiptHandle");
  std::vector<std::string> seventeen(17, "h");
  ExpectError(Call("BatchDeleteMessage", With(Indexed("receiptHandle", 1, seventeen), "q")), 4000,
              10370, "receiptHandle");
  ExpectError(Call("BatchDeleteMessage", With(Indexed("receiptHandle", 1, {"h"}), "nope")), 4440,
              10100);
}

// --- durability ------------------------------------------------------------------------

TEST_F(MessageActionsTest, MutationsAnswerOnlyWhenDurable) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  log_->SetAutoDurable(false);
  Pending send = Start("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}});
  EXPECT_FALSE(send.answered());
  EXPECT_FALSE(static_cast<bool>(send.cancel));
  // Reads answer at once.
  ExpectOk(Attributes("q"));
  Pending receive = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  EXPECT_FALSE(receive.answered());
  log_->MakeDurable();
  ASSERT_TRUE(send.answered());
  ASSERT_TRUE(receive.answered());
  ExpectOk(send.json());
  std::string handle = Str(receive.json(), "receiptHandle");

  Pending del = Start("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", handle}});
  Pending set = Start("SetQueueAttributes", {{"queueName", "q"}, {"visibilityTimeout", "5"}});
  Pending create = Start("CreateQueue", {{"queueName", "q2"}});
  EXPECT_FALSE(del.answered());
  EXPECT_FALSE(set.answered());
  EXPECT_FALSE(create.answered());
  log_->MakeDurable();
  ExpectOk(del.json());
  ExpectOk(set.json());
  ExpectOk(create.json());
}

// A receive rides the next group commit: once the message's send is durable, the
// answer does not wait for the receive record itself. Its delete does wait.
TEST_F(MessageActionsTest, ReceiveOfDurableMessageDoesNotWaitForItsOwnRecord) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}}));
  log_->SetAutoDurable(false);
  Pending receive = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(receive.answered());
  std::string handle = Str(receive.json(), "receiptHandle");
  Pending del = Start("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", handle}});
  EXPECT_FALSE(del.answered());
  log_->MakeDurable();
  ExpectOk(del.json());
}

TEST_F(MessageActionsTest, StorageFailureIsAnsweredInsteadOfSuccess) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  log_->SetAutoDurable(false);
  Pending send = Start("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}});
  Pending create = Start("CreateQueue", {{"queueName", "q2"}});
  EXPECT_FALSE(send.answered());
  log_->FailSync();
  ASSERT_TRUE(send.answered());
  ASSERT_TRUE(create.answered());
  EXPECT_EQ(Code(send.json()), 6000);
  EXPECT_EQ(Code(create.json()), 6000);
  // Later writes fail at once; reads still work.
  EXPECT_EQ(Code(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}})), 6000);
  ExpectOk(Call("ListQueue"));
}

TEST_F(MessageActionsTest, ClientGoneWhileReceiveIsBeingSynced) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  Pending parked = Start("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "10"}});
  log_->SetAutoDurable(false);
  {
    Pending send = Start("SendMessage", {{"queueName", "q"}, {"msgBody", "m"}});
    EXPECT_FALSE(parked.answered());  // served, but waiting for the sync
    parked.cancel();
    log_->MakeDurable();
    ExpectOk(send.json());
  }
  EXPECT_FALSE(parked.answered());
}

}  // namespace
}  // namespace cmq::api
