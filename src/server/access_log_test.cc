#include "server/access_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "support/temp_dir.h"

namespace cmq::server {
namespace {

using cmq::testing::ReadWholeFile;
using cmq::testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

AccessEntry Entry(std::string_view request_id, std::string_view queue = "orders") {
  AccessEntry e;
  e.unix_ms = 1796631710123;  // 2026-12-07T08:21:50.123Z
  e.client = "10.0.0.7:51234";
  e.answer.action = "SendMessage";
  e.answer.queue = queue;
  e.answer.code = 0;
  e.answer.request_id = request_id;
  e.duration_us = 812;
  return e;
}

class AccessLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<AccessLog> Open(AccessLogOptions options) {
    auto log = AccessLog::Open(env::PosixEnv(), std::move(options));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  TempDir dir_;
  std::string path_ = dir_.path() + "/access.log";
};

TEST_F(AccessLogTest, WritesOneTextLinePerRequestOnFlush) {
  auto log = Open({path_, LogFormat::kText});
  ASSERT_NE(log, nullptr);
  log->Write(Entry("1"));
  AccessEntry forwarded = Entry("2", "");
  forwarded.answer.topic = "news";
  forwarded.answer.code = 4440;
  forwarded.forwarded_to = "node-a";
  log->Write(forwarded);
  AccessEntry console = Entry("3");
  console.via = kViaConsole;
  log->Write(console);
  log->Flush();
  EXPECT_EQ(ReadWholeFile(path_),
            "2026-12-07T08:21:50.123Z client=10.0.0.7:51234 action=SendMessage queue=orders "
            "code=0 durationUs=812 requestId=1\n"
            "2026-12-07T08:21:50.123Z client=10.0.0.7:51234 action=SendMessage topic=news "
            "code=4440 durationUs=812 requestId=2 forwardedTo=node-a\n"
            "2026-12-07T08:21:50.123Z client=10.0.0.7:51234 action=SendMessage queue=orders "
            "code=0 durationUs=812 requestId=3 via=console\n");
}

TEST_F(AccessLogTest, JsonLinesParseAndTheFileIsAppendedTo) {
  std::FILE* f = std::fopen(path_.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("kept\n", f);
  std::fclose(f);
  auto log = Open({path_, LogFormat::kJson});
  ASSERT_NE(log, nullptr);
  log->Write(Entry("7", "a \"quoted\"\nname"));
  AccessEntry console = Entry("8");
  console.via = kViaConsole;
  console.forwarded_to = "node-a";
  log->Write(console);
  log.reset();  // writes out what is buffered
  std::vector<std::string> lines = Lines(ReadWholeFile(path_));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "kept");
  Result<JsonValue> v = ParseJson(lines[1]);
  ASSERT_TRUE(v.ok()) << lines[1];
  EXPECT_EQ(v->Find("time")->as_string(), "2026-12-07T08:21:50.123Z");
  EXPECT_EQ(v->Find("client")->as_string(), "10.0.0.7:51234");
  EXPECT_EQ(v->Find("action")->as_string(), "SendMessage");
  EXPECT_EQ(v->Find("queue")->as_string(), "a \"quoted\"\nname");
  EXPECT_EQ(v->Find("code")->as_int(), 0);
  EXPECT_EQ(v->Find("durationUs")->as_int(), 812);
  EXPECT_EQ(v->Find("requestId")->as_string(), "7");
  EXPECT_EQ(v->Find("topic"), nullptr);
  EXPECT_EQ(v->Find("forwardedTo"), nullptr);
  EXPECT_EQ(v->Find("via"), nullptr);
  v = ParseJson(lines[2]);
  ASSERT_TRUE(v.ok()) << lines[2];
  EXPECT_EQ(v->Find("forwardedTo")->as_string(), "node-a");
  EXPECT_EQ(v->Find("via")->as_string(), "console");
}

TEST_F(AccessLogTest, ReopenAfterARenameWritesToANewFile) {
  auto log = Open({path_, LogFormat::kText});
  ASSERT_NE(log, nullptr);
  log->Write(Entry("before"));
  ASSERT_EQ(std::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  log->Reopen();
  log->Flush();
  log->Write(Entry("after"));
  log->Flush();
  std::string old_file = ReadWholeFile(path_ + ".1");
  std::string new_file = ReadWholeFile(path_);
  EXPECT_NE(old_file.find("requestId=before"), std::string::npos) << old_file;
  EXPECT_EQ(old_file.find("requestId=after"), std::string::npos) << old_file;
  EXPECT_EQ(Lines(new_file).size(), 1u) << new_file;
  EXPECT_NE(new_file.find("requestId=after"), std::string::npos) << new_file;
}

TEST_F(AccessLogTest, ABacklogBeyondItsCapIsDroppedAndCounted) {
  AccessLogOptions options{path_, LogFormat::kText};
  options.flush_bytes = 1 << 30;            // never by size
  options.flush_interval_ms = 3600 * 1000;  // nor by time: only Flush
  options.max_backlog_bytes = 300;          // two lines fit, the third does not
  auto log = Open(options);
  ASSERT_NE(log, nullptr);
  LogCapture capture;
  for (int i = 0; i < 5; ++i) log->Write(Entry(std::to_string(i)));
  log->Flush();
  EXPECT_EQ(Lines(ReadWholeFile(path_)).size(), 2u);
  EXPECT_EQ(capture.Count("access log: 3 lines dropped"), 1u);
  log->Write(Entry("next"));
  log->Flush();
  EXPECT_EQ(Lines(ReadWholeFile(path_)).size(), 3u);
}

TEST_F(AccessLogTest, APathThatCannotBeOpenedIsAnErrorNamingIt) {
  auto log = AccessLog::Open(env::PosixEnv(), {dir_.path() + "/no/such/dir/a.log"});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().detail().find(dir_.path() + "/no/such/dir/a.log"), std::string::npos);
}

TEST(AnswerSummaryHeaderTest, RoundTripsAndToleratesGarbage) {
  api::AnswerSummary sent{"SendMessage", "q 1&x=y", "", 4100, "123"};
  ForwardedAnswer got = DecodeAnswerSummary(EncodeAnswerSummary(sent));
  api::AnswerSummary s = got.summary();
  EXPECT_EQ(s.action, "SendMessage");
  EXPECT_EQ(s.queue, "q 1&x=y");
  EXPECT_EQ(s.topic, "");
  EXPECT_EQ(s.code, 4100);
  EXPECT_EQ(s.request_id, "123");
  EXPECT_EQ(DecodeAnswerSummary("").code, -1);
  EXPECT_EQ(DecodeAnswerSummary("%zz").code, -1);
}

}  // namespace
}  // namespace cmq::server
