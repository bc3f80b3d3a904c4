// The console's routing, login, sessions and CSRF guard over a real Api and Broker
// (the api's in-process fixture): no sockets.
#include "console/console.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "api/api_test_fixture.h"
#include "common/form.h"
#include "common/signing.h"
#include "console/request_checks.h"

namespace cmq::console {
namespace {

using api::kAccount;
using api::kSecretId;
using api::kSecretKey;

constexpr char kOtherSecretId[] = "AKIDotheraccount000000000000000";
constexpr char kOtherSecretKey[] = "other-account-secret-key-000000";

// Stands in for the daemon of a standby: while `elsewhere`, another node runs the
// calls, and the test gives its answers.
struct ElsewhereRouting : CallRouting {
  std::function<void()> Forward(const SignedCall& sign, std::chrono::steady_clock::time_point,
                                Done done) override {
    if (!elsewhere) return {};
    sent.push_back(sign("10.0.0.2:8080"));
    answer = std::move(done);
    return [this] { ++cancelled; };
  }
  // "client action code" of each answer this node gave.
  void Answered(const std::string& client, const api::AnswerSummary& summary,
                std::chrono::steady_clock::time_point) override {
    answered.push_back(client + " " + std::string(summary.action) + " " +
                       std::to_string(summary.code));
  }
  bool elsewhere = true;
  std::vector<std::string> answered;
  std::vector<http::Request> sent;
  Done answer;
  int cancelled = 0;
};

class ConsoleTest : public api::ApiTest {
 protected:
  ConsoleTest() {
    EXPECT_TRUE(keys_->Add({kOtherSecretId, kOtherSecretKey, kAccount + 1, true}).ok());
    console_ = std::make_unique<Console>(
        api_.get(), keys_.get(), &clock_,
        ConsoleOptions{.sessions = {.idle_timeout_ms = 60000, .max_sessions = 10}});
  }

  // Hands the request to the console; the answer appears in the result when given.
  // `on_cancel` gets what the console set to run should the browser leave.
  std::shared_ptr<std::optional<http::Response>> Begin(
      const std::string& method, const std::string& path, const std::string& body = "",
      std::vector<std::pair<std::string, std::string>> headers = {},
      std::function<void()>* on_cancel = nullptr) {
    http::Request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.host = "127.0.0.1:8081";
    r.peer = peer_;
    r.body = body;
    r.headers = std::move(headers);
    auto answer = std::make_shared<std::optional<http::Response>>();
    console_->Handle(
        r, [answer](http::Response response) { *answer = std::move(response); },
        [on_cancel](std::function<void()> cancel) {
          if (on_cancel != nullptr) *on_cancel = std::move(cancel);
        });
    return answer;
  }

  http::Response Send(const std::string& method, const std::string& path,
                      const std::string& body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto answer = Begin(method, path, body, std::move(headers));
    Settle([&] { return answer->has_value(); });
    EXPECT_TRUE(answer->has_value()) << method << " " << path << ": no answer";
    return answer->value_or(http::Response{});
  }

  static std::string HeaderOf(const http::Response& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }
  static JsonValue Json(const http::Response& r) {
    Result<JsonValue> v = ParseJson(r.body);
    return v.ok() ? *v : JsonValue();
  }

  struct Login {
    std::string cookie;  // "cmq_session=..."
    std::string token;
  };
  Login LogIn(const std::string& id = kSecretId, const std::string& key = kSecretKey) {
    http::Response r =
        Send("POST", "/console/login", EncodeForm({{"secretId", id}, {"secretKey", key}}));
    EXPECT_EQ(r.status, 200) << r.body;
    std::string set_cookie = HeaderOf(r, "Set-Cookie");
    return {set_cookie.substr(0, set_cookie.find(';')), Str(Json(r), "csrfToken")};
  }
  http::Response ApiCall(const Login& login, ParamList params,
                         std::vector<std::pair<std::string, std::string>> extra = {}) {
    return Send("POST", "/console/api", EncodeForm(params), ApiHeaders(login, std::move(extra)));
  }
  static std::vector<std::pair<std::string, std::string>> ApiHeaders(
      const Login& login, std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> headers = {{"cookie", login.cookie},
                                                                {"x-csrf-token", login.token}};
    headers.insert(headers.end(), extra.begin(), extra.end());
    return headers;
  }
  void UseRouting(CallRouting* routing) {
    console_ = std::make_unique<Console>(
        api_.get(), keys_.get(), &clock_,
        ConsoleOptions{.sessions = {.idle_timeout_ms = 60000, .max_sessions = 10},
                       .routing = routing});
  }

  std::unique_ptr<Console> console_;
  std::string peer_ = "127.0.0.1:5000";  // the browser's address
};

TEST_F(ConsoleTest, LoginSetsAStrictHttpOnlyCookieAndGivesTheToken) {
  http::Response r = Send("POST", "/console/login",
                          EncodeForm({{"secretId", kSecretId}, {"secretKey", kSecretKey}}));
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie = HeaderOf(r, "Set-Cookie");
  EXPECT_TRUE(cookie.starts_with("cmq_session=")) << cookie;
  EXPECT_NE(cookie.find("; Path=/console"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;  // plain HTTP listener
  EXPECT_EQ(cookie.find(';') - strlen("cmq_session="), 32u) << cookie;
  JsonValue v = Json(r);
  EXPECT_EQ(Str(v, "secretId"), kSecretId);
  EXPECT_EQ(Str(v, "csrfToken").size(), 32u);
  EXPECT_EQ(console_->sessions(), 1u);
}

TEST_F(ConsoleTest, SecureCookieWhenTheListenerIsTls) {
  console_ =
      std::make_unique<Console>(api_.get(), keys_.get(), &clock_, ConsoleOptions{.sessions = {}, .https = true});
  http::Response r = Send("POST", "/console/login",
                          EncodeForm({{"secretId", kSecretId}, {"secretKey", kSecretKey}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(HeaderOf(r, "Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(ConsoleTest, WrongKeyUnknownIdAndCrossOriginLoginAreRefused) {
  for (const ParamList& form : std::vector<ParamList>{
           {{"secretId", kSecretId}, {"secretKey", "wrong"}},
           {{"secretId", kSecretId}, {"secretKey", std::string(kSecretKey) + "x"}},
           {{"secretId", "AKIDnosuchkey"}, {"secretKey", kSecretKey}},
           {{"secretId", kSecretId}},
           {}}) {
    http::Response r = Send("POST", "/console/login", EncodeForm(form));
    EXPECT_EQ(r.status, 401) << EncodeForm(form);
    EXPECT_EQ(Str(Json(r), "error"), "wrong SecretId or SecretKey");
    EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "");
  }
  http::Response cross = Send("POST", "/console/login",
                              EncodeForm({{"secretId", kSecretId}, {"secretKey", kSecretKey}}),
                              {{"origin", "http://evil.example"}});
  EXPECT_EQ(cross.status, 403);
  EXPECT_EQ(console_->sessions(), 0u);
}

TEST_F(ConsoleTest, PagesRedirectToTheLoginWithoutASession) {
  for (const char* page : {"/console/", "/console/queue", "/console/topic", "/console/trace"}) {
    http::Response r = Send("GET", page);
    EXPECT_EQ(r.status, 302) << page;
    EXPECT_EQ(HeaderOf(r, "Location"), "/console/login") << page;
    r = Send("GET", page, "", {{"cookie", "cmq_session=0123456789abcdef0123456789abcdef"}});
    EXPECT_EQ(r.status, 302) << page;
  }
  Login login = LogIn();
  for (const char* page : {"/console/", "/console/queue", "/console/topic", "/console/trace"}) {
    http::Response r = Send("GET", page, "", {{"cookie", login.cookie}});
    EXPECT_EQ(r.status, 200) << page;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << page;
    EXPECT_NE(r.body.find("<html"), std::string::npos) << page;
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-store");
    EXPECT_FALSE(HeaderOf(r, "Content-Security-Policy").empty());
  }
  EXPECT_EQ(Send("GET", "/").status, 302);
  EXPECT_EQ(HeaderOf(Send("GET", "/console"), "Location"), "/console/");
  EXPECT_EQ(Send("GET", "/console/login").status, 200);
  EXPECT_EQ(Send("GET", "/console/static/console.js").status, 200);
  // Pages only at their own path, behind the session check.
  EXPECT_EQ(Send("GET", "/console/static/overview.html").status, 404);
  EXPECT_EQ(Send("GET", "/console/static/nothing.js").status, 404);
  EXPECT_EQ(Send("GET", "/console/nothing").status, 404);
}

TEST_F(ConsoleTest, ApiNeedsTheSessionAndItsTokenAndAnswersAsTheApi) {
  Login login = LogIn();
  ParamList create = {{"Action", "CreateQueue"}, {"queueName", "c1"}};
  // No session: 401, whatever else is right.
  http::Response r =
      Send("POST", "/console/api", EncodeForm(create), {{"x-csrf-token", login.token}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Str(Json(r), "error"), "login required");
  EXPECT_EQ(Send("GET", "/console/session").status, 401);
  // A session without its token, or with another, or from another origin: 403.
  EXPECT_EQ(Send("POST", "/console/api", EncodeForm(create), {{"cookie", login.cookie}}).status,
            403);
  Login other = LogIn();
  EXPECT_EQ(ApiCall({login.cookie, other.token}, create).status, 403);
  EXPECT_EQ(ApiCall(login, create, {{"origin", "http://evil.example"}}).status, 403);
  EXPECT_EQ(ApiCall(login, create, {{"sec-fetch-site", "cross-site"}}).status, 403);
  // Nothing was created by any of them.
  EXPECT_EQ(
      Json(ApiCall(login, {{"Action", "ListQueue"}})).Find("totalCount")->as_int().value_or(-1), 0);

  r = ApiCall(login, create,
              {{"origin", "http://127.0.0.1:8081"}, {"sec-fetch-site", "same-origin"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Code(Json(r)), 0) << r.body;
  // The api's own errors, as the API port gives them.
  r = ApiCall(login, create);
  EXPECT_EQ(Code(Json(r)), 4460) << r.body;
  // The signed entry sees the same queue.
  EXPECT_EQ(Code(Call("GetQueueAttributes", {{"queueName", "c1"}})), 0);
  // The session's page data.
  r = Send("GET", "/console/session", "", {{"cookie", login.cookie}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Str(Json(r), "csrfToken"), login.token);
  // GET is not how the api is called.
  EXPECT_EQ(Send("GET", "/console/api", "", {{"cookie", login.cookie}}).status, 405);
}

TEST_F(ConsoleTest, AnAccountSeesOnlyItsOwnQueues) {
  Login mine = LogIn();
  Login theirs = LogIn(kOtherSecretId, kOtherSecretKey);
  EXPECT_EQ(Code(Json(ApiCall(mine, {{"Action", "CreateQueue"}, {"queueName", "mine"}}))), 0);
  JsonValue list = Json(ApiCall(theirs, {{"Action", "ListQueue"}}));
  EXPECT_EQ(list.Find("totalCount")->as_int().value_or(-1), 0);
  EXPECT_EQ(Code(Json(ApiCall(theirs, {{"Action", "GetQueueAttributes"}, {"queueName", "mine"}}))),
            4440);
  EXPECT_EQ(Code(Json(ApiCall(theirs, {{"Action", "DeleteQueue"}, {"queueName", "mine"}}))), 4440);
  EXPECT_EQ(Code(Json(ApiCall(mine, {{"Action", "GetQueueAttributes"}, {"queueName", "mine"}}))),
            0);
}

TEST_F(ConsoleTest, LogoutAndIdleExpiryEndTheSession) {
  Login login = LogIn();
  ParamList list = {{"Action", "ListQueue"}};
  EXPECT_EQ(Send("POST", "/console/logout", "", {{"cookie", login.cookie}}).status, 403);
  http::Response out = Send("POST", "/console/logout", "",
                            {{"cookie", login.cookie}, {"x-csrf-token", login.token}});
  EXPECT_EQ(out.status, 200);
  EXPECT_NE(HeaderOf(out, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(ApiCall(login, list).status, 401);
  EXPECT_EQ(Send("GET", "/console/", "", {{"cookie", login.cookie}}).status, 302);

  login = LogIn();
  clock_.Advance(59999);
  EXPECT_EQ(ApiCall(login, list).status, 200);
  clock_.Advance(59999);
  EXPECT_EQ(ApiCall(login, list).status, 200);
  clock_.Advance(60000);
  EXPECT_EQ(ApiCall(login, list).status, 401);
}

TEST_F(ConsoleTest, ACallAnotherNodeRunsGoesThereSignedWithTheSessionsKeyPair) {
  ElsewhereRouting routing;
  UseRouting(&routing);
  Login login = LogIn();
  // What the browser says of signing is not passed on: the session's account signs.
  ParamList form = {{"Action", "SendMessage"},    {"queueName", "q"},      {"msgBody", "a b&c=d%"},
                    {"SecretId", kOtherSecretId}, {"Signature", "forged"}, {"Nonce", "1"}};
  auto answer = Begin("POST", "/console/api", EncodeForm(form), ApiHeaders(login));
  ASSERT_EQ(routing.sent.size(), 1u);
  EXPECT_FALSE(answer->has_value());
  const http::Request& sent = routing.sent[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.path, "/");
  EXPECT_EQ(sent.host, "10.0.0.2:8080");
  EXPECT_EQ(sent.peer, "127.0.0.1:5000");  // the browser's, for X-Forwarded-For
  // No cookie, no CSRF token: only what a form needs.
  ASSERT_EQ(sent.headers.size(), 1u);
  EXPECT_EQ(sent.headers[0].first, "content-type");
  Result<ParamList> params = DecodeForm(sent.body);
  ASSERT_TRUE(params.ok());
  Result<auth::Verified> verified = auth::Verify(
      *keys_, {sent.method, sent.host, sent.path, &*params}, clock_.NowMs() / 1000, {});
  ASSERT_TRUE(verified.ok()) << verified.status().ToString() << " " << sent.body;
  EXPECT_EQ(verified->account, kAccount);
  EXPECT_TRUE(verified->unsigned_params.empty());
  EXPECT_EQ(*FindParam(*params, "SecretId"), kSecretId);
  EXPECT_EQ(*FindParam(*params, "SignatureMethod"), "HmacSHA256");
  EXPECT_EQ(*FindParam(*params, "msgBody"), "a b&c=d%");
  EXPECT_NE(*FindParam(*params, "Signature"), "forged");
  // The other node's answer is the console's.
  routing.answer(std::string("{\"code\":0,\"msgId\":\"7\"}"));
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->status, 200);
  EXPECT_EQ((*answer)->body, "{\"code\":0,\"msgId\":\"7\"}");

  // Unreachable: the api here answers, as the API port does: a node that does not serve
  // the partition gives the retryable "not serving".
  api_->SetBroker(nullptr);
  answer = Begin("POST", "/console/api", EncodeForm({{"Action", "ListQueue"}}), ApiHeaders(login));
  ASSERT_EQ(routing.sent.size(), 2u);
  routing.answer(Status(ErrorCode::kStorageUnavailable, "no answer"));
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(Code(Json(**answer)), 6000) << (*answer)->body;
  api_->SetBroker(broker_.get());

  // The browser leaves: the forward is abandoned.
  std::function<void()> on_cancel;
  answer = Begin("POST", "/console/api", EncodeForm({{"Action", "ListQueue"}}), ApiHeaders(login),
                 &on_cancel);
  ASSERT_TRUE(on_cancel);
  on_cancel();
  EXPECT_EQ(routing.cancelled, 1);

  // Once this node runs the calls, nothing more goes elsewhere.
  routing.elsewhere = false;
  EXPECT_EQ(Code(Json(ApiCall(login, {{"Action", "ListQueue"}}))), 0);
  EXPECT_EQ(routing.sent.size(), 3u);
  // The access lines of what this node answered: the login, the call it answered
  // after the failed forward, the last one (a forwarded call's is the daemon's).
  EXPECT_EQ(routing.answered, (std::vector<std::string>{"127.0.0.1:5000 ConsoleLogin 0",
                                                        "127.0.0.1:5000 ListQueue 6000",
                                                        "127.0.0.1:5000 ListQueue 0"}));
}

TEST_F(ConsoleTest, LoginsHaveAccessLinesWithTheirOutcome) {
  ElsewhereRouting routing;
  UseRouting(&routing);
  Send("POST", "/console/login", EncodeForm({{"secretId", kSecretId}, {"secretKey", "wrong"}}));
  Send("POST", "/console/login", EncodeForm({{"secretId", "AKIDnobody"}, {"secretKey", "x"}}));
  LogIn();
  EXPECT_EQ(routing.answered, (std::vector<std::string>{"127.0.0.1:5000 ConsoleLogin 4100",
                                                        "127.0.0.1:5000 ConsoleLogin 4100",
                                                        "127.0.0.1:5000 ConsoleLogin 0"}));
}

TEST_F(ConsoleTest, TooManyFailedLoginsFromOneAddressAreAnsweredWith429UntilTheWindowPasses) {
  ElsewhereRouting routing;  // for the access lines; the calls run here
  routing.elsewhere = false;
  UseRouting(&routing);
  std::string wrong = EncodeForm({{"secretId", kSecretId}, {"secretKey", "wrong"}});
  for (int i = 0; i < 10; ++i) {
    peer_ = "10.0.0.7:" + std::to_string(40000 + i);  // a new connection each time
    EXPECT_EQ(Send("POST", "/console/login", wrong).status, 401) << i;
    clock_.Advance(1000);
  }
  // The eleventh, even with the right key: refused, saying when to come back (the
  // window started with the first failure, ten seconds ago).
  http::Response r = Send("POST", "/console/login",
                          EncodeForm({{"secretId", kSecretId}, {"secretKey", kSecretKey}}));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(HeaderOf(r, "Retry-After"), "290");
  EXPECT_EQ(Json(r).Find("retryAfterSeconds")->as_int().value_or(-1), 290);
  EXPECT_NE(Str(Json(r), "error").find("too many failed logins"), std::string::npos) << r.body;
  EXPECT_EQ(HeaderOf(r, "Set-Cookie"), "");
  EXPECT_EQ(routing.answered.back(), "10.0.0.7:40009 ConsoleLogin 4420");
  // Another address logs in, and its success lifts nothing for the first.
  peer_ = "10.0.0.8:5000";
  Login other = LogIn();
  EXPECT_FALSE(other.cookie.empty());
  peer_ = "10.0.0.7:5000";
  EXPECT_EQ(Send("POST", "/console/login", wrong).status, 429);
  // Sessions are not limited, only logins.
  EXPECT_EQ(ApiCall(other, {{"Action", "ListQueue"}}).status, 200);
  // The window passes: the address may try again.
  clock_.Advance(290 * 1000 - 1);
  EXPECT_EQ(Send("POST", "/console/login", wrong).status, 429);
  clock_.Advance(1);
  EXPECT_FALSE(LogIn().cookie.empty());
}

}  // namespace
}  // namespace cmq::console
