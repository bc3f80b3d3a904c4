// Recovery determinism, space reclamation and bad records. Records appended by one
// broker are replayed into a fresh one; both must agree on every queue and handle.
#include <map>
#include <random>

#include "broker/broker_test_util.h"
#include "broker/records.h"

namespace cmq::broker {
namespace {

using testing::BrokerFixture;
using testing::kAccount;
using testing::Received;

void ExpectSameView(const QueueView& a, const QueueView& b) {
  EXPECT_EQ(a.queue_id, b.queue_id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.last_modify_time, b.last_modify_time);
  const QueueAttributes& x = a.attributes;
  const QueueAttributes& y = b.attributes;
  EXPECT_EQ(x.max_msg_heap_num, y.max_msg_heap_num);
  EXPECT_EQ(x.polling_wait_seconds, y.polling_wait_seconds);
  EXPECT_EQ(x.visibility_timeout, y.visibility_timeout);
  EXPECT_EQ(x.max_msg_size, y.max_msg_size);
  EXPECT_EQ(x.msg_retention_seconds, y.msg_retention_seconds);
  EXPECT_EQ(x.rewind_seconds, y.rewind_seconds);
  EXPECT_EQ(x.dead_letter_policy.has_value(), y.dead_letter_policy.has_value());
  EXPECT_EQ(a.counters.active, b.counters.active) << a.name;
  EXPECT_EQ(a.counters.inactive, b.counters.inactive) << a.name;
  EXPECT_EQ(a.counters.delayed, b.counters.delayed) << a.name;
  EXPECT_EQ(a.counters.rewindable, b.counters.rewindable) << a.name;
  EXPECT_EQ(a.counters.min_msg_time, b.counters.min_msg_time) << a.name;
}

class RecoveryTest : public BrokerFixture {
 protected:
  // A second broker built from a copy of the log, as a restart would.
  std::unique_ptr<Broker> Recover() {
    replica_log_ = log_.Clone();
    auto b = std::make_unique<Broker>(&clock_, replica_log_.get(), limits_);
    for (const auto& r : replica_log_->Records()) {
      Status s = b->Replay(r.type, r.payload, r.location);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    b->FinishRecovery();
    b->Tick();
    return b;
  }

  void ExpectSameState(Broker* other) {
    broker_->Tick();
    auto mine = broker_->ListQueues(kAccount, "", 0, 1000);
    auto theirs = other->ListQueues(kAccount, "", 0, 1000);
    ASSERT_EQ(mine->total_count, theirs->total_count);
    for (size_t i = 0; i < mine->queues.size(); ++i) {
      EXPECT_EQ(mine->queues[i].name, theirs->queues[i].name);
      ExpectSameView(*broker_->GetQueue(kAccount, mine->queues[i].name),
                     *other->GetQueue(kAccount, mine->queues[i].name));
    }
    EXPECT_EQ(broker_->GetStats().messages, other->GetStats().messages);
  }

  std::unique_ptr<journal::MemRecordLog> replica_log_;
};

class RandomReplayTest : public RecoveryTest, public ::testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(Seeds, RandomReplayTest, ::testing::Values(1, 2, 3));

TEST_P(RandomReplayTest, RandomOperationsReplayToTheSameState) {
  std::mt19937 rng(GetParam());
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  Create("dlq");
  QueueAttributeUpdate q0;
  q0.rewind_seconds = 300;
  q0.msg_retention_seconds = 900;
  q0.visibility_timeout = 5;
  Create("q0", q0);
  QueueAttributeUpdate q1;
  q1.visibility_timeout = 3;
  q1.dead_letter_policy = DeadLetterPolicy{"dlq", 0, 2, 0};
  Create("q1", q1);
  QueueAttributeUpdate q2;
  q2.msg_retention_seconds = 100;
  q2.visibility_timeout = 4;
  q2.dead_letter_policy = DeadLetterPolicy{"dlq", 1, 0, 20};
  Create("q2", q2);
  QueueAttributeUpdate q3;
  q3.msg_retention_seconds = 60;
  Create("q3", q3);
  const std::vector<std::string> names = {"q0", "q1", "q2", "q3", "dlq"};

  std::vector<std::pair<std::string, std::string>> handles;  // (queue, handle)
  std::vector<std::unique_ptr<Received>> parked;
  for (int step = 0; step < 4000; ++step) {
    const std::string& q = names[pick(names.size())];
    switch (pick(12)) {
      case 0:
      case 1:
      case 2: {
        std::vector<std::string> bodies;
        for (int i = 0, n = 1 + pick(4); i < n; ++i) {
          bodies.push_back(std::string(1 + pick(40), static_cast<char>('a' + pick(26))));
        }
        std::vector<std::string_view> views(bodies.begin(), bodies.end());
        (void)Call (&Broker::SendMessages)(kAccount, q, views, pick(3) == 0 ? pick(10) : 0);
        break;
      }
      case 3:
      case 4: {
        Received r = Receive(q, 1 + pick(5));
        for (const auto& m : r.messages) handles.emplace_back(q, m.receipt_handle);
        break;
      }
      case 5:
        parked.push_back(std::make_unique<Received>());
        StartReceive(q, 1 + pick(3), 1 + pick(5), parked.back().get());
        break;
      case 6:
      case 7:
        if (!handles.empty()) {
          // Mostly recent handles (likely valid), sometimes any (likely stale).
          size_t n = handles.size();
          size_t i = pick(3) ? n - 1 - std::min<size_t>(pick(8), n - 1) : pick(n);
          auto& [hq, h] = handles[i];
          (void)Delete(hq, h);
        }
        break;
      case 8:
        (void)Call (&Broker::RewindQueue)(kAccount, "q0", NowS() - pick(300));
        break;
      case 9: {
        QueueAttributeUpdate u;
        if (q == "q0") u.rewind_seconds = pick(2) ? 300 : 0;
        if (q == "q3") u.msg_retention_seconds = pick(2) ? 60 : 120;
        u.visibility_timeout = 2 + pick(6);
        (void)Call (&Broker::SetQueueAttributes)(kAccount, q, u);
        break;
      }
      case 10:
        if (pick(20) == 0) {
          ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q3").ok());
          Create("q3", q3);
        } else if (pick(8) == 0) {
          log_.Roll();
        }
        break;
      default:
        Advance(pick(3000));
        break;
    }
  }
  Advance(1000);
  EXPECT_GT(log_.OldestSegment(), 1u);  // reclamation ran along the way
  std::map<journal::RecordType, uint64_t> kinds = log_.AppendedByType();
  EXPECT_GT(kinds[kRecDelete], 0u);
  EXPECT_GT(kinds[kRecDeadLetterMove], 0u);
  EXPECT_GT(kinds[kRecRelocate], 0u);
  EXPECT_GT(kinds[kRecRewind], 0u);

  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(other.get());
  // The same handles are valid (or not) in both.
  for (const auto& [q, h] : handles) {
    EXPECT_EQ(Delete(q, h).error(), Delete(q, h, other.get()).error()) << q << " " << h;
  }
  ExpectSameState(other.get());
  // And the same messages come out, in the same order, with the same handles.
  for (const auto& q : names) {
    while (true) {
      Received a = Receive(q, 16);
      Received b = Receive(q, 16, other.get());
      ASSERT_EQ(a.status.error(), b.status.error());
      if (!a.status.ok()) break;
      ASSERT_EQ(a.messages.size(), b.messages.size());
      for (size_t i = 0; i < a.messages.size(); ++i) {
        EXPECT_EQ(a.messages[i].msg_id, b.messages[i].msg_id);
        EXPECT_EQ(a.messages[i].body, b.messages[i].body);
        EXPECT_EQ(a.messages[i].receipt_handle, b.messages[i].receipt_handle);
        EXPECT_EQ(a.messages[i].dequeue_count, b.messages[i].dequeue_count);
        EXPECT_EQ(a.messages[i].enqueue_time, b.messages[i].enqueue_time);
        EXPECT_EQ(a.messages[i].first_dequeue_time, b.messages[i].first_dequeue_time);
      }
    }
  }
  // Id counters continue in step.
  auto mine = Call(&Broker::SendMessages)(kAccount, "q0", {"x"}, 0);
  auto theirs = Call(&Broker::SendMessages, other.get())(kAccount, "q0", {"x"}, 0);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(*mine, *theirs);
}

// The traffic of each queue (/metrics) as the broker saw it happen.
QueueTraffic TrafficOf(const Broker& broker, std::string_view queue) {
  QueueTraffic traffic;
  broker.ForEachQueue([&](const QueueFigures& q) {
    if (q.name == queue) traffic = q.traffic;
  });
  return traffic;
}

TEST_F(RecoveryTest, TrafficCountsWhatHappensSinceRecoveryNotWhatWasReplayed) {
  QueueAttributeUpdate short_lived;
  short_lived.msg_retention_seconds = 60;
  Create("q", short_lived);
  Create("later");
  Send("q", {"a", "b", "c"});
  ReceivedMessage first = ReceiveOne("q");
  ReceiveOne("q");
  ASSERT_TRUE(Delete("q", first.receipt_handle).ok());
  QueueTraffic seen = TrafficOf(*broker_, "q");
  EXPECT_EQ(seen.sent, 3);
  EXPECT_EQ(seen.received, 2);
  EXPECT_EQ(seen.deleted, 1);
  EXPECT_EQ(seen.expired, 0);

  std::unique_ptr<Broker> restarted = Recover();
  QueueTraffic replayed = TrafficOf(*restarted, "q");
  EXPECT_EQ(replayed.sent, 0);
  EXPECT_EQ(replayed.received, 0);
  EXPECT_EQ(replayed.deleted, 0);

  // The two undeleted messages reach the end of their retention; the deleted one is
  // not counted as expired.
  Advance(61 * 1000);
  EXPECT_EQ(TrafficOf(*broker_, "q").expired, 2);
  // Queues come account by account in creation order.
  std::vector<std::string> order;
  broker_->ForEachQueue([&](const QueueFigures& q) { order.emplace_back(q.name); });
  EXPECT_EQ(order, (std::vector<std::string>{"q", "later"}));
}

TEST_F(RecoveryTest, IdsAndHandlesSurviveRestart) {
  QueueView v = Create("q");
  std::string id = SendOne("q", "hello");
  ReceivedMessage m = ReceiveOne("q");
  std::unique_ptr<Broker> other = Recover();
  auto ov = other->GetQueue(kAccount, "Q");
  ASSERT_TRUE(ov.ok());
  EXPECT_EQ(ov->queue_id, v.queue_id);
  EXPECT_EQ(ov->counters.inactive, 1);
  EXPECT_TRUE(Delete("q", m.receipt_handle, other.get()).ok());
  auto next = Call(&Broker::SendMessages, other.get())(kAccount, "q", {"again"}, 0);
  ASSERT_TRUE(next.ok());
  EXPECT_GT(std::stoull((*next)[0]), std::stoull(id));
}

TEST_F(RecoveryTest, RestartLaterAppliesWhatHappenedMeanwhile) {
  QueueAttributeUpdate u;
  u.msg_retention_seconds = 100;
  u.visibility_timeout = 10;
  Create("q", u);
  SendOne("q", "old");
  clock_.Advance(50000);
  SendOne("q", "young");
  ReceivedMessage y = ReceiveOne("q");
  EXPECT_EQ(y.body, "old");
  clock_.Advance(60000);  // "old" is past retention, the receive's visibility ended
  std::unique_ptr<Broker> other = Recover();
  auto v = other->GetQueue(kAccount, "q");
  testing::ExpectCounters(v->counters, 1, 0, 0, 0);
  Received r = Receive("q", 1, other.get());
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body, "young");
}

TEST_F(RecoveryTest, EmptySegmentsAreDropped) {
  Create("q");
  std::vector<std::string_view> batch(10, "body");
  for (int i = 0; i < 10; ++i) Send("q", batch);
  log_.Roll();
  Send("q", {"keep"});
  while (true) {
    Received r = Receive("q", 16);
    if (!r.status.ok()) break;
    for (const auto& m : r.messages) {
      if (m.body != "keep") {
        ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
      }
    }
  }
  EXPECT_EQ(log_.OldestSegment(), 1u);
  broker_->Tick();
  EXPECT_EQ(log_.OldestSegment(), 2u);
  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(other.get());
}

TEST_F(RecoveryTest, SparseSegmentsAreCopiedForwardAndDropped) {
  QueueAttributeUpdate u;
  u.rewind_seconds = 3600;
  u.visibility_timeout = 600;
  Create("q", u);
  Create("idle");
  int64_t t0 = NowS();
  std::vector<std::string_view> batch(16, std::string_view("some body text of the message"));
  for (int i = 0; i < 20; ++i) Send("q", batch);
  SendOne("idle", "survivor");
  SendOne("q", "held");
  SendOne("q", "rewindable");
  // Consume all but three: one Active, one Inactive, one Rewindable.
  std::string held_handle;
  while (true) {
    Received r = Receive("q", 16);
    if (!r.status.ok()) break;
    for (const auto& m : r.messages) {
      if (m.body == "held") {
        held_handle = m.receipt_handle;
      } else {
        ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
      }
    }
  }
  QueueAttributeUpdate off;
  off.rewind_seconds = 0;  // drop the other rewindable ones, keep the window after
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", off).ok());
  ASSERT_TRUE(Call(&Broker::SetQueueAttributes)(kAccount, "q", u).ok());
  SendOne("q", "rewindable2");
  ASSERT_TRUE(Delete("q", ReceiveOne("q").receipt_handle).ok());
  EXPECT_EQ(Counters("q").rewindable, 1);
  log_.Roll();
  log_.Roll();
  const uint32_t current = log_.CurrentSegment();
  for (int i = 0; i < 10 && log_.OldestSegment() < current; ++i) Advance(1000);
  EXPECT_EQ(log_.OldestSegment(), current);

  // Everything is still there, and the handle taken before the copy still works.
  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(other.get());
  EXPECT_TRUE(Delete("q", held_handle, other.get()).ok());
  EXPECT_TRUE(Delete("q", held_handle).ok());
  Received idle = Receive("idle", 1, other.get());
  ASSERT_EQ(idle.messages.size(), 1u);
  EXPECT_EQ(idle.messages[0].body, "survivor");
  ASSERT_TRUE(Call(&Broker::RewindQueue, other.get())(kAccount, "q", t0).ok());
  Received back = Receive("q", 16, other.get());
  ASSERT_EQ(back.messages.size(), 2u);  // "held" was just deleted: rewindable too
  EXPECT_EQ(back.messages[0].body, "held");
  EXPECT_EQ(back.messages[1].body, "rewindable2");
}

TEST_F(RecoveryTest, BadRecordsAreCorruptionNotCrashes) {
  Create("q");
  Send("q", {"a", "b"});
  ReceiveOne("q");
  auto records = log_.Records();
  journal::MemRecordLog scratch;
  Broker b(&clock_, &scratch, limits_);
  for (const auto& r : records) {
    for (size_t n = 0; n < r.payload.size(); ++n) {
      (void)b.Replay(r.type, std::string_view(r.payload).substr(0, n), r.location);
    }
  }
  EXPECT_EQ(b.Replay(99, "xyz", 0).error(), ErrorCode::kCorruption);
  EXPECT_EQ(b.Replay(kRecSend, "\xff\xff", 0).error(), ErrorCode::kCorruption);
  EXPECT_EQ(b.Replay(kRecSnapshot, "", 0).error(), ErrorCode::kCorruption);
  // Records about queues or messages that do not exist are ignored.
  EXPECT_TRUE(b.Replay(kRecReceive, EncodeReceive({424242, 1, 2, {5}}), 0).ok());
  EXPECT_TRUE(b.Replay(kRecDelete, EncodeDelete({424242, 1, {5}}), 0).ok());
  b.FinishRecovery();
  b.Tick();
}

}  // namespace
}  // namespace cmq::broker
