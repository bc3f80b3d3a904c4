// Black-box: every value an action uses is covered by the request's signature
// (docs/cmq-api.md 2.2-2.4, 14.3). Captured signed requests, sent again with extra,
// repeated or renamed parameters, must not make cmqd act on anything the signer did
// not sign.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/signing.h"
#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class SignatureTest : public SharedServerTest {
 protected:
  ClientResult<JsonValue> Post(const ParamList& params) {
    return SendRaw(*caller_, "POST", "/", EncodeForm(params));
  }
  // A request signed over every parameter (Java, C++, Go, Node), as captured on the wire.
  ParamList Captured(std::string_view action, ParamList params) {
    return SignParams(*caller_, "POST", "/", WithCommon(*caller_, action, std::move(params)));
  }
  int64_t ActiveMessages(const std::string& queue) {
    return IntField(Attributes(queue), "activeMsgNum");
  }
  // The next message of `queue` has this body.
  void ExpectReceived(const std::string& queue, const std::string& body) {
    ClientResult<JsonValue> got = Receive(queue);
    ASSERT_TRUE(IsSuccess(got));
    EXPECT_EQ(StrField(*got, "msgBody"), body);
  }
  // The Signature an SDK computes over `view` for `method` and `path`, with this
  // server's key and host.
  std::string SignatureFor(std::string_view method, std::string_view path, const ParamList& view,
                           SignatureMethod algorithm) {
    return Sign(StringToSign(method, server().authority(), path, view),
                caller_->options().secret_key, algorithm);
  }
  // The common parameters as an SDK sends them (no RequestClient).
  ParamList Common(std::string_view action, std::string_view signature_method) {
    return {{"Action", std::string(action)},
            {"Nonce", std::to_string(caller_->NextNonce())},
            {"SecretId", caller_->options().secret_id},
            {"SignatureMethod", std::string(signature_method)},
            {"Timestamp", std::to_string(NowSeconds())}};
  }
  static ParamList Join(ParamList a, const ParamList& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  // Creates `topic` and a queue subscription "sub" to it with the parameters `filter`
  // (filterTag.N, bindingKey.N), delivering into a new queue, whose name is returned.
  std::string TopicIntoQueue(const std::string& topic, const ParamList& filter) {
    std::string q = UniqueName("sink");
    CreateQueue(q);
    Ok("CreateTopic", {{"topicName", topic}});
    Ok("Subscribe", Join({{"topicName", topic},
                          {"subscriptionName", "sub"},
                          {"protocol", "queue"},
                          {"endpoint", q}},
                         filter));
    return q;
  }
};

// Defect 4 of issue 10: a '@' value is left out of the Python/PHP-style string to sign,
// so a second msgBody=@... made the '@'-less candidate match, and as the last
// occurrence it replaced the signed body.
TEST_F(SignatureTest, ReplayedSendWithExtraAtBodyIsRefused) {
  std::string q = UniqueName("replay");
  CreateQueue(q);
  ParamList captured = Captured("SendMessage", {{"queueName", q}, {"msgBody", "signed body"}});

  ParamList after = captured;
  after.emplace_back("msgBody", "@attacker's body");
  EXPECT_TRUE(IsServerError(Post(after), 4000, 10330));
  ParamList before = captured;
  before.insert(before.begin(), {"msgBody", "@attacker's body"});
  EXPECT_TRUE(IsServerError(Post(before), 4000, 10330));
  EXPECT_EQ(ActiveMessages(q), 0);

  // The captured request itself is still good (replays within the timestamp window
  // are not detected by default, 2.4 step 4).
  ASSERT_TRUE(IsSuccess(Post(captured)));
  ExpectReceived(q, "signed body");
}

// What the Python and PHP SDKs send for a POST whose value starts with '@': the value
// is left out of the string to sign (2.2). The request verifies, but an unsigned value
// is never acted on (14.3); unsigned values nothing reads are harmless.
TEST_F(SignatureTest, PythonStyleAtValues) {
  std::string q = UniqueName("atsign");
  CreateQueue(q);
  ParamList body_unsigned = Captured("SendMessage", {{"queueName", q}});
  body_unsigned.insert(body_unsigned.end() - 1, {"msgBody", "@not-signed"});
  ClientResult<JsonValue> refused = Post(body_unsigned);
  ASSERT_TRUE(IsServerError(refused, 4100, 10030));
  EXPECT_EQ(refused.error().message,
            "(10030)authentication failed: parameter msgBody is not signed");

  ParamList extra_unsigned = Captured("SendMessage", {{"queueName", q}, {"msgBody", "signed"}});
  extra_unsigned.insert(extra_unsigned.end() - 1, {"RequestNote", "@not-read"});
  ASSERT_TRUE(IsSuccess(Post(extra_unsigned)));
  ExpectReceived(q, "signed");
}

// Without repeating a name: a batch gets a third, unsigned body.
TEST_F(SignatureTest, UnsignedAtValueAddedToBatchIsRefused) {
  std::string q = UniqueName("batch");
  CreateQueue(q);
  ParamList attack =
      Captured("BatchSendMessage", {{"queueName", q}, {"msgBody.1", "one"}, {"msgBody.2", "two"}});
  attack.insert(attack.end() - 1, {"msgBody.3", "@three"});
  EXPECT_TRUE(IsServerError(Post(attack), 4100, 10030));
  EXPECT_EQ(ActiveMessages(q), 0);
}

// Names differing only in case are one parameter to the lookups, so they are repeats.
TEST_F(SignatureTest, NamesDifferingInCaseAreRepeats) {
  std::string q = UniqueName("case");
  CreateQueue(q);
  ParamList attack = Captured("SendMessage", {{"queueName", q}, {"msgBody", "signed"}});
  attack.emplace_back("MsgBody", "@unsigned");
  EXPECT_TRUE(IsServerError(Post(attack), 4000, 10330));
  EXPECT_EQ(ActiveMessages(q), 0);
}

// The string to sign spells '_' in names as '.', so msgBody_3 is signed exactly like
// msgBody.3: it must also be read like it, or renaming drops a signed message.
TEST_F(SignatureTest, UnderscoreInNamesIsReadAsTheDotItIsSignedAs) {
  std::string q = UniqueName("rename");
  CreateQueue(q);
  ParamList batch = Captured(
      "BatchSendMessage",
      {{"queueName", q}, {"msgBody.1", "one"}, {"msgBody.2", "two"}, {"msgBody.3", "three"}});
  for (auto& [name, value] : batch) {
    if (name == "msgBody.3") name = "msgBody_3";
  }
  ASSERT_TRUE(IsSuccess(Post(batch)));
  EXPECT_EQ(ActiveMessages(q), 3);
  // Both spellings at once are one parameter named twice.
  ParamList both = Captured("SendMessage", {{"queueName", q}, {"msgBody.1", "x"}});
  both.insert(both.begin(), {"msgBody_1", "y"});
  EXPECT_TRUE(IsServerError(Post(both), 4000, 10330));
}

// ---- official SDK bugs, tolerated where every value stays signed (14.21) ----

// kainonly/cmq-node-sdk PublishMessage: HmacSHA256, a Region, the tag array signed as
// one comma-joined msgTag and sent as msgTag.0, msgTag.1.
TEST_F(SignatureTest, NodeTaggedPublish) {
  std::string topic = UniqueName("nodetags");
  std::string q = TopicIntoQueue(topic, {{"filterTag.1", "blue"}});
  ParamList common = Common("PublishMessage", "HmacSHA256");
  common.emplace_back("Region", "gz");
  ParamList signed_view =
      Join(common, {{"msgBody", "from node"}, {"msgTag", "red,blue"}, {"topicName", topic}});
  ParamList sent = Join(
      common,
      {{"msgBody", "from node"}, {"msgTag.0", "red"}, {"msgTag.1", "blue"}, {"topicName", topic}});
  sent.emplace_back("Signature",
                    SignatureFor("POST", "/", signed_view, SignatureMethod::kHmacSHA256));
  ASSERT_TRUE(IsSuccess(Post(sent)));
  ExpectReceived(q, "from node");

  // What was signed as "red,blue" cannot be sent as the one tag "red,blue".
  ParamList one_tag =
      Join(common, {{"msgBody", "from node"}, {"msgTag.0", "red,blue"}, {"topicName", topic}});
  one_tag.push_back(sent.back());
  EXPECT_TRUE(IsServerError(Post(one_tag), 4100, 10030));
}

// tencentyun/cmq-php-sdk Subscribe: HmacSHA1, bindindKey.N for bindingKey.N.
TEST_F(SignatureTest, PhpMisspelledBindingKeys) {
  std::string topic = UniqueName("phpkeys");
  std::string q = UniqueName("phpsink");
  CreateQueue(q);
  Ok("CreateTopic", {{"topicName", topic}, {"filterType", "2"}});
  ParamList params = Join(Common("Subscribe", "HmacSHA1"), {{"RequestClient", "SDK_PHP_1.3"},
                                                            {"bindindKey.1", "order.*"},
                                                            {"endpoint", q},
                                                            {"notifyContentFormat", "SIMPLIFIED"},
                                                            {"notifyStrategy", "BACKOFF_RETRY"},
                                                            {"protocol", "queue"},
                                                            {"subscriptionName", "php"},
                                                            {"topicName", topic}});
  params.emplace_back("Signature", SignatureFor("POST", "/", params, SignatureMethod::kHmacSHA1));
  ASSERT_TRUE(IsSuccess(Post(params)));
  JsonValue sub =
      Ok("GetSubscriptionAttributes", {{"topicName", topic}, {"subscriptionName", "php"}});
  ASSERT_TRUE(HasArray(sub, "bindingKey"));
  ASSERT_EQ(ArrayField(sub, "bindingKey").size(), 1u);
  EXPECT_EQ(ArrayField(sub, "bindingKey")[0].as_string(), "order.*");
  Ok("PublishMessage", {{"topicName", topic}, {"msgBody", "routed"}, {"routingKey", "order.paid"}});
  ExpectReceived(q, "routed");
}

// tencentyun/cmq-php-sdk GET: the URL is <endpoint>/v2/index.php/v2/index.php?...,
// signed for /v2/index.php.
TEST_F(SignatureTest, PhpGetDoubledPath) {
  std::string q = UniqueName("phpget");
  ParamList params =
      Join(Common("CreateQueue", "HmacSHA1"), {{"RequestClient", "SDK_PHP_1.3"}, {"queueName", q}});
  params.emplace_back("Signature",
                      SignatureFor("GET", "/v2/index.php", params, SignatureMethod::kHmacSHA1));
  ASSERT_TRUE(IsSuccess(SendRaw(*caller_, "GET", "/v2/index.php/v2/index.php?" + EncodeForm(params), "")));
  EXPECT_TRUE(HasInt(Attributes(q), "activeMsgNum"));
}

// tencentyun/cmq-python-sdk: when a kept-alive connection turns out closed, the retry of
// a GET is "GET /v2/index.php" with the form in the body and no query string.
TEST_F(SignatureTest, PythonGetRetryWithParametersInTheBody) {
  std::string q = UniqueName("pyretry");
  CreateQueue(q);
  ParamList params = Join(Common("SendMessage", "HmacSHA1"), {{"RequestClient", "SDK_Python_1.3"},
                                                              {"delaySeconds", "0"},
                                                              {"msgBody", "@retried body"},
                                                              {"queueName", q}});
  params.emplace_back("Signature",
                      SignatureFor("GET", "/v2/index.php", params, SignatureMethod::kHmacSHA1));
  ASSERT_TRUE(IsSuccess(SendRaw(*caller_, "GET", "/v2/index.php", EncodeForm(params))));
  ExpectReceived(q, "@retried body");
}

}  // namespace
}  // namespace cmq::testing
