// Black-box: the built cmqctl binary against a real cmqd, for every subcommand. Human
// output is checked loosely (it is for people), --json output exactly (it is for
// scripts), and so are exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/json.h"
#include "support/blackbox.h"
#include "support/child_process.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace cmq::testing {
namespace {

struct CtlResult {
  int code = -1;
  std::string out;
  std::string err;
};

class CmqctlTest : public SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    env_ = {
        {"CMQ_ENDPOINT", server().process().endpoint()},
        {"CMQ_SECRET_ID", CmqdProcess::kSecretId},
        {"CMQ_SECRET_KEY", CmqdProcess::kSecretKey},
        {"CMQ_PROFILE_FILE", dir_.path() + "/profiles"},
        {"HOME", dir_.path()},
        {"PATH", "/usr/bin:/bin"},
    };
  }

  // Runs cmqctl with `args`, `input` on stdin, and env_ as its whole environment.
  // Bounded: a run that takes more than 60 s is killed and fails the test.
  CtlResult Ctl(const std::vector<std::string>& args, const std::string& input = "") {
    Program program;
    program.argv = {CMQCTL_PATH};
    program.argv.insert(program.argv.end(), args.begin(), args.end());
    for (const auto& [k, v] : env_) program.environment.push_back(k + "=" + v);
    program.inherit_environment = false;
    RunOptions options;
    options.input = input;
    RunResult run = RunProgram(program, options);
    if (run.timed_out) ADD_FAILURE() << "cmqctl did not finish within 60 s";
    return {run.exit_status, std::move(run.out), std::move(run.err)};
  }

  // Runs with --json, expects exit 0 and one JSON document on stdout.
  JsonValue CtlJson(std::vector<std::string> args, const std::string& input = "") {
    args.push_back("--json");
    CtlResult r = Ctl(args, input);
    EXPECT_EQ(r.code, 0) << r.err;
    return Parse(r.out);
  }

  static JsonValue Parse(const std::string& text) {
    Result<JsonValue> v = ParseJson(text);
    EXPECT_TRUE(v.ok()) << "not JSON: " << text;
    return v.ok() ? std::move(v).value() : JsonValue();
  }

  // Every line of `text` as a JSON document.
  static std::vector<JsonValue> ParseLines(const std::string& text) {
    std::vector<JsonValue> out;
    for (const std::string& line : Lines(text)) out.push_back(Parse(line));
    return out;
  }

  static std::vector<std::string> Keys(const JsonValue& object) {
    std::vector<std::string> keys;
    for (const auto& m : object.members()) keys.push_back(m.first);
    return keys;
  }

  TempDir dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CmqctlTest, QueueCreateListShowSetDelete) {
  std::string dlq = UniqueName("ctl-dlq");
  std::string q = UniqueName("ctl-q");
  JsonValue created = CtlJson({"queue", "create", dlq});
  EXPECT_EQ(Keys(created), (std::vector<std::string>{"queueName", "queueId"}));
  EXPECT_EQ(StrField(created, "queueName"), dlq);
  EXPECT_EQ(StrField(created, "queueId").rfind("queue-", 0), 0u);

  CtlResult r = Ctl({"queue", "create", q, "--visibility-timeout", "60", "--rewind-seconds", "3600",
                     "--dead-letter-queue", dlq, "--max-receive-count", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("created queue " + q), std::string::npos);

  JsonValue list = CtlJson({"queue", "list", "--search", "ctl-"});
  EXPECT_EQ(Keys(list), (std::vector<std::string>{"totalCount", "queues"}));
  bool found = false;
  for (const JsonValue& item : ArrayField(list, "queues")) {
    EXPECT_EQ(Keys(item), (std::vector<std::string>{"queueName", "queueId"}));
    found = found || StrField(item, "queueName") == q;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(IntField(list, "totalCount"), static_cast<int64_t>(ArrayField(list, "queues").size()));
  r = Ctl({"queue", "list", "-l"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("NAME", 0), 0u);
  EXPECT_NE(r.out.find("ACTIVE"), std::string::npos);
  EXPECT_NE(r.out.find(q), std::string::npos);

  JsonValue show = CtlJson({"queue", "show", q});
  EXPECT_EQ(Keys(show),
            (std::vector<std::string>{"queueName", "queueId", "maxMsgHeapNum", "pollingWaitSeconds",
                                      "visibilityTimeout", "maxMsgSize", "msgRetentionSeconds",
                                      "rewindSeconds", "deadLetterPolicy", "createTime",
                                      "lastModifyTime", "activeMsgNum", "inactiveMsgNum",
                                      "delayMsgNum", "rewindMsgNum", "minMsgTime"}));
  EXPECT_EQ(StrField(show, "queueName"), q);
  EXPECT_EQ(IntField(show, "visibilityTimeout"), 60);
  EXPECT_EQ(IntField(show, "rewindSeconds"), 3600);
  EXPECT_EQ(IntField(show, "pollingWaitSeconds"), 0);
  EXPECT_EQ(IntField(show, "activeMsgNum"), 0);
  EXPECT_NEAR(static_cast<double>(IntField(show, "createTime")), NowSeconds(), 60);
  JsonValue policy = Parse(StrField(show, "deadLetterPolicy"));
  EXPECT_EQ(StrField(policy, "deadLetterQueue"), dlq);
  EXPECT_EQ(IntField(policy, "policy"), 0);
  EXPECT_EQ(IntField(policy, "maxReceiveCount"), 5);

  r = Ctl({"queue", "show", q});
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("visibilityTimeout:"), std::string::npos);
  EXPECT_NE(r.out.find("active:"), std::string::npos);
  EXPECT_NE(r.out.find("Z\n"), std::string::npos);  // ISO-8601 UTC times

  JsonValue set = CtlJson({"queue", "set", q, "--polling-wait", "10"});
  EXPECT_EQ(IntField(set, "pollingWaitSeconds"), 10);
  EXPECT_EQ(IntField(set, "visibilityTimeout"), 60);
  EXPECT_EQ(IntField(Attributes(q), "pollingWaitSeconds"), 10);
  r = Ctl({"queue", "set", q, "--visibility-timeout", "0"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("server error 4000"), std::string::npos) << r.err;

  r = Ctl({"queue", "delete", dlq, "--yes"});  // still the DLQ of q
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("10750"), std::string::npos) << r.err;
  r = Ctl({"queue", "delete", q});
  EXPECT_EQ(r.code, 2);  // stdin is not a terminal: needs --yes
  JsonValue deleted = CtlJson({"queue", "delete", q, dlq, "--yes"});
  EXPECT_EQ(Keys(deleted), (std::vector<std::string>{"deleted"}));
  ASSERT_EQ(ArrayField(deleted, "deleted").size(), 2u);

  r = Ctl({"queue", "show", q});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("server error 4440: (10100)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("requestId"), std::string::npos);
  r = Ctl({"queue", "show", q, "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  JsonValue error = *Parse(r.err).Find("error");
  EXPECT_EQ(Keys(error),
            (std::vector<std::string>{"type", "code", "moduleCode", "message", "requestId"}));
  EXPECT_EQ(IntField(error, "code"), 4440);
  EXPECT_EQ(IntField(error, "moduleCode"), 10100);
}

TEST_F(CmqctlTest, SendReceiveDelete) {
  std::string q = UniqueName("ctl-msg");
  CreateQueue(q);
  CtlResult r = Ctl({"msg", "send", q, "hello world"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(r.out.empty());
  JsonValue sent = CtlJson({"msg", "send", q, "line1\nline2 \xE4\xB8\xAD"});
  EXPECT_EQ(Keys(sent), (std::vector<std::string>{"queueName", "msgId"}));
  EXPECT_FALSE(StrField(sent, "msgId").empty());

  JsonValue got = CtlJson({"msg", "receive", q, "-n", "16", "--wait", "1"});
  ASSERT_TRUE(got.is_array());
  ASSERT_EQ(got.items().size(), 2u);
  const JsonValue& first = got.items()[0];
  EXPECT_EQ(Keys(first),
            (std::vector<std::string>{"msgId", "receiptHandle", "msgBody", "enqueueTime",
                                      "firstDequeueTime", "nextVisibleTime", "dequeueCount"}));
  EXPECT_EQ(StrField(first, "msgBody"), "hello world");
  EXPECT_EQ(StrField(got.items()[1], "msgBody"), "line1\nline2 \xE4\xB8\xAD");
  EXPECT_EQ(StrField(got.items()[1], "msgId"), StrField(sent, "msgId"));
  EXPECT_EQ(IntField(first, "dequeueCount"), 1);

  // Delete one good and one bad handle: partial failure, exit 1, exact JSON.
  r = Ctl({"msg", "delete", q, StrField(first, "receiptHandle"), "notAHandle", "--json"});
  EXPECT_EQ(r.code, 1);
  JsonValue del = Parse(r.out);
  EXPECT_EQ(Keys(del), (std::vector<std::string>{"queueName", "deleted", "failed"}));
  EXPECT_EQ(IntField(del, "deleted"), 1);
  ASSERT_EQ(ArrayField(del, "failed").size(), 1u);
  EXPECT_EQ(IntField(ArrayField(del, "failed")[0], "code"), 4430);
  EXPECT_EQ(StrField(ArrayField(del, "failed")[0], "receiptHandle"), "notAHandle");
  r = Ctl({"msg", "delete", q, StrField(got.items()[1], "receiptHandle")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("deleted 1 of 1"), std::string::npos);

  // Empty queue: exit code 4, and "[]" for scripts.
  r = Ctl({"msg", "receive", q, "--wait", "0"});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find("no message"), std::string::npos);
  r = Ctl({"msg", "receive", q, "--wait", "0", "--json"});
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.out, "[]\n");

  // Human receive, then --delete removes it.
  Send(q, "third");
  r = Ctl({"msg", "receive", q, "--delete"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("body:"), std::string::npos);
  EXPECT_NE(r.out.find("third"), std::string::npos);
  EXPECT_NE(r.out.find("receiptHandle:"), std::string::npos);
  JsonValue attrs = Attributes(q);
  EXPECT_EQ(IntField(attrs, "activeMsgNum") + IntField(attrs, "inactiveMsgNum"), 0);

  // Delayed send.
  ASSERT_EQ(Ctl({"msg", "send", q, "later", "--delay", "100"}).code, 0);
  EXPECT_EQ(IntField(Attributes(q), "delayMsgNum"), 1);
}

TEST_F(CmqctlTest, SendManyLinesFromStdinAndFile) {
  std::string q = UniqueName("ctl-bulk");
  CreateQueue(q);
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += "message " + std::to_string(i) + (i % 100 == 0 ? "\n\n" : "\n");
  JsonValue summary = CtlJson({"msg", "send", q, "--stdin"}, input);
  EXPECT_EQ(Keys(summary),
            (std::vector<std::string>{"queueName", "sent", "skippedEmptyLines", "seconds"}));
  EXPECT_EQ(IntField(summary, "sent"), 1000);
  EXPECT_EQ(IntField(summary, "skippedEmptyLines"), 10);
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 1000);

  std::string file = dir_.path() + "/lines.txt";
  { std::ofstream(file) << "a\r\nb\nc"; }
  CtlResult r = Ctl({"msg", "send", q, "--file", file});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("sent 3 messages in ", 0), 0u) << r.out;  // summary, no bar
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 1003);

  r = Ctl({"msg", "send", q, "--file", dir_.path() + "/missing.txt"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);

  // Order is kept: the first messages received are the first lines.
  JsonValue got = CtlJson({"msg", "receive", q, "-n", "3"});
  ASSERT_EQ(got.items().size(), 3u);
  EXPECT_EQ(StrField(got.items()[0], "msgBody"), "message 0");
  EXPECT_EQ(StrField(got.items()[2], "msgBody"), "message 2");
}

TEST_F(CmqctlTest, ConsumeDrainAndExec) {
  std::string q = UniqueName("ctl-consume");
  CreateQueue(q, {{"visibilityTimeout", "600"}});
  std::string input;
  for (int i = 0; i < 40; ++i) input.append("m").append(std::to_string(i)).append("\n");
  ASSERT_EQ(Ctl({"msg", "send", q, "--stdin"}, input).code, 0);

  CtlResult r = Ctl({"msg", "consume", q, "--max", "5", "--delete", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<JsonValue> lines = ParseLines(r.out);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(StrField(lines[0], "msgBody"), "m0");
  EXPECT_EQ(Keys(lines[0]), (std::vector<std::string>{
                                "msgId", "receiptHandle", "msgBody", "enqueueTime",
                                "firstDequeueTime", "nextVisibleTime", "dequeueCount", "deleted"}));
  EXPECT_TRUE(lines[4].Find("deleted")->as_bool());

  r = Ctl({"msg", "consume", q, "--max", "3"});  // human, no delete
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("m5"), std::string::npos);
  EXPECT_NE(r.err.find("consumed 3 messages"), std::string::npos) << r.err;
  EXPECT_EQ(IntField(Attributes(q), "inactiveMsgNum"), 3);

  std::string log = dir_.path() + "/exec.log";
  r = Ctl({"msg", "consume", q, "--max", "4", "--delete", "--exec",
           "printf '%s %s %s\\n' \"$(cat)\" \"$CMQ_QUEUE\" \"$CMQ_DEQUEUE_COUNT\" >> " + log});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(log),
            "m8 " + q + " 1\nm9 " + q + " 1\nm10 " + q + " 1\nm11 " + q + " 1\n");
  r = Ctl({"msg", "consume", q, "--max", "2", "--delete", "--exec", "exit 7"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("exited with 7"), std::string::npos) << r.err;
  JsonValue attrs = Attributes(q);
  EXPECT_EQ(IntField(attrs, "inactiveMsgNum"), 5);  // 3 not deleted + 2 failed commands
  EXPECT_EQ(IntField(attrs, "activeMsgNum"), 40 - 5 - 3 - 4 - 2);

  r = Ctl({"msg", "consume", q, "--raw", "--until-empty", "--batch", "16"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("m14\nm15\n", 0), 0u) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 26);

  // Drain: make those 26 visible again by rewinding is not possible here, so use a
  // fresh batch of messages.
  ASSERT_EQ(Ctl({"msg", "send", q, "--stdin"}, input).code, 0);
  r = Ctl({"msg", "drain", q});
  EXPECT_EQ(r.code, 2);  // needs --yes without a terminal
  JsonValue drained = CtlJson({"msg", "drain", q, "--yes"});
  EXPECT_EQ(Keys(drained), (std::vector<std::string>{"queueName", "drained", "seconds"}));
  EXPECT_EQ(IntField(drained, "drained"), 40);
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0);
}

TEST_F(CmqctlTest, Rewind) {
  std::string q = UniqueName("ctl-rewind");
  CreateQueue(q, {{"rewindSeconds", "3600"}});
  Send(q, "again");
  JsonValue got = CtlJson({"msg", "receive", q, "--delete"});
  ASSERT_EQ(got.items().size(), 1u);
  EXPECT_EQ(IntField(Attributes(q), "rewindMsgNum"), 1);

  JsonValue rewound = CtlJson({"queue", "rewind", q, "--seconds-ago", "600"});
  EXPECT_EQ(Keys(rewound), (std::vector<std::string>{"queueName", "startConsumeTime"}));
  EXPECT_NEAR(static_cast<double>(IntField(rewound, "startConsumeTime")), NowSeconds() - 600, 60);
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 1);

  CtlResult r = Ctl({"queue", "rewind", q, "--to", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("10680"), std::string::npos) << r.err;
  r = Ctl({"queue", "rewind", q, "--to", "yesterday"});
  EXPECT_EQ(r.code, 2);
  r = Ctl({"queue", "rewind", q, "--to", std::to_string(NowSeconds() - 5)});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rewound queue " + q + " to 20"), std::string::npos) << r.out;
}

TEST_F(CmqctlTest, PeekAndPurge) {
  std::string q = UniqueName("ctl-peek");
  CreateQueue(q);
  Send(q, "first");
  Send(q, "second");
  Send(q, "later", {{"delaySeconds", "600"}});
  Ok("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});

  JsonValue all = CtlJson({"msg", "peek", q});
  ASSERT_EQ(all.items().size(), 3u);
  EXPECT_EQ(Keys(all.items()[0]),
            (std::vector<std::string>{"msgId", "msgBody", "enqueueTime", "firstDequeueTime",
                                      "nextVisibleTime", "dequeueCount", "state"}));
  EXPECT_EQ(StrField(all.items()[0], "state"), "inactive");
  EXPECT_EQ(StrField(all.items()[1], "msgBody"), "second");
  EXPECT_EQ(StrField(all.items()[1], "state"), "active");
  EXPECT_EQ(StrField(all.items()[2], "state"), "delayed");
  JsonValue delayed = CtlJson({"msg", "peek", q, "--state", "delayed", "-n", "32"});
  ASSERT_EQ(delayed.items().size(), 1u);
  EXPECT_EQ(StrField(delayed.items()[0], "msgBody"), "later");
  // Peeking changed nothing.
  JsonValue attributes = Attributes(q);
  EXPECT_EQ(IntField(attributes, "activeMsgNum"), 1);
  EXPECT_EQ(IntField(attributes, "inactiveMsgNum"), 1);
  EXPECT_EQ(IntField(attributes, "delayMsgNum"), 1);

  CtlResult r = Ctl({"msg", "peek", q, "--state", "active"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("state"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("receiptHandle"), std::string::npos) << r.out;
  r = Ctl({"msg", "peek", q, "--state", "gone"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("10900"), std::string::npos) << r.err;

  // Not a terminal and no --yes: nothing is purged.
  r = Ctl({"queue", "purge", q});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 1);
  JsonValue purged = CtlJson({"queue", "purge", q, "--yes"});
  EXPECT_EQ(Keys(purged), (std::vector<std::string>{"queueName", "purgedMsgNum"}));
  EXPECT_EQ(IntField(purged, "purgedMsgNum"), 3);
  attributes = Attributes(q);
  EXPECT_EQ(IntField(attributes, "activeMsgNum"), 0);
  EXPECT_EQ(IntField(attributes, "inactiveMsgNum"), 0);
  EXPECT_EQ(IntField(attributes, "delayMsgNum"), 0);
  r = Ctl({"msg", "peek", q});
  EXPECT_EQ(r.code, 4) << r.err;
  r = Ctl({"msg", "peek", q, "--json"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(Parse(r.out).items().size(), 0u) << r.out;
}

TEST_F(CmqctlTest, RedriveADeadLetterQueueAndWaitForIt) {
  std::string dlq = UniqueName("ctl-dlq");
  std::string q = UniqueName("ctl-src");
  CreateQueue(dlq);
  CreateQueue(q, {{"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                           R"(","policy":0,"maxReceiveCount":1})"},
                  {"visibilityTimeout", "1"}});
  for (const char* body : {"x", "y"}) Send(q, body);
  for (int i = 0; i < 2; ++i) Ok("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
  // The visibility timeouts end and the dead-letter moves happen in the server.
  ASSERT_TRUE(Eventually([&] { return IntField(Attributes(dlq), "activeMsgNum") == 2; }));

  JsonValue task = CtlJson({"queue", "redrive", dlq, "--wait"});
  EXPECT_EQ(StrField(task, "status"), "COMPLETED");
  EXPECT_EQ(IntField(task, "movedMsgNum"), 2);
  EXPECT_EQ(IntField(task, "toMoveMsgNum"), 2);
  EXPECT_EQ(StrField(task, "destinationQueueName"), q);
  EXPECT_EQ(IntField(Attributes(dlq), "activeMsgNum"), 0);
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 2);

  JsonValue tasks = CtlJson({"queue", "redrive", dlq, "--list"});
  ASSERT_EQ(tasks.items().size(), 1u);
  EXPECT_EQ(StrField(tasks.items()[0], "taskHandle"), StrField(task, "taskHandle"));
  CtlResult r = Ctl({"queue", "redrive", dlq, "--list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("COMPLETED"), std::string::npos) << r.out;
  r = Ctl({"queue", "redrive", dlq, "--list", "--wait"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = Ctl({"queue", "redrive", q});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("10910"), std::string::npos) << r.err;
}

TEST_F(CmqctlTest, MsgTraceShowsTheLifeOfAMessage) {
  std::string q = UniqueName("ctl-trace");
  CreateQueue(q);
  std::string id = Send(q, "traced");
  JsonValue got = CtlJson({"msg", "receive", q, "--delete"});
  ASSERT_EQ(got.items().size(), 1u);

  JsonValue trace = CtlJson({"msg", "trace", id, "--queue", q});
  EXPECT_EQ(Keys(trace), (std::vector<std::string>{"msgId", "complete", "events"}));
  EXPECT_EQ(StrField(trace, "msgId"), id);
  const auto& events = ArrayField(trace, "events");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(StrField(events[0], "event"), "sent");
  EXPECT_EQ(StrField(events[1], "event"), "received");
  EXPECT_EQ(StrField(events[1], "clientAddress").rfind("127.0.0.1:", 0), 0u);
  EXPECT_EQ(IntField(events[1], "dequeueCount"), 1);
  EXPECT_EQ(StrField(events[2], "event"), "deleted");

  CtlResult r = Ctl({"msg", "trace", id, "--queue", q});
  EXPECT_EQ(r.code, 0) << r.err;
  for (std::string_view part : {"its whole life so far", "sent", "received",
                                "clientAddress=127.0.0.1:", "dequeueCount=1", "deleted"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in\n" << r.out;
  }
  EXPECT_EQ(Ctl({"msg", "trace", id}).code, 2) << "needs --queue or --topic";
  r = Ctl({"msg", "trace", "99999999", "--queue", q});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("10950"), std::string::npos) << r.err;
}

TEST_F(CmqctlTest, ClusterShowNamesTheNodeAndWhoOwnsThePartition) {
  JsonValue info = CtlJson({"cluster", "show"});
  std::string storage = TestStorageIsPostgres() ? "postgres" : "embedded";
  EXPECT_EQ(StrField(info, "storage"), storage);
  std::string node = StrField(info, "nodeId");
  ASSERT_FALSE(node.empty());
  const JsonValue* nodes = info.Find("nodes");
  ASSERT_TRUE(nodes != nullptr && nodes->is_array() && nodes->items().size() == 1u);
  EXPECT_EQ(StrField(nodes->items()[0], "nodeId"), node);
  const JsonValue* partitions = info.Find("partitions");
  ASSERT_TRUE(partitions != nullptr && partitions->is_array() && partitions->items().size() == 1u);
  EXPECT_EQ(StrField(partitions->items()[0], "owner"), node);

  CtlResult r = Ctl({"cluster", "show"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("storage"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(node + " *"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PARTITION"), std::string::npos) << r.out;
}

TEST_F(CmqctlTest, WatchQueueForABoundedNumberOfSamples) {
  std::string q = UniqueName("ctl-watch");
  CreateQueue(q);
  Send(q, "x");
  CtlResult r = Ctl({"watch", "queue", q, "--count", "3", "--interval", "0.1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<JsonValue> samples = ParseLines(r.out);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(Keys(samples[0]),
            (std::vector<std::string>{"time", "queueName", "activeMsgNum", "inactiveMsgNum",
                                      "delayMsgNum", "rewindMsgNum", "minMsgTime",
                                      "intervalSeconds", "delta", "msgSentTotal",
                                      "msgReceivedTotal", "msgDeletedTotal", "ratesPerSecond"}));
  EXPECT_EQ(IntField(samples[2], "activeMsgNum"), 1);
  EXPECT_EQ(IntField(*samples[2].Find("delta"), "activeMsgNum"), 0);
  EXPECT_EQ(IntField(samples[2], "msgSentTotal"), 1);
  EXPECT_EQ(IntField(samples[2], "msgReceivedTotal"), 0);
  EXPECT_EQ(Keys(*samples[2].Find("ratesPerSecond")),
            (std::vector<std::string>{"sent", "received", "deleted"}));

  // Not a terminal: one plain line per sample, no escape codes.
  r = Ctl({"watch", "queue", q, "--count", "2", "--interval", "0.1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_NE(r.out.find(q + " active=1 (0)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" sent/s=0.0 received/s=0.0 deleted/s=0.0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);

  r = Ctl({"watch", "queue", UniqueName("ctl-nope"), "--count", "1"});
  EXPECT_EQ(r.code, 1);
}

TEST_F(CmqctlTest, TopicsSubscriptionsAndPublish) {
  std::string topic = UniqueName("ctl-topic");
  std::string rtopic = UniqueName("ctl-rtopic");
  std::string q = UniqueName("ctl-subq");
  std::string rq = UniqueName("ctl-subrq");
  CreateQueue(q);
  CreateQueue(rq);

  JsonValue created = CtlJson({"topic", "create", topic});
  EXPECT_EQ(Keys(created), (std::vector<std::string>{"topicName", "topicId", "filterType"}));
  EXPECT_EQ(IntField(created, "filterType"), 1);
  CtlResult r = Ctl({"topic", "create", rtopic, "--filter", "routing-key"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("routing-key filtering"), std::string::npos);

  JsonValue sub =
      CtlJson({"sub", "create", topic, "tagged", "--queue", q, "--tag", "a", "--tag", "b"});
  EXPECT_EQ(Keys(sub),
            (std::vector<std::string>{"topicName", "subscriptionName", "subscriptionId"}));
  r = Ctl({"sub", "create", rtopic, "errors", "--queue", rq, "--binding-key", "*.error"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Ctl({"sub", "create", rtopic, "nokey", "--queue", rq});
  EXPECT_EQ(r.code, 1);  // a routing-key topic needs a binding key
  EXPECT_NE(r.err.find("10710"), std::string::npos) << r.err;

  JsonValue shown = CtlJson({"sub", "show", topic, "tagged"});
  EXPECT_EQ(
      Keys(shown),
      (std::vector<std::string>{
          "topicName", "subscriptionName", "protocol", "endpoint", "notifyStrategy",
          "notifyContentFormat", "filterTag", "bindingKey", "msgCount", "topicOwner", "createTime",
          "lastModifyTime", "pushFailures", "retryBacklog", "lastPushError", "lastPushErrorTime"}));
  EXPECT_EQ(StrField(shown, "protocol"), "queue");
  EXPECT_EQ(IntField(shown, "pushFailures"), 0);
  EXPECT_EQ(StrField(shown, "lastPushError"), "");
  EXPECT_EQ(StrField(shown, "endpoint"), q);
  ASSERT_EQ(ArrayField(shown, "filterTag").size(), 2u);
  EXPECT_EQ(ArrayField(shown, "filterTag")[1].as_string(), "b");

  JsonValue subs = CtlJson({"sub", "list", topic});
  EXPECT_EQ(Keys(subs), (std::vector<std::string>{"topicName", "totalCount", "subscriptions"}));
  ASSERT_EQ(ArrayField(subs, "subscriptions").size(), 1u);
  EXPECT_EQ(
      Keys(ArrayField(subs, "subscriptions")[0]),
      (std::vector<std::string>{"subscriptionName", "subscriptionId", "protocol", "endpoint"}));

  JsonValue topics = CtlJson({"topic", "list", "--search", topic});
  ASSERT_EQ(ArrayField(topics, "topics").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(topics, "topics")[0], "topicName"), topic);
  JsonValue tshow = CtlJson({"topic", "show", topic});
  EXPECT_EQ(Keys(tshow),
            (std::vector<std::string>{"topicName", "topicId", "filterType", "maxMsgSize",
                                      "msgRetentionSeconds", "msgCount", "createTime",
                                      "lastModifyTime", "subscriptions"}));
  EXPECT_EQ(ArrayField(tshow, "subscriptions").size(), 1u);
  JsonValue tset = CtlJson({"topic", "set", topic, "--max-msg-size", "1048576"});
  EXPECT_EQ(IntField(tset, "maxMsgSize"), 1048576);

  // Publish with tags: only a matching tag reaches the subscribed queue.
  JsonValue pub = CtlJson({"topic", "publish", topic, "tagged message", "--tag", "b"});
  EXPECT_EQ(Keys(pub), (std::vector<std::string>{"topicName", "msgId"}));
  r = Ctl({"topic", "publish", topic, "nobody wants this", "--tag", "z"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("server error 6030"), std::string::npos) << r.err;
  JsonValue got = CtlJson({"msg", "receive", q, "--wait", "10", "--delete"});
  ASSERT_EQ(got.items().size(), 1u);
  EXPECT_EQ(StrField(got.items()[0], "msgBody"), "tagged message");

  // Routing keys, and bulk publish from stdin.
  ASSERT_EQ(Ctl({"topic", "publish", rtopic, "disk", "--routing-key", "host1.error"}).code, 0);
  JsonValue bulk =
      CtlJson({"topic", "publish", rtopic, "--stdin", "--routing-key", "h.error"}, "p1\np2\np3\n");
  EXPECT_EQ(IntField(bulk, "published"), 3);
  int received = 0;
  for (int i = 0; i < 10 && received < 4; ++i) {
    CtlResult rr = Ctl({"msg", "receive", rq, "-n", "16", "--wait", "5", "--delete", "--json"});
    if (rr.code == 0) received += static_cast<int>(Parse(rr.out).items().size());
  }
  EXPECT_EQ(received, 4);

  JsonValue set = CtlJson({"sub", "set", topic, "tagged", "--tag", "c", "--strategy", "backoff"});
  EXPECT_EQ(StrField(set, "notifyStrategy"), "BACKOFF_RETRY");
  ASSERT_EQ(ArrayField(set, "filterTag").size(), 1u);
  JsonValue cleared = CtlJson({"sub", "clear-tags", topic, "tagged"});
  EXPECT_TRUE(ArrayField(cleared, "filterTag").empty());
  EXPECT_TRUE(ArrayField(CtlJson({"sub", "show", topic, "tagged"}), "filterTag").empty());

  r = Ctl({"watch", "topic", topic, "--count", "2", "--interval", "0.1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<JsonValue> samples = ParseLines(r.out);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(Keys(samples[1]),
            (std::vector<std::string>{"time", "topicName", "msgCount", "intervalSeconds", "delta",
                                      "subscriptions"}));
  ASSERT_EQ(ArrayField(samples[1], "subscriptions").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(samples[1], "subscriptions")[0], "subscriptionName"), "tagged");

  r = Ctl({"topic", "delete", topic, "--yes"});
  EXPECT_EQ(r.code, 1);  // still has a subscription
  EXPECT_NE(r.err.find("10540"), std::string::npos) << r.err;
  r = Ctl({"sub", "delete", rtopic, "errors", "--yes"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("deleted subscription " + rtopic + "/errors"), std::string::npos);
  JsonValue deleted = CtlJson({"topic", "delete", topic, rtopic, "--force", "--yes"});
  EXPECT_EQ(ArrayField(deleted, "deleted").size(), 2u);
  EXPECT_EQ(Ctl({"topic", "show", topic}).code, 1);
}

TEST_F(CmqctlTest, CredentialsFromFlagsEnvAndProfile) {
  std::string endpoint = env_["CMQ_ENDPOINT"];
  // Profile only.
  env_.erase("CMQ_ENDPOINT");
  env_.erase("CMQ_SECRET_ID");
  env_.erase("CMQ_SECRET_KEY");
  CtlResult r = Ctl({"queue", "list"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no endpoint"), std::string::npos);
  r = Ctl({"profile", "set", "local", "--endpoint", endpoint, "--secret-id", CmqdProcess::kSecretId,
           "--secret-key", CmqdProcess::kSecretKey, "--sign", "sha1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Ctl({"queue", "list"}).code, 0);
  EXPECT_EQ(Ctl({"--profile", "local", "queue", "list", "--method", "GET"}).code, 0);

  // The environment beats the profile, flags beat the environment.
  env_["CMQ_ENDPOINT"] = "http://127.0.0.1:1";
  r = Ctl({"queue", "list"});
  EXPECT_EQ(r.code, 3);
  EXPECT_NE(r.err.find("network error"), std::string::npos) << r.err;
  EXPECT_EQ(Ctl({"queue", "list", "--endpoint", endpoint}).code, 0);

  r = Ctl({"queue", "list", "--endpoint", endpoint, "--secret-key", "wrong"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("server error 4100"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cmq::testing
