// kill -9 test of the topic model: clients publish (single and batch) to a topic with
// two queue subscriptions and one HTTP subscription while cmqd is killed and
// restarted. Every acknowledged publish must afterwards be found in each queue and
// must reach the HTTP endpoint, at least once each.
//
// Nothing here asserts on timing: kills are chosen by counts of acknowledged
// publishes; waits are bounded only to turn a hang into a failure.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client/caller.h"
#include "common/json.h"
#include "support/cmqd_process.h"
#include "support/crash_support.h"
#include "support/eventually.h"
#include "support/http_sink.h"

namespace cmq {
namespace {

using client::Caller;
using testing::CmqdProcess;
using testing::ConnectCaller;
using testing::DrainQueue;
using testing::AfterFailure;
using testing::ClientThreads;
using testing::KillAndRestart;
using testing::ServerHandle;
using testing::Step;
using testing::HttpSink;
using testing::TempDir;

constexpr int kKills = 4;
constexpr int kPublishesPerRound = 200;
const char kTopic[] = "crash-topic";
const char* const kQueues[] = {"crash-sub-q1", "crash-sub-q2"};

// Bodies acknowledged by the server, and a wait for their number.
class Acked {
 public:
  void Add(const std::vector<std::string>& bodies) {
    std::lock_guard<std::mutex> lock(mu_);
    bodies_.insert(bodies.begin(), bodies.end());
    cv_.notify_all();
  }
  bool WaitFor(size_t target) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(120), [&] { return bodies_.size() >= target; });
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.size();
  }
  std::set<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> bodies_;
};

// Bodies (msgBody of the JSON notifications) the sink answered 200 for.
std::set<std::string> Pushed(const HttpSink& sink, int failures) {
  std::set<std::string> bodies;
  std::vector<testing::SinkRequest> requests = sink.Requests("/hook");
  for (size_t i = static_cast<size_t>(failures); i < requests.size(); ++i) {
    auto json = ParseJson(requests[i].body);
    if (json.ok() && json->Find("msgBody") != nullptr) {
      bodies.insert(json->Find("msgBody")->as_string());
    }
  }
  return bodies;
}

void SetUpTopic(const std::string& endpoint, const std::string& hook_url) {
  Caller caller = ConnectCaller(endpoint);
  for (const char* queue : kQueues) {
    auto created = caller.Call("CreateQueue", {{"queueName", queue}, {"visibilityTimeout", "1"}});
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }
  auto topic = caller.Call("CreateTopic", {{"topicName", kTopic}});
  ASSERT_TRUE(topic.ok()) << topic.error().ToString();
  for (const char* queue : kQueues) {
    auto sub = caller.Call("Subscribe", {{"topicName", kTopic},
                                         {"subscriptionName", std::string("to-") + queue},
                                         {"protocol", "queue"},
                                         {"endpoint", queue}});
    ASSERT_TRUE(sub.ok()) << sub.error().ToString();
  }
  auto hook = caller.Call("Subscribe", {{"topicName", kTopic},
                                        {"subscriptionName", "to-hook"},
                                        {"protocol", "http"},
                                        {"endpoint", hook_url},
                                        {"notifyStrategy", "EXPONENTIAL_DECAY_RETRY"}});
  ASSERT_TRUE(hook.ok()) << hook.error().ToString();
}

TEST(TopicCrashTest, AcknowledgedPublishesReachEverySubscriptionAcrossKill9) {
  // The endpoint fails its first requests, so retries (journaled with their
  // schedule) are pending at the first kills too.
  constexpr int kFailures = 100;
  HttpSink sink;
  ASSERT_TRUE(sink.listening());
  sink.Script("/hook", HttpSink::Answer::kOk, kFailures);

  TempDir dir;
  // EXPONENTIAL_DECAY_RETRY starts at 1 s; BACKOFF_RETRY would wait 1 s too.
  CmqdProcess server(dir.path(), {"--backoff-retry-min-seconds", "1",
                                  "--backoff-retry-max-seconds", "1",
                                  "--publish-qps-per-topic", "0",
                                  "--push-allow-networks", "127.0.0.0/8"});
  ASSERT_TRUE(server.Start()) << server.output();
  SetUpTopic(server.endpoint(), sink.Url("/hook"));
  if (HasFatalFailure()) return;

  ServerHandle handle;
  handle.Set(server.endpoint());
  Acked acked;
  std::vector<int64_t> seqs(2, 0);

  auto publish = [&](int id, Caller& caller) {
    int64_t& seq = seqs[id];
    // Alternate single and batch publishes so both are killed mid-flight.
    bool batch = (seq / 8) % 2 == 1;
    int n = batch ? 4 : 1;
    std::vector<std::string> bodies;
    ParamList params = {{"topicName", kTopic}};
    for (int k = 0; k < n; ++k) {
      bodies.push_back(
          std::string("t").append(std::to_string(id)).append("-").append(std::to_string(seq++)));
      params.emplace_back(batch ? "msgBody." + std::to_string(k + 1) : "msgBody", bodies.back());
    }
    auto published = caller.Call(batch ? "BatchPublishMessage" : "PublishMessage", params);
    if (published.ok()) {
      acked.Add(bodies);
      return Step::kNext;
    }
    return AfterFailure(published.error());
  };
  ClientThreads publishers(handle, 2, publish);

  for (int kill = 1; kill <= kKills && publishers.failed() == 0; ++kill) {
    ASSERT_TRUE(acked.WaitFor(acked.size() + kPublishesPerRound)) << server.output();
    ASSERT_TRUE(KillAndRestart(server, handle));
  }
  ASSERT_TRUE(acked.WaitFor(acked.size() + kPublishesPerRound / 2));
  publishers.Stop();

  // One more kill after the last acknowledgement, then check every subscription.
  server.Kill9();
  ASSERT_TRUE(server.Start()) << server.output();
  std::set<std::string> expected = acked.bodies();
  EXPECT_GE(expected.size(), static_cast<size_t>(kKills * kPublishesPerRound));

  for (const char* queue : kQueues) {
    std::map<std::string, std::string> received = DrainQueue(server.endpoint(), queue);
    int missing = 0;
    for (const std::string& body : expected) {
      if (!received.count(body) && ++missing <= 10) {
        ADD_FAILURE() << "acknowledged publish missing from " << queue << ": " << body;
      }
    }
    EXPECT_EQ(missing, 0) << queue << ", of " << expected.size() << " acknowledged";
  }

  // Pushes continue in the background (retries after a failure wait 1, 2, 4... s).
  std::vector<std::string> not_pushed;
  bool all_pushed = testing::Eventually(
      [&] {
        std::set<std::string> pushed = Pushed(sink, kFailures);
        not_pushed.clear();
        for (const std::string& body : expected) {
          if (!pushed.count(body)) not_pushed.push_back(body);
        }
        return not_pushed.empty();
      },
      180000);
  for (size_t i = 0; i < not_pushed.size() && i < 10; ++i) {
    ADD_FAILURE() << "acknowledged publish never pushed: " << not_pushed[i];
  }
  EXPECT_TRUE(all_pushed) << not_pushed.size() << " of " << expected.size() << " not pushed\n"
                          << server.output();
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace cmq
