// The death of the PostgreSQL primary under the distributed mode (issue 8): two real
// cmqd on the database of a Patroni cluster made by scripts/cluster.sh
// (support/patroni_cluster.h). The primary's Patroni and PostgreSQL are killed with -9;
// Patroni promotes the synchronous standby; cmqd follows through its multi-host DSN.
// Every send acknowledged before, during and after must be there afterwards. Waits are
// bounded only to turn a hang into a failure; the time from the kill to the first
// acknowledged write is printed for the record, never asserted.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/blackbox.h"
#include "support/patroni_cluster.h"

namespace cmq::testing {
namespace {

constexpr char kQueue[] = "failover";
constexpr int kSentBeforeTheKill = 20;
constexpr int kSentAfterTheFailover = 5;
// Bound on waiting for service to come back: only a hang takes that long.
constexpr auto kServiceLimit = std::chrono::seconds(120);

// The cmqd nodes as a client with a list of endpoints uses them: a call goes to the
// node that answered last; a 6000 answer (retryable: the node does not serve the queue
// now, or its commit failed and may still have happened) sends it again, to the next
// node, until an answer that is not 6000 or the limit.
class Endpoints {
 public:
  explicit Endpoints(const std::vector<std::unique_ptr<TestServer>>& nodes) {
    for (const auto& node : nodes) {
      CallerOptions options = node->Options();
      // Longer than cmqd's own bound on a request's PostgreSQL work, so that a node
      // that hangs shows as a timeout, not a slow node under a CPU hog.
      options.read_timeout_ms = 30000;
      callers_.push_back(node->NewCaller(options));
    }
  }

  // The first answer that is not a 6000 error (or the last one at the limit);
  // `*retryable` counts the 6000 answers before it.
  ClientResult<JsonValue> Call(std::string_view action, const ParamList& params,
                               int* retryable) {
    *retryable = 0;
    const auto deadline = std::chrono::steady_clock::now() + kServiceLimit;
    for (;;) {
      ClientResult<JsonValue> answer = callers_[current_].Call(action, params);
      const bool again = !answer.ok() && answer.error().is_server() && answer.error().code == 6000;
      if (!again || std::chrono::steady_clock::now() > deadline) return answer;
      ++*retryable;
      current_ = (current_ + 1) % callers_.size();
      // Polling until a node serves again; not a timing assertion.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::vector<Caller> callers_;
  size_t current_ = 0;
};

TEST(PatroniFailoverTest, EveryAcknowledgedSendSurvivesTheDeathOfThePrimary) {
  PatroniCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::vector<std::unique_ptr<TestServer>> nodes;
  for (const char* id : {"node-a", "node-b"}) {
    nodes.push_back(std::make_unique<TestServer>(std::vector<std::string>{
        "--storage", "postgres", "--postgres-dsn", cluster.dsn(), "--node-id", id}));
    ASSERT_TRUE(nodes.back()->Start()) << nodes.back()->process().output();
  }
  auto diagnostics = [&] {
    std::string text;
    for (const auto& node : nodes) {
      text += "--- cmqd " + node->dir() + ":\n" + TailOf(node->process().output(), 4000) + "\n";
    }
    return text + cluster.Describe();
  };
  Endpoints client(nodes);
  int retryable = 0;
  ASSERT_TRUE(IsSuccess(client.Call("CreateQueue", {{"queueName", kQueue}}, &retryable)))
      << diagnostics();

  // Body -> how many attempts to send it were answered with an error before its
  // acknowledgement. Such a send may have happened more than once; any other exactly
  // once.
  std::map<std::string, int> acknowledged;
  auto send = [&](const std::string& body) {
    int errors = 0;
    ClientResult<JsonValue> sent =
        client.Call("SendMessage", {{"queueName", kQueue}, {"msgBody", body}}, &errors);
    if (!sent.ok()) return ::testing::AssertionFailure() << body << ": " << sent.error().ToString();
    acknowledged[body] = errors;
    return ::testing::AssertionSuccess();
  };
  for (int i = 0; i < kSentBeforeTheKill; ++i) {
    ASSERT_TRUE(send("before-" + std::to_string(i))) << diagnostics();
  }

  PatroniMember killed;
  ASSERT_TRUE(cluster.KillPrimary(&killed));
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(send("first-after-the-kill")) << diagnostics();
  const std::chrono::duration<double> outage = std::chrono::steady_clock::now() - killed_at;
  std::printf("[ figure ] primary %s killed; first acknowledged send %.1f s later, after %d "
              "retryable answers\n",
              killed.name.c_str(), outage.count(), acknowledged["first-after-the-kill"]);
  PatroniMember primary;
  ASSERT_TRUE(cluster.WaitForNewPrimary(killed.name, &primary));
  for (int i = 0; i < kSentAfterTheFailover; ++i) {
    ASSERT_TRUE(send("after-" + std::to_string(i))) << diagnostics();
  }

  // Receive and delete until the queue holds nothing, by its own count: a message whose
  // delete was lost comes back after its visibility timeout and is received again.
  std::map<std::string, std::string> received;  // msgId -> body
  const auto deadline = std::chrono::steady_clock::now() + kServiceLimit;
  for (;;) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the queue never became empty\n"
                                                          << diagnostics();
    auto batch = client.Call("BatchReceiveMessage",
                             {{"queueName", kQueue}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}},
                             &retryable);
    if (batch.ok()) {
      ParamList handles = {{"queueName", kQueue}};
      for (const JsonValue& m : ArrayField(*batch, "msgInfoList")) {
        received[StrField(m, "msgId")] = StrField(m, "msgBody");
        handles.emplace_back("receiptHandle." + std::to_string(handles.size()),
                             StrField(m, "receiptHandle"));
      }
      auto deleted = client.Call("BatchDeleteMessage", handles, &retryable);
      // A retried delete may find its messages deleted by the attempt whose answer was
      // lost: then only the retry fails.
      if (retryable == 0) {
        EXPECT_TRUE(IsSuccess(deleted)) << diagnostics();
      }
      continue;
    }
    ASSERT_TRUE(batch.error().is_no_message()) << batch.error().ToString() << "\n"
                                               << diagnostics();
    auto attributes = client.Call("GetQueueAttributes", {{"queueName", kQueue}}, &retryable);
    ASSERT_TRUE(IsSuccess(attributes)) << diagnostics();
    if (IntField(*attributes, "activeMsgNum") == 0 && IntField(*attributes, "inactiveMsgNum") == 0) {
      break;
    }
    // Waiting for a message to become visible again; not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::map<std::string, int> copies;  // body -> messages (msgIds) holding it
  for (const auto& [id, body] : received) ++copies[body];
  for (const auto& [body, errors] : acknowledged) {
    auto found = copies.find(body);
    const int n = found == copies.end() ? 0 : found->second;
    EXPECT_GE(n, 1) << body << " was acknowledged and is lost";
    if (errors == 0) {
      EXPECT_LE(n, 1) << body << " was sent once and is there " << n << " times";
    }
  }
  for (const auto& [body, n] : copies) {
    EXPECT_TRUE(acknowledged.count(body)) << "received " << body << ", which nobody sent";
  }
}

}  // namespace
}  // namespace cmq::testing
