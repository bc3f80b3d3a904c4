// The distributed mode across nodes: several real cmqd on one PostgreSQL database
// (docs/architecture.md, "Distributed mode"). Waits are bounded only to turn a hang
// into a failure; nothing asserts on timing.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/admin_scrape.h"
#include "support/blackbox.h"
#include "support/console_session.h"
#include "support/eventually.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace cmq::testing {
namespace {

// Short leases so that takeovers come quickly; statements time out well within them.
const std::vector<std::string> kShortLease = {"--lease-ms", "1500", "--postgres-timeout-ms",
                                              "500"};

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // These tests start their own nodes on PostgreSQL whatever the suite's storage; the
    // embedded run of the suite runs them once.
    if (TestStorageIsPostgres()) GTEST_SKIP() << "run by the embedded run of the suite";
    dsn_ = FreshDatabaseDsn();
    ASSERT_FALSE(dsn_.empty());
  }

  std::unique_ptr<TestServer> Node(const std::string& id, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--storage", "postgres", "--postgres-dsn", dsn_,
                                     "--node-id", id};
    args.insert(args.end(), kShortLease.begin(), kShortLease.end());
    args.insert(args.end(), extra.begin(), extra.end());
    auto node = std::make_unique<TestServer>(args);
    EXPECT_TRUE(node->Start()) << node->process().output();
    return node;
  }

  // Whether `node` itself serves the partition now: a read marked as forwarded
  // already, which a node never forwards again, succeeds only at the owner.
  static bool Serves(TestServer& node) { return IsSuccess(CallHere(node, "ListQueue", {})); }

  // `action` answered by `node` itself, never forwarded.
  static ClientResult<JsonValue> CallHere(TestServer& node, std::string_view action,
                                          ParamList params) {
    Caller caller = node.NewCaller();
    client::PreparedRequest prepared =
        caller.Prepare(action, std::move(params), time(nullptr), caller.NextNonce());
    prepared.http.headers.push_back({"X-Cmq-Forwarded-By", "distributed_test"});
    auto response = caller.connection().RoundTrip(prepared.http, 20000);
    if (!response.ok()) return response.error();
    return Caller::ParseResponse(*response);
  }

  std::string dsn_;
};

TEST_F(DistributedTest, AStandbyTakesOverAndAPausedOwnerWritesAndAnswersNothingMore) {
  std::unique_ptr<TestServer> a = Node("node-a");
  ASSERT_TRUE(Serves(*a));
  std::unique_ptr<TestServer> b = Node("node-b");
  EXPECT_NE(b->process().output().find("standing by"), std::string::npos)
      << b->process().output();
  Caller on_b = b->NewCaller();
  EXPECT_TRUE(IsServerError(CallHere(*b, "ListQueue", {}), 6000, 10050));

  Caller on_a = a->NewCaller();
  ASSERT_TRUE(IsSuccess(on_a.Call("CreateQueue", {{"queueName", "q"}})));
  ASSERT_TRUE(IsSuccess(on_a.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "one"}})));

  // The owner pauses past its lease; the standby claims the partition and serves what
  // the owner had acknowledged.
  ASSERT_EQ(kill(a->process().pid(), SIGSTOP), 0);
  EXPECT_TRUE(Eventually([&] { return Serves(*b); }, 60000)) << b->process().output();
  auto received = on_b.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(received));
  EXPECT_EQ(StrField(*received, "msgBody"), "one");
  ASSERT_TRUE(IsSuccess(on_b.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "two"}})));

  // The old owner wakes up: whatever it is asked, it answers no success for the
  // partition (its clock says its lease is over; its writes are fenced).
  ASSERT_EQ(kill(a->process().pid(), SIGCONT), 0);
  for (int i = 0; i < 5; ++i) {
    auto sent =
        CallHere(*a, "SendMessage", {{"queueName", "q"}, {"msgBody", "from the old owner"}});
    EXPECT_TRUE(IsServerError(sent, 6000, 10050));
    auto read = CallHere(*a, "GetQueueAttributes", {{"queueName", "q"}});
    EXPECT_TRUE(IsServerError(read, 6000, 10050));
  }
  // Once its keeper has seen the new owner, the old owner passes requests on to it.
  Caller woken = a->NewCaller();
  EXPECT_TRUE(Eventually([&] { return IsSuccess(woken.Call("ListQueue", {})); }, 60000))
      << a->process().output();
  // The new owner holds exactly what was acknowledged: "one" in flight, "two" waiting.
  auto attributes = on_b.Call("GetQueueAttributes", {{"queueName", "q"}});
  ASSERT_TRUE(IsSuccess(attributes));
  EXPECT_EQ(IntField(*attributes, "activeMsgNum"), 1);
  EXPECT_EQ(IntField(*attributes, "inactiveMsgNum"), 1);
  auto next = on_b.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(next));
  EXPECT_EQ(StrField(*next, "msgBody"), "two");
  EXPECT_TRUE(IsServerError(
      on_b.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}}), 7000,
      10200));
  EXPECT_TRUE(a->process().running()) << "the old owner must stand by, not crash";
}

TEST_F(DistributedTest, SigtermHandsThePartitionOverAtOnce) {
  std::unique_ptr<TestServer> a = Node("node-a");
  std::unique_ptr<TestServer> b = Node("node-b");
  Caller on_a = a->NewCaller();
  ASSERT_TRUE(IsSuccess(on_a.Call("CreateQueue", {{"queueName", "q"}})));
  ASSERT_TRUE(IsSuccess(on_a.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "kept"}})));
  EXPECT_EQ(a->process().Terminate(), 0);
  EXPECT_NE(a->process().output().find("handed over"), std::string::npos)
      << a->process().output();
  EXPECT_TRUE(Eventually([&] { return Serves(*b); }, 60000)) << b->process().output();
  Caller on_b = b->NewCaller();
  auto received = on_b.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(received));
  EXPECT_EQ(StrField(*received, "msgBody"), "kept");
}

TEST_F(DistributedTest, ANewerSchemaStopsTheStartWithAClearError) {
  std::unique_ptr<TestServer> a = Node("node-a");
  EXPECT_EQ(a->process().Terminate(), 0);
  PGconn* conn = PQconnectdb(dsn_.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PQclear(PQexec(conn, "UPDATE cmq_schema SET version = 99"));
  PQfinish(conn);
  EXPECT_FALSE(a->Start());
  EXPECT_EQ(a->process().start_exit_status(), 1);
  EXPECT_NE(a->process().output().find("version 99, newer than this cmqd"), std::string::npos)
      << a->process().output();
}

TEST_F(DistributedTest, AnyNodeServesAnyRequestThroughTheOwner) {
  TempDir logs;
  std::string a_log = logs.path() + "/a.log", b_log = logs.path() + "/b.log";
  std::unique_ptr<TestServer> a = Node("node-a", {"--access-log", a_log});
  ASSERT_TRUE(Serves(*a));
  std::unique_ptr<TestServer> b = Node("node-b", {"--access-log", b_log});
  ASSERT_FALSE(Serves(*b));
  Caller on_a = a->NewCaller();
  Caller on_b = b->NewCaller();
  ASSERT_TRUE(IsSuccess(on_b.Call("CreateQueue", {{"queueName", "q"}})));
  ASSERT_TRUE(IsSuccess(on_b.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "via b"}})));
  auto received = on_a.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(received));
  EXPECT_EQ(StrField(*received, "msgBody"), "via b");
  // Deleted through the other node with the handle the owner gave.
  ASSERT_TRUE(IsSuccess(on_b.Call("DeleteMessage", {{"queueName", "q"},
                                                     {"receiptHandle",
                                                      StrField(*received, "receiptHandle")}})));

  // A long poll through b waits at the owner and gets what is sent there meanwhile.
  ClientResult<JsonValue> polled = client::Error{};
  std::thread poller([&] {
    Caller caller = b->NewCaller();
    polled = caller.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "20"}},
                         20000);
  });
  ASSERT_TRUE(IsSuccess(on_a.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "later"}})));
  poller.join();
  ASSERT_TRUE(IsSuccess(polled));
  EXPECT_EQ(StrField(*polled, "msgBody"), "later");

  // The owner checks the client's signature: a wrong key is refused through b too,
  // and errors come back as the owner gave them.
  CallerOptions wrong = b->Options();
  wrong.secret_key = "not-the-key";
  auto created = Caller::Create(wrong);
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(IsServerError(created->Call("ListQueue", {}), 4100, 10030));
  EXPECT_TRUE(IsServerError(on_b.Call("GetQueueAttributes", {{"queueName", "nope"}}), 4440,
                            10100));

  // /metrics: b forwarded the six requests, each answered; a owns the partition and
  // committed to its PostgreSQL log.
  ClientResult<HttpResponse> b_metrics = AdminGet(b->process(), "/metrics");
  ASSERT_TRUE(b_metrics.ok());
  const std::string forwards = "cmq_forwarded_requests_total";
  EXPECT_EQ(SampleValue(b_metrics->body, forwards, {"outcome=\"answered\""}), 6) << b_metrics->body;
  EXPECT_EQ(SampleValue(b_metrics->body, forwards, {"outcome=\"failed\""}), 0) << b_metrics->body;
  EXPECT_EQ(UnlabelledValue(b_metrics->body, "cmq_partitions_owned"), 0) << b_metrics->body;
  EXPECT_EQ(UnlabelledValue(b_metrics->body, "cmq_partition_epoch"), 0) << b_metrics->body;
  ClientResult<HttpResponse> a_metrics = AdminGet(a->process(), "/metrics");
  ASSERT_TRUE(a_metrics.ok());
  EXPECT_EQ(UnlabelledValue(a_metrics->body, "cmq_partitions_owned"), 1) << a_metrics->body;
  EXPECT_GT(UnlabelledValue(a_metrics->body, "cmq_partition_epoch"), 0) << a_metrics->body;
  EXPECT_GT(UnlabelledValue(a_metrics->body, "cmq_pglog_commit_duration_seconds_count"), 0)
      << a_metrics->body;
  EXPECT_GT(UnlabelledValue(a_metrics->body, "cmq_pglog_commit_records_sum"), 0) << a_metrics->body;
  EXPECT_EQ(SampleValue(a_metrics->body, forwards, {"outcome=\"answered\""}), 0) << a_metrics->body;

  // Each request is in the access log once: of the node the client called, which
  // notes where it ran. The owner logged the failed authentication, with the client's
  // address, not the forwarding node's port.
  ASSERT_EQ(b->process().Terminate(), 0);
  ASSERT_EQ(a->process().Terminate(), 0);
  std::string via_b = ReadWholeFile(b_log), at_a = ReadWholeFile(a_log);
  for (const char* line :
       {"action=CreateQueue queue=q code=0", "action=SendMessage queue=q code=0",
        "action=DeleteMessage queue=q code=0", "action=ReceiveMessage queue=q code=0",
        "action=ListQueue code=4100", "action=GetQueueAttributes queue=nope code=4440"}) {
    EXPECT_NE(via_b.find(line), std::string::npos) << line << "\n" << via_b;
  }
  EXPECT_EQ(std::count(via_b.begin(), via_b.end(), '\n'), 6) << via_b;
  EXPECT_EQ(via_b.find("client=127.0.0.1:"), via_b.find("client="));
  size_t forwarded = 0;
  for (size_t at = via_b.find("forwardedTo=node-a\n"); at != std::string::npos;
       at = via_b.find("forwardedTo=node-a\n", at + 1)) {
    ++forwarded;
  }
  EXPECT_EQ(forwarded, 6u) << via_b;
  // The owner's own: on_a's two calls, none of those forwarded to it.
  EXPECT_EQ(std::count(at_a.begin(), at_a.end(), '\n'), 2) << at_a;
  size_t receive = at_a.find("action=ReceiveMessage queue=q code=0");
  EXPECT_NE(receive, std::string::npos) << at_a;
  EXPECT_NE(at_a.find("action=SendMessage queue=q code=0", receive), std::string::npos) << at_a;
  EXPECT_EQ(at_a.find("forwardedTo"), std::string::npos) << at_a;
  EXPECT_NE(a->process().output().find("authentication failed client=127.0.0.1 "),
            std::string::npos)
      << a->process().output();
}

TEST_F(DistributedTest, AnyNodeDescribesTheClusterFromTheDatabase) {
  std::unique_ptr<TestServer> a = Node("node-a");
  std::unique_ptr<TestServer> b = Node("node-b");
  // Asked of the standby itself (never forwarded): it needs no broker.
  auto info = CallHere(*b, "DescribeCluster", {});
  ASSERT_TRUE(IsSuccess(info));
  EXPECT_EQ(StrField(*info, "storage"), "postgres");
  EXPECT_EQ(StrField(*info, "nodeId"), "node-b");
  const JsonValue* nodes = info->Find("nodes");
  ASSERT_TRUE(nodes != nullptr && nodes->items().size() == 2u);
  EXPECT_EQ(StrField(nodes->items()[0], "nodeId"), "node-a");
  EXPECT_EQ(StrField(nodes->items()[1], "nodeId"), "node-b");
  EXPECT_EQ(StrField(nodes->items()[0], "address"),
            "127.0.0.1:" + std::to_string(a->port()));
  const JsonValue* partitions = info->Find("partitions");
  ASSERT_TRUE(partitions != nullptr && partitions->items().size() == 1u);
  EXPECT_EQ(StrField(partitions->items()[0], "owner"), "node-a");
  EXPECT_GE(IntField(partitions->items()[0], "epoch"), 1);
  const JsonValue* database = info->Find("database");
  ASSERT_TRUE(database != nullptr && database->is_object());
  EXPECT_FALSE(StrField(*database, "server").empty());

  // After a takeover the view names the new owner under a later epoch.
  int64_t epoch = IntField(partitions->items()[0], "epoch");
  a->process().Kill9();
  ASSERT_TRUE(Eventually([&] { return Serves(*b); }, 60000)) << b->process().output();
  info = CallHere(*b, "DescribeCluster", {});
  ASSERT_TRUE(IsSuccess(info));
  const JsonValue& after = info->Find("partitions")->items()[0];
  EXPECT_EQ(StrField(after, "owner"), "node-b");
  EXPECT_GT(IntField(after, "epoch"), epoch);
}

TEST_F(DistributedTest, ThroughANodeWhoseOwnerDiedRequestsFailRetryablyUntilItTakesOver) {
  std::unique_ptr<TestServer> a = Node("node-a");
  std::unique_ptr<TestServer> b = Node("node-b");
  Caller on_b = b->NewCaller();
  ASSERT_TRUE(IsSuccess(on_b.Call("CreateQueue", {{"queueName", "q"}})));
  ASSERT_TRUE(IsSuccess(on_b.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "acked"}})));
  a->process().Kill9();
  // Every answer until the takeover is the retryable 6000; then b serves what a
  // acknowledged.
  ClientResult<JsonValue> received = client::Error{};
  EXPECT_TRUE(Eventually(
      [&] {
        received = on_b.Call("ReceiveMessage", {{"queueName", "q"}, {"pollingWaitSeconds", "0"}});
        if (!received.ok()) {
          EXPECT_TRUE(IsServerError(received, 6000, 10050));
        }
        return received.ok();
      },
      60000))
      << b->process().output();
  EXPECT_EQ(StrField(*received, "msgBody"), "acked");
  EXPECT_TRUE(Serves(*b));
}

TEST_F(DistributedTest, AStandbysConsoleRunsItsCallsAtTheOwner) {
  std::unique_ptr<TestServer> a = Node("node-a");
  ASSERT_TRUE(Serves(*a));
  TempDir logs;
  std::string b_log = logs.path() + "/b.log";
  std::unique_ptr<TestServer> b = Node("node-b", {"--access-log", b_log});
  CmqdProcess& standby = b->process();
  ConsoleSession session = ConsoleLogIn(standby, CmqdProcess::kSecretId, CmqdProcess::kSecretKey);
  ASSERT_FALSE(session.cookie.empty()) << standby.output();
  std::string body;
  auto console = [&](ParamList params) {
    return ConsoleAction(standby, session, params, {}, &body);
  };
  ASSERT_EQ(IntField(console({{"Action", "CreateQueue"}, {"queueName", "q"}}), "code"), 0) << body;
  JsonValue sent =
      console({{"Action", "SendMessage"}, {"queueName", "q"}, {"msgBody", "via the console"}});
  ASSERT_EQ(IntField(sent, "code"), 0) << body;
  // The owner holds it.
  Caller on_a = a->NewCaller();
  ClientResult<JsonValue> at_owner = on_a.Call("GetQueueAttributes", {{"queueName", "q"}});
  ASSERT_TRUE(IsSuccess(at_owner));
  EXPECT_EQ(IntField(*at_owner, "activeMsgNum"), 1);
  EXPECT_EQ(
      ArrayField(console({{"Action", "PeekMessage"}, {"queueName", "q"}}), "msgInfoList").size(),
      1u)
      << body;
  JsonValue received =
      console({{"Action", "ReceiveMessage"}, {"queueName", "q"}, {"pollingWaitSeconds", "0"}});
  ASSERT_EQ(IntField(received, "code"), 0) << body;
  EXPECT_EQ(StrField(received, "msgBody"), "via the console");
  EXPECT_EQ(IntField(console({{"Action", "DeleteMessage"},
                              {"queueName", "q"},
                              {"receiptHandle", StrField(received, "receiptHandle")}}),
                     "code"),
            0)
      << body;
  JsonValue trace =
      console({{"Action", "TraceMessage"}, {"queueName", "q"}, {"msgId", StrField(sent, "msgId")}});
  ASSERT_EQ(IntField(trace, "code"), 0) << body;
  std::vector<std::string> events;
  for (const JsonValue& e : ArrayField(trace, "events")) events.push_back(StrField(e, "event"));
  EXPECT_EQ(events, (std::vector<std::string>{"sent", "received", "deleted"})) << body;
  at_owner = on_a.Call("GetQueueAttributes", {{"queueName", "q"}});
  ASSERT_TRUE(IsSuccess(at_owner));
  EXPECT_EQ(IntField(*at_owner, "msgDeletedTotal"), 1);

  // The owner dies: the standby's console answers the retryable error until the standby
  // has taken over, then serves the calls itself.
  a->process().Kill9();
  JsonValue listed;
  EXPECT_TRUE(Eventually(
      [&] {
        listed = console({{"Action", "ListQueue"}});
        if (IntField(listed, "code") != 0) {
          EXPECT_EQ(IntField(listed, "code"), 6000) << body;
          EXPECT_NE(body.find("please retry"), std::string::npos) << body;
        }
        return IntField(listed, "code") == 0;
      },
      60000))
      << standby.output();
  EXPECT_EQ(IntField(listed, "totalCount"), 1) << body;
  EXPECT_TRUE(Serves(*b));

  // The standby's access log has each console call once, noting where it ran.
  ASSERT_EQ(b->process().Terminate(), 0);
  std::string lines = ReadWholeFile(b_log);
  size_t forwarded = 0;
  for (size_t at = lines.find("forwardedTo=node-a via=console\n"); at != std::string::npos;
       at = lines.find("forwardedTo=node-a via=console\n", at + 1)) {
    ++forwarded;
  }
  EXPECT_EQ(forwarded, 6u) << lines;
  EXPECT_NE(lines.find("action=ConsoleLogin code=0 "), std::string::npos) << lines;
  EXPECT_NE(lines.find("action=TraceMessage queue=q code=0 "), std::string::npos) << lines;
}

TEST_F(DistributedTest, NodesShareTheGeneratedKeyPairThroughTheDatabase) {
  auto first = std::make_unique<TestServer>(std::vector<std::string>{
      "--storage", "postgres", "--postgres-dsn", dsn_, "--node-id", "node-a"});
  first->process().set_pass_key_pair(false);
  ASSERT_TRUE(first->Start()) << first->process().output();
  auto second = std::make_unique<TestServer>(std::vector<std::string>{
      "--storage", "postgres", "--postgres-dsn", dsn_, "--node-id", "node-b"});
  second->process().set_pass_key_pair(false);
  ASSERT_TRUE(second->Start()) << second->process().output();
  std::string printed = first->process().output();
  size_t at = printed.find("SecretId:  ");
  ASSERT_NE(at, std::string::npos) << printed;
  std::string secret_id = printed.substr(at + 11, printed.find('\n', at) - at - 11);
  EXPECT_NE(second->process().output().find("uses SecretId " + secret_id), std::string::npos)
      << second->process().output();
  EXPECT_EQ(second->process().output().find("generated a key pair"), std::string::npos);
}

}  // namespace
}  // namespace cmq::testing
