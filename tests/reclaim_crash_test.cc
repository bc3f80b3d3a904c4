// kill -9 of the real cmqd while space reclamation runs all the time: 1 MiB
// segments, 10 KB bodies, producers sending, consumers receiving and deleting
// at once, and a few messages nobody consumes (they are copied forward, segment
// after segment). Every acknowledged send must be received afterwards unless
// its delete was acknowledged, and no acknowledged delete may be undone.
//
// Half of the kills come in the middle of the load. The others come when the
// producers have paused and a segment has just been dropped (seen in the data
// directory), with the writer letting records nobody waits for ride along for a
// second: the moment at which the copies of the dropped segment's live messages
// were not yet on disk when segments were unlinked at once.
//
// Nothing asserts on timing: kills are placed by counts of acknowledged
// operations and by what the data directory shows; waits are bounded only to
// turn a hang into a failure.
#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/caller.h"
#include "common/json.h"
#include "support/cmqd_process.h"
#include "support/crash_support.h"
#include "support/eventually.h"

namespace cmq {
namespace {

using client::Caller;
using testing::AckCounter;
using testing::AfterFailure;
using testing::ClientThreads;
using testing::CmqdProcess;
using testing::ConnectCaller;
using testing::DrainQueue;
using testing::Eventually;
using testing::KillAndRestart;
using testing::ServerHandle;
using testing::Step;
using testing::TempDir;

constexpr int kKills = 6;
constexpr int kSendsPerRound = 250;  // about 2.5 segments of bodies
const char kWork[] = "reclaim-work";
const char kKeep[] = "reclaim-keep";

// The oldest journal segment in the data directory (0 if none).
uint32_t OldestSegment(const std::string& journal_dir) {
  uint32_t oldest = 0;
  DIR* d = opendir(journal_dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() != 14 || name.substr(10) != ".seg") continue;
    uint32_t n = static_cast<uint32_t>(std::stoul(name.substr(0, 10)));
    if (oldest == 0 || n < oldest) oldest = n;
  }
  closedir(d);
  return oldest;
}

// Lets the producers run or holds them between two sends.
class Pause {
 public:
  void Set(bool paused) {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = paused;
    cv_.notify_all();
  }
  // False while paused (after waiting a little, so that a stopping thread
  // notices).
  bool Running() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return !paused_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool paused_ = false;
};

TEST(ReclaimCrashTest, AcknowledgedMessagesSurviveKill9WhileSegmentsAreReclaimed) {
  SKIP_ON_POSTGRES_STORAGE("watches journal segment files go");
  TempDir dir;
  const std::string journal_dir = dir.path() + "/data/journal";
  CmqdProcess server(dir.path(), {"--segment-size-mb", "1", "--ride-along-ms", "1000"});
  ASSERT_TRUE(server.Start()) << server.output();
  {
    Caller caller = ConnectCaller(server.endpoint());
    for (const char* q : {kWork, kKeep}) {
      auto created = caller.Call("CreateQueue", {{"queueName", q}, {"visibilityTimeout", "1"}});
      ASSERT_TRUE(created.ok()) << created.error().ToString();
    }
  }

  ServerHandle handle;
  handle.Set(server.endpoint());
  AckCounter sends;
  Pause pause;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // body -> msgId
  std::set<std::string> deleted;             // acknowledged deletes
  std::set<std::string> maybe_deleted;       // delete sent, outcome unknown
  constexpr int kProducers = 2;
  std::vector<int64_t> seqs(kProducers, 0);

  auto produce = [&](int id, Caller& caller) {
    if (!pause.Running()) return Step::kNext;
    int64_t seq = seqs[id]++;
    // Every 40th message is never consumed: it keeps old segments live until
    // copied.
    const char* queue = seq % 40 == 0 ? kKeep : kWork;
    std::string body = std::string("p")
                           .append(std::to_string(id))
                           .append("-")
                           .append(std::to_string(seq))
                           .append(":");
    body.resize(10 << 10, static_cast<char>('a' + seq % 26));
    auto sent = caller.Call("SendMessage", {{"queueName", queue}, {"msgBody", body}});
    if (!sent.ok()) return AfterFailure(sent.error());
    {
      std::lock_guard<std::mutex> lock(mu);
      acked[body] = sent->Find("msgId")->as_string();
    }
    sends.Add(1);
    return Step::kNext;
  };
  auto consume = [&](int, Caller& caller) {
    auto got =
        caller.Call("BatchReceiveMessage",
                    {{"queueName", kWork}, {"numOfMsg", "8"}, {"pollingWaitSeconds", "1"}}, 1000);
    if (!got.ok()) return got.error().is_no_message() ? Step::kNext : AfterFailure(got.error());
    ParamList params = {{"queueName", kWork}};
    std::vector<std::string> bodies;
    for (const JsonValue& m : got->Find("msgInfoList")->items()) {
      bodies.push_back(m.Find("msgBody")->as_string());
      params.emplace_back("receiptHandle." + std::to_string(bodies.size()),
                          m.Find("receiptHandle")->as_string());
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      maybe_deleted.insert(bodies.begin(), bodies.end());
    }
    auto del = caller.Call("BatchDeleteMessage", params);
    std::lock_guard<std::mutex> lock(mu);
    if (del.ok()) {
      deleted.insert(bodies.begin(), bodies.end());
      return Step::kNext;
    }
    if (!del.error().is_server()) return Step::kServerDown;
    // 6010/6020: some handles expired (visibilityTimeout is 1 s) and those
    // messages come again; the entries without an error were deleted.
    std::set<std::string> failed;
    if (const JsonValue* list = del.error().response.Find("errorList")) {
      for (const JsonValue& e : list->items()) failed.insert(e.Find("receiptHandle")->as_string());
    }
    for (size_t k = 0; k < bodies.size(); ++k) {
      if (!failed.count(params[k + 1].second)) deleted.insert(bodies[k]);
    }
    return Step::kNext;
  };
  ClientThreads producers(handle, kProducers, produce);
  ClientThreads consumers(handle, 2, consume);

  int drops_seen = 0;
  for (int kill = 1; kill <= kKills && producers.failed() + consumers.failed() == 0; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill));
    const uint32_t oldest = OldestSegment(journal_dir);
    ASSERT_TRUE(sends.WaitFor(sends.count() + kSendsPerRound)) << server.output();
    if (kill % 2 == 0) {
      // Quiet: the consumers empty the work queue, reclamation drops what it
      // can, and the kill follows the drop at once.
      pause.Set(true);
      if (Eventually([&] { return OldestSegment(journal_dir) > oldest; }, 30000)) ++drops_seen;
    }
    ASSERT_TRUE(KillAndRestart(server, handle));
    pause.Set(false);
  }
  ASSERT_TRUE(sends.WaitFor(sends.count() + 50));
  producers.Stop();
  consumers.Stop();
  EXPECT_EQ(drops_seen, kKills / 2) << "segments were not dropped while quiet";

  server.Kill9();
  ASSERT_TRUE(server.Start()) << server.output();
  std::map<std::string, std::string> received = DrainQueue(server.endpoint(), kWork);
  for (auto& [body, id] : DrainQueue(server.endpoint(), kKeep)) received[body] = id;

  int lost = 0;
  for (const auto& [body, msg_id] : acked) {
    auto it = received.find(body);
    if (it != received.end()) {
      EXPECT_EQ(it->second, msg_id) << body.substr(0, 12);
    } else if (!maybe_deleted.count(body) && ++lost <= 10) {
      ADD_FAILURE() << "acknowledged message lost: " << body.substr(0, 12);
    }
  }
  EXPECT_EQ(lost, 0) << "of " << acked.size() << " acknowledged";
  for (const auto& [body, id] : received) {
    EXPECT_EQ(deleted.count(body), 0u) << "acknowledged delete undone: " << body.substr(0, 12);
  }
  EXPECT_GE(acked.size(), static_cast<size_t>(kKills * kSendsPerRound));
  EXPECT_GT(OldestSegment(journal_dir), 1u);
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace cmq
