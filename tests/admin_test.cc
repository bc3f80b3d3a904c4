// The admin listener of the real cmqd (issue 9): /healthz, /readyz and /metrics on a
// port of their own, across start, an fdatasync failure, a full disk and shutdown;
// /metrics after scripted queue and topic workloads.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/admin_scrape.h"
#include "support/blackbox.h"
#include "support/child_process.h"
#include "support/eventually.h"
#include "support/fail_fdatasync.h"
#include "support/http_sink.h"

namespace cmq::testing {
namespace {

// The JSON body of an admin answer (a null value if it is not JSON).
JsonValue Body(const ClientResult<HttpResponse>& r) {
  if (!r.ok()) return JsonValue();
  Result<JsonValue> json = ParseJson(r->body);
  return json.ok() ? *json : JsonValue();
}

bool BoolField(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

// Whether /readyz answers `status` with a reason containing `why`.
bool ReadyzSays(CmqdProcess& cmqd, int status, const std::string& why) {
  ClientResult<HttpResponse> r = AdminGet(cmqd, "/readyz");
  return r.ok() && r->status == status &&
         StrField(Body(r), "reason").find(why) != std::string::npos;
}

// Prometheus' own parser and linter accept the whole exposition `text`.
void ExpectPromtoolAccepts(const std::string& text) {
  Program promtool;
  promtool.argv = {"/usr/bin/promtool", "check", "metrics"};
  RunOptions options;
  options.input = text;
  options.merge_stderr = true;
  RunResult checked = RunProgram(promtool, options);
  EXPECT_EQ(checked.exit_status, 0) << "promtool (Debian package prometheus, "
                                       "scripts/install-deps.sh --test) says:\n"
                                    << checked.out << "\n"
                                    << text;
}

TEST(AdminTest, HealthAndReadinessOnTheirOwnPortAndNothingElse) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  ASSERT_NE(cmqd.admin_port(), 0) << cmqd.output();
  ASSERT_NE(cmqd.admin_port(), cmqd.port());

  ClientResult<HttpResponse> health = AdminGet(cmqd, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(BoolField(Body(health), "alive")) << health->body;

  ClientResult<HttpResponse> ready = AdminGet(cmqd, "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_TRUE(BoolField(Body(ready), "ready")) << ready->body;
  EXPECT_FALSE(StrField(Body(ready), "reason").empty()) << ready->body;

  ClientResult<HttpResponse> unknown = AdminGet(cmqd, "/v2/index.php?Action=ListQueue");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(StrField(Body(unknown), "error"), "not found") << unknown->body;
  EXPECT_EQ(StrField(Body(unknown), "path"), "/v2/index.php") << unknown->body;

  ClientResult<HttpResponse> post = AdminRequest(cmqd, "POST", "/readyz");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
  EXPECT_FALSE(StrField(Body(post), "error").empty()) << post->body;

  // The API listener does not serve the admin endpoints: it answers as the CMQ API.
  Caller caller = server.NewCaller();
  ClientResult<JsonValue> api = SendRaw(caller, "GET", "/healthz", "");
  ASSERT_FALSE(api.ok());
  EXPECT_TRUE(api.error().is_server()) << api.error().message;
  EXPECT_EQ(cmqd.Terminate(), 0);
}

TEST(AdminTest, NotReadyAfterAnFdatasyncFailureWhileStillAlive) {
  SKIP_ON_POSTGRES_STORAGE("fails the journal's fdatasync");
  TestServer server;
  const std::string flag = server.dir() + "/fail-fdatasync";
  server.process().set_launcher(FailFdatasyncLauncher(flag));
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "disk"}})));
  EXPECT_TRUE(ReadyzSays(cmqd, 200, ""));

  std::ofstream(flag) << "fail\n";
  ASSERT_TRUE(IsServerError(caller.Call("SendMessage", {{"queueName", "disk"}, {"msgBody", "x"}}),
                            6000, 10050));
  // The journal failed before that answer was sent.
  ClientResult<HttpResponse> ready = AdminGet(cmqd, "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status, 503);
  EXPECT_FALSE(BoolField(Body(ready), "ready")) << ready->body;
  EXPECT_NE(StrField(Body(ready), "reason").find("journal failed"), std::string::npos)
      << ready->body;
  ClientResult<HttpResponse> health = AdminGet(cmqd, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);

  // A disk that works again does not make the node ready: fail-stop.
  std::filesystem::remove(flag);
  EXPECT_TRUE(ReadyzSays(cmqd, 503, "journal failed"));
  EXPECT_EQ(cmqd.Terminate(), 1) << "the final sync failed, so the exit status";
}

TEST(AdminTest, NotReadyWhileTheDiskIsFullAndReadyOnceSpaceIsBack) {
  SKIP_ON_POSTGRES_STORAGE("fills the journal's disk");
  TestServer server({"--segment-size-mb", "1"});
  const std::string flag = server.dir() + "/disk-full";
  server.process().set_launcher(FailFallocateLauncher(flag));
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "full"}})));
  ASSERT_TRUE(IsSuccess(caller.Call("SendMessage", {{"queueName", "full"}, {"msgBody", "kept"}})));
  ClientResult<JsonValue> held = caller.Call("ReceiveMessage", {{"queueName", "full"}});
  ASSERT_TRUE(IsSuccess(held));

  // The disk fills up: sends go on until the segments made before are used up.
  std::ofstream(flag) << "full\n";
  const std::string body(60 * 1024, 'x');
  ClientResult<JsonValue> refused =
      caller.Call("SendMessage", {{"queueName", "full"}, {"msgBody", body}});
  for (int sent = 0; refused.ok() && sent < 200; ++sent) {
    refused = caller.Call("SendMessage", {{"queueName", "full"}, {"msgBody", body}});
  }
  ASSERT_TRUE(IsServerError(refused, 6000, 10090));
  EXPECT_NE(refused.error().message.find("disk full"), std::string::npos)
      << refused.error().message;
  EXPECT_TRUE(ReadyzSays(cmqd, 503, "disk is full"));
  // Deletes are served meanwhile, and do not make room for sends.
  ASSERT_TRUE(IsSuccess(
      caller.Call("DeleteMessage",
                  {{"queueName", "full"}, {"receiptHandle", StrField(*held, "receiptHandle")}})));
  EXPECT_TRUE(ReadyzSays(cmqd, 503, "disk is full"));
  ClientResult<HttpResponse> health = AdminGet(cmqd, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);

  // Space is back: ready at the next probe, and sends work again.
  std::filesystem::remove(flag);
  EXPECT_TRUE(ReadyzSays(cmqd, 200, "serving"));
  EXPECT_TRUE(IsSuccess(caller.Call("SendMessage", {{"queueName", "full"}, {"msgBody", body}})));
  EXPECT_EQ(cmqd.Terminate(), 0);
}

TEST(AdminTest, MetricsCountAScriptedWorkloadAndPassPromtool) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "metered"}})));
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "quiet"}})));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        IsSuccess(caller.Call("SendMessage", {{"queueName", "metered"}, {"msgBody", "m"}})));
  }
  ASSERT_TRUE(IsSuccess(caller.Call(
      "BatchSendMessage", {{"queueName", "metered"}, {"msgBody.0", "b"}, {"msgBody.1", "c"}})));
  ClientResult<JsonValue> refused =
      caller.Call("SendMessage", {{"queueName", "missing"}, {"msgBody", "m"}});
  ASSERT_FALSE(refused.ok());
  const std::string refused_code = std::to_string(refused.error().code);
  std::vector<std::string> handles;
  for (int i = 0; i < 4; ++i) {
    ClientResult<JsonValue> got = caller.Call("ReceiveMessage", {{"queueName", "metered"}});
    ASSERT_TRUE(IsSuccess(got));
    handles.push_back(StrField(*got, "receiptHandle"));
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(IsSuccess(
        caller.Call("DeleteMessage", {{"queueName", "metered"}, {"receiptHandle", handles[i]}})));
  }

  ClientResult<HttpResponse> scrape = AdminGet(cmqd, "/metrics");
  ASSERT_TRUE(scrape.ok());
  ASSERT_EQ(scrape->status, 200);
  ASSERT_NE(scrape->Header("content-type"), nullptr);
  EXPECT_EQ(*scrape->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scrape->body;
  const std::string q = "queue=\"metered\"";
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages_sent_total", {q}), 7) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages_received_total", {q}), 4) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages_deleted_total", {q}), 3) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages", {q, "state=\"active\""}), 3) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages", {q, "state=\"inactive\""}), 1) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages_sent_total", {"queue=\"quiet\""}), 0) << text;
  auto requests = [&](const std::string& action, const std::string& code) {
    return SampleValue(text, "cmq_requests_total",
                       {"action=\"" + action + "\"", "code=\"" + code + "\""});
  };
  EXPECT_EQ(requests("CreateQueue", "0"), 2) << text;
  EXPECT_EQ(requests("SendMessage", "0"), 5) << text;
  EXPECT_EQ(requests("SendMessage", refused_code), 1) << text;
  EXPECT_EQ(requests("BatchSendMessage", "0"), 1) << text;
  EXPECT_EQ(requests("ReceiveMessage", "0"), 4) << text;
  EXPECT_EQ(requests("DeleteMessage", "0"), 3) << text;
  EXPECT_EQ(SampleValue(text, "cmq_request_duration_seconds_count", {"action=\"SendMessage\""}), 6)
      << text;
  EXPECT_EQ(SampleValue(text, "cmq_build_info", {}), 1) << text;
  for (const char* family : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_NE(text.find("\n" + std::string(family) + " "), std::string::npos) << family << text;
  }
  EXPECT_NE(text.find("\ncmq_connections "), std::string::npos) << text;

  ExpectPromtoolAccepts(text);

  // The journal's histograms count what its counters count: an fdatasync observed
  // per sync, every record in some group commit. Receives ride along with a later
  // commit, so the figures settle once the writer is idle. (On PostgreSQL there is no
  // journal: the distributed test checks that log's commit histograms.)
  if (TestStorageIsPostgres()) {
    EXPECT_EQ(cmqd.Terminate(), 0);
    return;
  }
  std::string settled;
  EXPECT_TRUE(Eventually([&] {
    ClientResult<HttpResponse> r = AdminGet(cmqd, "/metrics");
    if (!r.ok()) return false;
    settled = r->body;
    const double syncs = UnlabelledValue(settled, "cmq_journal_syncs_total");
    const double records = UnlabelledValue(settled, "cmq_journal_records_total");
    return syncs > 0 &&
           UnlabelledValue(settled, "cmq_journal_fsync_duration_seconds_count") == syncs &&
           UnlabelledValue(settled, "cmq_journal_commit_records_sum") == records &&
           UnlabelledValue(settled, "cmq_journal_commit_bytes_count") ==
               UnlabelledValue(settled, "cmq_journal_commit_records_count");
  })) << settled;
  EXPECT_EQ(cmqd.Terminate(), 0);
}

TEST(AdminTest, TopicMetricsCountAPushWorkloadWithFailures) {
  HttpSink sink;
  ASSERT_TRUE(sink.listening());
  // EXPONENTIAL_DECAY_RETRY retries after 1 s; BACKOFF_RETRY after an hour, so a failed
  // delivery of that policy waits for its retry for the whole test.
  TestServer server({"--backoff-retry-min-seconds", "3600", "--backoff-retry-max-seconds", "3600",
                     "--push-allow-networks", "127.0.0.0/8"});
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  Caller caller = server.NewCaller();
  const int64_t started = NowSeconds();
  sink.Script("/flaky", HttpSink::Answer::kOk, /*failures=*/2);
  sink.Script("/broken", HttpSink::Answer::kError500);
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "fanout"}})));
  ASSERT_TRUE(IsSuccess(caller.Call("CreateTopic", {{"topicName", "metered"}})));
  auto subscribe = [&](const std::string& name, const std::string& protocol,
                       const std::string& endpoint, const std::string& strategy) {
    return IsSuccess(caller.Call("Subscribe", {{"topicName", "metered"},
                                               {"subscriptionName", name},
                                               {"protocol", protocol},
                                               {"endpoint", endpoint},
                                               {"notifyStrategy", strategy}}));
  };
  ASSERT_TRUE(subscribe("flaky", "http", sink.Url("/flaky"), "EXPONENTIAL_DECAY_RETRY"));
  ASSERT_TRUE(subscribe("broken", "http", sink.Url("/broken"), "BACKOFF_RETRY"));
  ASSERT_TRUE(subscribe("copy", "queue", "fanout", "EXPONENTIAL_DECAY_RETRY"));
  ASSERT_TRUE(
      IsSuccess(caller.Call("PublishMessage", {{"topicName", "metered"}, {"msgBody", "one"}})));
  ASSERT_TRUE(
      IsSuccess(caller.Call("BatchPublishMessage",
                            {{"topicName", "metered"}, {"msgBody.1", "two"}, {"msgBody.2", "3"}})));

  // /flaky fails twice, whichever attempts those are: 2 failures, 3 successes; /broken
  // fails each message's first attempt.
  auto sub = [](const std::string& name) {
    return std::vector<std::string>{"topic=\"metered\"", "subscription=\"" + name + "\""};
  };
  auto with = [](std::vector<std::string> labels, const std::string& more) {
    labels.push_back(more);
    return labels;
  };
  std::string text;
  ASSERT_TRUE(Eventually([&] {
    ClientResult<HttpResponse> r = AdminGet(cmqd, "/metrics");
    if (!r.ok()) return false;
    text = r->body;
    return SampleValue(text, "cmq_subscription_pushes_total",
                       with(sub("flaky"), "outcome=\"success\"")) == 3 &&
           SampleValue(text, "cmq_subscription_pushes_total",
                       with(sub("broken"), "outcome=\"failure\"")) == 3;
  })) << text;
  EXPECT_EQ(sink.Requests("/flaky").size(), 5u);
  EXPECT_EQ(sink.Requests("/broken").size(), 3u);

  EXPECT_EQ(SampleValue(text, "cmq_topic_messages_published_total", {"topic=\"metered\""}), 3)
      << text;
  const std::string delivered = "cmq_subscription_messages_delivered_total";
  EXPECT_EQ(SampleValue(text, delivered, sub("flaky")), 3) << text;
  EXPECT_EQ(SampleValue(text, delivered, sub("broken")), 0) << text;
  EXPECT_EQ(SampleValue(text, delivered, sub("copy")), 3) << text;
  const std::string pushes = "cmq_subscription_pushes_total";
  EXPECT_EQ(SampleValue(text, pushes, with(sub("flaky"), "outcome=\"failure\"")), 2) << text;
  EXPECT_EQ(SampleValue(text, pushes, with(sub("broken"), "outcome=\"success\"")), 0) << text;
  EXPECT_EQ(SampleValue(text, pushes, with(sub("copy"), "outcome=\"success\"")), 0) << text;
  const std::string waiting = "cmq_subscription_deliveries_waiting_retry";
  EXPECT_EQ(SampleValue(text, waiting, sub("flaky")), 0) << text;
  EXPECT_EQ(SampleValue(text, waiting, sub("broken")), 3) << text;
  EXPECT_EQ(SampleValue(text, waiting, sub("copy")), 0) << text;
  const std::string error_time = "cmq_subscription_last_push_error_time_seconds";
  for (const char* failed : {"flaky", "broken"}) {
    EXPECT_GE(SampleValue(text, error_time, sub(failed)), started - 1) << failed << text;
    EXPECT_LE(SampleValue(text, error_time, sub(failed)), NowSeconds() + 1) << failed << text;
  }
  EXPECT_EQ(SampleValue(text, error_time, sub("copy")), 0) << text;
  EXPECT_EQ(SampleValue(text, "cmq_queue_messages_sent_total", {"queue=\"fanout\""}), 3) << text;
  ExpectPromtoolAccepts(text);
  EXPECT_EQ(cmqd.Terminate(), 0);
}

TEST(AdminTest, NotReadyWhileShuttingDown) {
  TestServer server;
  ASSERT_TRUE(server.Start()) << server.process().output();
  CmqdProcess& cmqd = server.process();
  Caller caller = server.NewCaller();
  ASSERT_TRUE(IsSuccess(caller.Call("CreateQueue", {{"queueName", "empty"}})));
  // A long poll holds the shutdown open until its client goes away.
  RawConnection poll;
  ASSERT_TRUE(poll.Connect(cmqd.port()));
  ASSERT_TRUE(poll.Send(RawSignedPost(caller, "ReceiveMessage",
                                      {{"queueName", "empty"}, {"pollingWaitSeconds", "30"}})));
  ASSERT_TRUE(Eventually([&] {
    ClientResult<HttpResponse> r = AdminGet(cmqd, "/metrics");
    return r.ok() && r->body.find("\ncmq_receives_parked 1\n") != std::string::npos;
  })) << "the receive never parked";

  cmqd.Signal(SIGTERM);
  EXPECT_TRUE(Eventually([&] { return ReadyzSays(cmqd, 503, "shutting down"); }));
  ClientResult<HttpResponse> health = AdminGet(cmqd, "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  poll.Close();
  EXPECT_EQ(cmqd.Terminate(), 0);
}

}  // namespace
}  // namespace cmq::testing
