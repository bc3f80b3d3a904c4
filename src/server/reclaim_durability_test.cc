// Space reclamation on the real Journal under power cuts, with the broker the server
// wires onto it: every acknowledged send, publish and delete and every queue and
// topic survive a cut at any step of a reclamation run (MemEnv under a PowerCutEnv).
// Also: an I/O error while removing segments stops the journal, and metadata snapshots
// do not multiply the bytes written when there are many queues.
//
// Nothing here depends on timing: the writer's ride-along bound is long, so it writes
// only what a completion waits for, and power cuts are placed by counting steps.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/broker_test_util.h"
#include "env/power_cut_env_for_test.h"
#include "journal/fake_loop_for_test.h"
#include "journal/journal.h"

namespace cmq::server {
namespace {

using broker::Broker;
using broker::DeleteOutcome;
using broker::PushTask;
using broker::ReceivedMessage;
using journal::Journal;

constexpr broker::AccountId kAccount = 1251000001;
constexpr int kVisibilitySeconds = 30;

// What clients were told, by bodies (unique per test).
struct Acks {
  std::set<std::string> sent;       // sends and publishes answered
  std::set<std::string> published;  // publishes answered (also in `sent`: queue "tq")
  std::set<std::string> deleted;    // deletes answered
  // Deletes and HTTP deliveries that succeeded, asked for: a delete is durable once
  // answered, but one made durable just before a power cut stays done unanswered.
  std::set<std::string> maybe_deleted;
  std::set<std::string> pushed;
};

std::string Body(std::string_view tag, int i, size_t size) {
  std::string s = std::string(tag) + "-" + std::to_string(i) + ":";
  while (s.size() < size) s.push_back(static_cast<char>('a' + s.size() % 26));
  return s;
}

class ReclaimDurabilityTest : public ::testing::Test {
 protected:
  ReclaimDurabilityTest() {
    opts_.dir = "/data/journal";
    opts_.segment_size = 4096;
    opts_.ride_along_ms = 60000;  // only what somebody waits for is written
    limits_.min_max_msg_heap_num = 1;
    limits_.topics.publish_qps_per_topic = 0;
    Reset();
  }
  ~ReclaimDurabilityTest() override { Close(); }

  // A fresh machine: empty disk, nothing acknowledged.
  void Reset() {
    Close();
    env_.reset();
    mem_ = env::NewMemEnv(&clock_);
    env_ = std::make_unique<env::testing::PowerCutEnv>(mem_.get());
    acks_ = Acks{};
  }

  // Starts a "process": recovers the journal into a new broker. Without the writer,
  // nothing this process appends ever reaches the disk.
  void Open(bool start_writer = true) {
    auto j = Journal::Open(env_.get(), opts_);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    journal_ = std::move(*j);
    broker_ = std::make_unique<Broker>(&clock_, journal_.get(), limits_);
    Status s = journal_->Recover([this](journal::RecordType t, std::string_view p,
                                        journal::Location l) { return broker_->Replay(t, p, l); });
    ASSERT_TRUE(s.ok()) << s.ToString();
    broker_->FinishRecovery();
    broker_->SetPushSink([this](PushTask t) { pushes_.push_back(std::move(t)); });
    alive_ = std::make_shared<bool>(true);
    if (start_writer) {
      ASSERT_TRUE(journal_->Start(loop_.Hook()).ok());
    }
  }

  // The process ends (after a power cut: dies). What it says afterwards counts for
  // nobody, and the power is back for the next one.
  void Close() {
    if (!journal_) return;
    *alive_ = false;
    // After a power cut the journal's files are gone and closing fails: expected, and
    // nothing of this process is looked at any more.
    (void)journal_->Close();
    broker_.reset();  // before the journal: it uninstalls its preamble there
    journal_.reset();
    pushes_.clear();
    env_->Restore();
  }

  // `method` of this process's broker as a BrokerCall whose log is made durable by the
  // writer, as in the server.
  template <typename... P>
  auto Call(void (Broker::*method)(P...)) {
    return broker::testing::CallOn(broker_.get(), method, [this] { WaitDurable(); });
  }
  // Waits until everything appended so far is durable (or the journal failed). The
  // waiter is what makes the writer write at once.
  bool WaitDurable() {
    journal::Lsn lsn = journal_->LastAppended();
    journal_->WhenDurable(lsn, [](const Status&) {});
    bool ok = loop_.WaitDurable(journal_.get(), lsn);
    // The writer's wakeup may have come after the last completions run: the loop runs
    // them once more for it (drops that just became due happen there).
    journal_->RunCompletions();
    return ok;
  }

  void CreateQueue(const std::string& name) {
    broker::QueueAttributeUpdate u;
    u.visibility_timeout = kVisibilitySeconds;
    ASSERT_TRUE(Call(&Broker::CreateQueue)(kAccount, name, u).ok());
  }
  // Sends and publishes are acknowledged when they complete, if this process lives.
  void Send(const std::string& queue, const std::string& body) {
    broker_->SendMessages(kAccount, queue, {body}, 0,
                          [this, alive = alive_, body](Result<std::vector<std::string>> r) {
                            if (*alive && r.ok()) acks_.sent.insert(body);
                          });
  }
  void Publish(const std::string& topic, const std::string& body) {
    broker_->PublishMessages(kAccount, topic, {body}, {}, {},
                             [this, alive = alive_, body](Result<std::vector<std::string>> r) {
                               if (!*alive || !r.ok()) return;
                               acks_.sent.insert(body);
                               acks_.published.insert(body);
                             });
  }
  // Waits, as the server's loop would, for the messages' records to be durable.
  std::vector<ReceivedMessage> Receive(const std::string& queue, int n) {
    auto out = std::make_shared<std::optional<Result<std::vector<ReceivedMessage>>>>();
    broker_->ReceiveMessages(kAccount, queue, n, 0, [out](Result<std::vector<ReceivedMessage>> r) {
      *out = std::move(r);
    });
    EXPECT_TRUE(loop_.RunUntil(journal_.get(), [&out] { return out->has_value(); }));
    if (!out->has_value() || !out->value().ok()) return {};
    return std::move(out->value()).value();
  }
  // Receives up to `n` messages and deletes those `keep` does not want kept.
  void ReceiveAndDelete(const std::string& queue, int n,
                        const std::function<bool(const std::string&)>& keep = nullptr) {
    for (const ReceivedMessage& m : Receive(queue, n)) {
      if (keep && keep(m.body)) continue;
      auto answered = std::make_shared<bool>(false);
      broker_->DeleteMessages(
          kAccount, queue, {m.receipt_handle},
          [this, alive = alive_, answered, body = m.body](Result<std::vector<DeleteOutcome>> r) {
            *answered = true;
            if (!*alive || !r.ok() || !(*r)[0].status.ok()) return;
            acks_.maybe_deleted.insert(body);
            acks_.deleted.insert(body);
          });
      // Errors complete at once: one still waiting was applied, and may become durable
      // just before a power cut.
      if (!*answered) acks_.maybe_deleted.insert(m.body);
    }
  }

  // What the daemon's loop does until nothing is due: Tick once the broker's next
  // deadline has come, and run completions once the log is durable.
  void Settle() {
    for (int round = 0; round < 10000; ++round) {
      if (broker_->NextDeadlineMs() <= clock_.NowMs()) broker_->Tick();
      ASSERT_TRUE(WaitDurable());
      if (journal_->Stats().failed || broker_->NextDeadlineMs() > clock_.NowMs()) return;
    }
    FAIL() << "the broker never stops being due";
  }

  // Queue "q" with many messages and "keep" with a few spread over several segments;
  // everything in "q" is received and deleted, so the old segments hold little that
  // is live. All of it is acknowledged, and no Tick ran: nothing is reclaimed yet.
  void FillSparseSegments() {
    CreateQueue("q");
    CreateQueue("keep");
    for (int i = 0; i < 40; ++i) {
      Send("q", Body("q", i, 300));
      if (i % 10 == 0) Send("keep", Body("keep", i, 100));
    }
    ASSERT_TRUE(WaitDurable());
    for (int i = 0; i < 10; ++i) ReceiveAndDelete("q", 16);
    ASSERT_TRUE(WaitDurable());
    ASSERT_EQ(acks_.sent.size(), 44u);
    ASSERT_EQ(acks_.deleted.size(), 40u);
    ASSERT_GE(journal_->CurrentSegment(), 4u);
    ASSERT_EQ(journal_->OldestSegment(), 1u);
  }

  // Every acknowledged send is there unless its delete was acknowledged, and no
  // acknowledged delete is undone. Receives everything (visibility ends first).
  void ExpectAcknowledgedMessages(const std::vector<std::string>& queues) {
    clock_.Advance((kVisibilitySeconds + 1) * 1000);
    broker_->Tick();
    std::set<std::string> received;
    for (const std::string& q : queues) {
      ASSERT_TRUE(broker_->GetQueue(kAccount, q).ok()) << "queue " << q << " is gone";
      for (auto batch = Receive(q, 16); !batch.empty(); batch = Receive(q, 16)) {
        for (const auto& m : batch) received.insert(m.body);
      }
    }
    int lost = 0;
    for (const std::string& body : acks_.sent) {
      if (!acks_.maybe_deleted.count(body) && !received.count(body) && ++lost <= 5) {
        ADD_FAILURE() << "acknowledged message lost: " << body.substr(0, 20);
      }
    }
    EXPECT_EQ(lost, 0) << "of " << acks_.sent.size() << " acknowledged";
    for (const std::string& body : received) {
      EXPECT_EQ(acks_.deleted.count(body), 0u) << "delete undone: " << body.substr(0, 20);
    }
  }

  env::FakeClock clock_;
  std::unique_ptr<env::Env> mem_;
  std::unique_ptr<env::testing::PowerCutEnv> env_;
  journal::JournalOptions opts_;
  broker::Limits limits_;
  journal::FakeLoop loop_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Broker> broker_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(false);
  std::vector<PushTask> pushes_;
  Acks acks_;
};

// The restarted process copies the live messages of the old segments forward and
// asks for them to be dropped; none of what it appends is durable when the power goes.
TEST_F(ReclaimDurabilityTest, PowerCutRightAfterReclamationLosesNothing) {
  Open();
  FillSparseSegments();
  Close();
  Open(/*start_writer=*/false);
  broker_->Tick();           // reclamation
  env_->DropUnsyncedData();  // the power cut
  Close();
  Open();
  ExpectAcknowledgedMessages({"q", "keep"});
}

TEST_F(ReclaimDurabilityTest, PowerCutAtEveryStepOfAReclamationRun) {
  int64_t cut_after = 0;
  for (;; ++cut_after) {
    SCOPED_TRACE("power cut after step " + std::to_string(cut_after));
    Reset();
    Open();
    FillSparseSegments();
    env_->CutAfter(cut_after);
    broker_->Tick();
    Settle();
    const bool finished = !env_->cut();
    const uint32_t oldest = journal_->OldestSegment();
    Close();
    Open();
    ExpectAcknowledgedMessages({"q", "keep"});
    if (HasFailure()) return;
    if (finished) {
      EXPECT_GT(oldest, 1u) << "the run reclaimed nothing";
      break;
    }
    ASSERT_LT(cut_after, 1000);
  }
  EXPECT_GT(cut_after, 3) << "the run had no steps to cut at";
}

TEST_F(ReclaimDurabilityTest, FailedRemovalStopsTheJournal) {
  Open();
  FillSparseSegments();
  env_->FailRemoves(true);
  broker_->Tick();
  Settle();
  EXPECT_TRUE(journal_->Stats().failed);
  EXPECT_EQ(Call(&Broker::CreateQueue)(kAccount, "after", {}).status().error(),
            ErrorCode::kStorageFailed);
  env_->FailRemoves(false);
  Close();
  Open();
  ExpectAcknowledgedMessages({"q", "keep"});
  // The next process reclaims what the failed one could not.
  broker_->Tick();
  Settle();
  EXPECT_GT(journal_->OldestSegment(), 1u);
}

// With 10,000 queues the snapshot is larger than a segment; writing one at every roll
// made every append start a segment of its own.
TEST_F(ReclaimDurabilityTest, SnapshotsDoNotMultiplyWritesWithManyQueues) {
  opts_.segment_size = 1 << 20;
  limits_.max_queues_per_account = 10000;
  Open();
  const std::string prefix = "queue-name-long-enough-for-a-snapshot-larger-than-a-segment-";
  auto create = Call(&Broker::CreateQueue);
  std::vector<decltype(create)::Slot> created;
  for (int i = 0; i < 10000; ++i) {
    created.push_back(create.Start(kAccount, prefix + std::to_string(i), {}));
    // About 1.5 MB of create records and a snapshot or two.
    ASSERT_LE(journal_->CurrentSegment(), 8u) << "after " << i + 1 << " queues";
  }
  ASSERT_TRUE(WaitDurable());
  for (const auto& c : created) ASSERT_TRUE(c->has_value() && c->value().ok());
  const uint32_t first = journal_->CurrentSegment();
  const std::string body(10 << 10, 'b');
  uint64_t sent = 0;
  auto send = Call(&Broker::SendMessages);
  std::vector<decltype(send)::Slot> sends;
  for (int i = 0; i < 300; ++i) {
    sends.push_back(send.Start(kAccount, prefix + "0", {body}, 0));
    ASSERT_FALSE(sends.back()->has_value() && !sends.back()->value().ok());
    sent += body.size();
    // Segments started while sending: what the bodies fill, a snapshot's, and one.
    ASSERT_LE(journal_->CurrentSegment() - first, sent / opts_.segment_size + 2)
        << "after " << i + 1 << " sends";
  }
  ASSERT_TRUE(WaitDurable());
  for (const auto& s : sends) ASSERT_TRUE(s->has_value() && s->value().ok());
  uint64_t disk = 0;
  auto names = env_->ListDir(opts_.dir);
  ASSERT_TRUE(names.ok());
  for (const std::string& name : *names) {
    auto f = env_->Open(opts_.dir + "/" + name, env::OpenMode::kReadOnly);
    ASSERT_TRUE(f.ok());
    disk += *(*f)->Size();
  }
  EXPECT_LE(disk, 3 * sent + 8 * opts_.segment_size);
}

// Random operations on queues and a topic (a queue and an HTTP subscription) with
// small segments, so that reclamation runs all the time, and a power cut at a random
// step of every round. Seed 0 picks a random seed (printed).
class ReclaimDurabilityRandomTest : public ReclaimDurabilityTest,
                                    public ::testing::WithParamInterface<uint32_t> {};

INSTANTIATE_TEST_SUITE_P(Seeds, ReclaimDurabilityRandomTest, ::testing::Values(1, 2, 3, 4, 0));

TEST_P(ReclaimDurabilityRandomTest, AcknowledgedStateSurvivesRandomPowerCuts) {
  uint32_t seed = GetParam() != 0 ? GetParam() : std::random_device{}();
  std::cout << "[ seed ] " << seed << std::endl;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const std::vector<std::string> queues = {"q1", "q2", "keep", "tq"};

  Open();
  for (const auto& q : queues) CreateQueue(q);
  ASSERT_TRUE(Call(&Broker::CreateTopic)(kAccount, "t", {}).ok());
  broker::SubscriptionSpec to_queue;
  to_queue.name = "to-queue";
  to_queue.protocol = broker::Protocol::kQueue;
  to_queue.endpoint = "tq";
  broker::SubscriptionSpec to_http;
  to_http.name = "to-http";
  to_http.endpoint = "http://down.example/";
  ASSERT_TRUE(Call(&Broker::Subscribe)(kAccount, "t", to_queue).ok());
  ASSERT_TRUE(Call(&Broker::Subscribe)(kAccount, "t", to_http).ok());
  ASSERT_TRUE(WaitDurable());

  int next_body = 0;
  std::map<uint64_t, std::string> push_bodies;  // delivery id -> body, this process
  for (int round = 0; round < 6; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    env_->CutAfter(pick(120));
    for (int op = 0; op < 400 && !env_->cut(); ++op) {
      switch (pick(20)) {
        case 0:
          Send("keep", Body("keep", next_body++, 50 + pick(200)));
          break;
        case 1:
        case 2:
          Publish("t", Body("pub", next_body++, 20 + pick(400)));
          break;
        case 3:
        case 4:
        case 5:
          ReceiveAndDelete(queues[pick(2) ? 3 : pick(2)], 1 + pick(8));
          break;
        case 6:
          for (PushTask& t : pushes_) push_bodies[t.delivery_id] = t.body;
          pushes_.clear();
          for (auto it = push_bodies.begin(); it != push_bodies.end();) {
            if (pick(3) == 0) {
              ++it;  // stays in flight
              continue;
            }
            bool delivered = pick(2) == 0;
            broker_->CompletePush(it->first, delivered);
            if (delivered) acks_.pushed.insert(it->second);
            it = push_bodies.erase(it);
          }
          break;
        case 7:
          clock_.Advance(pick(3000));
          break;
        case 8:
          if (!WaitDurable()) FAIL() << "durability wait";
          break;
        default:
          Send(queues[pick(2)], Body("m", next_body++, 20 + pick(700)));
          break;
      }
      if (broker_->NextDeadlineMs() <= clock_.NowMs()) broker_->Tick();
    }
    if (!env_->cut()) env_->DropUnsyncedData();
    Close();
    push_bodies.clear();
    Open();
    ExpectAcknowledgedMessages(queues);
    // Every acknowledged publish reached the HTTP endpoint (as far as anybody knows) or
    // is pending again: handed out once its recorded next attempt is due.
    clock_.Advance(600 * 1000);
    for (int i = 0; i < 100 && broker_->NextDeadlineMs() <= clock_.NowMs(); ++i) broker_->Tick();
    std::set<std::string> pending;
    for (const PushTask& t : pushes_) pending.insert(t.body);
    for (const std::string& body : acks_.published) {
      EXPECT_TRUE(pending.count(body) || acks_.pushed.count(body))
          << "acknowledged publish lost for HTTP: " << body.substr(0, 20);
    }
    if (HasFailure()) return;
  }
  // Reclamation must have run. How far the random rounds get before their cuts depends
  // on how the writer thread batches its writes (the cut counts them), so a last phase
  // without a cut makes sure of it, then the state survives one more restart.
  for (int i = 0; i < 4000 && journal_->OldestSegment() <= 1; ++i) {
    Send("q1", Body("m", next_body++, 200));
    if (i % 8 == 7) ReceiveAndDelete("q1", 8);
    if (i % 64 == 63) {
      ASSERT_TRUE(WaitDurable());
      clock_.Advance(1000);
      if (broker_->NextDeadlineMs() <= clock_.NowMs()) broker_->Tick();
    }
  }
  EXPECT_GT(journal_->OldestSegment(), 1u);
  ASSERT_TRUE(WaitDurable());
  Close();
  Open();
  ExpectAcknowledgedMessages(queues);
}

}  // namespace
}  // namespace cmq::server
