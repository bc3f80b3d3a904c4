// Every value an action acts on is covered by the signature (docs/cmq-api.md 2.2-2.4,
// 14.3).
#include <string>
#include <vector>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

class SignedValuesTest : public ApiTest {
 protected:
  // `signed_params` signed as the SDKs do, then `unsigned_params` added before the
  // Signature: a captured request with '@' values appended, which the Python-style
  // string to sign (no '@' values) still matches.
  JsonValue CallWithUnsigned(const std::string& action, ParamList signed_params,
                             const ParamList& unsigned_params) {
    ParamList params = SignedParams("POST", action, std::move(signed_params));
    params.insert(params.end() - 1, unsigned_params.begin(), unsigned_params.end());
    return Call(Request("POST", params));
  }
  static void ExpectUnsigned(const JsonValue& v, const std::string& name) {
    ExpectError(v, 4100, 10030);
    EXPECT_EQ(Message(v), "(10030)authentication failed: parameter " + name + " is not signed");
  }
  int64_t Active(const std::string& queue) { return Int(Attributes(queue), "activeMsgNum"); }
};

// ---- repeated names (14.3) ----

TEST_F(SignedValuesTest, RepeatedNamesAreRefusedBeforeAnythingElse) {
  JsonValue v = Call("CreateQueue", {{"queueName", "first"}, {"queueName", "second"}});
  ExpectError(v, 4000, 10330);
  EXPECT_EQ(Message(v), "(10330)parameter queueName is NOT a repeatable parameter");
  ExpectError(Attributes("first"), 4440, 10100);
  ExpectError(Attributes("second"), 4440, 10100);
  // Also ahead of the signature check and the Action lookup.
  ExpectError(Call(Request("POST", SignedParams("POST", "NoSuchAction", {{"a", "1"}, {"A", "2"}},
                                                "wrong key"))),
              4000, 10330, "A");
  ParamList two_signatures = SignedParams("POST", "ListQueue", {});
  two_signatures.push_back(two_signatures.back());
  ExpectError(Call(Request("POST", two_signatures)), 4000, 10330, "Signature");
}

// ---- '@' values of a Python/PHP-style POST (2.2) ----

TEST_F(SignedValuesTest, UnsignedAtValueTheActionReadsIsRefused) {
  // What the Python SDK sends for a body starting with '@': the body is left out of
  // the string to sign, so it is not authenticated and cannot be sent by POST.
  CreateQueue("q");
  ParamList python = SignedParams("POST", "SendMessage", {{"queueName", "q"}});
  python.insert(python.end() - 1, {"msgBody", "@file"});
  ExpectUnsigned(Call(Request("POST", python)), "msgBody");
  EXPECT_EQ(Active("q"), 0);
  // Signed, as every SDK signs it in a GET, the same body is fine.
  ExpectOk(Call("SendMessage", {{"queueName", "q"}, {"msgBody", "@file"}}, "GET"));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "@file");
}

TEST_F(SignedValuesTest, UnsignedAtValueTheActionIgnoresIsHarmless) {
  CreateQueue("q");
  ExpectOk(CallWithUnsigned("SendMessage", {{"queueName", "q"}, {"msgBody", "hello"}},
                            {{"note", "@ignored"}, {"RequestClient2", "@x"}}));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "hello");
}

// A captured request with '@' values added, for every kind of value an action reads.
TEST_F(SignedValuesTest, AddedAtValuesAreNeverActedOn) {
  CreateQueue("q");
  CreateQueue("dlq");
  ExpectUnsigned(CallWithUnsigned("BatchSendMessage",
                                  {{"queueName", "q"}, {"msgBody.1", "a"}, {"msgBody.2", "b"}},
                                  {{"msgBody.3", "@c"}}),
                 "msgBody.3");
  ExpectUnsigned(CallWithUnsigned("SendMessage", {{"queueName", "q"}, {"msgBody", "a"}},
                                  {{"delaySeconds", "@5"}}),
                 "delaySeconds");
  EXPECT_EQ(Active("q"), 0);
  ExpectUnsigned(
      CallWithUnsigned("SetQueueAttributes", {{"queueName", "q"}}, {{"deadLetterPolicy", "@{}"}}),
      "deadLetterPolicy");
  ExpectUnsigned(CallWithUnsigned("ListQueue", {}, {{"searchWord", "@d"}}), "searchWord");
  ExpectUnsigned(
      CallWithUnsigned("ReceiveMessage", {{"queueName", "q"}}, {{"pollingWaitSeconds", "@0"}}),
      "pollingWaitSeconds");

  CreateTopic("t");
  Subscribe("t", "s", "q", Indexed("filterTag", 1, {"@t"}));
  // Tags, or the PHP client's filterTag.N read as message tags (14.20).
  ExpectUnsigned(CallWithUnsigned("PublishMessage", {{"topicName", "t"}, {"msgBody", "m"}},
                                  {{"msgTag.1", "@t"}}),
                 "msgTag.1");
  ExpectUnsigned(CallWithUnsigned("PublishMessage", {{"topicName", "t"}, {"msgBody", "m"}},
                                  {{"filterTag.1", "@t"}}),
                 "filterTag.1");
  ExpectUnsigned(CallWithUnsigned("PublishMessage", {{"topicName", "t"}, {"msgBody", "m"}},
                                  {{"routingKey", "@r"}}),
                 "routingKey");
  EXPECT_EQ(Active("q"), 0);

  ParamList sub = {
      {"topicName", "t"}, {"subscriptionName", "s2"}, {"protocol", "queue"}, {"endpoint", "q"}};
  ExpectUnsigned(CallWithUnsigned("Subscribe", sub, {{"bindingKey.1", "@k"}}), "bindingKey.1");
  ExpectUnsigned(CallWithUnsigned("Subscribe", sub, {{"filterTag.1", "@f"}}), "filterTag.1");
  ExpectError(Call("GetSubscriptionAttributes", {{"topicName", "t"}, {"subscriptionName", "s2"}}),
              4000, 10560);
}

// msgBody_3 is signed exactly like msgBody.3 (2.3), so it is read like it.
TEST_F(SignedValuesTest, UnderscoreInNamesIsReadAsDot) {
  CreateQueue("q");
  ExpectOk(Call("BatchSendMessage",
                {{"queueName", "q"}, {"msgBody_1", "a"}, {"msgBody.2", "b"}, {"msgBody_3", "c"}}));
  EXPECT_EQ(Active("q"), 3);
  // queue_Name reads as queue.Name, which is not queueName.
  ExpectError(Call("SendMessage", {{"queue_Name", "q"}, {"msgBody", "x"}}), 4000, 10390,
              "queueName");
}

}  // namespace
}  // namespace cmq::api
