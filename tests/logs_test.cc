// Black-box: what cmqd logs (README "Logs"): the access log (one line per answered
// request, text or JSON, reopened on SIGHUP), the process log as JSON lines, and
// authentication failures named by client and SecretId, never by key or signature.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "common/json.h"
#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace cmq::testing {
namespace {

std::vector<JsonValue> JsonLines(const std::string& text) {
  std::vector<JsonValue> values;
  for (const std::string& line : Lines(text)) {
    Result<JsonValue> v = ParseJson(line);
    EXPECT_TRUE(v.ok() && v->is_object()) << line;
    if (v.ok()) values.push_back(std::move(v).value());
  }
  return values;
}

std::string Member(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.Find(key);
  if (m == nullptr) return "<none>";
  return m->is_number() ? m->number_text() : m->as_string();
}

class LogsTest : public ::testing::Test {
 protected:
  TempDir logs_;
  std::string access_path_ = logs_.path() + "/access.log";
};

TEST_F(LogsTest, TheAccessLogHasOneJsonLinePerAnsweredRequest) {
  TestServer server({"--access-log", access_path_, "--log-format", "json"});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller caller = server.NewCaller();
  std::string q = UniqueName("logged");
  std::vector<std::string> ids;
  auto call = [&](std::string_view action, ParamList params) {
    ClientResult<JsonValue> r = caller.Call(action, std::move(params));
    EXPECT_TRUE(r.ok() || r.error().code != 0);
    ids.push_back(r.ok() ? StrField(*r, "requestId") : r.error().request_id);
    return r;
  };
  ASSERT_TRUE(IsSuccess(call("CreateQueue", {{"queueName", q}})));
  ASSERT_TRUE(IsSuccess(call("SendMessage", {{"queueName", q}, {"msgBody", "hello"}})));
  ClientResult<JsonValue> received =
      call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(received));
  ASSERT_TRUE(
      IsSuccess(call("DeleteMessage",
                     {{"queueName", q}, {"receiptHandle", StrField(*received, "receiptHandle")}})));
  EXPECT_TRUE(IsServerError(call("GetQueueAttributes", {{"queueName", "no-such-queue"}}), 4440, 10100));
  ASSERT_EQ(server.process().Terminate(), 0);  // writes out the access log

  std::vector<JsonValue> lines = JsonLines(ReadWholeFile(access_path_));
  ASSERT_EQ(lines.size(), 5u) << ReadWholeFile(access_path_);
  const std::vector<std::string> actions = {"CreateQueue", "SendMessage", "ReceiveMessage",
                                            "DeleteMessage", "GetQueueAttributes"};
  for (size_t i = 0; i < lines.size(); ++i) {
    const JsonValue& line = lines[i];
    EXPECT_EQ(Member(line, "action"), actions[i]);
    EXPECT_EQ(Member(line, "requestId"), ids[i]);
    EXPECT_EQ(Member(line, "queue"), i < 4 ? q : "no-such-queue");
    EXPECT_EQ(Member(line, "code"), i < 4 ? "0" : "4440");
    EXPECT_EQ(Member(line, "client").rfind("127.0.0.1:", 0), 0u) << Member(line, "client");
    EXPECT_EQ(Member(line, "time").size(), 24u) << Member(line, "time");  // ...T...123Z
    ASSERT_NE(line.Find("durationUs"), nullptr);
    EXPECT_GE(line.Find("durationUs")->as_int().value_or(-1), 0);
  }

  // The process log is JSON too: every line cmqd wrote to stderr is one object with
  // time, level and message (stdout's lines, the listening line, are not log lines).
  int log_lines = 0;
  for (const std::string& line : Lines(server.process().output())) {
    if (line.empty() || line.front() != '{') continue;
    Result<JsonValue> v = ParseJson(line);
    ASSERT_TRUE(v.ok()) << line;
    EXPECT_NE(v->Find("time"), nullptr) << line;
    EXPECT_NE(v->Find("level"), nullptr) << line;
    EXPECT_NE(v->Find("message"), nullptr) << line;
    ++log_lines;
  }
  EXPECT_GT(log_lines, 2) << server.process().output();
  // Start-up names the settings given (the key pair only by its SecretId).
  std::string output = server.process().output();
  EXPECT_NE(output.find("\"access_log\":\"" + access_path_ + "\""), std::string::npos) << output;
  EXPECT_EQ(output.find(CmqdProcess::kSecretKey), std::string::npos) << output;
}

TEST_F(LogsTest, AuthenticationFailuresNameClientAndSecretIdButNeverKeyOrSignature) {
  TestServer server({"--access-log", access_path_});
  ASSERT_TRUE(server.Start()) << server.process().output();
  CallerOptions wrong_key = server.Options();
  wrong_key.secret_key = "not-the-key-0123456789abcdef0123";
  Caller bad = server.NewCaller(wrong_key);
  client::PreparedRequest prepared = bad.Prepare("ListQueue", {}, NowSeconds(), bad.NextNonce());
  std::string signature;
  for (const auto& [name, value] : prepared.params) {
    if (name == "Signature") signature = value;
  }
  ASSERT_FALSE(signature.empty());
  auto response = bad.connection().RoundTrip(prepared.http, 20000);
  ASSERT_TRUE(response.ok());
  EXPECT_TRUE(IsServerError(Caller::ParseResponse(*response), 4100, 10030));

  EXPECT_TRUE(Eventually([&] {
    return server.process().output().find("authentication failed") != std::string::npos;
  })) << server.process().output();
  ASSERT_EQ(server.process().Terminate(), 0);
  std::string output = server.process().output();
  std::string line;
  for (const std::string& l : Lines(output)) {
    if (l.find("authentication failed") != std::string::npos) line = l;
  }
  EXPECT_NE(line.find(" WARN "), std::string::npos) << line;
  EXPECT_NE(line.find("client=127.0.0.1:"), std::string::npos) << line;
  EXPECT_NE(line.find(std::string("secretId=") + CmqdProcess::kSecretId), std::string::npos)
      << line;
  EXPECT_NE(line.find("action=ListQueue"), std::string::npos) << line;
  EXPECT_NE(line.find("reason=\"signature mismatch\""), std::string::npos) << line;
  EXPECT_EQ(output.find(wrong_key.secret_key), std::string::npos) << output;
  EXPECT_EQ(output.find(CmqdProcess::kSecretKey), std::string::npos) << output;
  EXPECT_EQ(output.find(signature), std::string::npos) << output;
  // The refused request is in the access log too, with its code.
  std::string access = ReadWholeFile(access_path_);
  EXPECT_NE(access.find("action=ListQueue code=4100"), std::string::npos) << access;
}

TEST_F(LogsTest, SighupReopensTheAccessLogAfterARename) {
  TestServer server({"--access-log", access_path_});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("ListQueue", {{"searchWord", "before"}})));
  std::string rotated = access_path_ + ".1";
  ASSERT_EQ(std::rename(access_path_.c_str(), rotated.c_str()), 0);
  ASSERT_EQ(kill(server.process().pid(), SIGHUP), 0);
  // The reopened file appears at the path; lines answered from now on go there.
  ASSERT_TRUE(Eventually([&] { return access(access_path_.c_str(), F_OK) == 0; }))
      << server.process().output();
  EXPECT_TRUE(
      IsServerError(caller.Call("GetQueueAttributes", {{"queueName", "none"}}), 4440, 10100));
  ASSERT_EQ(server.process().Terminate(), 0);
  std::string before = ReadWholeFile(rotated);
  std::string after = ReadWholeFile(access_path_);
  EXPECT_EQ(Lines(before).size(), 1u) << before;
  EXPECT_NE(before.find("action=ListQueue"), std::string::npos) << before;
  EXPECT_EQ(Lines(after).size(), 1u) << after;
  EXPECT_NE(after.find("action=GetQueueAttributes queue=none code=4440"), std::string::npos)
      << after;
  EXPECT_NE(server.process().output().find("access log: reopened " + access_path_),
            std::string::npos)
      << server.process().output();
}

TEST_F(LogsTest, DebugSaysWhatEachRequestDidAndWhenLongPollsParkAndWake) {
  TestServer server({"--log-level", "debug"});
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller caller = server.NewCaller();
  std::string q = UniqueName("debug");
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", q}})));
  ClientResult<JsonValue> polled = client::Error{};
  std::thread poller([&] {
    Caller polling = server.NewCaller();
    polled =
        polling.Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "20"}}, 30000);
  });
  bool parked = Eventually([&] {
    return server.process().output().find("long poll parked queue=" + q) != std::string::npos;
  });
  EXPECT_TRUE(parked) << server.process().output();
  EXPECT_TRUE(IsSuccess(caller.Call("SendMessage", {{"queueName", q}, {"msgBody", "wake"}})));
  poller.join();
  ASSERT_TRUE(IsSuccess(polled));
  ASSERT_EQ(server.process().Terminate(), 0);
  std::string output = server.process().output();
  for (const std::string& expected :
       {std::string("DEBUG answered client=127.0.0.1:"),
        " action=SendMessage queue=" + q + " code=0 ",
        " action=ReceiveMessage queue=" + q + " code=0 ", "DEBUG long poll woken queue=" + q,
        std::string("DEBUG group commit ")}) {
    EXPECT_NE(output.find(expected), std::string::npos) << expected << "\n" << output;
  }
}

}  // namespace
}  // namespace cmq::testing
