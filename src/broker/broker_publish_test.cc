// Publishing: validation errors, fan-out to queue endpoints with tag and routing-key
// filtering, queue-endpoint retries and their schedules, counters, throttling.
#include <map>

#include "broker/records.h"
#include "broker/retry_policy.h"
#include "broker/topic_records.h"
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::kAccount;
using testing::Received;
using testing::SubscriptionArgs;
using testing::TopicFixture;

class PublishTest : public TopicFixture {
 protected:
  // Times (ms) of the retries at queue endpoints recorded for topic message `msg_id`,
  // with their outcome.
  std::vector<std::pair<int64_t, bool>> QueueAttempts(const std::string& msg_id) {
    std::vector<std::pair<int64_t, bool>> out;
    for (const auto& r : log_.Records()) {
      if (r.type != kRecQueueDelivery) continue;
      QueueDeliveryRecord rec;
      EXPECT_TRUE(DecodeQueueDelivery(r.payload, &rec));
      for (const auto& a : rec.attempts) {
        if (std::to_string(a.msg_id) == msg_id) {
          out.emplace_back(rec.time_ms, a.placement.queue_uid != 0);
        }
      }
    }
    return out;
  }
  std::vector<std::string> Bodies(std::string_view queue) {
    std::vector<std::string> out;
    while (true) {
      Received r = Receive(queue, 16);
      if (!r.status.ok()) break;
      for (const auto& m : r.messages) out.push_back(m.body);
    }
    return out;
  }
};

TEST_F(PublishTest, ValidationErrors) {
  Create("q");
  CreateTopic("t", FilterType::kTag, 1024);
  SubscribeQueue("t", "s", "q");
  auto err = [&](std::vector<std::string_view> bodies, std::vector<std::string> tags = {},
                 std::optional<std::string_view> key = {}, std::string_view topic = "t") {
    auto r = Publish(topic, bodies, tags, key);
    return r.ok() ? ErrorCode::kOk : r.status().error();
  };
  EXPECT_EQ(err({"x"}, {}, {}, "nope"), ErrorCode::kTopicNotExist);
  EXPECT_EQ(err({}), ErrorCode::kBatchSizeOutOfRange);
  std::vector<std::string_view> seventeen(17, "x");
  EXPECT_EQ(err(seventeen), ErrorCode::kBatchSizeOutOfRange);
  EXPECT_EQ(err({"x", ""}), ErrorCode::kEmptyBody);
  std::string big(1025, 'b');
  EXPECT_EQ(err({"x", big}), ErrorCode::kMsgTooLarge);
  EXPECT_EQ(err({std::string_view(big).substr(0, 1024)}), ErrorCode::kOk);

  Limits l = TopicTestLimits();
  l.max_batch_body_bytes = 2000;
  ResetTopics(l);
  Create("q");
  CreateTopic("t", FilterType::kTag, 1024);
  SubscribeQueue("t", "s", "q");
  std::string k1(1000, 'a');
  EXPECT_EQ(err({k1, k1}), ErrorCode::kOk);
  EXPECT_EQ(err({k1, k1, "x"}), ErrorCode::kBatchTooLarge);
  EXPECT_EQ(Active("q"), 2);  // failed calls stored nothing
}

TEST_F(PublishTest, NoSubscriptionOrNoMatchStoresNothing) {
  Create("q");
  CreateTopic("t");
  size_t records = log_.Records().size();
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kTopicNoSubscription);
  SubscribeQueue("t", "s", "q", {"a"});
  records = log_.Records().size();
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kNoSubscriptionMatches);
  EXPECT_EQ(Publish("t", {"x"}, {"b"}).status().error(), ErrorCode::kNoSubscriptionMatches);
  EXPECT_EQ(log_.Records().size(), records);
  EXPECT_EQ(TopicCount("t"), 0);
  // msgIds were not consumed either.
  std::string first = PublishOne("t", "x", {"a"});
  std::string second = SendOne("q", "y");
  EXPECT_EQ(std::stoull(second), std::stoull(first) + 2);  // + the queue copy's id
}

TEST_F(PublishTest, RoutingKeyRequiredOnRoutingTopics) {
  Create("q");
  CreateTopic("r", FilterType::kRoutingKey);
  Subscribe("r", "all", {Protocol::kQueue, "q", {}, {}, {"#"}});
  EXPECT_EQ(Publish("r", {"x"}).status().error(), ErrorCode::kLackRoutingKey);
  // "" is a routing key (zero words), matched by "#".
  EXPECT_TRUE(Publish("r", {"x"}, {}, "").ok());
  // Tag topics ignore a routing key.
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  EXPECT_TRUE(Publish("t", {"y"}, {}, "a.b").ok());
  EXPECT_EQ(Active("q"), 2);
}

TEST_F(PublishTest, DiskFullRefusesPublish) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  log_.SetDiskFull(true);
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kDiskFull);
  EXPECT_EQ(Active("q"), 0);
  log_.SetDiskFull(false);
  EXPECT_TRUE(Publish("t", {"x"}).ok());
}

TEST_F(PublishTest, FanOutWithTagFiltering) {
  for (const char* q : {"qa", "qb", "qab", "qall", "qkeys"}) Create(q);
  CreateTopic("t");
  SubscribeQueue("t", "a", "qa", {"a"});
  SubscribeQueue("t", "b", "qb", {"b"});
  SubscribeQueue("t", "ab", "qab", {"a", "b"});
  SubscribeQueue("t", "all", "qall");
  // Binding keys mean nothing on a tag topic: no tags, so it takes everything.
  SubscribeQueue("t", "keys", "qkeys", {}, {"nomatch"});

  std::string id = PublishOne("t", "tagged-a", {"a"});
  PublishOne("t", "untagged");
  PublishOne("t", "tagged-c", {"c"});
  PublishOne("t", "tagged-bx", {"x", "b"});
  EXPECT_EQ(Publish("t", {"case"}, {"A"}).status().error(), ErrorCode::kOk);  // qall, qkeys

  EXPECT_EQ(Bodies("qa"), (std::vector<std::string>{"tagged-a"}));
  EXPECT_EQ(Bodies("qb"), (std::vector<std::string>{"tagged-bx"}));
  EXPECT_EQ(Bodies("qab"), (std::vector<std::string>{"tagged-a", "tagged-bx"}));
  std::vector<std::string> everything = {"tagged-a", "untagged", "tagged-c", "tagged-bx", "case"};
  EXPECT_EQ(Bodies("qall"), everything);
  EXPECT_EQ(Bodies("qkeys"), everything);
  // Everything was delivered at once: nothing pending.
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(SubscriptionCount("t", "ab"), 0);
  EXPECT_FALSE(id.empty());
}

TEST_F(PublishTest, FanOutWithRoutingKeys) {
  for (const char* q : {"q1", "q2", "q3", "q4"}) Create(q);
  CreateTopic("r", FilterType::kRoutingKey);
  Subscribe("r", "s1", {Protocol::kQueue, "q1", {}, {}, {"order.*"}});
  Subscribe("r", "s2", {Protocol::kQueue, "q2", {}, {}, {"order.#", "x"}});
  Subscribe("r", "s3", {Protocol::kQueue, "q3", {}, {}, {"*"}});
  // Tags mean nothing on a routing topic.
  Subscribe("r", "s4", {Protocol::kQueue, "q4", {}, {"a"}, {"#"}});

  ASSERT_TRUE(Publish("r", {"m1"}, {}, "order.new").ok());                            // s1 s2 s4
  ASSERT_TRUE(Publish("r", {"m2"}, {}, "order").ok());                                // s2 s3 s4
  ASSERT_TRUE(Publish("r", {"m3"}, {"zz"}, "x").ok());                                // s2 s3 s4
  ASSERT_TRUE(Publish("r", {"m4"}, {}, "").ok());                                     // s4
  ASSERT_TRUE(Publish("r", {"m5"}, {}, "order.a.b").ok());                            // s2 s4
  EXPECT_EQ(Publish("r", {"m6"}, {}, "ORDER.new").status().error(), ErrorCode::kOk);  // s4
  EXPECT_EQ(Bodies("q1"), (std::vector<std::string>{"m1"}));
  EXPECT_EQ(Bodies("q2"), (std::vector<std::string>{"m1", "m2", "m3", "m5"}));
  EXPECT_EQ(Bodies("q3"), (std::vector<std::string>{"m2", "m3"}));
  EXPECT_EQ(Bodies("q4"), (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5", "m6"}));

  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "r", "s4").ok());
  EXPECT_EQ(Publish("r", {"m7"}, {}, "nothing.here.at.all").status().error(),
            ErrorCode::kNoSubscriptionMatches);
}

TEST_F(PublishTest, BatchPublishKeepsOrderAndFreshQueueIds) {
  Create("q1");
  Create("q2");
  CreateTopic("t");
  SubscribeQueue("t", "a", "q1");
  SubscribeQueue("t", "b", "q2");
  auto ids = Publish("t", {"one", "two", "three"});
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ(std::stoull((*ids)[1]), std::stoull((*ids)[0]) + 1);
  Received r = Receive("q1", 16);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].body, "one");
  EXPECT_EQ(r.messages[2].body, "three");
  // Queue copies have queue-local msgIds of their own.
  for (const auto& m : r.messages) {
    for (const auto& id : *ids) EXPECT_NE(m.msg_id, id);
  }
  EXPECT_EQ(r.messages[0].enqueue_time, NowS());
  EXPECT_EQ(Bodies("q2"), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(PublishTest, QueueAttributesApplyButNotItsMaxMsgSize) {
  QueueAttributeUpdate small;
  small.max_msg_size = 1024;
  small.msg_retention_seconds = 60;
  Create("q", small);
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  std::string body(5000, 'z');
  ASSERT_TRUE(Publish("t", {body}).ok());
  EXPECT_EQ(Counters("q").active, 1);  // no delay either
  Advance(60000);                      // the queue's retention applies
  EXPECT_EQ(Counters("q").active, 0);
  ASSERT_TRUE(Publish("t", {body}).ok());
  EXPECT_EQ(ReceiveOne("q").body, body);
}

TEST_F(PublishTest, ParkedReceiveOnEndpointIsWoken) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  Received r;
  ASSERT_NE(StartReceive("q", 1, 10, &r), 0u);
  EXPECT_FALSE(r.called);
  PublishOne("t", "wake");
  ASSERT_TRUE(r.called);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.messages[0].body, "wake");
}

TEST_F(PublishTest, MissingQueueRetriesThenSucceedsAfterCreate) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "late");
  EXPECT_EQ(TopicCount("t"), 1);
  EXPECT_EQ(SubscriptionCount("t", "s"), 1);
  EXPECT_EQ(broker_->NextDeadlineMs(), t0 + 1000);  // retry 1 after 1 s
  Advance(1000);
  Advance(2000);
  EXPECT_EQ(QueueAttempts(id),
            (std::vector<std::pair<int64_t, bool>>{{t0 + 1000, false}, {t0 + 3000, false}}));
  Create("q");
  // A long poll waiting on the recreated queue is served by the retry.
  Received r;
  ASSERT_NE(StartReceive("q", 1, 30, &r), 0u);
  Advance(3999);
  EXPECT_FALSE(r.called);
  Advance(1);  // retry 3 at t0 + 7 s
  ASSERT_TRUE(r.called);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.messages[0].body, "late");
  EXPECT_NE(r.messages[0].msg_id, id);
  EXPECT_EQ(QueueAttempts(id).back(), std::make_pair(t0 + 7000, true));
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(SubscriptionCount("t", "s"), 0);
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 0);
}

TEST_F(PublishTest, FullQueueRetries) {
  QueueAttributeUpdate one;
  one.max_msg_heap_num = 1;
  Create("q", one);
  Create("other");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  SubscribeQueue("t", "o", "other");
  SendOne("q", "occupant");
  std::string id = PublishOne("t", "waiting");
  EXPECT_EQ(Active("other"), 1);  // the other subscription got it at once
  EXPECT_EQ(SubscriptionCount("t", "s"), 1);
  EXPECT_EQ(SubscriptionCount("t", "o"), 0);
  EXPECT_EQ(TopicCount("t"), 1);
  Advance(1000);  // retry 1: still full
  EXPECT_EQ(QueueAttempts(id).back(), std::make_pair(clock_.NowMs(), false));
  ReceivedMessage m = ReceiveOne("q");
  ASSERT_TRUE(Delete("q", m.receipt_handle).ok());
  Advance(2000);  // retry 2: room now
  EXPECT_EQ(QueueAttempts(id).back(), std::make_pair(clock_.NowMs(), true));
  EXPECT_EQ(ReceiveOne("q").body, "waiting");
  EXPECT_EQ(TopicCount("t"), 0);

  // In one batch, a queue with room for some bodies takes those and retries the rest.
  auto ids = Publish("t", {"b1", "b2"});
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(SubscriptionCount("t", "s"), 2);  // q still holds "waiting" (inactive)
}

// Steps the clock to each expected attempt: nothing happens 1 ms before, the attempt
// happens exactly at the time.
TEST_F(PublishTest, ExponentialDecayScheduleExactlyThenAbandoned) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "never");
  int64_t expected = t0;
  for (int k = 1; k <= kExponentialDecayRetries; ++k) {
    expected += (k <= 9 ? (int64_t{1} << (k - 1)) : 512) * 1000;
    ASSERT_EQ(broker_->NextDeadlineMs(), expected) << "retry " << k;
    clock_.Set(expected - 1);
    broker_->Tick();
    ASSERT_EQ(QueueAttempts(id).size(), static_cast<size_t>(k - 1));
    clock_.Set(expected);
    broker_->Tick();
    ASSERT_EQ(QueueAttempts(id).size(), static_cast<size_t>(k));
    ASSERT_EQ(QueueAttempts(id).back().first, expected);
  }
  EXPECT_EQ(expected - t0, 86015 * 1000);
  // After the 176th retry failed the delivery is abandoned.
  EXPECT_EQ(SubscriptionCount("t", "s"), 0);
  EXPECT_EQ(TopicCount("t"), 0);
  Create("q");
  Advance(600000);
  EXPECT_EQ(Active("q"), 0);
}

TEST_F(PublishTest, BackoffScheduleExactlyThenAbandoned) {
  Create("q");
  CreateTopic("t");
  Subscribe("t", "s", {Protocol::kQueue, "q", NotifyStrategy::kBackoffRetry, {}, {}});
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "never");
  int64_t at = t0;
  for (int k = 1; k <= kBackoffRetries; ++k) {
    int64_t next = broker_->NextDeadlineMs();
    EXPECT_GE(next - at, 10000) << "retry " << k;
    EXPECT_LE(next - at, 20000) << "retry " << k;
    EXPECT_EQ(next - at, *RetryDelayMs(NotifyStrategy::kBackoffRetry, k, std::stoull(id),
                                       /*subscription_uid=*/1, limits_.topics));
    // Step a second at a time: the attempt happens exactly at its time.
    while (clock_.NowMs() + 1000 <= next) {
      Advance(1000);
      ASSERT_EQ(QueueAttempts(id).size(), static_cast<size_t>(clock_.NowMs() == next ? k : k - 1));
    }
    ASSERT_EQ(QueueAttempts(id).size(), static_cast<size_t>(k));
    at = next;
  }
  EXPECT_EQ(SubscriptionCount("t", "s"), 0);
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 0);
}

TEST_F(PublishTest, RetentionEndsRetriesEarly) {
  Limits l = TopicTestLimits();
  l.topics.topic_retention_seconds = 100;
  ResetTopics(l);
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "short-lived");
  for (int i = 0; i < 130; ++i) Advance(1000);
  // Retries at 1, 3, 7, 15, 31, 63 s; the next (127 s) would be past retention.
  std::vector<std::pair<int64_t, bool>> expected;
  for (int64_t s : {1, 3, 7, 15, 31, 63}) expected.emplace_back(t0 + s * 1000, false);
  EXPECT_EQ(QueueAttempts(id), expected);
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(SubscriptionCount("t", "s"), 0);
}

TEST_F(PublishTest, UnsubscribeAndDeleteTopicDropPendingDeliveries) {
  Create("q");
  Create("q2");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  SubscribeQueue("t", "s2", "q2");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q2").ok());
  ASSERT_TRUE(Publish("t", {"a", "b"}).ok());
  EXPECT_EQ(TopicCount("t"), 2);
  EXPECT_EQ(SubscriptionCount("t", "s"), 2);
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 4);
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "s").ok());
  EXPECT_EQ(TopicCount("t"), 2);  // s2 still waits for both
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 2);
  Create("q");
  Advance(1000);
  EXPECT_EQ(Active("q"), 0);  // nothing delivered to the old subscription's queue
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "s2").ok());
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 0);
  ASSERT_TRUE(Call(&Broker::DeleteTopic)(kAccount, "t").ok());
  EXPECT_EQ(broker_->NextDeadlineMs(), INT64_MAX);  // no stale wake-ups left
}

TEST_F(PublishTest, ThrottlingPerTopic) {
  Limits l = TopicTestLimits();
  l.topics.publish_qps_per_topic = 3;
  ResetTopics(l);
  Create("q");
  CreateTopic("t");
  CreateTopic("u");
  SubscribeQueue("t", "s", "q");
  SubscribeQueue("u", "s", "q");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Publish("t", {"x", "y"}).ok()) << i;  // per request
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kQpsThrottling);
  EXPECT_TRUE(Publish("u", {"x"}).ok());  // each topic has its own bucket
  clock_.Advance(333);
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kQpsThrottling);
  clock_.Advance(1);  // 334 ms refill one request
  EXPECT_TRUE(Publish("t", {"x"}).ok());
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kQpsThrottling);
  clock_.Advance(3600000);  // a long pause refills to the capacity, not beyond
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Publish("t", {"x"}).ok()) << i;
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kQpsThrottling);
  EXPECT_EQ(Active("q"), 6 + 1 + 1 + 3);
}

}  // namespace
}  // namespace cmq::broker
