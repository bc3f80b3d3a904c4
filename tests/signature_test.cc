// Black-box: every value an action uses is covered by the request's signature
// (docs/cmq-api.md 2.2-2.4, 14.3). Captured signed requests, sent again with extra,
// repeated or renamed parameters, must not make cmqd act on anything the signer did
// not sign.
#include <gtest/gtest.h>

#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class SignatureTest : public SharedServerTest {
 protected:
  // Sends `params` (signed already, or deliberately not) as it stands.
  ClientResult<JsonValue> Send(const std::string& method, const std::string& target,
                               const std::string& body) {
    client::HttpRequest http;
    http.method = method;
    http.target = target;
    if (!body.empty())
      http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    http.body = body;
    ClientResult<HttpResponse> resp = caller_->connection().RoundTrip(http, 10000);
    if (!resp.ok()) return resp.take_error();
    EXPECT_EQ(resp->status, 200) << "API errors are HTTP 200 (1.4)";
    return ParseEnvelope(*resp);
  }
  ClientResult<JsonValue> Post(const ParamList& params) {
    return Send("POST", "/", EncodeForm(params));
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

}  // namespace
}  // namespace cmq::testing
