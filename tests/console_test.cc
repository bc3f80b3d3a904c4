// The web console's endpoints on the real cmqd's admin listener, without a browser
// (tests/browser/console_test.py drives the pages in headless Chromium): login and
// its failures, the session cookie, the CSRF guard, and the CMQ actions run as the
// session's account by the same handlers as the API port.
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/admin_scrape.h"
#include "support/blackbox.h"
#include "support/console_session.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace cmq::testing {
namespace {

constexpr char kOtherSecretId[] = "AKIDconsoleother000000000000000";
constexpr char kOtherSecretKey[] = "console-other-secret-key-000000";
constexpr uint64_t kOtherAppId = 1300000000;

using Headers = std::vector<std::string>;

// A cmqd whose config adds a second account (kOtherSecretId), with an access log.
class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(config_dir_.path() + "/cmqd.conf")
        << "access_log = " << access_log_ << "\n[account]\napp_id = " << kOtherAppId
        << "\nsecret_id = " << kOtherSecretId << "\nsecret_key = " << kOtherSecretKey << "\n";
    server_.emplace(std::vector<std::string>{"--config", config_dir_.path() + "/cmqd.conf"});
    ASSERT_TRUE(server_->Start()) << server_->process().output();
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->process().Terminate(), 0) << server_->process().output();
    }
  }

  // One request on a fresh connection to the admin listener.
  HttpResponse Request(const std::string& method, const std::string& path,
                       const Headers& headers = {}, const std::string& body = "") {
    ClientResult<HttpResponse> r = AdminRequest(server_->process(), method, path, headers, body);
    EXPECT_TRUE(r.ok()) << method << " " << path;
    return r.ok() ? *r : HttpResponse{};
  }

  static JsonValue Json(const HttpResponse& r) {
    Result<JsonValue> v = ParseJson(r.body);
    return v.ok() ? *v : JsonValue();
  }

  using Session = ConsoleSession;
  Session LogIn(const std::string& id = CmqdProcess::kSecretId,
                const std::string& key = CmqdProcess::kSecretKey) {
    Session session = ConsoleLogIn(server_->process(), id, key);
    EXPECT_FALSE(session.cookie.empty()) << "login refused";
    return session;
  }
  // A CMQ action through the console as `session`; the parsed CMQ answer.
  JsonValue Action(const Session& session, ParamList params, Headers extra = {}) {
    return ConsoleAction(server_->process(), session, params, std::move(extra), &last_body_);
  }

  TempDir config_dir_;
  std::string access_log_ = config_dir_.path() + "/access.log";
  std::optional<TestServer> server_;
  std::string last_body_;  // of the last Action, for failure messages
};

TEST_F(ConsoleTest, EveryPageAndCallNeedsALogin) {
  for (const char* page :
       {"/console/", "/console/queue?name=q", "/console/topic?name=t", "/console/trace"}) {
    HttpResponse r = Request("GET", page);
    EXPECT_EQ(r.status, 302) << page;
    ASSERT_NE(r.Header("location"), nullptr) << page;
    EXPECT_EQ(*r.Header("location"), "/console/login") << page;
  }
  EXPECT_EQ(*Request("GET", "/").Header("location"), "/console/");
  EXPECT_EQ(Request("GET", "/console/login").status, 200);
  EXPECT_EQ(Request("GET", "/console/session").status, 401);
  EXPECT_EQ(Request("POST", "/console/logout").status, 401);
  HttpResponse api =
      Request("POST", "/console/api", {"X-CSRF-Token: x"}, EncodeForm({{"Action", "ListQueue"}}));
  EXPECT_EQ(api.status, 401);
  EXPECT_EQ(StrField(Json(api), "error"), "login required");
  // A made-up session is no session.
  EXPECT_EQ(Request("POST", "/console/api",
                    {"Cookie: cmq_session=00000000000000000000000000000000", "X-CSRF-Token: x"},
                    EncodeForm({{"Action", "ListQueue"}}))
                .status,
            401);
  // The admin endpoints are still there, and say where the console is.
  EXPECT_EQ(Request("GET", "/healthz").status, 200);
  EXPECT_NE(Request("GET", "/nothing").body.find("/console/"), std::string::npos);
}

TEST_F(ConsoleTest, WrongKeyIsRefusedAndLoggedWithoutTheKey) {
  HttpResponse r = Request(
      "POST", "/console/login", {},
      EncodeForm({{"secretId", CmqdProcess::kSecretId}, {"secretKey", "not-the-key-0123456789"}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(StrField(Json(r), "error"), "wrong SecretId or SecretKey");
  EXPECT_EQ(r.Header("set-cookie"), nullptr);
  CmqdProcess& cmqd = server_->process();
  EXPECT_TRUE(Eventually([&] { return cmqd.output().find("ConsoleLogin") != std::string::npos; }))
      << cmqd.output();
  std::string out = cmqd.output();
  size_t line_at = out.rfind('\n', out.find("ConsoleLogin"));
  std::string line = out.substr(line_at + 1, out.find('\n', line_at + 1) - line_at - 1);
  EXPECT_NE(line.find("authentication failed"), std::string::npos) << line;
  EXPECT_NE(line.find(CmqdProcess::kSecretId), std::string::npos) << line;
  EXPECT_EQ(out.find("not-the-key-0123456789"), std::string::npos) << out;
  // The tenth failure from this address closes it to logins for a while, the right key
  // included.
  std::string wrong =
      EncodeForm({{"secretId", CmqdProcess::kSecretId}, {"secretKey", "not-the-key-0123456789"}});
  for (int i = 0; i < 9; ++i) EXPECT_EQ(Request("POST", "/console/login", {}, wrong).status, 401);
  HttpResponse limited = Request(
      "POST", "/console/login", {},
      EncodeForm({{"secretId", CmqdProcess::kSecretId}, {"secretKey", CmqdProcess::kSecretKey}}));
  EXPECT_EQ(limited.status, 429) << limited.body;
  ASSERT_NE(limited.Header("retry-after"), nullptr);
  EXPECT_GT(IntField(Json(limited), "retryAfterSeconds"), 0) << limited.body;
}

TEST_F(ConsoleTest, TheConsoleRunsTheApiAsTheSessionsAccount) {
  Session session = LogIn();
  JsonValue created = Action(session, {{"Action", "CreateQueue"}, {"queueName", "console-q"}});
  ASSERT_EQ(IntField(created, "code"), 0) << last_body_;
  // Sent through the signed API port: the console sees the counter change.
  Caller caller = server_->NewCaller();
  ASSERT_TRUE(IsSuccess(
      caller.Call("SendMessage", {{"queueName", "console-q"}, {"msgBody", "hello console"}})));
  JsonValue attributes =
      Action(session, {{"Action", "GetQueueAttributes"}, {"queueName", "console-q"}});
  EXPECT_EQ(IntField(attributes, "activeMsgNum"), 1) << last_body_;
  EXPECT_EQ(IntField(attributes, "msgSentTotal"), 1) << last_body_;
  JsonValue peeked = Action(session, {{"Action", "PeekMessage"}, {"queueName", "console-q"}});
  ASSERT_EQ(ArrayField(peeked, "msgInfoList").size(), 1u) << last_body_;
  JsonValue received = Action(
      session,
      {{"Action", "ReceiveMessage"}, {"queueName", "console-q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_EQ(IntField(received, "code"), 0) << last_body_;
  EXPECT_EQ(StrField(received, "msgBody"), "hello console");
  JsonValue deleted = Action(session, {{"Action", "DeleteMessage"},
                                       {"queueName", "console-q"},
                                       {"receiptHandle", StrField(received, "receiptHandle")}});
  EXPECT_EQ(IntField(deleted, "code"), 0) << last_body_;
  ClientResult<JsonValue> after = caller.Call("GetQueueAttributes", {{"queueName", "console-q"}});
  ASSERT_TRUE(IsSuccess(after));
  EXPECT_EQ(IntField(*after, "activeMsgNum"), 0);
  EXPECT_EQ(IntField(*after, "inactiveMsgNum"), 0);
  EXPECT_EQ(IntField(*after, "msgDeletedTotal"), 1);
  // The api's own errors, as the API port answers them.
  JsonValue again = Action(session, {{"Action", "CreateQueue"}, {"queueName", "console-q"}});
  EXPECT_EQ(IntField(again, "code"), 4460) << last_body_;
  JsonValue unknown = Action(session, {{"Action", "NoSuchAction"}});
  EXPECT_EQ(IntField(unknown, "code"), 4000) << last_body_;
}

TEST_F(ConsoleTest, OneAccountCannotSeeAnothersQueues) {
  Session mine = LogIn();
  Session theirs = LogIn(kOtherSecretId, kOtherSecretKey);
  ASSERT_EQ(IntField(Action(mine, {{"Action", "CreateQueue"}, {"queueName", "private-q"}}), "code"),
            0);
  JsonValue list = Action(theirs, {{"Action", "ListQueue"}});
  EXPECT_EQ(IntField(list, "totalCount"), 0) << last_body_;
  EXPECT_EQ(IntField(Action(theirs, {{"Action", "GetQueueAttributes"}, {"queueName", "private-q"}}),
                     "code"),
            4440);
  EXPECT_EQ(
      IntField(
          Action(theirs, {{"Action", "SendMessage"}, {"queueName", "private-q"}, {"msgBody", "x"}}),
          "code"),
      4440);
  HttpResponse who = Request("GET", "/console/session", {theirs.cookie});
  EXPECT_EQ(StrField(Json(who), "secretId"), kOtherSecretId);
  EXPECT_EQ(IntField(Json(who), "appId"), static_cast<int64_t>(kOtherAppId));
  EXPECT_EQ(IntField(Action(mine, {{"Action", "ListQueue"}}), "totalCount"), 1);
}

TEST_F(ConsoleTest, CsrfAndCrossOriginRequestsAreRefused) {
  Session session = LogIn();
  std::string create = EncodeForm({{"Action", "CreateQueue"}, {"queueName", "csrf-q"}});
  HttpResponse no_token = Request("POST", "/console/api", {session.cookie}, create);
  EXPECT_EQ(no_token.status, 403);
  HttpResponse wrong = Request("POST", "/console/api",
                               {session.cookie, "X-CSRF-Token: " + std::string(32, '0')}, create);
  EXPECT_EQ(wrong.status, 403);
  HttpResponse cross =
      Request("POST", "/console/api",
              {session.cookie, session.token, "Origin: http://evil.example"}, create);
  EXPECT_EQ(cross.status, 403);
  HttpResponse site =
      Request("POST", "/console/api", {session.cookie, session.token, "Sec-Fetch-Site: cross-site"},
              create);
  EXPECT_EQ(site.status, 403);
  EXPECT_EQ(Request("POST", "/console/logout", {session.cookie}).status, 403);
  // None of them did anything.
  EXPECT_EQ(IntField(Action(session, {{"Action", "ListQueue"}}), "totalCount"), 0);
  // The same request from the console's own origin passes.
  JsonValue ok = Action(session, {{"Action", "CreateQueue"}, {"queueName", "csrf-q"}},
                        {"Origin: http://127.0.0.1", "Sec-Fetch-Site: same-origin"});
  EXPECT_EQ(IntField(ok, "code"), 0) << last_body_;
  // After logout the session is gone.
  EXPECT_EQ(Request("POST", "/console/logout", {session.cookie, session.token}).status, 200);
  EXPECT_EQ(Request("GET", "/console/session", {session.cookie}).status, 401);
}

TEST_F(ConsoleTest, ConsoleCallsAndLoginsHaveAccessLinesMarkedAsTheConsoles) {
  EXPECT_EQ(Request("POST", "/console/login", {},
                    EncodeForm({{"secretId", CmqdProcess::kSecretId}, {"secretKey", "wrong"}}))
                .status,
            401);
  Session session = LogIn();
  ASSERT_EQ(IntField(Action(session, {{"Action", "CreateQueue"}, {"queueName", "logged"}}), "code"),
            0);
  EXPECT_EQ(
      IntField(Action(session, {{"Action", "GetQueueAttributes"}, {"queueName", "nope"}}), "code"),
      4440);
  // And a signed call on the API port, which is not the console's.
  Caller caller = server_->NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("ListQueue", {})));
  ASSERT_EQ(server_->process().Terminate(), 0) << server_->process().output();
  server_.reset();  // the access log is written out
  std::string log = ReadWholeFile(access_log_);
  std::vector<std::string> lines = Lines(log);
  ASSERT_EQ(lines.size(), 5u) << log;
  const char* expected[] = {"action=ConsoleLogin code=4100 ", "action=ConsoleLogin code=0 ",
                            "action=CreateQueue queue=logged code=0 ",
                            "action=GetQueueAttributes queue=nope code=4440 ",
                            "action=ListQueue code=0 "};
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_NE(lines[i].find(" client=127.0.0.1:"), std::string::npos) << lines[i];
    EXPECT_NE(lines[i].find(expected[i]), std::string::npos) << lines[i];
    EXPECT_EQ(lines[i].ends_with(" via=console"), i < 4) << lines[i];
  }
}

}  // namespace
}  // namespace cmq::testing
