// Envelope, method, form decoding, signature and Action dispatch.
#include "api/api.h"

#include <set>

#include "api/api_test_fixture.h"
#include "api/failure_log.h"
#include "common/log.h"

namespace cmq::api {
namespace {

using EnvelopeTest = ApiTest;

TEST_F(EnvelopeTest, SuccessEnvelopeHasTypedFields) {
  JsonValue v = Call("ListQueue");
  ASSERT_TRUE(v.Find("code")->is_number());
  EXPECT_EQ(Code(v), 0);
  EXPECT_TRUE(v.Find("message")->is_string());
  EXPECT_EQ(Message(v), "");
  EXPECT_TRUE(v.Find("requestId")->is_string());
  EXPECT_EQ(Str(v, "codeDesc"), "Success");
  EXPECT_EQ(v.Find("clientRequestId"), nullptr);
}

TEST_F(EnvelopeTest, DescribeClusterIsAnsweredWithoutABrokerAndQueueActionsAreNot) {
  ApiOptions options;
  int asked = 0;
  options.describe_cluster = [&](std::function<void(Result<ClusterFields>)> answer) {
    ++asked;
    answer(ClusterFields([](JsonWriter& w) { w.Field("storage", "test"); }));
  };
  api_ = std::make_unique<Api>(nullptr, keys_.get(), &clock_, options);
  JsonValue v = Call("DescribeCluster");
  EXPECT_EQ(Code(v), 0);
  EXPECT_EQ(Str(v, "storage"), "test");
  EXPECT_EQ(asked, 1);
  // Signed like any action.
  ApiRequest unsigned_request = Request("POST", {{"Action", "DescribeCluster"}});
  EXPECT_EQ(Code(Call(unsigned_request)), 4100);
  EXPECT_EQ(asked, 1);
  // Queue actions need the broker: retryable "not serving".
  EXPECT_EQ(Code(Call("ListQueue")), 6000);
  // A provider's error is the answer.
  options.describe_cluster = [](std::function<void(Result<ClusterFields>)> answer) {
    answer(Status(ErrorCode::kStorageUnavailable, "PostgreSQL: gone"));
  };
  api_ = std::make_unique<Api>(nullptr, keys_.get(), &clock_, options);
  v = Call("DescribeCluster");
  EXPECT_EQ(Code(v), 6000);
  EXPECT_EQ(Message(v), "(10050)server internal error: storage unavailable, please retry");
}

// What the access log writes of an answer (AnswerSummary), copied out of `done`.
struct Summary {
  std::string action, queue, topic, request_id, json;
  int code = -1;
};

TEST_F(EnvelopeTest, EveryAnswerComesWithItsSummaryForTheAccessLog) {
  auto summarize = [&](const ApiRequest& request) {
    Summary s;
    api_->Handle(request, [&](std::string json, const AnswerSummary& a) {
      s = {std::string(a.action),
           std::string(a.queue),
           std::string(a.topic),
           std::string(a.request_id),
           json,
           a.code};
    });
    return s;
  };
  Summary missing = summarize(
      Request("POST", SignedParams("POST", "getQUEUEattributes", {{"queueName", "nope"}})));
  EXPECT_EQ(missing.action, "GetQueueAttributes");  // canonical once looked up
  EXPECT_EQ(missing.queue, "nope");
  EXPECT_EQ(missing.topic, "");
  EXPECT_EQ(missing.code, 4440);
  Result<JsonValue> answer = ParseJson(missing.json);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(Str(*answer, "requestId"), missing.request_id);

  Summary topic =
      summarize(Request("POST", SignedParams("POST", "GetTopicAttributes", {{"topicName", "t1"}})));
  EXPECT_EQ(topic.topic, "t1");
  EXPECT_EQ(topic.queue, "");

  Summary unknown = summarize(Request("POST", SignedParams("POST", "NoSuchAction", {})));
  EXPECT_EQ(unknown.action, "NoSuchAction");  // as received
  EXPECT_EQ(unknown.code, 4000);

  Summary bad_key = summarize(
      Request("POST", SignedParams("POST", "SendMessage", {{"queueName", "q"}}, "wrong-key")));
  EXPECT_EQ(bad_key.action, "SendMessage");
  EXPECT_EQ(bad_key.queue, "q");
  EXPECT_EQ(bad_key.code, 4100);
  EXPECT_FALSE(bad_key.request_id.empty());
}

TEST_F(EnvelopeTest, AnAuthenticationFailureIsLoggedWithoutKeyOrSignature) {
  ApiRequest bad = Request(
      "POST",
      SignedParams("POST", "SendMessage", {{"queueName", "q"}, {"msgBody", "x"}}, "wrong-key"));
  bad.client = "192.0.2.7:40000";
  std::string signature;
  Result<ParamList> sent = DecodeForm(bad.body);
  ASSERT_TRUE(sent.ok());
  for (const auto& [name, value] : *sent) {
    if (name == "Signature") signature = value;
  }
  ASSERT_FALSE(signature.empty());
  LogCapture capture;
  EXPECT_EQ(Code(Call(bad)), 4100);
  std::vector<std::string> lines = capture.Lines();
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], std::string("WARN authentication failed client=192.0.2.7:40000 secretId=") +
                          kSecretId +
                          " action=SendMessage code=4100 reason=\"signature mismatch\"");
  EXPECT_EQ(lines[0].find(signature), std::string::npos);
  EXPECT_EQ(lines[0].find("wrong-key"), std::string::npos);
  EXPECT_EQ(lines[0].find(kSecretKey), std::string::npos);
}

TEST(FailureLogTest, AuthenticationFailuresAreRateLimitedAndSayHowManyWereHeldBack) {
  LogCapture capture;
  FailureLog log(3600 * 1000);
  for (int i = 0; i < 5; ++i) {
    log.NoteAuthFailure("192.0.2.7:1", "AKIDunknown", "ListQueue",
                        Status(ErrorCode::kSecretIdUnknown));
  }
  EXPECT_EQ(capture.Lines(),
            (std::vector<std::string>{"WARN authentication failed client=192.0.2.7:1 "
                                      "secretId=AKIDunknown action=ListQueue code=4100 "
                                      "reason=\"(10270)secret id is not existed\""}));
  FailureLog every_time(0);
  every_time.NoteAuthFailure("a", "b", "c", Status(ErrorCode::kAuthFailed, "why"));
  EXPECT_EQ(
      capture.Count("authentication failed client=a secretId=b action=c code=4100 reason=why"), 1u);
}

TEST_F(EnvelopeTest, RequestIdsAreUniqueDecimalStrings) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    std::string id = Str(Call(i % 2 ? "ListQueue" : "NoSuchAction"), "requestId");
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(id.find_first_not_of("0123456789"), std::string::npos) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 20u);
}

TEST_F(EnvelopeTest, ClientRequestIdEchoedAsNumber) {
  JsonValue ok = Call("ListQueue", {{"clientRequestId", "4294967295"}});
  ASSERT_NE(ok.Find("clientRequestId"), nullptr);
  EXPECT_TRUE(ok.Find("clientRequestId")->is_number());
  EXPECT_EQ(ok.Find("clientRequestId")->number_text(), "4294967295");
  // Also on errors, and up to 2^64-1.
  JsonValue err = Call("GetQueueAttributes", {{"clientRequestId", "18446744073709551615"}});
  ExpectError(err, 4000, 10390, "queueName");
  ASSERT_NE(err.Find("clientRequestId"), nullptr);
  EXPECT_EQ(err.Find("clientRequestId")->number_text(), "18446744073709551615");
  for (const char* bad : {"abc", "-1", "", "18446744073709551616"}) {
    JsonValue v = Call("ListQueue", {{"clientRequestId", bad}});
    ExpectOk(v);
    EXPECT_EQ(v.Find("clientRequestId"), nullptr) << bad;
  }
}

TEST_F(EnvelopeTest, GetTakesParametersFromTheQuery) {
  JsonValue v = Call("CreateQueue", {{"queueName", "viaget"}}, "GET");
  ExpectOk(v);
  ExpectOk(Attributes("viaget"));
}

TEST_F(EnvelopeTest, PostUsesBodyAndFallsBackToQueryOnlyWhenBodyIsEmpty) {
  ApiRequest r = Request("POST", SignedParams("POST", "CreateQueue", {{"queueName", "q1"}}));
  std::swap(r.query, r.body);  // everything in the query, empty body
  ExpectOk(Call(r));
  // A non-empty body wins over the query entirely.
  ApiRequest both = Request("POST", SignedParams("POST", "CreateQueue", {{"queueName", "q2"}}));
  both.query = EncodeForm(SignedParams("POST", "CreateQueue", {{"queueName", "q3"}}));
  ExpectOk(Call(both));
  ExpectOk(Attributes("q2"));
  ExpectError(Attributes("q3"), 4440, 10100);
}

TEST_F(EnvelopeTest, OtherMethodsAreRejected) {
  for (const char* method : {"PUT", "DELETE", "get", "HEAD"}) {
    ApiRequest r = Request("POST", SignedParams("POST", "ListQueue", {}));
    r.method = method;
    JsonValue v = Call(r);
    ExpectError(v, 4000, 10410, method);
    EXPECT_EQ(Message(v),
              std::string("(10410)unexpected http ") + method + " only GET or POST is supported");
  }
}

TEST_F(EnvelopeTest, BadFormEscape) {
  ApiRequest r = Request("POST", SignedParams("POST", "ListQueue", {}));
  r.body += "&x=%zz";
  JsonValue v = Call(r);
  ExpectError(v, 4000, 10420);
  EXPECT_EQ(Message(v), "(10420)cannot parse request, or request size is more than 1MB");
  ApiRequest get = Request("GET", SignedParams("GET", "ListQueue", {}));
  get.query += "&y=%4";
  ExpectError(Call(get), 4000, 10420);
}

TEST_F(EnvelopeTest, BadSignature) {
  ParamList params = SignedParams("POST", "ListQueue", {}, "wrong key");
  JsonValue v = Call(Request("POST", params));
  ExpectError(v, 4100, 10030);
  EXPECT_EQ(Message(v), "(10030)authentication failed");
}

TEST_F(EnvelopeTest, SignatureCoversMethodHostAndPath) {
  ApiRequest get_signed_as_post = Request("GET", SignedParams("POST", "ListQueue", {}));
  ExpectError(Call(get_signed_as_post), 4100, 10030);
  ApiRequest other_path = Request("POST", SignedParams("POST", "ListQueue", {}));
  other_path.path = "/";
  ExpectError(Call(other_path), 4100, 10030);
  ApiRequest other_host = Request("POST", SignedParams("POST", "ListQueue", {}));
  other_host.host = "elsewhere:8080";
  ExpectError(Call(other_host), 4100, 10030);
}

TEST_F(EnvelopeTest, UnknownSecretId) {
  ParamList params = SignedParams("POST", "ListQueue", {});
  for (auto& [k, v] : params) {
    if (k == "SecretId") v = "AKIDunknown";
  }
  ExpectError(Call(Request("POST", params)), 4100, 10270);
}

TEST_F(EnvelopeTest, MissingSignature) {
  ParamList params = SignedParams("POST", "ListQueue", {});
  params.pop_back();  // Signature
  ExpectError(Call(Request("POST", params)), 4100, 10030);
}

TEST_F(EnvelopeTest, StaleTimestamp) {
  ParamList params = SignedParams("POST", "ListQueue", {});
  clock_.Advance(3600 * 1000);
  ExpectError(Call(Request("POST", params)), 4100, 10030);
}

TEST_F(EnvelopeTest, AuthenticationComesBeforeActionChecks) {
  ExpectError(Call(Request("POST", SignedParams("POST", "NoSuchAction", {}, "bad"))), 4100, 10030);
}

TEST_F(EnvelopeTest, ActionMissing) {
  JsonValue v = Call("", {{"queueName", "q"}});
  ExpectError(v, 4000, 10280);
  EXPECT_EQ(Message(v), "(10280)action is not existed");
  ExpectError(Call("", {{"Action", ""}}), 4000, 10280);
}

TEST_F(EnvelopeTest, UnknownAction) {
  JsonValue v = Call("ChangeVisibility");
  ExpectError(v, 4000, 10430);
  EXPECT_EQ(Message(v), "(10430)action name ChangeVisibility is not existed");
  // Names of other CMQ-like APIs are not actions here (13).
  ExpectError(Call("QueryTopicRoute", {{"topicName", "t"}}), 4000, 10430, "QueryTopicRoute");
  // Echoed text stays valid JSON even when it is not UTF-8, and is bounded.
  JsonValue odd = Call("Bad\xff\xfe");
  ExpectError(odd, 4000, 10430);
  JsonValue long_name = Call(std::string(10000, 'x'));
  ExpectError(long_name, 4000, 10430);
  EXPECT_LT(Message(long_name).size(), 200u);
}

TEST_F(EnvelopeTest, ActionMatchedCaseInsensitively) {
  ExpectOk(Call("createqueue", {{"queueName", "q"}}));
  ExpectOk(Call("GETQUEUEATTRIBUTES", {{"queueName", "q"}}));
  ExpectOk(Call("sEnDmEsSaGe", {{"queueName", "q"}, {"msgBody", "m"}}));
  ExpectOk(Call("listQueue"));
}

TEST_F(EnvelopeTest, UnknownParametersAreIgnoredButSigned) {
  ParamList extras = {{"UserpollingWaitSeconds", "10"},
                      {"Region", "gz"},
                      {"Token", "t"},
                      {"appId", "1"},
                      {"whatever", "x"},
                      {"queueName", "q"}};
  ExpectOk(Call("CreateQueue", extras));
  // Adding a parameter after signing breaks the signature: it is covered.
  ParamList params = SignedParams("POST", "GetQueueAttributes", {{"queueName", "q"}});
  params.push_back({"whatever", "x"});
  ExpectError(Call(Request("POST", params)), 4100, 10030);
}

TEST_F(EnvelopeTest, ParameterNamesFallBackToCaseInsensitive) {
  ExpectOk(Call("CreateQueue", {{"QueueName", "folded"}}));
  JsonValue v = Attributes("folded");
  ExpectOk(v);
  EXPECT_EQ(Str(v, "queueName"), "folded");
}

// The console's entry: the caller vouches for the account, so nothing is signed, and
// the answer is the one the signed entry gives, for that account only.
TEST_F(EnvelopeTest, AuthenticatedEntryRunsTheSameActionsAsTheGivenAccount) {
  auto call_as = [&](uint64_t account, const ParamList& params) {
    std::string answer;
    api_->HandleAuthenticated(account, Request("POST", params),
                              [&](std::string json, const AnswerSummary&) { answer = json; });
    Settle([&] { return !answer.empty(); });
    Result<JsonValue> v = ParseJson(answer);
    return v.ok() ? *v : JsonValue();
  };
  JsonValue created = call_as(kAccount, {{"Action", "CreateQueue"}, {"queueName", "console-q"}});
  EXPECT_EQ(Code(created), 0) << Message(created);
  // The signed entry sees it: the same account, the same broker.
  JsonValue listed = Call("ListQueue");
  EXPECT_EQ(Code(listed), 0);
  EXPECT_EQ(listed.Find("totalCount")->as_int().value_or(-1), 1);
  // Another account sees none of it.
  JsonValue other =
      call_as(kAccount + 1, {{"Action", "GetQueueAttributes"}, {"queueName", "console-q"}});
  EXPECT_EQ(Code(other), 4440);
  // The same parameter checks and errors as the signed entry.
  EXPECT_EQ(Code(call_as(kAccount, {{"Action", "NoSuchAction"}})), 4000);
  EXPECT_EQ(Code(call_as(kAccount, {{"queueName", "console-q"}})), 4000);
  EXPECT_EQ(Code(call_as(kAccount, {{"Action", "CreateQueue"}, {"queueName", "bad name!"}})),
            Code(Call("CreateQueue", {{"queueName", "bad name!"}})));
  // Without the authenticated entry, the same unsigned request is refused.
  EXPECT_EQ(Code(Call(Request("POST", {{"Action", "ListQueue"}}))), 4100);
}

}  // namespace
}  // namespace cmq::api
