// Topic recovery: replaying the records into a fresh broker gives the same topics,
// subscriptions, queues and pending deliveries (and the same future), in-flight pushes
// are handed out again after a restart, and segment reclamation respects topics.
#include <map>
#include <random>
#include <set>

#include "broker/records.h"
#include "broker/topic_records.h"
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::kAccount;
using testing::Received;
using testing::SubscriptionArgs;
using testing::TopicFixture;

class TopicRecoveryTest : public TopicFixture {
 protected:
  // Compares every topic, subscription and queue view of two brokers.
  void ExpectSameState(Broker* a, Broker* b) {
    auto ta = a->ListTopics(kAccount, "", 0, 1000);
    auto tb = b->ListTopics(kAccount, "", 0, 1000);
    ASSERT_EQ(ta->total_count, tb->total_count);
    for (size_t i = 0; i < ta->topics.size(); ++i) {
      const std::string& name = ta->topics[i].name;
      auto va = a->GetTopic(kAccount, name);
      auto vb = b->GetTopic(kAccount, name);
      ASSERT_TRUE(va.ok() && vb.ok()) << name;
      EXPECT_EQ(va->topic_id, vb->topic_id);
      EXPECT_EQ(va->name, vb->name);
      EXPECT_EQ(va->attributes.max_msg_size, vb->attributes.max_msg_size);
      EXPECT_EQ(va->attributes.filter_type, vb->attributes.filter_type);
      EXPECT_EQ(va->msg_retention_seconds, vb->msg_retention_seconds);
      EXPECT_EQ(va->msg_count, vb->msg_count) << name;
      EXPECT_EQ(va->create_time, vb->create_time);
      EXPECT_EQ(va->last_modify_time, vb->last_modify_time);
      auto sa = a->ListSubscriptions(kAccount, name, "", 0, 1000);
      auto sb = b->ListSubscriptions(kAccount, name, "", 0, 1000);
      ASSERT_EQ(sa->total_count, sb->total_count);
      for (size_t k = 0; k < sa->subscriptions.size(); ++k) {
        const SubscriptionView& x = sa->subscriptions[k];
        const SubscriptionView& y = sb->subscriptions[k];
        EXPECT_EQ(x.subscription_id, y.subscription_id);
        EXPECT_EQ(x.name, y.name);
        EXPECT_EQ(x.msg_count, y.msg_count) << name << "/" << x.name;
        EXPECT_EQ(x.create_time, y.create_time);
        EXPECT_EQ(x.last_modify_time, y.last_modify_time);
        EXPECT_EQ(x.spec.protocol, y.spec.protocol);
        EXPECT_EQ(x.spec.endpoint, y.spec.endpoint);
        EXPECT_EQ(x.spec.notify_strategy, y.spec.notify_strategy);
        EXPECT_EQ(x.spec.content_format, y.spec.content_format);
        EXPECT_EQ(x.spec.filter_tags, y.spec.filter_tags);
        EXPECT_EQ(x.spec.binding_keys, y.spec.binding_keys);
      }
    }
    auto qa = a->ListQueues(kAccount, "", 0, 1000);
    auto qb = b->ListQueues(kAccount, "", 0, 1000);
    ASSERT_EQ(qa->total_count, qb->total_count);
    for (const auto& ref : qa->queues) {
      auto x = a->GetQueue(kAccount, ref.name);
      auto y = b->GetQueue(kAccount, ref.name);
      ASSERT_TRUE(x.ok() && y.ok()) << ref.name;
      EXPECT_EQ(x->queue_id, y->queue_id);
      testing::ExpectCounters(y->counters, x->counters.active, x->counters.inactive,
                              x->counters.delayed, x->counters.rewindable);
      EXPECT_EQ(x->counters.min_msg_time, y->counters.min_msg_time) << ref.name;
    }
    EXPECT_EQ(a->GetStats().pending_deliveries, b->GetStats().pending_deliveries);
    EXPECT_EQ(a->GetStats().messages, b->GetStats().messages);
  }
};

// What a push looked like, comparable across brokers (delivery ids differ).
std::string Describe(const PushTask& t, int64_t now) {
  return std::to_string(now) + " " + t.topic_name + "/" + t.subscription_name + " " + t.msg_id +
         " #" + std::to_string(t.attempt) + " " + t.body;
}

// Deterministic outcome of a push, the same in both brokers.
bool Succeeds(const PushTask& t) {
  return std::hash<std::string>()(t.msg_id + t.subscription_name + std::to_string(t.attempt)) % 3 ==
         0;
}

class RandomTopicReplayTest : public TopicRecoveryTest,
                              public ::testing::WithParamInterface<int> {};

INSTANTIATE_TEST_SUITE_P(Seeds, RandomTopicReplayTest, ::testing::Values(1, 2, 3));

TEST_P(RandomTopicReplayTest, RandomOperationsReplayToTheSameStateAndFuture) {
  Limits l = TopicTestLimits();
  l.topics.topic_retention_seconds = 400;
  ResetTopics(l);
  std::mt19937 rng(GetParam());
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  std::vector<PushTask> in_flight;
  broker_->SetPushSink([&](PushTask t) { in_flight.push_back(std::move(t)); });

  QueueAttributeUpdate small;
  small.max_msg_heap_num = 3;
  Create("q0");
  Create("q1");
  Create("q2", small);
  CreateTopic("tags");
  CreateTopic("routes", FilterType::kRoutingKey);
  SubscribeQueue("tags", "qa", "q0", {"a"});
  SubscribeQueue("tags", "qall", "q1");
  SubscribeHttp("tags", "h1");
  Subscribe("tags", "h2", {Protocol::kHttp, "http://h2", NotifyStrategy::kBackoffRetry, {"b"}, {}});
  Subscribe("routes", "rq", {Protocol::kQueue, "q2", NotifyStrategy::kBackoffRetry, {}, {"x.*"}});
  Subscribe("routes", "rh", {Protocol::kHttp, "http://rh", {}, {}, {"#"}});
  const std::vector<std::string> queues = {"q0", "q1", "q2"};
  const std::vector<std::string> tag_pool = {"a", "b", "c"};
  const std::vector<std::string> key_pool = {"x.y", "x", "", "z.q", "x.."};

  for (int step = 0; step < 3000; ++step) {
    switch (pick(14)) {
      case 0:
      case 1: {
        std::vector<std::string> bodies;
        for (int i = 0, n = 1 + pick(3); i < n; ++i)
          bodies.push_back(std::string("t").append(std::to_string(step * 10 + i)));
        std::vector<std::string> tags;
        for (const auto& t : tag_pool) {
          if (pick(3) == 0) tags.push_back(t);
        }
        std::vector<std::string_view> views(bodies.begin(), bodies.end());
        (void)Publish("tags", views, tags);
        break;
      }
      case 2: {
        std::string body = "r" + std::to_string(step);
        (void)Publish("routes", {body}, {}, key_pool[pick(key_pool.size())]);
        break;
      }
      case 3:
      case 4:
        if (!in_flight.empty()) {
          size_t i = pick(in_flight.size());
          PushTask t = in_flight[i];
          in_flight.erase(in_flight.begin() + i);
          broker_->CompletePush(t.delivery_id, pick(3) == 0);
        }
        break;
      case 5: {
        const std::string& q = queues[pick(queues.size())];
        Received r = Receive(q, 1 + pick(4));
        for (const auto& m : r.messages) {
          if (pick(4) != 0) (void)Delete(q, m.receipt_handle);
        }
        break;
      }
      case 6:
        if (pick(6) == 0) {
          const std::string& q = queues[pick(queues.size())];
          if (Call(&Broker::DeleteQueue)(kAccount, q).ok()) {
            Create(q, q == "q2" ? small : QueueAttributeUpdate{});
          }
        } else if (pick(3) == 0) {
          (void)Call (&Broker::DeleteQueue)(kAccount, "q1");  // missing for a while
        } else {
          (void)Call (&Broker::CreateQueue)(kAccount, "q1", {});
        }
        break;
      case 7: {
        SubscriptionUpdate u;
        u.notify_strategy =
            pick(2) ? NotifyStrategy::kBackoffRetry : NotifyStrategy::kExponentialDecayRetry;
        if (pick(2)) u.filter_tags = std::vector<std::string>{tag_pool[pick(3)]};
        (void)Call (&Broker::SetSubscriptionAttributes)(kAccount, "tags", pick(2) ? "h1" : "qa", u);
        break;
      }
      case 8:
        if (pick(10) == 0) {
          ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "tags", "h2").ok());
          Subscribe("tags", "h2",
                    {Protocol::kHttp, "http://h2", NotifyStrategy::kBackoffRetry, {"b"}, {}});
        } else if (pick(5) == 0) {
          log_.Roll();
        }
        break;
      case 9:
        Advance(pick(60000));
        break;
      default:
        Advance(pick(3000));
        break;
    }
  }
  // Settle the pushes in flight, so that the original holds none (a restart would
  // re-push them; that has its own test) and both brokers start from the same point.
  for (const PushTask& t : in_flight) broker_->CompletePush(t.delivery_id, Succeeds(t));
  in_flight.clear();
  broker_->Tick();
  ASSERT_TRUE(in_flight.empty());

  std::map<journal::RecordType, uint64_t> kinds = log_.AppendedByType();
  EXPECT_GT(kinds[kRecPublish], 0u);
  EXPECT_GT(kinds[kRecQueueDelivery], 0u);
  EXPECT_GT(kinds[kRecPushOutcome], 0u);
  EXPECT_GT(kinds[kRecTopicRelocate], 0u);
  EXPECT_GT(log_.OldestSegment(), 1u);  // reclamation ran along the way

  std::unique_ptr<Broker> other = Recover();
  other->Tick();  // visibility timeouts end in Tick, as they did in the original
  ExpectSameState(broker_.get(), other.get());
  ASSERT_GT(broker_->GetStats().pending_deliveries, 0);

  // The same future: identical pushes at identical times, identical queue contents.
  std::vector<PushTask> other_in_flight;
  other->SetPushSink([&](PushTask t) { other_in_flight.push_back(std::move(t)); });
  size_t compared = 0;
  for (int step = 0; step < 400; ++step) {
    clock_.Advance(step % 50 == 0 ? 30000 : 700);
    broker_->Tick();
    other->Tick();
    std::vector<std::string> mine, theirs;
    for (const auto& t : in_flight) mine.push_back(Describe(t, clock_.NowMs()));
    for (const auto& t : other_in_flight) theirs.push_back(Describe(t, clock_.NowMs()));
    ASSERT_EQ(mine, theirs) << "step " << step;
    compared += mine.size();
    for (const auto& t : in_flight) broker_->CompletePush(t.delivery_id, Succeeds(t));
    for (const auto& t : other_in_flight) other->CompletePush(t.delivery_id, Succeeds(t));
    in_flight.clear();
    other_in_flight.clear();
    if (step % 40 == 0) {
      ExpectSameState(broker_.get(), other.get());
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(compared, 20u);
  ExpectSameState(broker_.get(), other.get());
  for (const auto& q : queues) {
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
      }
    }
  }
  // Id counters continue in step.
  auto mine = Publish("tags", {"after"});
  auto theirs = Publish("tags", {"after"}, {}, {}, other.get());
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(*mine, *theirs);
}

TEST_F(TopicRecoveryTest, InFlightPushesAreHandedOutAgainAfterRestart) {
  InstallSink();
  CreateTopic("t");
  SubscribeHttp("t", "h");
  const int64_t t0 = clock_.NowMs();
  std::string first = PublishOne("t", "in-flight");
  std::string second = PublishOne("t", "failed-once");
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 2u);
  broker_->CompletePush(tasks[1].delivery_id, false);  // retry due at t0 + 1 s

  std::unique_ptr<Broker> other = Recover();
  EXPECT_EQ(TopicCount("t", other.get()), 2);
  EXPECT_EQ(SubscriptionCount("t", "h", other.get()), 2);
  InstallSink(other.get());
  other->Tick();
  std::vector<PushTask> again = TakeTasks();
  ASSERT_EQ(again.size(), 1u);  // the one that was in flight, at once
  EXPECT_EQ(again[0].msg_id, first);
  EXPECT_EQ(again[0].body, "in-flight");
  EXPECT_EQ(again[0].attempt, 0);
  EXPECT_EQ(other->NextDeadlineMs(), t0 + 1000);
  clock_.Set(t0 + 1000);
  other->Tick();
  std::vector<PushTask> retry = TakeTasks();
  ASSERT_EQ(retry.size(), 1u);  // the failed one at its recorded time
  EXPECT_EQ(retry[0].msg_id, second);
  EXPECT_EQ(retry[0].attempt, 1);
  other->CompletePush(again[0].delivery_id, true);
  other->CompletePush(retry[0].delivery_id, true);
  EXPECT_EQ(TopicCount("t", other.get()), 0);
}

TEST_F(TopicRecoveryTest, RestartAfterRetentionDropsMessages) {
  Limits l = TopicTestLimits();
  l.topics.topic_retention_seconds = 100;
  ResetTopics(l);
  CreateTopic("t");
  SubscribeHttp("t", "h");
  PublishOne("t", "old");
  clock_.Advance(60000);
  PublishOne("t", "young");
  clock_.Advance(50000);
  std::unique_ptr<Broker> other = Recover();
  EXPECT_EQ(TopicCount("t", other.get()), 1);
  InstallSink(other.get());
  other->Tick();
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].body, "young");
}

// A topic message whose HTTP endpoint keeps failing stays pending for up to the topic
// retention; it is copied forward with its retry state rather than hold its segment.
TEST_F(TopicRecoveryTest, PendingTopicMessagesAreCopiedForwardWithTheirRetryState) {
  InstallSink();
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  SubscribeHttp("t", "h");
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "pinned", {"tag"});
  broker_->CompletePush(TakeTasks().at(0).delivery_id, false);  // next attempt at t0 + 1 s
  log_.Roll();
  // The queue copy is consumed; only the pending HTTP delivery holds segment 1 now.
  ASSERT_TRUE(Delete("q", ReceiveOne("q").receipt_handle).ok());
  while (broker_->NextDeadlineMs() <= clock_.NowMs()) broker_->Tick();
  EXPECT_EQ(log_.OldestSegment(), 2u);
  EXPECT_GT(log_.AppendedByType().at(kRecTopicRelocate), 0u);
  EXPECT_EQ(TopicCount("t"), 1);

  // After a restart the message comes back from its relocate record alone.
  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(broker_.get(), other.get());
  EXPECT_EQ(SubscriptionCount("t", "h", other.get()), 1);
  InstallSink(other.get());
  other->Tick();
  EXPECT_TRUE(TakeTasks().empty());  // not before its recorded next attempt
  clock_.Set(t0 + 1000);
  other->Tick();
  std::vector<PushTask> again = TakeTasks();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].msg_id, id);
  EXPECT_EQ(again[0].body, "pinned");
  EXPECT_EQ(again[0].tags, std::vector<std::string>{"tag"});
  EXPECT_EQ(again[0].attempt, 1);
  other->CompletePush(again[0].delivery_id, true);
  EXPECT_EQ(TopicCount("t", other.get()), 0);
  auto mine = Publish("t", {"next"});
  auto theirs = Publish("t", {"next"}, {}, {}, other.get());
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(*mine, *theirs);
}

TEST_F(TopicRecoveryTest, DeliveredQueueMessagesSurviveReclamation) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  std::vector<std::string_view> filler(16, std::string_view("filler filler filler filler"));
  Create("other");
  for (int i = 0; i < 10; ++i) Send("other", filler);
  std::string id = PublishOne("t", "retried body");
  log_.Roll();
  Create("q");
  Advance(1000);  // the retry places the message; its body stays in segment 1
  EXPECT_EQ(TopicCount("t"), 0);
  while (true) {
    Received r = Receive("other", 16);
    if (!r.status.ok()) break;
    for (const auto& m : r.messages) ASSERT_TRUE(Delete("other", m.receipt_handle).ok());
  }
  log_.Roll();
  const uint32_t current = log_.CurrentSegment();
  for (int i = 0; i < 10 && log_.OldestSegment() < current; ++i) Advance(1000);
  EXPECT_EQ(log_.OldestSegment(), current);  // copied forward, then dropped

  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(broker_.get(), other.get());
  Received a = Receive("q");
  Received b = Receive("q", 1, other.get());
  ASSERT_EQ(a.messages.size(), 1u);
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].body, "retried body");
  EXPECT_EQ(b.messages[0].body, "retried body");
  EXPECT_EQ(a.messages[0].msg_id, b.messages[0].msg_id);
  EXPECT_EQ(a.messages[0].receipt_handle, b.messages[0].receipt_handle);
  // Positions continue in step too.
  EXPECT_EQ(Send("q", {"x"}),
            Call(&Broker::SendMessages, other.get())(kAccount, "q", {"x"}, 0).value());
}

TEST_F(TopicRecoveryTest, SparseSegmentHeldByATopicMessageIsEmptied) {
  InstallSink();
  Create("q");
  CreateTopic("t");
  SubscribeHttp("t", "h");
  std::vector<std::string_view> filler(16, std::string_view("filler filler filler filler"));
  for (int i = 0; i < 10; ++i) Send("q", filler);
  PublishOne("t", "pinned");
  SendOne("q", "keep");
  PushTask task = TakeTasks().at(0);  // stays in flight
  while (true) {
    Received r = Receive("q", 16);
    if (!r.status.ok()) break;
    for (const auto& m : r.messages) {
      if (m.body != "keep") {
        ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
      }
    }
  }
  log_.Roll();
  while (broker_->NextDeadlineMs() <= clock_.NowMs()) broker_->Tick();
  EXPECT_EQ(log_.OldestSegment(), 2u);  // "keep" and "pinned" were copied forward
  std::unique_ptr<Broker> other = Recover();
  ExpectSameState(broker_.get(), other.get());
  // The push in flight completes in the original; the restarted one pushes again.
  broker_->CompletePush(task.delivery_id, true);
  EXPECT_EQ(TopicCount("t"), 0);
  InstallSink(other.get());
  other->Tick();
  std::vector<PushTask> again = TakeTasks();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].body, "pinned");
}

TEST_F(TopicRecoveryTest, BadTopicRecordsAreCorruptionNotCrashes) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  SubscribeHttp("t", "h");
  InstallSink();
  PublishOne("t", "m");
  broker_->CompletePush(TakeTasks().at(0).delivery_id, false);
  auto records = log_.Records();
  journal::MemRecordLog scratch;
  Broker b(&clock_, &scratch, limits_);
  for (const auto& r : records) {
    for (size_t n = 0; n < r.payload.size(); ++n) {
      (void)b.Replay(r.type, std::string_view(r.payload).substr(0, n), r.location);
    }
  }
  for (const auto& r : records) EXPECT_TRUE(b.Replay(r.type, r.payload, r.location).ok());
  EXPECT_EQ(b.Replay(kRecPublish, "\xff\xff", 0).error(), ErrorCode::kCorruption);
  EXPECT_EQ(b.Replay(kRecCreateTopic, "", 0).error(), ErrorCode::kCorruption);
  // Records about topics, subscriptions or messages that do not exist are ignored.
  EXPECT_TRUE(b.Replay(kRecPushOutcome, EncodePushOutcome({1, 77, 88, 0, true, ""}), 0).ok());
  EXPECT_TRUE(b.Replay(kRecUnsubscribe, EncodeUnsubscribe({99, 1}), 0).ok());
  EXPECT_TRUE(b.Replay(kRecQueueDelivery, EncodeQueueDelivery({1, 500, {{77, 88, {}}}}), 0).ok());
  // A placement far beyond the queue's positions is corruption, not an allocation.
  QueueDeliveryRecord wild{1, 500, {{77, 88, {1, uint64_t{1} << 60}}}};
  EXPECT_EQ(b.Replay(kRecQueueDelivery, EncodeQueueDelivery(wild), 0).error(),
            ErrorCode::kCorruption);
  b.FinishRecovery();
  b.Tick();
}

}  // namespace
}  // namespace cmq::broker
