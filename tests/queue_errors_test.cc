// Black-box: every error a queue client can trigger answers HTTP 200 with the code and
// the "(module)" message prefix of docs/cmq-api.md sections 6.3-6.7, 10.2 and 10.3.
#include <gtest/gtest.h>

#include <string>

#include "common/signing.h"
#include "common/strings.h"
#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class QueueErrorsTest : public SharedServerTest {
 protected:
  ClientResult<JsonValue> Call(std::string_view action, ParamList params) {
    return caller_->Call(action, std::move(params));
  }
  // Sends hand-made parameters (already complete, Signature included) as a body.
  ClientResult<JsonValue> PostRaw(const std::string& body, const std::string& method = "POST") {
    return SendRaw(*caller_, method, "/", body);
  }
  std::string Policy(const std::string& dlq, int max_receive = 3) {
    return R"({"deadLetterQueue":")" + dlq + R"(","policy":0,"maxReceiveCount":)" +
           std::to_string(max_receive) + "}";
  }
};

TEST_F(QueueErrorsTest, BadQueueName) {
  for (const std::string& bad : {std::string("1starts-with-digit"), std::string("has space"),
                                 std::string("dot.dot"), std::string("-dash"), std::string("ü"),
                                 std::string(65, 'a')}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(IsServerError(Call("CreateQueue", {{"queueName", bad}}), 4000, 10020));
    EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", bad}, {"msgBody", "x"}}), 4000,
                              10020));
  }
  // An empty name is a bad name or a missing parameter; either is clear.
  ClientResult<JsonValue> empty = Call("CreateQueue", {{"queueName", ""}});
  EXPECT_TRUE(IsServerError(empty, 4000, 10020) || IsServerError(empty, 4000, 10390));
  // 64 characters and an underscore are fine (5.1).
  CreateQueue("a23456789012345678901234567890123456789012345678901234567890_bc");
  EXPECT_TRUE(IsServerError(Call("UnbindDeadLetterQueue", {{"queueName", "9bad"}}), 4000, 10020));
}

TEST_F(QueueErrorsTest, UnknownQueue) {
  std::string q = UniqueName("missing");
  EXPECT_TRUE(IsServerError(Call("GetQueueAttributes", {{"queueName", q}}), 4440, 10100));
  EXPECT_TRUE(IsServerError(Call("SetQueueAttributes", {{"queueName", q}, {"visibilityTimeout", "5"}}),
                            4440, 10100));
  EXPECT_TRUE(IsServerError(Call("DeleteQueue", {{"queueName", q}}), 4440, 10100));
  EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}}), 4440, 10100));
  EXPECT_TRUE(IsServerError(Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "x"}}), 4440,
                            10100));
  EXPECT_TRUE(IsServerError(Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}}),
                            4440, 10100));
  EXPECT_TRUE(IsServerError(
      Call("BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", "2"}, {"pollingWaitSeconds", "0"}}),
      4440, 10100));
  EXPECT_TRUE(IsServerError(Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", "abc"}}),
                            4440, 10100));
  EXPECT_TRUE(IsServerError(
      Call("RewindQueue", {{"queueName", q}, {"startConsumeTime", std::to_string(NowSeconds())}}),
      4440, 10100));
  EXPECT_TRUE(IsServerError(Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", q}}), 4440,
                            10100));
  EXPECT_TRUE(IsServerError(Call("UnbindDeadLetterQueue", {{"queueName", q}}), 4440, 10100));
}

TEST_F(QueueErrorsTest, QueueAlreadyExistsCaseInsensitive) {
  std::string q = UniqueName("Dup");
  CreateQueue(q);
  ClientResult<JsonValue> r = Call("CreateQueue", {{"queueName", q}});
  ASSERT_TRUE(IsServerError(r, 4460, 4460));
  EXPECT_EQ(r.error().message, "(4460)queue is already existed,case insensitive");
  EXPECT_TRUE(IsServerError(Call("CreateQueue", {{"queueName", AsciiLower(q)}}), 4460, 4460));
}

TEST_F(QueueErrorsTest, MissingRequiredParameter) {
  ClientResult<JsonValue> r = Call("CreateQueue", {});
  ASSERT_TRUE(IsServerError(r, 4000, 10390));
  EXPECT_NE(r.error().message.find("queueName"), std::string::npos) << r.error().message;
  std::string q = UniqueName("lack");
  CreateQueue(q);
  r = Call("SendMessage", {{"queueName", q}});
  ASSERT_TRUE(IsServerError(r, 4000, 10390));
  EXPECT_NE(r.error().message.find("msgBody"), std::string::npos) << r.error().message;
  r = Call("DeleteMessage", {{"queueName", q}});
  ASSERT_TRUE(IsServerError(r, 4000, 10390));
  EXPECT_NE(r.error().message.find("receiptHandle"), std::string::npos) << r.error().message;
  EXPECT_TRUE(IsServerError(Call("RewindQueue", {{"queueName", q}}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Call("BatchReceiveMessage", {{"queueName", q}}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Call("BatchSendMessage", {{"queueName", q}}), 4000, 10390));
  // A plain key is no substitute for the indexed form (4 rule 5).
  EXPECT_TRUE(IsServerError(Call("BatchSendMessage", {{"queueName", q}, {"msgBody", "x"}}), 4000,
                            10390));
  EXPECT_TRUE(IsServerError(Call("BatchDeleteMessage", {{"queueName", q}}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Call("ListDeadLetterSourceQueues", {}), 4000, 10390));
  EXPECT_TRUE(IsServerError(Call("GetQueueAttributes", {}), 4000, 10390));
}

TEST_F(QueueErrorsTest, OutOfRange) {
  std::string q = UniqueName("range");
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"visibilityTimeout", "0"},
                                                        {"visibilityTimeout", "43201"},
                                                        {"pollingWaitSeconds", "-1"},
                                                        {"maxMsgSize", "1023"},
                                                        {"maxMsgSize", "1048577"},
                                                        {"msgRetentionSeconds", "59"},
                                                        {"msgRetentionSeconds", "1296001"},
                                                        {"maxMsgHeapNum", "0"},
                                                        {"rewindSeconds", "-5"},
                                                        // C++ SDK's uninitialised field
                                                        {"rewindSeconds", "-1094795586"}}) {
    SCOPED_TRACE(key + "=" + value);
    ClientResult<JsonValue> r = Call("CreateQueue", {{"queueName", q}, {key, value}});
    ASSERT_TRUE(IsServerError(r, 4000, 10350));
    EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
  }
  CreateQueue(q);
  EXPECT_TRUE(IsServerError(Call("SetQueueAttributes", {{"queueName", q}, {"visibilityTimeout", "0"}}),
                            4000, 10350));
  EXPECT_TRUE(IsServerError(
      Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"delaySeconds", "-1"}}), 4000, 10350));
  EXPECT_TRUE(IsServerError(
      Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"delaySeconds", "345600"}}), 4000,
      10350))
      << "delaySeconds must stay below msgRetentionSeconds";
  EXPECT_TRUE(IsServerError(Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "-1"}}),
                            4000, 10350));
  // The upper end of the accepted range (6.7 SendMessage, 14 item 25).
  EXPECT_TRUE(IsSuccess(
      Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"delaySeconds", "345599"}})));
  EXPECT_TRUE(IsSuccess(
      Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"delaySeconds", "3600"}})));

  for (const char* n : {"0", "17", "-1"}) {
    EXPECT_TRUE(IsServerError(
        Call("BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", n}, {"pollingWaitSeconds", "0"}}),
        4000, 10350))
        << "numOfMsg=" << n;
  }
}

TEST_F(QueueErrorsTest, WrongType) {
  std::string q = UniqueName("type");
  ClientResult<JsonValue> r = Call("CreateQueue", {{"queueName", q}, {"visibilityTimeout", "abc"}});
  ASSERT_TRUE(IsServerError(r, 4000, 10360));
  EXPECT_NE(r.error().message.find("visibilityTimeout"), std::string::npos);
  EXPECT_TRUE(IsServerError(Call("CreateQueue", {{"queueName", q}, {"maxMsgSize", "1.5"}}), 4000,
                            10360));
  CreateQueue(q, {{"rewindSeconds", "3600"}});
  EXPECT_TRUE(IsServerError(
      Call("SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"delaySeconds", "soon"}}), 4000, 10360));
  EXPECT_TRUE(IsServerError(
      Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "ten"}}), 4000, 10360));
  // The C++ SDK's RewindQueue sends one garbage byte (14 item 29).
  EXPECT_TRUE(IsServerError(Call("RewindQueue", {{"queueName", q}, {"startConsumeTime", "\x7f"}}),
                            4000, 10360));
  // Bodies must be valid UTF-8 (6.6, 14 item 44).
  EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", q}, {"msgBody", "bad \xff\xfe"}}), 4000,
                            10360));
  EXPECT_TRUE(IsServerError(
      Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "ok"}, {"msgBody.2", "\xc3("}}), 4000,
      10360));
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0) << "a refused batch stores nothing";
}

TEST_F(QueueErrorsTest, BatchSizeOutOfRange) {
  std::string q = UniqueName("batch17");
  CreateQueue(q);
  ParamList send = {{"queueName", q}}, del = {{"queueName", q}};
  for (int i = 1; i <= 17; ++i) {
    send.emplace_back("msgBody." + std::to_string(i), "m");
    del.emplace_back("receiptHandle." + std::to_string(i), "abc");
  }
  EXPECT_TRUE(IsServerError(Call("BatchSendMessage", send), 4000, 10370));
  EXPECT_TRUE(IsServerError(Call("BatchDeleteMessage", del), 4000, 10370));
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0);
}

TEST_F(QueueErrorsTest, IndexNotConsequent) {
  std::string q = UniqueName("gaps");
  CreateQueue(q);
  EXPECT_TRUE(IsServerError(
      Call("BatchSendMessage", {{"queueName", q}, {"msgBody.2", "a"}, {"msgBody.3", "b"}}), 4000, 10380));
  EXPECT_TRUE(IsServerError(
      Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "a"}, {"msgBody.3", "b"}}), 4000, 10380));
  EXPECT_TRUE(IsServerError(
      Call("BatchDeleteMessage", {{"queueName", q}, {"receiptHandle.0", "a"}, {"receiptHandle.2", "b"}}),
      4000, 10380));
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0);
}

TEST_F(QueueErrorsTest, MethodOtherThanGetOrPost) {
  ClientResult<JsonValue> r = PostRaw(EncodeForm(SignParams(
      *caller_, "PUT", "/", WithCommon(*caller_, "ListQueue", {}))), "PUT");
  EXPECT_TRUE(IsServerError(r, 4000, 10410));
  r = PostRaw("", "DELETE");
  EXPECT_TRUE(IsServerError(r, 4000, 10410));
}

TEST_F(QueueErrorsTest, BadPercentEscape) {
  std::string body = EncodeForm(SignParams(*caller_, "POST", "/",
                                           WithCommon(*caller_, "ListQueue", {})));
  EXPECT_TRUE(IsServerError(PostRaw(body + "&searchWord=%ZZ"), 4000, 10420));
  EXPECT_TRUE(IsServerError(PostRaw(body + "&searchWord=abc%4"), 4000, 10420));
  // GET: the same in the query string.
  client::HttpRequest get;
  get.method = "GET";
  get.target = "/?Action=ListQueue&x=%G1";
  ClientResult<HttpResponse> resp = caller_->connection().RoundTrip(get, 10000);
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  EXPECT_TRUE(IsServerError(ParseEnvelope(*resp), 4000, 10420));
}

TEST_F(QueueErrorsTest, UnknownAndMissingAction) {
  ClientResult<JsonValue> r = Call("NoSuchAction", {});
  ASSERT_TRUE(IsServerError(r, 4000, 10430));
  EXPECT_NE(r.error().message.find("NoSuchAction"), std::string::npos) << r.error().message;
  // No Action parameter at all, correctly signed otherwise.
  ParamList params = WithCommon(*caller_, "X", {});
  params.erase(params.begin());  // Action
  r = PostRaw(EncodeForm(SignParams(*caller_, "POST", "/", params)));
  EXPECT_TRUE(IsServerError(r, 4000, 10280));
}

TEST_F(QueueErrorsTest, AuthenticationFailures) {
  // Bad signature.
  EXPECT_TRUE(IsServerError(Call("ListQueue", {{"Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}), 4100,
                            10030));
  // Signed with another key.
  CallerOptions o = server().Options();
  o.secret_key = "not-the-key";
  Caller wrong_key = server().NewCaller(o);
  EXPECT_TRUE(IsServerError(wrong_key.Call("ListQueue", {}), 4100, 10030));
  // Signed correctly, but an hour old or an hour ahead (2.4: +-300 s).
  for (int64_t skew : {-3600, 3600}) {
    ParamList p = WithCommon(*caller_, "ListQueue", {});
    for (auto& [k, v] : p) {
      if (k == "Timestamp") v = std::to_string(NowSeconds() + skew);
    }
    EXPECT_TRUE(IsServerError(PostRaw(EncodeForm(SignParams(*caller_, "POST", "/", p))), 4100, 10030))
        << "skew " << skew;
  }
  // Signed for another path than the one requested.
  EXPECT_TRUE(IsServerError(
      PostRaw(EncodeForm(SignParams(*caller_, "POST", "/v2/index.php",
                                    WithCommon(*caller_, "ListQueue", {})))),
      4100, 10030));
  // Missing Signature (14 item 9).
  EXPECT_TRUE(IsServerError(PostRaw(EncodeForm(WithCommon(*caller_, "ListQueue", {}))), 4100, 10030));
  // Unknown SecretId.
  o = server().Options();
  o.secret_id = "AKIDnobodyhasthisid";
  Caller stranger = server().NewCaller(o);
  EXPECT_TRUE(IsServerError(stranger.Call("ListQueue", {}), 4100, 10270));
}

TEST_F(QueueErrorsTest, EmptyAndOversizedBodies) {
  std::string q = UniqueName("sizes");
  CreateQueue(q, {{"maxMsgSize", "1024"}});
  EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", q}, {"msgBody", ""}}), 4000, 10120));
  EXPECT_TRUE(IsServerError(Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "a"}, {"msgBody.2", ""}}),
                            4000, 10120));
  Send(q, std::string(1024, 'a'));
  EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", q}, {"msgBody", std::string(1025, 'a')}}),
                            4400, 10230));
  // Size counts bytes, not characters: 342 three-byte characters are 1026 bytes.
  std::string wide;
  for (int i = 0; i < 342; ++i) wide += "\xe4\xb8\xad";
  EXPECT_TRUE(IsServerError(Call("SendMessage", {{"queueName", q}, {"msgBody", wide}}), 4400, 10230));
  EXPECT_TRUE(IsServerError(
      Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "a"}, {"msgBody.2", std::string(1025, 'b')}}),
      4400, 10230));
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 1);
}

TEST_F(QueueErrorsTest, BatchTotalOverOneMegabyte) {
  std::string q = UniqueName("bigbatch");
  CreateQueue(q, {{"maxMsgSize", "1048576"}});
  std::string body(600 * 1024, 'b');
  EXPECT_TRUE(IsServerError(
      Call("BatchSendMessage", {{"queueName", q}, {"msgBody.1", body}, {"msgBody.2", body}}), 4470, 10300));
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0);
  // One message of exactly 1 MiB is fine.
  Send(q, std::string(1048576, 'c'));
}

TEST_F(QueueErrorsTest, InvalidReceiptHandles) {
  std::string q = UniqueName("handles");
  std::string other = UniqueName("handles-other");
  CreateQueue(q);
  CreateQueue(other);
  Send(q, "a");
  Send(other, "b");
  ClientResult<JsonValue> mine = Receive(q);
  ClientResult<JsonValue> theirs = Receive(other);
  ASSERT_TRUE(IsSuccess(mine));
  ASSERT_TRUE(IsSuccess(theirs));
  for (const std::string& garbage :
       {std::string("garbage"), std::string("0"), std::string(256, 'A'), std::string(300, '9'),
        std::string("@x"), std::string("a b"), StrField(*mine, "receiptHandle") + "x"}) {
    SCOPED_TRACE(garbage.substr(0, 20));
    EXPECT_TRUE(IsServerError(Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", garbage}}),
                              4430, 10260));
  }
  // A handle of another queue.
  EXPECT_TRUE(IsServerError(
      Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*theirs, "receiptHandle")}}),
      4430, 10260));
  // The right handles still work, once.
  EXPECT_TRUE(IsSuccess(
      Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*mine, "receiptHandle")}})));
  EXPECT_TRUE(IsServerError(
      Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*mine, "receiptHandle")}}),
      4430, 10260));
  EXPECT_TRUE(IsSuccess(Call(
      "DeleteMessage", {{"queueName", other}, {"receiptHandle", StrField(*theirs, "receiptHandle")}})));
}

TEST_F(QueueErrorsTest, StaleHandleAfterRedelivery) {
  std::string q = UniqueName("stale");
  CreateQueue(q, {{"visibilityTimeout", "1"}});
  Send(q, "again");
  ClientResult<JsonValue> first = Receive(q);
  ASSERT_TRUE(IsSuccess(first));
  // Waits (long poll, no sleep) until the visibility timeout hands it out again.
  ClientResult<JsonValue> second = Receive(q, 10);
  ASSERT_TRUE(IsSuccess(second));
  EXPECT_EQ(StrField(*second, "msgId"), StrField(*first, "msgId"));
  EXPECT_NE(StrField(*second, "receiptHandle"), StrField(*first, "receiptHandle"));
  EXPECT_TRUE(IsServerError(
      Call("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*first, "receiptHandle")}}),
      4430, 10260));
  // The newest handle may itself have expired by now (1 s visibility), so only the stale
  // one is asserted.
}

TEST_F(QueueErrorsTest, BatchDeletePartialAndTotalFailure) {
  std::string q = UniqueName("bdel");
  CreateQueue(q);
  Send(q, "a");
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  ClientResult<JsonValue> r = Call("BatchDeleteMessage", {{"queueName", q},
                                                          {"receiptHandle.1", StrField(*got, "receiptHandle")},
                                                          {"receiptHandle.2", "garbage"}});
  ASSERT_TRUE(IsServerError(r, 6010, 10150));
  ASSERT_TRUE(HasArray(r.error().response, "errorList"));
  const std::vector<JsonValue>& errors = ArrayField(r.error().response, "errorList");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(HasInt(errors[0], "code"));
  EXPECT_EQ(IntField(errors[0], "code"), 4430);
  EXPECT_TRUE(HasString(errors[0], "message"));
  EXPECT_EQ(StrField(errors[0], "receiptHandle"), "garbage");
  EXPECT_EQ(IntField(Attributes(q), "inactiveMsgNum"), 0) << "the valid handle was deleted";

  r = Call("BatchDeleteMessage",
           {{"queueName", q}, {"receiptHandle.1", "bad1"}, {"receiptHandle.2", "bad2"}});
  ASSERT_TRUE(IsServerError(r, 6020, 10290));
  const std::vector<JsonValue>& all = ArrayField(r.error().response, "errorList");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(StrField(all[0], "receiptHandle"), "bad1");
  EXPECT_EQ(StrField(all[1], "receiptHandle"), "bad2");
  for (const JsonValue& e : all) EXPECT_EQ(IntField(e, "code"), 4430);
}

TEST_F(QueueErrorsTest, RewindErrors) {
  std::string off = UniqueName("norewind");
  CreateQueue(off);
  EXPECT_TRUE(IsServerError(
      Call("RewindQueue", {{"queueName", off}, {"startConsumeTime", std::to_string(NowSeconds())}}),
      6050, 10670));
  std::string on = UniqueName("rewindon");
  CreateQueue(on, {{"rewindSeconds", "600"}});
  EXPECT_TRUE(IsServerError(Call("RewindQueue", {{"queueName", on},
                                                 {"startConsumeTime", std::to_string(NowSeconds() - 1200)}}),
                            4000, 10680));
  EXPECT_TRUE(IsServerError(Call("RewindQueue", {{"queueName", on},
                                                 {"startConsumeTime", std::to_string(NowSeconds() + 1200)}}),
                            4000, 10680));
}

TEST_F(QueueErrorsTest, RewindLongerThanRetention) {
  std::string q = UniqueName("rw-ret");
  EXPECT_TRUE(IsServerError(
      Call("CreateQueue", {{"queueName", q}, {"msgRetentionSeconds", "600"}, {"rewindSeconds", "601"}}),
      4000, 10700));
  CreateQueue(q, {{"msgRetentionSeconds", "600"}, {"rewindSeconds", "600"}});
  EXPECT_TRUE(IsServerError(Call("SetQueueAttributes", {{"queueName", q}, {"rewindSeconds", "700"}}),
                            4000, 10700));
  EXPECT_TRUE(IsServerError(Call("SetQueueAttributes", {{"queueName", q}, {"msgRetentionSeconds", "300"}}),
                            4000, 10700));
  // Both at once, consistent: fine.
  EXPECT_TRUE(IsSuccess(Call("SetQueueAttributes",
                             {{"queueName", q}, {"msgRetentionSeconds", "7200"}, {"rewindSeconds", "3600"}})));
}

TEST_F(QueueErrorsTest, NoMessage) {
  std::string q = UniqueName("empty");
  CreateQueue(q);
  ClientResult<JsonValue> r = Receive(q, 0);
  ASSERT_TRUE(IsServerError(r, 7000, 10200));
  EXPECT_EQ(r.error().message, "(10200)no message");
  EXPECT_TRUE(IsServerError(
      Call("BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}}),
      7000, 10200));
}

TEST_F(QueueErrorsTest, DeadLetterPolicyErrors) {
  std::string dlq = UniqueName("dlqerr");
  CreateQueue(dlq);
  std::string q = UniqueName("dlqsrc");
  auto create = [&](const std::string& policy) {
    return Call("CreateQueue", {{"queueName", q}, {"deadLetterPolicy", policy}});
  };
  EXPECT_TRUE(IsServerError(create("not json"), 4000, 10710));
  EXPECT_TRUE(IsServerError(create(R"({"deadLetterQueue":)"), 4000, 10710));
  EXPECT_TRUE(IsServerError(create(Policy(dlq, 0)), 4000, 10720));
  EXPECT_TRUE(IsServerError(create(Policy(dlq, 1001)), 4000, 10720));
  EXPECT_TRUE(IsServerError(
      create(R"({"deadLetterQueue":")" + dlq + R"(","policy":1,"maxTimeToLive":10})"), 4000, 10720));
  EXPECT_TRUE(IsServerError(create(Policy(UniqueName("nosuchdlq"))), 4000, 10730));
  EXPECT_TRUE(IsServerError(create(R"({"policy":0,"maxReceiveCount":3})"), 4000, 10760));
  EXPECT_TRUE(IsServerError(create(R"({"deadLetterQueue":5,"policy":0,"maxReceiveCount":3})"), 4000,
                            10760));
  EXPECT_TRUE(IsServerError(
      create(R"({"deadLetterQueue":")" + dlq + R"(","maxReceiveCount":3})"), 4000, 10770));
  EXPECT_TRUE(IsServerError(
      create(R"({"deadLetterQueue":")" + dlq + R"(","policy":2,"maxReceiveCount":3})"), 4000, 10770));
  EXPECT_TRUE(IsServerError(Call("GetQueueAttributes", {{"queueName", q}}), 4440, 10100))
      << "no refused CreateQueue created the queue";

  // A queue cannot be its own DLQ (code unspecified by the spec: any 4000).
  CreateQueue(q);
  ClientResult<JsonValue> self =
      Call("SetQueueAttributes", {{"queueName", q}, {"deadLetterPolicy", Policy(q)}});
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().code, 4000) << self.error().ToString();

  // Nesting: q sends to dlq, so q may not be a DLQ, and dlq may not get a policy.
  ASSERT_TRUE(IsSuccess(Call("SetQueueAttributes", {{"queueName", q}, {"deadLetterPolicy", Policy(dlq)}})));
  std::string third = UniqueName("dlqthird");
  EXPECT_TRUE(IsServerError(Call("CreateQueue", {{"queueName", third}, {"deadLetterPolicy", Policy(q)}}),
                            4000, 10740));
  std::string target = UniqueName("dlqtarget");
  CreateQueue(target);
  EXPECT_TRUE(IsServerError(
      Call("SetQueueAttributes", {{"queueName", dlq}, {"deadLetterPolicy", Policy(target)}}), 4000, 10740));

  // A DLQ in use cannot be deleted; after unbinding it can.
  EXPECT_TRUE(IsServerError(Call("DeleteQueue", {{"queueName", dlq}}), 4000, 10750));
  EXPECT_TRUE(IsSuccess(Call("UnbindDeadLetterQueue", {{"queueName", q}})));
  EXPECT_TRUE(IsSuccess(Call("DeleteQueue", {{"queueName", dlq}})));
}

TEST_F(QueueErrorsTest, DeadLetterQueueBoundTooManyTimes) {
  std::string dlq = UniqueName("dlqmany");
  CreateQueue(dlq);
  for (int i = 0; i < 6; ++i) CreateQueue(UniqueName("src"), {{"deadLetterPolicy", Policy(dlq)}});
  EXPECT_TRUE(IsServerError(Call("CreateQueue", {{"queueName", UniqueName("src")},
                                                 {"deadLetterPolicy", Policy(dlq)}}),
                            4000, 10780));
  std::string late = UniqueName("src");
  CreateQueue(late);
  EXPECT_TRUE(IsServerError(Call("SetQueueAttributes", {{"queueName", late}, {"deadLetterPolicy", Policy(dlq)}}),
                            4000, 10780));
  EXPECT_EQ(IntField(Ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}}), "totalCount"), 6);
}

TEST(QueueQuotaTest, QueueQuotaReached) {
  TestServer server({"--max-queues-per-account", "2"});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller c = server.NewCaller();
  ASSERT_TRUE(IsSuccess(c.Call("CreateQueue", {{"queueName", "q1"}})));
  ASSERT_TRUE(IsSuccess(c.Call("CreateQueue", {{"queueName", "q2"}})));
  EXPECT_TRUE(IsServerError(c.Call("CreateQueue", {{"queueName", "q3"}}), 4450, 10220));
  ASSERT_TRUE(IsSuccess(c.Call("DeleteQueue", {{"queueName", "q1"}})));
  EXPECT_TRUE(IsSuccess(c.Call("CreateQueue", {{"queueName", "q3"}})));
}

}  // namespace
}  // namespace cmq::testing
