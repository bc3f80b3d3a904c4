// Every value an action acts on is covered by the signature (docs/cmq-api.md 2.2-2.4,
// 14.3), and the official SDKs' signing bugs that are tolerated stay safe (14.21).
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
  // Signs `signed_view` (common parameters included) for `method` and `path`, and sends
  // `sent` with that Signature: for clients whose string to sign differs from what they
  // transmit.
  ApiRequest SignedAs(const std::string& method, const std::string& path,
                      const ParamList& signed_view, ParamList sent) const {
    sent.push_back({"Signature", Sign(StringToSign(method, kHost, path, signed_view), kSecretKey,
                                      SignatureMethod::kHmacSHA256)});
    ApiRequest r = Request(method, sent);
    r.path = path;
    return r;
  }
  ParamList Common(const std::string& action) const {
    return {{"Action", action},
            {"SecretId", kSecretId},
            {"Nonce", "4711"},
            {"Timestamp", std::to_string(clock_.NowMs() / 1000)},
            {"SignatureMethod", "HmacSHA256"}};
  }
  static void ExpectUnsigned(const JsonValue& v, const std::string& name) {
    ExpectError(v, 4100, 10030);
    EXPECT_EQ(Message(v), "(10030)authentication failed: parameter " + name + " is not signed");
  }
  int64_t Active(const std::string& queue) { return Int(Attributes(queue), "activeMsgNum"); }
};

ParamList Join(ParamList a, const ParamList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

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
  ExpectUnsigned(CallWithUnsigned("Subscribe", sub, {{"bindindKey.1", "@k"}}), "bindindKey.1");
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

// ---- official SDK bugs (14.21) ----

// kainonly/cmq-node-sdk PublishMessage signs the tag array as `${array}` (one
// comma-joined msgTag) and sends msgTag.0, msgTag.1, ...
TEST_F(SignedValuesTest, NodeTaggedPublish) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q", Indexed("filterTag", 1, {"b"}));
  ParamList signed_view =
      Join(Common("PublishMessage"),
           {{"Region", "gz"}, {"msgBody", "from node"}, {"msgTag", "a,b"}, {"topicName", "t"}});
  ParamList sent = Join(Common("PublishMessage"), {{"Region", "gz"},
                                                   {"msgBody", "from node"},
                                                   {"msgTag.0", "a"},
                                                   {"msgTag.1", "b"},
                                                   {"topicName", "t"}});
  ExpectOk(Call(SignedAs("POST", kPath, signed_view, sent)));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "from node");
  // The signed join cannot be split differently: one tag "a,b" is not what was signed.
  ParamList merged =
      Join(Common("PublishMessage"),
           {{"Region", "gz"}, {"msgBody", "from node"}, {"msgTag.0", "a,b"}, {"topicName", "t"}});
  ExpectError(Call(SignedAs("POST", kPath, signed_view, merged)), 4100, 10030);
}

// tencentyun/cmq-php-sdk Subscribe sends bindindKey.N.
TEST_F(SignedValuesTest, PhpMisspelledBindingKeys) {
  CreateQueue("q");
  CreateTopic("t", {{"filterType", "2"}});
  ExpectOk(Call(
      "Subscribe",
      Join(
          {{"topicName", "t"}, {"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", "q"}},
          Indexed("bindindKey", 1, {"a.*", "b.#"}))));
  JsonValue v = Call("GetSubscriptionAttributes", {{"topicName", "t"}, {"subscriptionName", "s"}});
  ExpectOk(v);
  const JsonValue* keys = v.Find("bindingKey");
  ASSERT_TRUE(keys != nullptr && keys->is_array());
  ASSERT_EQ(keys->items().size(), 2u);
  EXPECT_EQ(keys->items()[0].as_string(), "a.*");
  EXPECT_EQ(keys->items()[1].as_string(), "b.#");
  ExpectOk(Publish("t", "routed", {{"routingKey", "b.x.y"}}));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "routed");
}

// tencentyun/cmq-php-sdk GET requests <endpoint>/v2/index.php + /v2/index.php?...,
// signed for the path /v2/index.php.
TEST_F(SignedValuesTest, PhpGetDoubledPath) {
  ParamList params = Join(Common("CreateQueue"), {{"queueName", "php"}});
  ApiRequest r = SignedAs("GET", kPath, params, params);
  r.path = std::string(kPath) + kPath;
  ExpectOk(Call(r));
  ExpectOk(Attributes("php"));
  // POST is never sent that way, so it gets no such leeway.
  ParamList post = Join(Common("CreateQueue"), {{"queueName", "php2"}});
  ApiRequest p = SignedAs("POST", kPath, post, post);
  p.path = std::string(kPath) + kPath;
  ExpectError(Call(p), 4100, 10030);
}

// tencentyun/cmq-python-sdk: after a closed keep-alive connection it resends a GET as
// "GET /v2/index.php" with the parameters in the body.
TEST_F(SignedValuesTest, PythonGetRetryWithParametersInTheBody) {
  ApiRequest r = Request("GET", SignedParams("GET", "CreateQueue", {{"queueName", "retried"}}));
  std::swap(r.query, r.body);
  ExpectOk(Call(r));
  ExpectOk(Attributes("retried"));
  // Signed as a POST it is not a GET.
  ApiRequest as_post = Request("GET", SignedParams("POST", "CreateQueue", {{"queueName", "x"}}));
  std::swap(as_post.query, as_post.body);
  ExpectError(Call(as_post), 4100, 10030);
  // A query, when there is one, is the only source: the body is not read.
  ApiRequest both =
      Request("GET", SignedParams("GET", "CreateQueue", {{"queueName", "fromquery"}}));
  both.body = EncodeForm(SignedParams("GET", "CreateQueue", {{"queueName", "frombody"}}));
  ExpectOk(Call(both));
  ExpectOk(Attributes("fromquery"));
  ExpectError(Attributes("frombody"), 4440, 10100);
}

}  // namespace
}  // namespace cmq::api
