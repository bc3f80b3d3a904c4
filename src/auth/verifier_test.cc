#include "auth/verifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "common/signing.h"

namespace cmq::auth {
namespace {

// docs/cmq-api.md 2.6.
constexpr char kSecretKey[] = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
constexpr char kSecretId[] = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
constexpr uint64_t kAccount = 1250000000;
constexpr int64_t kNow = 1700000000;

class VerifierTest : public ::testing::Test {
 protected:
  VerifierTest() {
    EXPECT_TRUE(keys_.Add({kSecretId, kSecretKey, kAccount, true}).ok());
    EXPECT_TRUE(keys_.Add({"AKIDdisabled", "other-key", 7, false}).ok());
  }

  Result<Verified> Verify(std::string_view method, std::string_view host, std::string_view path,
                          const ParamList& params, int64_t now = kNow, bool https = false) {
    SignedRequest request{method, host, path, &params, https};
    return auth::Verify(keys_, request, now, options_);
  }

  // A typical request signed the way an SDK signs it: for `signed_host` and
  // `signed_path`, over all of `params`.
  static ParamList Signed(std::string_view method, std::string_view signed_host,
                          std::string_view signed_path, ParamList params,
                          SignatureMethod sm = SignatureMethod::kHmacSHA1,
                          std::string_view key = kSecretKey) {
    std::string sig = Sign(StringToSign(method, signed_host, signed_path, params), key, sm);
    params.emplace_back("Signature", sig);
    return params;
  }

  static ParamList Base(int64_t timestamp = kNow, std::string_view secret_id = kSecretId) {
    return {{"Action", "SendMessage"},
            {"Nonce", "12345"},
            {"RequestClient", "SDK_CPP_1.3"},
            {"SecretId", std::string(secret_id)},
            {"Timestamp", std::to_string(timestamp)},
            {"queueName", "q1"},
            {"msgBody", "hello"}};
  }

  static void ExpectAuthFailed(const Result<Verified>& r) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ErrorCode::kAuthFailed, r.status().error());
    EXPECT_EQ(4100, r.status().cmq_code());
    EXPECT_EQ("(10030)authentication failed", r.status().WireMessage());
  }

  KeyStore keys_;
  VerifyOptions options_;
};

// ---- The 2.6 vectors through Verify(), with the Signature as published ----

TEST_F(VerifierTest, VectorV1) {
  ParamList p = {{"Action", "SendMessage"},
                 {"Nonce", "2889712707386595659"},
                 {"RequestClient", "SDK_Python_1.3"},
                 {"SecretId", kSecretId},
                 {"SignatureMethod", "HmacSHA1"},
                 {"Timestamp", "1534154812"},
                 {"clientRequestId", "1231231231"},
                 {"delaySeconds", "0"},
                 {"msgBody", "msg"},
                 {"queueName", "test1"},
                 {"Signature", "C16WEtEXsD5v5tnaUMLAbZewXhI="}};
  const char* host = "cmq-queue-gz.api.tencentyun.com";
  auto r = Verify("POST", host, "/v2/index.php", p, 1534154812 + 120);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(kAccount, r->account);
  // Same request, clock far from its timestamp.
  ExpectAuthFailed(Verify("POST", host, "/v2/index.php", p, kNow));
}

TEST_F(VerifierTest, VectorV2Sha256HostWithPort) {
  ParamList p = {{"Action", "ReceiveMessage"},
                 {"Nonce", "12345"},
                 {"RequestClient", "SDK_Python_1.3"},
                 {"SecretId", kSecretId},
                 {"SignatureMethod", "HmacSHA256"},
                 {"Timestamp", "1700000000"},
                 {"UserpollingWaitSeconds", "10"},
                 {"pollingWaitSeconds", "10"},
                 {"queueName", "test-queue"},
                 {"Signature", "AAt+M/6cwMsRa1JImLQtIAOi2D/7IUKk4YYBCFIxHmg="}};
  auto r = Verify("POST", "localhost:8080", "/v2/index.php", p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(kAccount, r->account);
  // Signed for port 8080: no other host string may verify it.
  ExpectAuthFailed(Verify("POST", "localhost", "/v2/index.php", p));
  ExpectAuthFailed(Verify("POST", "localhost:80", "/v2/index.php", p));
  // Read as SHA-1 it cannot match.
  p[4].second = "HmacSHA1";
  ExpectAuthFailed(Verify("POST", "localhost:8080", "/v2/index.php", p));
}

TEST_F(VerifierTest, VectorV3GetRootPath) {
  ParamList p = {{"Action", "SendMessage"},
                 {"Nonce", "777"},
                 {"RequestClient", "SDK_GO_1.2.0"},
                 {"SecretId", kSecretId},
                 {"SignatureMethod", "HmacSHA1"},
                 {"Timestamp", "1700000000"},
                 {"clientRequestId", "42"},
                 {"delaySeconds", "0"},
                 {"msgBody", "hello world \xE4\xBD\xA0\xE5\xA5\xBD"},
                 {"queueName", "q1"},
                 {"Signature", "faZdgP97pWTlbhQ5RtQhw2zkZaQ="}};
  auto r = Verify("GET", "127.0.0.1:9000", "/", p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(kAccount, r->account);
  ExpectAuthFailed(Verify("POST", "127.0.0.1:9000", "/", p));
  ExpectAuthFailed(Verify("GET", "127.0.0.1:9000", "/v2/index.php", p));
}

TEST_F(VerifierTest, VectorV4BothAtVariantsOnPost) {
  ParamList p = {{"Action", "BatchSendMessage"},
                 {"Nonce", "1"},
                 {"RequestClient", "SDK_Python_1.3"},
                 {"SecretId", kSecretId},
                 {"SignatureMethod", "HmacSHA1"},
                 {"Timestamp", "1700000000"},
                 {"delaySeconds", "0"},
                 {"msgBody.1", "@first"},
                 {"msgBody.2", "second"},
                 {"queueName", "q1"}};
  ParamList java = p;
  java.emplace_back("Signature", "aKyuKIeg3O6wy5sjk9Jfe+pK+3U=");
  ParamList python = p;
  python.emplace_back("Signature", "T8RSIaQ3V62ywz5kd9rzwGdCJqk=");
  auto all_signed = Verify("POST", "cmq.local", "/v2/index.php", java);
  ASSERT_TRUE(all_signed.ok());
  EXPECT_TRUE(all_signed->unsigned_params.empty());
  // The Python form verifies, and reports msgBody.1 as the value it does not cover
  // (the api then refuses to send it, 14.3).
  auto python_form = Verify("POST", "cmq.local", "/v2/index.php", python);
  ASSERT_TRUE(python_form.ok());
  EXPECT_EQ(python_form->unsigned_params, std::vector<size_t>{7});
  // The '@' exemption is a POST-only relic: a GET must sign everything.
  EXPECT_TRUE(
      Verify("GET", "cmq.local", "/v2/index.php", Signed("GET", "cmq.local", "/v2/index.php", p))
          .ok());
  ParamList get_without_at = p;
  std::erase_if(get_without_at, [](const Param& x) { return x.second.starts_with('@'); });
  ParamList get_python = Signed("GET", "cmq.local", "/v2/index.php", get_without_at);
  get_python.insert(get_python.begin(), {"msgBody.1", "@first"});
  ExpectAuthFailed(Verify("GET", "cmq.local", "/v2/index.php", get_python));
}

// ---- Host candidates (2.4 step 5, 2.5 table) ----

TEST_F(VerifierTest, SignedWithDefaultPortHostHeaderWithout) {
  // Python/curl/OkHttp: endpoint http://h:80 signs "h:80", sends "Host: h".
  EXPECT_TRUE(
      Verify("POST", "h", "/v2/index.php", Signed("POST", "h:80", "/v2/index.php", Base())).ok());
  // https://h:443 signs "h:443", sends "Host: h".
  EXPECT_TRUE(Verify("POST", "h", "/v2/index.php", Signed("POST", "h:443", "/v2/index.php", Base()),
                     kNow, /*https=*/true)
                  .ok());
}

TEST_F(VerifierTest, SignedWithoutPortHostHeaderWithDefaultPort) {
  EXPECT_TRUE(
      Verify("POST", "h:80", "/v2/index.php", Signed("POST", "h", "/v2/index.php", Base())).ok());
  EXPECT_TRUE(Verify("POST", "h:443", "/v2/index.php", Signed("POST", "h", "/v2/index.php", Base()),
                     kNow, /*https=*/true)
                  .ok());
}

TEST_F(VerifierTest, GoKeepsDefaultPortInBoth) {
  EXPECT_TRUE(Verify("POST", "h:80", "/", Signed("POST", "h:80", "/", Base())).ok());
  EXPECT_TRUE(Verify("POST", "h:443", "/", Signed("POST", "h:443", "/", Base()), kNow, true).ok());
}

TEST_F(VerifierTest, OnlyTheSchemesDefaultPortIsAddedOrRemoved) {
  // http: :443 is not a default port.
  ExpectAuthFailed(Verify("POST", "h", "/", Signed("POST", "h:443", "/", Base())));
  ExpectAuthFailed(Verify("POST", "h:443", "/", Signed("POST", "h", "/", Base())));
  // https: :80 is not a default port.
  ExpectAuthFailed(Verify("POST", "h", "/", Signed("POST", "h:80", "/", Base()), kNow, true));
  ExpectAuthFailed(Verify("POST", "h:80", "/", Signed("POST", "h", "/", Base()), kNow, true));
}

TEST_F(VerifierTest, NonDefaultPortMustMatch) {
  EXPECT_TRUE(Verify("POST", "h:8080", "/", Signed("POST", "h:8080", "/", Base())).ok());
  ExpectAuthFailed(Verify("POST", "h", "/", Signed("POST", "h:8080", "/", Base())));
  ExpectAuthFailed(Verify("POST", "h:8080", "/", Signed("POST", "h", "/", Base())));
  ExpectAuthFailed(Verify("POST", "h:8080", "/", Signed("POST", "h:8081", "/", Base())));
  ExpectAuthFailed(Verify("POST", "h:8080", "/", Signed("POST", "other:8080", "/", Base())));
}

TEST_F(VerifierTest, Ipv6LiteralHosts) {
  EXPECT_TRUE(Verify("POST", "[::1]", "/", Signed("POST", "[::1]:80", "/", Base())).ok());
  EXPECT_TRUE(Verify("POST", "[::1]:80", "/", Signed("POST", "[::1]", "/", Base())).ok());
  EXPECT_TRUE(Verify("POST", "[::1]:9000", "/", Signed("POST", "[::1]:9000", "/", Base())).ok());
  ExpectAuthFailed(Verify("POST", "[::1]:9000", "/", Signed("POST", "[::1]", "/", Base())));
}

TEST_F(VerifierTest, ConfiguredPublicHostsBehindProxy) {
  ParamList p = Signed("POST", "cmq.example.com", "/v2/index.php", Base());
  ExpectAuthFailed(Verify("POST", "10.0.0.5:8080", "/v2/index.php", p));
  options_.public_hosts = {"mq.example.org", "cmq.example.com"};
  EXPECT_TRUE(Verify("POST", "10.0.0.5:8080", "/v2/index.php", p).ok());
  // Public host names are tried as configured (with or without port).
  options_.public_hosts = {"cmq.example.com:443"};
  ExpectAuthFailed(Verify("POST", "10.0.0.5:8080", "/v2/index.php", p));
  EXPECT_TRUE(Verify("POST", "10.0.0.5:8080", "/v2/index.php",
                     Signed("POST", "cmq.example.com:443", "/v2/index.php", Base()))
                  .ok());
}

TEST_F(VerifierTest, EmptyHostHeader) {
  EXPECT_TRUE(Verify("POST", "", "/", Signed("POST", "", "/", Base())).ok());
  ExpectAuthFailed(Verify("POST", "", "/", Signed("POST", "h", "/", Base())));
}

// ---- Path (2.4: exactly as received) ----

TEST_F(VerifierTest, EndpointWithTrailingSlash) {
  // Java/C++ with endpoint "http://h/": sign "h/" + "/v2/index.php", request "//v2/index.php".
  ParamList p = Signed("POST", "h/", "/v2/index.php", Base());
  EXPECT_TRUE(Verify("POST", "h", "//v2/index.php", p).ok());
  // Same with a port that the Host header drops.
  EXPECT_TRUE(
      Verify("POST", "h", "//v2/index.php", Signed("POST", "h:80/", "/v2/index.php", Base())).ok());
}

TEST_F(VerifierTest, PathIsNotNormalised) {
  ParamList p = Signed("POST", "h", "/v2/index.php", Base());
  EXPECT_TRUE(Verify("POST", "h", "/v2/index.php", p).ok());
  ExpectAuthFailed(Verify("POST", "h", "/", p));
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php/", p));
  ExpectAuthFailed(Verify("POST", "h", "/v2//index.php", p));
  ExpectAuthFailed(Verify("POST", "h", "/V2/index.php", p));
  ParamList root = Signed("POST", "h", "/", Base());
  EXPECT_TRUE(Verify("POST", "h", "/", root).ok());
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php", root));
}

// ---- Methods, algorithms, '@' values ----

TEST_F(VerifierTest, GetAndPostSha1AndSha256) {
  for (const char* method : {"GET", "POST"}) {
    for (SignatureMethod sm : {SignatureMethod::kHmacSHA1, SignatureMethod::kHmacSHA256}) {
      ParamList params = Base();
      params.emplace_back("SignatureMethod",
                          sm == SignatureMethod::kHmacSHA256 ? "HmacSHA256" : "HmacSHA1");
      ParamList p = Signed(method, "h", "/", params, sm);
      EXPECT_TRUE(Verify(method, "h", "/", p).ok()) << method;
      // Signed with one method, verified with the other: no match.
      ExpectAuthFailed(Verify(std::string(method) == "GET" ? "POST" : "GET", "h", "/", p));
    }
  }
}

TEST_F(VerifierTest, AbsentOrUnknownSignatureMethodMeansSha1) {
  EXPECT_TRUE(Verify("POST", "h", "/", Signed("POST", "h", "/", Base())).ok());
  ParamList params = Base();
  params.emplace_back("SignatureMethod", "hmacsha256");
  EXPECT_TRUE(
      Verify("POST", "h", "/", Signed("POST", "h", "/", params, SignatureMethod::kHmacSHA1)).ok());
  ExpectAuthFailed(
      Verify("POST", "h", "/", Signed("POST", "h", "/", params, SignatureMethod::kHmacSHA256)));
  // Without a SignatureMethod parameter a SHA-256 signature is not accepted.
  ExpectAuthFailed(
      Verify("POST", "h", "/", Signed("POST", "h", "/", Base(), SignatureMethod::kHmacSHA256)));
}

TEST_F(VerifierTest, PostWithAtValuesSignedEitherWay) {
  ParamList params = Base();
  params.emplace_back("msgBody.1", "@a");
  params.emplace_back("msgBody.2", "@b");
  params.emplace_back("msgBody.3", "c@");
  // Java/C++/Go/Node: everything signed.
  EXPECT_TRUE(Verify("POST", "h", "/", Signed("POST", "h", "/", params)).ok());
  // Python/PHP: '@' values left out of the string to sign, but still transmitted.
  ParamList without_at = params;
  std::erase_if(without_at, [](const Param& x) { return x.second.starts_with('@'); });
  ParamList python = Signed("POST", "h", "/", without_at);
  python.emplace_back("msgBody.1", "@a");
  python.emplace_back("msgBody.2", "@b");
  auto r = Verify("POST", "h", "/", python);
  ASSERT_TRUE(r.ok());
  const std::vector<size_t> unsigned_at_values = {python.size() - 2, python.size() - 1};
  EXPECT_EQ(r->unsigned_params, unsigned_at_values);
  // Signed over everything, nothing is reported even though '@' values are present.
  auto all = Verify("POST", "h", "/", Signed("POST", "h", "/", params));
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->unsigned_params.empty());
  // Leaving out only some of the '@' values is neither form.
  ParamList partial = params;
  std::erase_if(partial, [](const Param& x) { return x.second == "@a"; });
  ParamList odd = Signed("POST", "h", "/", partial);
  odd.emplace_back("msgBody.1", "@a");
  ExpectAuthFailed(Verify("POST", "h", "/", odd));
}

// ---- Official SDK bugs tolerated (14.21) ----

// kainonly/cmq-node-sdk PublishMessage: the tag array is signed as one value,
// `${array}` (comma-joined), and sent as msgTag.0, msgTag.1, ... (HmacSHA256, Region).
ParamList NodePublish(const std::vector<std::string>& tags, int first_index = 0) {
  ParamList signed_part = {{"Action", "PublishMessage"},
                           {"Nonce", "4711"},
                           {"Region", "gz"},
                           {"SecretId", kSecretId},
                           {"SignatureMethod", "HmacSHA256"},
                           {"Timestamp", std::to_string(kNow)},
                           {"msgBody", "hello"}};
  std::string joined;
  for (const std::string& t : tags) joined += (joined.empty() ? "" : ",") + t;
  signed_part.emplace_back("msgTag", joined);
  signed_part.emplace_back("topicName", "t1");
  std::string sig = Sign(StringToSign("POST", "h", "/v2/index.php", signed_part), kSecretKey,
                         SignatureMethod::kHmacSHA256);
  ParamList sent;
  for (const Param& p : signed_part) {
    if (p.first != "msgTag") sent.push_back(p);
  }
  for (size_t i = 0; i < tags.size(); ++i) {
    sent.emplace_back("msgTag." + std::to_string(first_index + static_cast<int>(i)), tags[i]);
  }
  sent.emplace_back("Signature", sig);
  return sent;
}

TEST_F(VerifierTest, NodeTagsSignedCommaJoined) {
  for (const auto& tags :
       std::vector<std::vector<std::string>>{{"a"}, {"a", "b"}, {"x", "", "z"}}) {
    auto r = Verify("POST", "h", "/v2/index.php", NodePublish(tags));
    ASSERT_TRUE(r.ok()) << tags.size();
    EXPECT_TRUE(r->unsigned_params.empty());
  }
  // Index order, not the order received, is the order of the join.
  ParamList reversed = NodePublish({"a", "b"});
  std::swap(reversed[reversed.size() - 3], reversed[reversed.size() - 2]);
  EXPECT_TRUE(Verify("POST", "h", "/v2/index.php", reversed).ok());
  EXPECT_TRUE(Verify("POST", "h", "/v2/index.php", NodePublish({"a", "b"}, 1)).ok());
  // Node only POSTs.
  ExpectAuthFailed(Verify("GET", "h", "/v2/index.php", NodePublish({"a", "b"})));
}

TEST_F(VerifierTest, NodeJoinIsNeverAmbiguous) {
  // Signed "msgTag=a,b": the tags a and b, and nothing else.
  ParamList good = NodePublish({"a", "b"});
  ParamList merged = good;  // one tag "a,b" instead of two
  std::erase_if(merged, [](const Param& p) { return p.first == "msgTag.1"; });
  for (Param& p : merged) {
    if (p.first == "msgTag.0") p.second = "a,b";
  }
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php", merged));
  // Tags in another spelling are not the ones collapsed: the api would read others.
  for (const char* spelling : {"MsgTag.1", "msgTag_1", "msgtag.1"}) {
    SCOPED_TRACE(spelling);
    ParamList renamed = good;
    for (Param& p : renamed) {
      if (p.first == "msgTag.1") p.first = spelling;
    }
    ExpectAuthFailed(Verify("POST", "h", "/v2/index.php", renamed));
  }
  // A plain msgTag beside them, or a malformed index: no join.
  ParamList plain = good;
  plain.insert(plain.begin(), {"msgTag", "a,b"});
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php", plain));
  ParamList leading_zero = good;
  for (Param& p : leading_zero) {
    if (p.first == "msgTag.1") p.first = "msgTag.01";
  }
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php", leading_zero));
}

// tencentyun/cmq-php-sdk GET: the URL is endpoint + "/v2/index.php" + the request's
// "/v2/index.php", the signature covers the request's path once.
TEST_F(VerifierTest, PhpGetDoubledPath) {
  ParamList p = Signed("GET", "h", "/v2/index.php", Base());
  auto r = Verify("GET", "h", "/v2/index.php/v2/index.php", p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->unsigned_params.empty());
  EXPECT_TRUE(Verify("GET", "h", "/v2/index.php", p).ok());
  // Only GET, only exactly twice, only the path written twice.
  ExpectAuthFailed(Verify("POST", "h", "/v2/index.php/v2/index.php",
                          Signed("POST", "h", "/v2/index.php", Base())));
  ExpectAuthFailed(Verify("GET", "h", "/v2/index.php/v2/index.php/v2/index.php", p));
  ExpectAuthFailed(Verify("GET", "h", "/v2/index.php/v2/index.phq", p));
  ExpectAuthFailed(Verify("GET", "h", "/v2/index.php/", p));
  // A path really signed doubled verifies as itself.
  EXPECT_TRUE(Verify("GET", "h", "/x/x", Signed("GET", "h", "/x/x", Base())).ok());
  EXPECT_TRUE(Verify("GET", "h", "/x/x", Signed("GET", "h", "/x", Base())).ok());
}

// ---- Signature text ----

TEST_F(VerifierTest, BadSignatures) {
  ParamList good = Signed("POST", "h", "/", Base());
  ASSERT_TRUE(Verify("POST", "h", "/", good).ok());

  ParamList flipped = good;
  std::string& sig = flipped.back().second;
  sig[3] = sig[3] == 'A' ? 'B' : 'A';
  ExpectAuthFailed(Verify("POST", "h", "/", flipped));

  ParamList truncated = good;
  truncated.back().second.pop_back();
  ExpectAuthFailed(Verify("POST", "h", "/", truncated));

  ParamList longer = good;
  longer.back().second += "=";
  ExpectAuthFailed(Verify("POST", "h", "/", longer));

  ExpectAuthFailed(Verify(
      "POST", "h", "/", Signed("POST", "h", "/", Base(), SignatureMethod::kHmacSHA1, "wrong-key")));

  // Any parameter changed after signing, or added, breaks it.
  ParamList tampered = good;
  tampered[6].second = "HELLO";  // msgBody
  ExpectAuthFailed(Verify("POST", "h", "/", tampered));
  ParamList added = good;
  added.emplace_back("delaySeconds", "10");
  ExpectAuthFailed(Verify("POST", "h", "/", added));
  ParamList removed = good;
  removed.erase(removed.begin());  // Action
  ExpectAuthFailed(Verify("POST", "h", "/", removed));

  ParamList garbage = good;
  garbage.back().second = "not base64 at all \xFF";
  ExpectAuthFailed(Verify("POST", "h", "/", garbage));
}

TEST_F(VerifierTest, SpacesInSignatureAreTurnedBackIntoPlus) {
  // Find a request whose signature contains '+', as sent by a client that forgot to
  // encode it (the server's form decoder turned it into a space).
  for (int nonce = 0; nonce < 1000; ++nonce) {
    ParamList params = Base();
    params[1].second = std::to_string(nonce);
    ParamList p = Signed("POST", "h", "/", params);
    std::string& sig = p.back().second;
    if (sig.find('+') == std::string::npos) continue;
    std::replace(sig.begin(), sig.end(), '+', ' ');
    auto r = Verify("POST", "h", "/", p);
    ASSERT_TRUE(r.ok()) << sig;
    EXPECT_EQ(kAccount, r->account);
    return;
  }
  FAIL() << "no signature with '+' found";
}

TEST_F(VerifierTest, LastDuplicateOfAuthParametersWins) {
  ParamList p = Signed("POST", "h", "/", Base());
  ParamList dup = p;
  dup.insert(dup.begin(), {"Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="});
  EXPECT_TRUE(Verify("POST", "h", "/", dup).ok());
  ParamList dup_last = p;
  dup_last.emplace_back("Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  ExpectAuthFailed(Verify("POST", "h", "/", dup_last));
}

// ---- Timestamp window ----

TEST_F(VerifierTest, TimestampWindowBothWays) {
  ParamList p = Signed("POST", "h", "/", Base(kNow));
  EXPECT_TRUE(Verify("POST", "h", "/", p, kNow).ok());
  EXPECT_TRUE(Verify("POST", "h", "/", p, kNow + 300).ok());
  EXPECT_TRUE(Verify("POST", "h", "/", p, kNow - 300).ok());
  ExpectAuthFailed(Verify("POST", "h", "/", p, kNow + 301));  // request too old
  ExpectAuthFailed(Verify("POST", "h", "/", p, kNow - 301));  // request from the future
  options_.timestamp_skew_seconds = 10;
  EXPECT_TRUE(Verify("POST", "h", "/", p, kNow + 10).ok());
  ExpectAuthFailed(Verify("POST", "h", "/", p, kNow + 11));
  ExpectAuthFailed(Verify("POST", "h", "/", p, kNow - 11));
}

TEST_F(VerifierTest, MalformedTimestamps) {
  for (const char* ts : {"", "abc", "1700000000.5", "-1700000000", "+1700000000", " 1700000000",
                         "99999999999999999999", "0x6553F100"}) {
    ParamList params = Base();
    params[4].second = ts;
    ExpectAuthFailed(Verify("POST", "h", "/", Signed("POST", "h", "/", params)));
  }
  // Extreme values are compared without overflow.
  ParamList max = Base();
  max[4].second = std::to_string(std::numeric_limits<int64_t>::max());
  ParamList signed_max = Signed("POST", "h", "/", max);
  ExpectAuthFailed(Verify("POST", "h", "/", signed_max, std::numeric_limits<int64_t>::min()));
  ExpectAuthFailed(Verify("POST", "h", "/", signed_max, 0));
  EXPECT_TRUE(Verify("POST", "h", "/", signed_max, std::numeric_limits<int64_t>::max()).ok());
  ParamList zero = Base(0);
  EXPECT_TRUE(Verify("POST", "h", "/", Signed("POST", "h", "/", zero), 0).ok());
  ExpectAuthFailed(Verify("POST", "h", "/", Signed("POST", "h", "/", zero),
                          std::numeric_limits<int64_t>::min()));
}

// ---- Nonce ----

TEST_F(VerifierTest, NonceIsNeverRejected) {
  for (const char* nonce : {"0", "1", "65535", "18446744073709551615", "9223372036854775807"}) {
    ParamList params = Base();
    params[1].second = nonce;
    ParamList p = Signed("POST", "h", "/", params);
    EXPECT_TRUE(Verify("POST", "h", "/", p).ok()) << nonce;
    // Repeats (the C++ SDK reseeds rand() every second) are fine.
    EXPECT_TRUE(Verify("POST", "h", "/", p).ok()) << nonce;
  }
}

// ---- Missing parameters and keys ----

TEST_F(VerifierTest, MissingAuthParameters) {
  ParamList good = Signed("POST", "h", "/", Base());
  for (const char* name : {"SecretId", "Signature", "Timestamp", "Nonce"}) {
    ParamList p = good;
    std::erase_if(p, [&](const Param& x) { return x.first == name; });
    ExpectAuthFailed(Verify("POST", "h", "/", p));
  }
  for (const char* name : {"SecretId", "Signature"}) {
    ParamList p = good;
    for (Param& x : p) {
      if (x.first == name) x.second.clear();
    }
    ExpectAuthFailed(Verify("POST", "h", "/", p));
  }
  ExpectAuthFailed(Verify("POST", "h", "/", ParamList{}));
  SignedRequest no_params{"POST", "h", "/", nullptr, false};
  ExpectAuthFailed(auth::Verify(keys_, no_params, kNow, options_));
  // Parameter names are case-sensitive.
  ParamList lower = good;
  for (Param& x : lower) {
    if (x.first == "Signature") x.first = "signature";
  }
  ExpectAuthFailed(Verify("POST", "h", "/", lower));
}

TEST_F(VerifierTest, UnknownAndDisabledKeys) {
  auto unknown = Verify("POST", "h", "/", Signed("POST", "h", "/", Base(kNow, "AKIDnobody")));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(ErrorCode::kSecretIdUnknown, unknown.status().error());
  EXPECT_EQ(4100, unknown.status().cmq_code());
  EXPECT_EQ(10270, unknown.status().module_code());

  auto disabled = Verify("POST", "h", "/",
                         Signed("POST", "h", "/", Base(kNow, "AKIDdisabled"),
                                SignatureMethod::kHmacSHA1, "other-key"));
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(ErrorCode::kSecretIdDisabled, disabled.status().error());
  EXPECT_EQ(10080, disabled.status().module_code());

  // SecretIds are exact (case-sensitive).
  auto wrong_case =
      Verify("POST", "h", "/",
             Signed("POST", "h", "/", Base(kNow, "akidpcydcldjcn8d0xypa4f3pkyucvyln3zt")));
  EXPECT_EQ(ErrorCode::kSecretIdUnknown, wrong_case.status().error());
}

TEST(KeyStoreTest, AddAndFind) {
  KeyStore keys;
  EXPECT_EQ(0u, keys.size());
  EXPECT_TRUE(keys.Add({"id1", "k1", 1, true}).ok());
  EXPECT_TRUE(keys.Add({"id2", "k2", 2, false}).ok());
  EXPECT_EQ(ErrorCode::kInvalidParameters, keys.Add({"", "k", 3, true}).error());
  EXPECT_EQ(ErrorCode::kInvalidParameters, keys.Add({"id1", "other", 4, true}).error());
  EXPECT_EQ(2u, keys.size());
  const Credential* c = keys.Find("id1");
  ASSERT_NE(nullptr, c);
  EXPECT_EQ("k1", c->secret_key);
  EXPECT_EQ(1u, c->account);
  EXPECT_FALSE(keys.Find("id2")->enabled);
  EXPECT_EQ(nullptr, keys.Find("ID1"));
  EXPECT_EQ(nullptr, keys.Find(""));
}

}  // namespace
}  // namespace cmq::auth
