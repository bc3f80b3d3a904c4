// Space reclamation: the log stays bounded by live data without any timer (the broker
// is driven like the server drives it: Tick only when NextDeadlineMs() has come, and
// the clock does not move), messages that are never consumed and pending topic
// messages are copied forward, a drop waits for what replaces the dropped segments,
// and snapshots are written only where they are worth it.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/records.h"
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::kAccount;
using testing::Received;

constexpr uint32_t kSegment = 4096;

class ReclaimTest : public testing::TopicFixture {
 protected:
  ReclaimTest() { log_.SetSegmentCapacity(kSegment); }

  // What the server's loop does after every call: Tick while something is due now.
  void Settle(Broker* b = nullptr) {
    Broker* broker = b != nullptr ? b : broker_.get();
    for (int i = 0; i < 10000 && broker->NextDeadlineMs() <= clock_.NowMs(); ++i) broker->Tick();
    ASSERT_GT(broker->NextDeadlineMs(), clock_.NowMs()) << "the broker never stops being due";
  }

  // One send, one receive and one delete of the message received, settling after each.
  void SendReceiveDelete(const std::string& queue, const std::string& body) {
    SendOne(queue, body);
    Settle();
    Received r = Receive(queue, 1);
    Settle();
    ASSERT_EQ(r.messages.size(), 1u);
    ASSERT_TRUE(Delete(queue, r.messages[0].receipt_handle).ok());
    Settle();
  }

  uint32_t KeptSegments() const { return log_.CurrentSegment() - log_.OldestSegment() + 1; }

  // All messages of `queue` after a restart from a copy of the log (visibility ended).
  std::multiset<std::string> BodiesAfterRestart(const std::string& queue) {
    std::unique_ptr<Broker> other = Recover();
    clock_.Advance(31 * 1000);
    other->Tick();
    std::multiset<std::string> bodies;
    for (Received r = Receive(queue, 16, other.get()); !r.messages.empty();
         r = Receive(queue, 16, other.get())) {
      for (const auto& m : r.messages) bodies.insert(m.body);
    }
    return bodies;
  }
};

// Prompt deletes and short polls leave no deadline due: reclamation must not wait for
// one.
TEST_F(ReclaimTest, SteadySendAndPromptDeleteNeedNoTimerToStayBounded) {
  Create("q");
  const std::string body(200, 'b');
  uint32_t most = 0;
  for (int i = 0; i < 2000; ++i) {
    SendReceiveDelete("q", body);
    most = std::max(most, KeptSegments());
  }
  EXPECT_GT(log_.CurrentSegment(), 100u);  // 2000 sends went through ~110 segments
  EXPECT_LE(most, 3u);
  EXPECT_LE(log_.StoredBytes(), 3u * kSegment);
}

// A few messages never consumed, for days: they are copied forward rather than pin the
// log. The first segment is dense with them, which must not pin what follows either.
TEST_F(ReclaimTest, MessagesNeverConsumedAreCopiedForward) {
  Create("keep");
  Create("q");
  std::vector<std::string> keep;
  for (int i = 0; i < 10; ++i) keep.push_back("keep-" + std::to_string(i) + std::string(290, 'k'));
  Send("keep", std::vector<std::string_view>(keep.begin(), keep.end()));  // 3 KB of segment 1
  const std::string body(200, 'b');
  uint32_t most = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 500 == 0) {
      keep.push_back("late-keep-" + std::to_string(i));
      SendOne("keep", keep.back());
      Settle();
    }
    SendReceiveDelete("q", body);
    if (i % 100 == 0) clock_.Advance(60 * 60 * 1000);  // days pass
    Settle();
    most = std::max(most, KeptSegments());
  }
  // Live: about 3 KB. Kept: at most a few segments besides the one being written.
  EXPECT_LE(most, 5u);
  EXPECT_GT(log_.AppendedByType().at(kRecRelocate), 0u);
  EXPECT_EQ(BodiesAfterRestart("keep"), std::multiset<std::string>(keep.begin(), keep.end()));
}

// An HTTP endpoint that is down keeps a topic message pending for up to the topic's
// retention (a day); the message is copied forward with its deliveries meanwhile.
TEST_F(ReclaimTest, PendingTopicMessagesDoNotPinTheLog) {
  InstallSink();
  Create("q");
  CreateTopic("t");
  SubscribeHttp("t", "down", NotifyStrategy::kExponentialDecayRetry);
  std::set<std::string> published;
  const std::string body(200, 'b');
  uint32_t most = 0;
  for (int i = 0; i < 3000; ++i) {
    if (i % 300 == 0) {
      published.insert(PublishOne("t", "pub-" + std::to_string(i)));
      Settle();
    }
    for (const PushTask& t : TakeTasks()) broker_->CompletePush(t.delivery_id, false);
    SendReceiveDelete("q", body);
    if (i % 50 == 0) clock_.Advance(60 * 1000);  // retries come due
    Settle();
    most = std::max(most, KeptSegments());
  }
  EXPECT_LE(most, 4u);
  EXPECT_GT(log_.AppendedByType().at(kRecTopicRelocate), 0u);
  EXPECT_EQ(TopicCount("t"), static_cast<int64_t>(published.size()));

  // After a restart every message is still pending, and pushed again when due.
  std::unique_ptr<Broker> other = Recover();
  EXPECT_EQ(TopicCount("t", other.get()), static_cast<int64_t>(published.size()));
  EXPECT_EQ(SubscriptionCount("t", "down", other.get()), static_cast<int64_t>(published.size()));
  InstallSink(other.get());
  clock_.Advance(60 * 60 * 1000);
  Settle(other.get());
  std::set<std::string> pushed;
  for (const PushTask& t : TakeTasks()) pushed.insert(t.msg_id);
  EXPECT_EQ(pushed, published);
}

// The power goes at every point of a reclamation run, as far as durability goes: with
// every prefix of the appended records durable, what a restart finds still holds every
// acknowledged message, and the old segments went only after their replacements.
TEST_F(ReclaimTest, PowerCutAtEveryDurablePointOfAReclamationRun) {
  Create("q");
  Create("keep");
  std::set<std::string> keep;
  for (int i = 0; i < 40; ++i) {
    SendOne("q", std::string(300, 'q'));
    if (i % 8 == 0) {
      keep.insert("keep-" + std::to_string(i));
      SendOne("keep", "keep-" + std::to_string(i));
    }
  }
  for (Received r = Receive("q", 16); !r.messages.empty(); r = Receive("q", 16)) {
    for (const auto& m : r.messages) ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  }
  ASSERT_GE(log_.CurrentSegment(), 4u);
  log_.SetAutoDurable(false);
  const journal::Lsn from = log_.LastAppended();
  Settle();  // copies "keep" forward, asks for the old segments to go
  const journal::Lsn to = log_.LastAppended();
  ASSERT_GT(to, from);
  EXPECT_EQ(log_.OldestSegment(), 1u);  // nothing durable yet: nothing dropped
  for (journal::Lsn lsn = from; lsn <= to; ++lsn) {
    SCOPED_TRACE("durable up to " + std::to_string(lsn));
    log_.MakeDurableUpTo(lsn);
    std::unique_ptr<journal::MemRecordLog> left = log_.CloneDurable();
    Broker restarted(&clock_, left.get(), limits_);
    for (const auto& r : left->Records()) {
      ASSERT_TRUE(restarted.Replay(r.type, r.payload, r.location).ok());
    }
    restarted.FinishRecovery();
    std::set<std::string> found;
    for (Received r = Receive("keep", 16, &restarted); !r.messages.empty();
         r = Receive("keep", 16, &restarted)) {
      for (const auto& m : r.messages) found.insert(m.body);
    }
    EXPECT_EQ(found, keep);
    EXPECT_EQ(Receive("q", 16, &restarted).messages.size(), 0u);
  }
  EXPECT_GT(log_.OldestSegment(), 1u);  // all durable: the drop happened
}

TEST_F(ReclaimTest, RefusedDropStopsReclamation) {
  Create("q");
  for (int i = 0; i < 40; ++i) SendOne("q", std::string(300, 'q'));
  for (Received r = Receive("q", 16); !r.messages.empty(); r = Receive("q", 16)) {
    for (const auto& m : r.messages) ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  }
  log_.FailSync();
  broker_->Tick();
  EXPECT_TRUE(broker_->GetStats().reclaim_stopped);
  EXPECT_EQ(log_.OldestSegment(), 1u);
  EXPECT_GT(broker_->NextDeadlineMs(), clock_.NowMs());  // no tight loop of retries
}

// With many queues a snapshot is big: it is written only once four times its size
// was appended since the last one, so it adds at most a quarter to what is written.
TEST_F(ReclaimTest, SnapshotsAreWrittenOnlyWhereWorthIt) {
  limits_.max_queues_per_account = 1000;
  Reset(limits_);
  log_.SetSegmentCapacity(kSegment);
  for (int i = 0; i < 1000; ++i) Create("a-queue-with-a-long-name-" + std::to_string(i));
  const uint64_t before = log_.AppendedBytes();
  const auto snapshots_before = log_.AppendedByType().at(kRecSnapshot);
  uint64_t sent = 0;
  for (int i = 0; i < 3000; ++i) {
    SendOne("a-queue-with-a-long-name-7", std::string(200, 'b'));
    sent += 200;
  }
  const uint64_t written = log_.AppendedBytes() - before;
  EXPECT_LE(written, sent * 2);  // the records' own headers add ~10%
  EXPECT_GT(log_.CurrentSegment(), 100u);
  EXPECT_LT(log_.AppendedByType().at(kRecSnapshot) - snapshots_before, 10u);
  // A restart finds them all.
  std::unique_ptr<Broker> other = Recover();
  EXPECT_EQ(other->ListQueues(kAccount, "", 0, 1)->total_count, 1000);
  EXPECT_EQ(Counters("a-queue-with-a-long-name-7").active, 3000);
}

}  // namespace
}  // namespace cmq::broker
