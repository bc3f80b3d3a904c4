// Space reclamation: a log that refuses a drop stops it, and snapshots are written
// only where they are worth it.
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
