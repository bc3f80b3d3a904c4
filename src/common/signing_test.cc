#include "common/signing.h"

#include <gtest/gtest.h>

#include <string>

namespace cmq {
namespace {

// docs/cmq-api.md 2.6.
constexpr char kSecretKey[] = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
constexpr char kSecretId[] = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

// Parameters are listed out of order on purpose: StringToSign must sort them.
TEST(SigningTest, VectorV1SendMessageSha1) {
  ParamList params = {{"queueName", "test1"},
                      {"msgBody", "msg"},
                      {"Action", "SendMessage"},
                      {"delaySeconds", "0"},
                      {"SecretId", kSecretId},
                      {"Timestamp", "1534154812"},
                      {"Nonce", "2889712707386595659"},
                      {"SignatureMethod", "HmacSHA1"},
                      {"clientRequestId", "1231231231"},
                      {"RequestClient", "SDK_Python_1.3"}};
  std::string sts =
      StringToSign("POST", "cmq-queue-gz.api.tencentyun.com", "/v2/index.php", params);
  EXPECT_EQ(
      "POSTcmq-queue-gz.api.tencentyun.com/v2/"
      "index.php?Action=SendMessage&Nonce=2889712707386595659"
      "&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT"
      "&SignatureMethod=HmacSHA1&Timestamp=1534154812&clientRequestId=1231231231&delaySeconds=0"
      "&msgBody=msg&queueName=test1",
      sts);
  EXPECT_EQ("C16WEtEXsD5v5tnaUMLAbZewXhI=", Sign(sts, kSecretKey, SignatureMethod::kHmacSHA1));
}

// The same vector made by SignParams from the action's parameters alone.
TEST(SigningTest, SignParamsAddsTheCommonParametersAndTheSignature) {
  ParamList params = {{"queueName", "test1"},
                      {"msgBody", "msg"},
                      {"Action", "SendMessage"},
                      {"delaySeconds", "0"},
                      {"clientRequestId", "1231231231"},
                      {"RequestClient", "SDK_Python_1.3"}};
  std::string sts = SignParams("POST", "cmq-queue-gz.api.tencentyun.com", "/v2/index.php",
                               {kSecretId, kSecretKey, SignatureMethod::kHmacSHA1},
                               {1534154812, 2889712707386595659u}, &params);
  EXPECT_NE(sts.find("&SignatureMethod=HmacSHA1&Timestamp=1534154812&"), std::string::npos) << sts;
  ASSERT_EQ(params.back().first, "Signature");
  EXPECT_EQ(params.back().second, "C16WEtEXsD5v5tnaUMLAbZewXhI=");
  // What is given already is sent as given; a given Signature is not replaced.
  ParamList given = {{"Nonce", "7"}, {"Signature", "bad"}};
  EXPECT_EQ(SignParams("GET", "h", "/", {kSecretId, kSecretKey}, {1, 2}, &given), "");
  EXPECT_EQ(*FindParam(given, "Nonce"), "7");
  EXPECT_EQ(*FindParam(given, "Signature"), "bad");
  EXPECT_EQ(*FindParam(given, "SignatureMethod"), "HmacSHA256");
  EXPECT_EQ(NonceFrom(0), 1u);
  EXPECT_EQ(NonceFrom(2147483646u), 2147483647u);
  EXPECT_EQ(NonceFrom(2147483647u), 1u);
}

TEST(SigningTest, VectorV2ReceiveSha256WithPort) {
  ParamList params = {{"UserpollingWaitSeconds", "10"},
                      {"pollingWaitSeconds", "10"},
                      {"queueName", "test-queue"},
                      {"Action", "ReceiveMessage"},
                      {"Nonce", "12345"},
                      {"RequestClient", "SDK_Python_1.3"},
                      {"SecretId", kSecretId},
                      {"SignatureMethod", "HmacSHA256"},
                      {"Timestamp", "1700000000"}};
  std::string sts = StringToSign("POST", "localhost:8080", "/v2/index.php", params);
  EXPECT_EQ(
      "POSTlocalhost:8080/v2/index.php?Action=ReceiveMessage&Nonce=12345"
      "&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT"
      "&SignatureMethod=HmacSHA256&Timestamp=1700000000&UserpollingWaitSeconds=10"
      "&pollingWaitSeconds=10&queueName=test-queue",
      sts);
  EXPECT_EQ("AAt+M/6cwMsRa1JImLQtIAOi2D/7IUKk4YYBCFIxHmg=",
            Sign(sts, kSecretKey, ParseSignatureMethod("HmacSHA256")));
}

TEST(SigningTest, VectorV3GetRootPathUtf8AndSpace) {
  ParamList params = {{"msgBody", "hello world \xE4\xBD\xA0\xE5\xA5\xBD"},
                      {"queueName", "q1"},
                      {"delaySeconds", "0"},
                      {"clientRequestId", "42"},
                      {"Timestamp", "1700000000"},
                      {"SignatureMethod", "HmacSHA1"},
                      {"SecretId", kSecretId},
                      {"RequestClient", "SDK_GO_1.2.0"},
                      {"Nonce", "777"},
                      {"Action", "SendMessage"}};
  std::string sts = StringToSign("GET", "127.0.0.1:9000", "/", params);
  EXPECT_EQ(
      "GET127.0.0.1:9000/?Action=SendMessage&Nonce=777&RequestClient=SDK_GO_1.2.0"
      "&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1"
      "&Timestamp=1700000000&clientRequestId=42&delaySeconds=0"
      "&msgBody=hello world \xE4\xBD\xA0\xE5\xA5\xBD&queueName=q1",
      sts);
  EXPECT_EQ("faZdgP97pWTlbhQ5RtQhw2zkZaQ=", Sign(sts, kSecretKey, SignatureMethod::kHmacSHA1));
}

TEST(SigningTest, VectorV4AtPrefixedValue) {
  ParamList all = {{"Action", "BatchSendMessage"},
                   {"Nonce", "1"},
                   {"RequestClient", "SDK_Python_1.3"},
                   {"SecretId", kSecretId},
                   {"SignatureMethod", "HmacSHA1"},
                   {"Timestamp", "1700000000"},
                   {"delaySeconds", "0"},
                   {"msgBody.1", "@first"},
                   {"msgBody.2", "second"},
                   {"queueName", "q1"}};
  std::string sts_all = StringToSign("POST", "cmq.local", "/v2/index.php", all);
  EXPECT_EQ(
      "POSTcmq.local/v2/index.php?Action=BatchSendMessage&Nonce=1&RequestClient=SDK_Python_1.3"
      "&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1"
      "&Timestamp=1700000000&delaySeconds=0&msgBody.1=@first&msgBody.2=second&queueName=q1",
      sts_all);
  EXPECT_EQ("aKyuKIeg3O6wy5sjk9Jfe+pK+3U=", Sign(sts_all, kSecretKey, SignatureMethod::kHmacSHA1));

  ParamList without_at = all;
  std::erase_if(without_at, [](const Param& p) { return p.second.starts_with('@'); });
  std::string sts_python = StringToSign("POST", "cmq.local", "/v2/index.php", without_at);
  EXPECT_EQ(std::string::npos, sts_python.find("msgBody.1"));
  EXPECT_EQ("T8RSIaQ3V62ywz5kd9rzwGdCJqk=",
            Sign(sts_python, kSecretKey, SignatureMethod::kHmacSHA1));
}

TEST(SigningTest, UnderscoreInNamesBecomesDotButSortUsesOriginalNames) {
  // '.' (0x2e) sorts before '_' (0x5f): "a.z" < "a_b" on the original names, although
  // the rewritten "a.b" would sort first.
  ParamList params = {{"a_b", "1"}, {"a.z", "2"}, {"B", "x_y"}};
  EXPECT_EQ("GETh/p?B=x_y&a.z=2&a.b=1", StringToSign("GET", "h", "/p", params));
}

TEST(SigningTest, SignedName) {
  EXPECT_EQ(SignedName("msgBody_1"), "msgBody.1");
  EXPECT_EQ(SignedName("_a__b_"), ".a..b.");
  EXPECT_EQ(SignedName("queueName"), "queueName");
  EXPECT_EQ(SignedName(""), "");
  // Both spellings sign alike: one parameter to the signature.
  EXPECT_EQ(StringToSign("POST", "h", "/", {{"msgBody_1", "x"}}),
            StringToSign("POST", "h", "/", {{"msgBody.1", "x"}}));
}

TEST(SigningTest, DuplicatesKeepReceivedOrderAndNothingIsEscaped) {
  ParamList params = {{"k", "2"}, {"a", "x&y=z %"}, {"k", "1"}};
  EXPECT_EQ("POSTh/?a=x&y=z %&k=2&k=1", StringToSign("POST", "h", "/", params));
  EXPECT_EQ("POSTh/?", StringToSign("POST", "h", "/", {}));
}

TEST(SigningTest, ParseSignatureMethod) {
  EXPECT_EQ(SignatureMethod::kHmacSHA256, ParseSignatureMethod("HmacSHA256"));
  EXPECT_EQ(SignatureMethod::kHmacSHA1, ParseSignatureMethod("HmacSHA1"));
  EXPECT_EQ(SignatureMethod::kHmacSHA1, ParseSignatureMethod(""));
  EXPECT_EQ(SignatureMethod::kHmacSHA1, ParseSignatureMethod("hmacsha256"));
  EXPECT_EQ(SignatureMethod::kHmacSHA1, ParseSignatureMethod("sha256"));
}

TEST(SigningTest, HmacKnownAnswers) {
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ("de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9", Hex(HmacSha1("key", fox)));
  EXPECT_EQ("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            Hex(HmacSha256("key", fox)));
  // RFC 4231 test case 2.
  EXPECT_EQ("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Hex(HmacSha256("Jefe", "what do ya want for nothing?")));
  // RFC 2202 test case 2.
  EXPECT_EQ("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            Hex(HmacSha1("Jefe", "what do ya want for nothing?")));
  EXPECT_EQ(20u, HmacSha1("", "").size());
  EXPECT_EQ(32u, HmacSha256("", "").size());
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(encoded, Base64Encode(plain));
    Result<std::string> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(plain, *decoded);
  }
}

TEST(Base64Test, RoundTripsAllBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(255 - i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    std::string piece = all.substr(0, len);
    std::string enc = Base64Encode(piece);
    EXPECT_EQ(0u, enc.size() % 4);
    Result<std::string> dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok());
    EXPECT_EQ(piece, *dec);
  }
}

TEST(Base64Test, StrictDecodingRejectsMalformedInput) {
  for (std::string_view bad : {"Z", "Zg", "Zg=", "Zm9", "Z===", "====", "=Zm9", "Zm=v", "Zg==Zg==",
                               "Zh==", "Zm9=", "Zm9v YmFy", "Zm9v\n", "Zm9-", "Zm9_", "Zm9v!A=="}) {
    Result<std::string> r = Base64Decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(ErrorCode::kCannotParse, r.status().error());
  }
}

}  // namespace
}  // namespace cmq
