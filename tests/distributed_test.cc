// The distributed mode across nodes: several real cmqd on one PostgreSQL database
// (docs/architecture.md, "Distributed mode"). Waits are bounded only to turn a hang
// into a failure; nothing asserts on timing.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/postgres_server.h"

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

  std::unique_ptr<TestServer> Node(const std::string& id) {
    std::vector<std::string> args = {"--storage", "postgres", "--postgres-dsn", dsn_,
                                     "--node-id", id};
    args.insert(args.end(), kShortLease.begin(), kShortLease.end());
    auto node = std::make_unique<TestServer>(args);
    EXPECT_TRUE(node->Start()) << node->process().output();
    return node;
  }

  // Whether `node` answers for the partition now (a read that needs the broker).
  static bool Serves(TestServer& node) {
    Caller caller = node.NewCaller();
    auto r = caller.Call("ListQueue", {});
    return r.ok();
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
  EXPECT_TRUE(IsServerError(on_b.Call("ListQueue", {}), 6000, 10050));

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
  Caller woken = a->NewCaller();
  for (int i = 0; i < 5; ++i) {
    auto sent = woken.Call("SendMessage", {{"queueName", "q"}, {"msgBody", "from the old owner"}});
    EXPECT_TRUE(IsServerError(sent, 6000, 10050));
    auto read = woken.Call("GetQueueAttributes", {{"queueName", "q"}});
    EXPECT_TRUE(IsServerError(read, 6000, 10050));
  }
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

}  // namespace
}  // namespace cmq::testing
