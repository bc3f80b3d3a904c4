#include "client/caller.h"

#include <gtest/gtest.h>

#include "common/form.h"
#include "common/signing.h"
#include "http/scripted_server.h"

namespace cmq::client {
namespace {

using http::HttpReply;
using http::ReceivedRequest;
using http::ScriptedReply;
using http::ScriptedServer;

constexpr char kSecretId[] = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
constexpr char kSecretKey[] = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";

Caller MakeCaller(std::string endpoint, SignatureMethod method, std::string http_method,
                  std::string request_client) {
  CallerOptions o;
  o.endpoint = std::move(endpoint);
  o.secret_id = kSecretId;
  o.secret_key = kSecretKey;
  o.signature_method = method;
  o.http_method = std::move(http_method);
  o.request_client = std::move(request_client);
  ClientResult<Caller> c = Caller::Create(o);
  if (!c.ok()) ADD_FAILURE() << c.error().ToString();
  return std::move(c).value();
}

std::string Get(const ParamList& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return "<absent>";
}

// docs/cmq-api.md 2.6, V1.
TEST(CallerSigningTest, VectorV1) {
  Caller c = MakeCaller("http://cmq-queue-gz.api.tencentyun.com/v2/index.php",
                        SignatureMethod::kHmacSHA1, "POST", "SDK_Python_1.3");
  PreparedRequest r = c.Prepare("SendMessage",
                                {{"queueName", "test1"},
                                 {"msgBody", "msg"},
                                 {"delaySeconds", "0"},
                                 {"clientRequestId", "1231231231"}},
                                1534154812, 2889712707386595659ull);
  EXPECT_EQ(r.string_to_sign,
            "POSTcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&Nonce="
            "2889712707386595659&RequestClient=SDK_Python_1.3&SecretId="
            "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1&Timestamp=1534154812&"
            "clientRequestId=1231231231&delaySeconds=0&msgBody=msg&queueName=test1");
  EXPECT_EQ(Get(r.params, "Signature"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
  // The body carries exactly the signed parameters plus Signature.
  Result<ParamList> body = DecodeForm(r.http.body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, r.params);
  EXPECT_EQ(r.http.method, "POST");
  EXPECT_EQ(r.http.target, "/v2/index.php");
}

TEST(CallerSigningTest, VectorV2) {
  Caller c = MakeCaller("http://localhost:8080/v2/index.php", SignatureMethod::kHmacSHA256,
                        "POST", "SDK_Python_1.3");
  PreparedRequest r = c.Prepare("ReceiveMessage",
                                {{"queueName", "test-queue"},
                                 {"pollingWaitSeconds", "10"},
                                 {"UserpollingWaitSeconds", "10"}},
                                1700000000, 12345);
  EXPECT_EQ(Get(r.params, "SignatureMethod"), "HmacSHA256");
  EXPECT_EQ(Get(r.params, "Signature"), "AAt+M/6cwMsRa1JImLQtIAOi2D/7IUKk4YYBCFIxHmg=");
}

TEST(CallerSigningTest, VectorV3Get) {
  Caller c = MakeCaller("http://127.0.0.1:9000", SignatureMethod::kHmacSHA1, "GET",
                        "SDK_GO_1.2.0");
  PreparedRequest r = c.Prepare("SendMessage",
                                {{"queueName", "q1"},
                                 {"msgBody", "hello world 你好"},
                                 {"delaySeconds", "0"},
                                 {"clientRequestId", "42"}},
                                1700000000, 777);
  EXPECT_EQ(Get(r.params, "Signature"), "faZdgP97pWTlbhQ5RtQhw2zkZaQ=");
  EXPECT_EQ(r.http.method, "GET");
  EXPECT_TRUE(r.http.body.empty());
  ASSERT_EQ(r.http.target.substr(0, 2), "/?");
  Result<ParamList> query = DecodeForm(r.http.target.substr(2));
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(*query, r.params);
}

TEST(CallerSigningTest, VectorV4AllParameters) {
  Caller c = MakeCaller("http://cmq.local/v2/index.php", SignatureMethod::kHmacSHA1, "POST",
                        "SDK_Python_1.3");
  PreparedRequest r = c.Prepare("BatchSendMessage",
                                {{"queueName", "q1"},
                                 {"msgBody.1", "@first"},
                                 {"msgBody.2", "second"},
                                 {"delaySeconds", "0"}},
                                1700000000, 1);
  EXPECT_EQ(Get(r.params, "Signature"), "aKyuKIeg3O6wy5sjk9Jfe+pK+3U=");
}

TEST(CallerSigningTest, GivenCommonParametersAndSignatureAreKept) {
  Caller c = MakeCaller("http://h:1", SignatureMethod::kHmacSHA256, "POST", "cmq-cpp/0.1");
  PreparedRequest r =
      c.Prepare("ListQueue", {{"Signature", "bogus"}, {"SecretId", "other"}}, 1700000000, 5);
  EXPECT_TRUE(r.string_to_sign.empty());
  EXPECT_EQ(Get(r.params, "Signature"), "bogus");
  EXPECT_EQ(Get(r.params, "SecretId"), "other");
  EXPECT_EQ(Get(r.params, "RequestClient"), "cmq-cpp/0.1");
  int secret_ids = 0;
  for (const auto& p : r.params) secret_ids += p.first == "SecretId";
  EXPECT_EQ(secret_ids, 1);
}

TEST(CallerTest, CreateRejectsBadOptions) {
  CallerOptions o;
  o.endpoint = "ftp://h";
  EXPECT_EQ(Caller::Create(o).error().kind, ErrorKind::kInvalidArgument);
  o.endpoint = "https://h";
  o.ca_file = "/nonexistent/ca.pem";
  ClientResult<Caller> no_ca = Caller::Create(o);
  ASSERT_FALSE(no_ca.ok());
  EXPECT_EQ(no_ca.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(no_ca.error().message.find("/nonexistent/ca.pem"), std::string::npos);
  o.endpoint = "http://h";
  o.http_method = "PUT";
  EXPECT_EQ(Caller::Create(o).error().kind, ErrorKind::kInvalidArgument);
  o.http_method = "GET";
  o.read_timeout_ms = 0;
  EXPECT_EQ(Caller::Create(o).error().kind, ErrorKind::kInvalidArgument);
}

// A server that checks the signature the way section 2.4 describes (Host header + raw
// path) and answers with a canned body.
ScriptedReply VerifyAndAnswer(const ReceivedRequest& req, std::string_view answer) {
  std::string_view target = req.target;
  std::string path(target.substr(0, target.find('?')));
  std::string form = req.method == "GET" ? std::string(target.substr(path.size() + 1)) : req.body;
  Result<ParamList> params = DecodeForm(form);
  if (!params.ok()) return ScriptedReply{HttpReply(200, R"({"code":4000,"message":"bad form"})")};
  ParamList signed_params;
  std::string signature;
  SignatureMethod method = SignatureMethod::kHmacSHA1;
  for (const auto& p : *params) {
    if (p.first == "Signature") {
      signature = p.second;
    } else {
      signed_params.push_back(p);
    }
    if (p.first == "SignatureMethod") method = ParseSignatureMethod(p.second);
  }
  std::string expected =
      Sign(StringToSign(req.method, req.HeaderOr("host"), path, signed_params), kSecretKey, method);
  if (expected != signature) {
    return ScriptedReply{HttpReply(
        200, R"({"code":4100,"message":"(10030)authentication failed","requestId":"9"})")};
  }
  return ScriptedReply{HttpReply(200, answer)};
}

TEST(CallerTest, SignedPostCallSucceeds) {
  ScriptedServer server([](const ReceivedRequest& req) {
    return VerifyAndAnswer(
        req, R"({"code":0,"message":"","codeDesc":"Success","requestId":"1","msgId":"m1"})");
  });
  Caller c = MakeCaller("http://127.0.0.1:" + std::to_string(server.port()) + "/v2/index.php",
                        SignatureMethod::kHmacSHA256, "POST", "cmq-cpp/0.1");
  for (int i = 0; i < 2; ++i) {
    ClientResult<JsonValue> r =
        c.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "a b+c&d=é"}});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    ASSERT_NE(r->Find("msgId"), nullptr);
    EXPECT_EQ(r->Find("msgId")->as_string(), "m1");
  }
  EXPECT_EQ(c.connection().connects(), 1u);
  std::vector<ReceivedRequest> reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  Result<ParamList> params = DecodeForm(reqs[0].body);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(Get(*params, "Action"), "SendMessage");
  EXPECT_EQ(Get(*params, "msgBody"), "a b+c&d=é");
  EXPECT_EQ(Get(*params, "SecretId"), kSecretId);
  EXPECT_EQ(Get(*params, "RequestClient"), "cmq-cpp/0.1");
  EXPECT_NE(Get(*params, "Nonce"), "<absent>");
  EXPECT_NE(Get(*params, "Timestamp"), "<absent>");
  EXPECT_EQ(reqs[0].HeaderOr("content-type"), "application/x-www-form-urlencoded");
}

TEST(CallerTest, SignedGetCallSucceeds) {
  ScriptedServer server([](const ReceivedRequest& req) {
    return VerifyAndAnswer(req, R"({"code":0,"message":"","requestId":"1","queueList":[]})");
  });
  Caller c = MakeCaller("http://localhost:" + std::to_string(server.port()),
                        SignatureMethod::kHmacSHA1, "GET", "cmq-cpp/0.1");
  ClientResult<JsonValue> r = c.Call("ListQueue", {{"searchWord", "x y"}});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(r->Find("queueList")->is_array());
  EXPECT_EQ(server.requests()[0].method, "GET");
}

TEST(CallerTest, ServerErrorCarriesCodeMessageAndRequestId) {
  ScriptedServer server([](const ReceivedRequest& req) {
    return VerifyAndAnswer(
        req, R"({"code":4440,"message":"(10100)queue is not existed, or deleted","requestId":"17"})");
  });
  Caller c = MakeCaller("http://127.0.0.1:" + std::to_string(server.port()),
                        SignatureMethod::kHmacSHA256, "POST", "cmq-cpp/0.1");
  ClientResult<JsonValue> r = c.Call("ReceiveMessage", {{"queueName", "nope"}}, 1000);
  ASSERT_FALSE(r.ok());
  const Error& e = r.error();
  EXPECT_EQ(e.kind, ErrorKind::kServer);
  EXPECT_EQ(e.code, 4440);
  EXPECT_EQ(e.module_code, 10100);
  EXPECT_EQ(e.message, "(10100)queue is not existed, or deleted");
  EXPECT_EQ(e.request_id, "17");
  EXPECT_FALSE(e.is_no_message());
  EXPECT_FALSE(e.outcome_unknown());
  EXPECT_TRUE(e.response.is_object());
  EXPECT_EQ(e.ToString(),
            "server error 4440 (10100)queue is not existed, or deleted [requestId 17]");
}

TEST(CallerTest, WrongKeyIsRejectedByVerifyingServer) {
  ScriptedServer server(
      [](const ReceivedRequest& req) { return VerifyAndAnswer(req, R"({"code":0})"); });
  CallerOptions o;
  o.endpoint = "http://127.0.0.1:" + std::to_string(server.port());
  o.secret_id = kSecretId;
  o.secret_key = "wrong";
  Caller c = std::move(Caller::Create(o)).value();
  ClientResult<JsonValue> r = c.Call("ListQueue", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 4100);
  EXPECT_EQ(r.error().module_code, 10030);
}

TEST(CallerTest, ParseResponseClassifiesFailures) {
  HttpResponse resp;
  resp.status = 200;
  resp.body = R"({"code":7000,"message":"(10200)no message","requestId":123})";
  ClientResult<JsonValue> r = Caller::ParseResponse(resp);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is_no_message());
  EXPECT_EQ(r.error().request_id, "123");

  resp.body = "<html>oops</html>";
  EXPECT_EQ(Caller::ParseResponse(resp).error().kind, ErrorKind::kBadResponse);
  resp.body = "[1]";
  EXPECT_EQ(Caller::ParseResponse(resp).error().kind, ErrorKind::kBadResponse);
  resp.body = R"({"code":"0"})";
  EXPECT_EQ(Caller::ParseResponse(resp).error().kind, ErrorKind::kBadResponse);
  resp.body = R"({"code":1.5})";
  EXPECT_EQ(Caller::ParseResponse(resp).error().kind, ErrorKind::kBadResponse);
  resp.body = R"({"message":""})";
  EXPECT_EQ(Caller::ParseResponse(resp).error().kind, ErrorKind::kBadResponse);

  resp.status = 502;
  resp.reason = "Bad Gateway";
  resp.body = "upstream down";
  r = Caller::ParseResponse(resp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kHttpStatus);
  EXPECT_EQ(r.error().code, 502);
  EXPECT_TRUE(r.error().outcome_unknown());
  EXPECT_NE(r.error().ToString().find("upstream down"), std::string::npos);
}

}  // namespace
}  // namespace cmq::client
