// HTTP deliveries: PushTasks handed to the sink, in-flight bookkeeping, CompletePush
// outcomes and their retry schedules, counters.
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::kAccount;
using testing::TopicFixture;

class PushTest : public TopicFixture {
 protected:
  PushTest() { InstallSink(); }
};

TEST_F(PushTest, DueImmediatelyWithEveryField) {
  CreateTopic("Orders");
  SubscribeHttp("Orders", "hook");
  auto ids = Publish("orders", {"first", "second"}, {"a", "b"});
  ASSERT_TRUE(ids.ok());
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 2u);
  const PushTask& t = tasks[0];
  EXPECT_NE(t.delivery_id, 0u);
  EXPECT_NE(t.delivery_id, tasks[1].delivery_id);
  EXPECT_EQ(t.endpoint, "http://push.example/hook");
  EXPECT_EQ(t.format, ContentFormat::kJson);
  EXPECT_EQ(t.topic_owner, kAccount);
  EXPECT_EQ(t.topic_name, "Orders");
  EXPECT_EQ(t.subscription_name, "hook");
  EXPECT_EQ(t.msg_id, (*ids)[0]);
  EXPECT_EQ(t.body, "first");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.publish_time, NowS());
  EXPECT_EQ(t.attempt, 0);
  EXPECT_EQ(tasks[1].body, "second");
  EXPECT_EQ(TopicCount("Orders"), 2);
  EXPECT_EQ(SubscriptionCount("Orders", "hook"), 2);
  // In flight: never handed out twice, however long it takes.
  for (int i = 0; i < 100; ++i) Advance(60000);
  EXPECT_TRUE(TakeTasks().empty());
  EXPECT_EQ(SubscriptionCount("Orders", "hook"), 2);
}

TEST_F(PushTest, SuccessEndsTheDelivery) {
  CreateTopic("t");
  SubscribeHttp("t", "h1");
  SubscribeHttp("t", "h2");
  PublishOne("t", "m");
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 2u);
  size_t records = log_.Records().size();
  broker_->CompletePush(tasks[0].delivery_id, true);
  EXPECT_EQ(log_.Records().size(), records + 1);  // recorded
  EXPECT_EQ(TopicCount("t"), 1);                  // h2 still pending
  EXPECT_EQ(SubscriptionCount("t", tasks[0].subscription_name), 0);
  EXPECT_EQ(SubscriptionCount("t", tasks[1].subscription_name), 1);
  // Repeated and unknown ids are ignored (nothing recorded).
  broker_->CompletePush(tasks[0].delivery_id, false);
  broker_->CompletePush(987654321, true);
  EXPECT_EQ(log_.Records().size(), records + 1);
  broker_->CompletePush(tasks[1].delivery_id, true);
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(broker_->GetStats().pending_deliveries, 0);
  Advance(10000);
  EXPECT_TRUE(TakeTasks().empty());
}

TEST_F(PushTest, FailureSchedulesTheNextAttemptExponentially) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  const int64_t t0 = clock_.NowMs();
  std::string id = PublishOne("t", "m");
  PushTask task = TakeTasks().at(0);
  // Each failure is reported some time after the attempt; the delay counts from then.
  int64_t failed_at = t0;
  for (int k = 1; k <= 12; ++k) {
    clock_.Advance(250);
    failed_at = clock_.NowMs();
    broker_->CompletePush(task.delivery_id, false);
    int64_t due = failed_at + (k <= 9 ? (int64_t{1} << (k - 1)) : 512) * 1000;
    ASSERT_EQ(broker_->NextDeadlineMs(), due) << k;
    clock_.Set(due - 1);
    broker_->Tick();
    ASSERT_TRUE(TakeTasks().empty()) << k;
    clock_.Set(due);
    broker_->Tick();
    std::vector<PushTask> tasks = TakeTasks();
    ASSERT_EQ(tasks.size(), 1u) << k;
    EXPECT_EQ(tasks[0].attempt, k);
    EXPECT_EQ(tasks[0].msg_id, id);
    EXPECT_EQ(tasks[0].body, "m");
    // The old task's id is stale now.
    broker_->CompletePush(task.delivery_id, true);
    EXPECT_EQ(SubscriptionCount("t", "h"), 1);
    task = tasks[0];
  }
  broker_->CompletePush(task.delivery_id, true);
  EXPECT_EQ(SubscriptionCount("t", "h"), 0);
  EXPECT_EQ(TopicCount("t"), 0);
}

TEST_F(PushTest, SubscriptionShowsWhyPushesFailAndWhatWaitsForRetry) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  ASSERT_TRUE(Publish("t", {"a", "b", "c"}, {}).ok());
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 3u);
  clock_.Advance(1000);
  broker_->CompletePush(tasks[0].delivery_id, false, "connect: connection refused");
  broker_->CompletePush(tasks[1].delivery_id, false, "HTTP 500");
  broker_->CompletePush(tasks[2].delivery_id, true);
  auto v = broker_->GetSubscription(kAccount, "t", "h");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->last_push_error, "HTTP 500");
  EXPECT_EQ(v->last_push_error_time, NowS());
  EXPECT_EQ(v->push_failures, 2);
  EXPECT_EQ(v->retry_backlog, 2);
  EXPECT_EQ(v->msg_count, 2);
  // A retry that succeeds leaves the backlog; the failures stay counted.
  clock_.Advance(1000);
  broker_->Tick();
  std::vector<PushTask> retries = TakeTasks();
  ASSERT_EQ(retries.size(), 2u);
  broker_->CompletePush(retries[0].delivery_id, true);
  v = broker_->GetSubscription(kAccount, "t", "h");
  EXPECT_EQ(v->retry_backlog, 1);
  EXPECT_EQ(v->push_failures, 2);
  // The reason is in the failure's record: a restart still knows it (the count of
  // failures is since the start).
  const int64_t failed_at = v->last_push_error_time;
  clock_.Advance(5000);
  std::unique_ptr<Broker> restarted = Recover();
  auto after = restarted->GetSubscription(kAccount, "t", "h");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->last_push_error, "HTTP 500");
  EXPECT_EQ(after->last_push_error_time, failed_at);
  EXPECT_EQ(after->push_failures, 0);
}

TEST_F(PushTest, AFailureWithoutAReasonSaysSoAndALongReasonIsCut) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  ASSERT_TRUE(Publish("t", {"a", "b"}, {}).ok());
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 2u);
  broker_->CompletePush(tasks[0].delivery_id, false);
  EXPECT_EQ(broker_->GetSubscription(kAccount, "t", "h")->last_push_error, "no reason given");
  broker_->CompletePush(tasks[1].delivery_id, false,
                        std::string(Broker::kMaxPushErrorChars + 100, 'x'));
  EXPECT_EQ(Recover()->GetSubscription(kAccount, "t", "h")->last_push_error,
            std::string(Broker::kMaxPushErrorChars, 'x'));
}

TEST_F(PushTest, BackoffAbandonsAfterThreeRetries) {
  CreateTopic("t");
  SubscribeHttp("t", "h", NotifyStrategy::kBackoffRetry);
  PublishOne("t", "m");
  std::vector<PushTask> tasks = TakeTasks();
  for (int k = 1; k <= 3; ++k) {
    ASSERT_EQ(tasks.size(), 1u);
    int64_t failed_at = clock_.NowMs();
    broker_->CompletePush(tasks[0].delivery_id, false);
    int64_t due = broker_->NextDeadlineMs();
    EXPECT_GE(due - failed_at, 10000);
    EXPECT_LE(due - failed_at, 20000);
    clock_.Set(due);
    broker_->Tick();
    tasks = TakeTasks();
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].attempt, k);
  }
  EXPECT_EQ(SubscriptionCount("t", "h"), 1);
  broker_->CompletePush(tasks[0].delivery_id, false);  // the 4th attempt failed
  EXPECT_EQ(SubscriptionCount("t", "h"), 0);
  EXPECT_EQ(TopicCount("t"), 0);
  Advance(3600000);
  EXPECT_TRUE(TakeTasks().empty());
}

TEST_F(PushTest, StrategyChangeAppliesToTheNextFailure) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  PublishOne("t", "m");
  PushTask task = TakeTasks().at(0);
  SubscriptionUpdate u;
  u.notify_strategy = NotifyStrategy::kBackoffRetry;
  u.content_format = ContentFormat::kSimplified;
  ASSERT_TRUE(Call(&Broker::SetSubscriptionAttributes)(kAccount, "t", "h", u).ok());
  broker_->CompletePush(task.delivery_id, false);
  EXPECT_GE(broker_->NextDeadlineMs() - clock_.NowMs(), 10000);
  clock_.Set(broker_->NextDeadlineMs());
  broker_->Tick();
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].format, ContentFormat::kSimplified);
}

TEST_F(PushTest, InFlightDeliveryEndsAtRetention) {
  Limits l = TopicTestLimits();
  l.topics.topic_retention_seconds = 60;
  ResetTopics(l);
  InstallSink();
  CreateTopic("t");
  SubscribeHttp("t", "h");
  const int64_t t0 = clock_.NowMs();
  PublishOne("t", "m");
  PushTask task = TakeTasks().at(0);
  EXPECT_EQ(broker_->NextDeadlineMs(), t0 + 60000);
  clock_.Set(t0 + 59999);
  broker_->Tick();
  EXPECT_EQ(TopicCount("t"), 1);
  clock_.Set(t0 + 60000);
  broker_->Tick();
  EXPECT_EQ(TopicCount("t"), 0);
  EXPECT_EQ(SubscriptionCount("t", "h"), 0);
  size_t records = log_.Records().size();
  broker_->CompletePush(task.delivery_id, true);
  EXPECT_EQ(log_.Records().size(), records);

  // A failure whose next attempt would come after retention abandons at once.
  PublishOne("t", "n");
  task = TakeTasks().at(0);
  clock_.Advance(59500);
  broker_->CompletePush(task.delivery_id, false);  // retry 1 would be at 60.5 s
  EXPECT_EQ(TopicCount("t"), 0);
}

TEST_F(PushTest, NoSinkMeansDeliveriesWait) {
  broker_->SetPushSink(nullptr);
  CreateTopic("t");
  SubscribeHttp("t", "h");
  const int64_t t0 = clock_.NowMs();
  PublishOne("t", "m");
  EXPECT_EQ(broker_->NextDeadlineMs(), t0 + 86400 * 1000);  // only the retention end
  Advance(5000);
  InstallSink();
  EXPECT_LE(broker_->NextDeadlineMs(), clock_.NowMs());
  broker_->Tick();
  std::vector<PushTask> tasks = TakeTasks();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].attempt, 0);
}

TEST_F(PushTest, UnsubscribeAndDeleteTopicDropInFlightDeliveries) {
  Create("q");
  CreateTopic("t");
  SubscribeHttp("t", "h");
  SubscribeQueue("t", "s", "q");
  PublishOne("t", "m");
  PushTask task = TakeTasks().at(0);
  EXPECT_EQ(Active("q"), 1);
  EXPECT_EQ(TopicCount("t"), 1);  // the HTTP delivery is pending
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "h").ok());
  EXPECT_EQ(TopicCount("t"), 0);
  size_t records = log_.Records().size();
  broker_->CompletePush(task.delivery_id, false);
  EXPECT_EQ(log_.Records().size(), records);
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "s").ok());
  ASSERT_TRUE(Call(&Broker::DeleteTopic)(kAccount, "t").ok());
  EXPECT_EQ(Active("q"), 1);  // delivered queue messages belong to the queue
}

TEST_F(PushTest, SinkMayCompleteSynchronously) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  int calls = 0;
  broker_->SetPushSink([&](PushTask t) {
    ++calls;
    // Fails the first two attempts from inside the sink, then succeeds.
    broker_->CompletePush(t.delivery_id, t.attempt >= 2);
  });
  PublishOne("t", "m");
  EXPECT_EQ(calls, 1);
  Advance(1000);
  EXPECT_EQ(calls, 2);
  Advance(2000);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(TopicCount("t"), 0);
}

TEST_F(PushTest, StorageFailureKeepsTheDeliveryPending) {
  CreateTopic("t");
  SubscribeHttp("t", "h");
  PublishOne("t", "m");
  PushTask task = TakeTasks().at(0);
  log_.FailSync();
  broker_->CompletePush(task.delivery_id, true);
  EXPECT_EQ(SubscriptionCount("t", "h"), 1);
  EXPECT_EQ(Publish("t", {"x"}).status().error(), ErrorCode::kStorageFailed);
  Advance(10000);
  EXPECT_TRUE(TakeTasks().empty());
}

}  // namespace
}  // namespace cmq::broker
