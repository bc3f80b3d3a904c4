// Topic and subscription management: ids, views, listing, quotas and every error.
#include "broker/topic_test_util.h"

namespace cmq::broker {
namespace {

using testing::kAccount;
using testing::SubscriptionArgs;
using testing::TopicFixture;

bool IsIdWithPrefix(const std::string& id, std::string_view prefix) {
  if (id.size() != prefix.size() + 10 || id.compare(0, prefix.size(), prefix) != 0) return false;
  for (size_t i = prefix.size(); i < id.size(); ++i) {
    char c = id[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

class TopicTest : public TopicFixture {};

TEST_F(TopicTest, CreateGetAndView) {
  TopicView v = CreateTopic("Orders", FilterType::kRoutingKey, 2048);
  EXPECT_TRUE(IsIdWithPrefix(v.topic_id, "topic-")) << v.topic_id;
  EXPECT_EQ(v.name, "Orders");
  EXPECT_EQ(v.attributes.max_msg_size, 2048);
  EXPECT_EQ(v.attributes.filter_type, FilterType::kRoutingKey);
  EXPECT_EQ(v.msg_retention_seconds, 86400);
  EXPECT_EQ(v.msg_count, 0);
  EXPECT_EQ(v.create_time, NowS());
  EXPECT_EQ(v.last_modify_time, NowS());
  EXPECT_EQ(v.owner, kAccount);

  auto got = broker_->GetTopic(kAccount, "oRDERS");  // case-insensitive lookup
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->topic_id, v.topic_id);
  EXPECT_EQ(got->name, "Orders");
  EXPECT_EQ(broker_->GetTopic(kAccount + 1, "Orders").status().error(), ErrorCode::kTopicNotExist);
  EXPECT_EQ(broker_->GetTopic(kAccount, "nope").status().error(), ErrorCode::kTopicNotExist);
}

TEST_F(TopicTest, RetentionComesFromLimits) {
  Limits l = TopicTestLimits();
  l.topics.topic_retention_seconds = 120;
  ResetTopics(l);
  EXPECT_EQ(CreateTopic("t").msg_retention_seconds, 120);
}

TEST_F(TopicTest, CreateErrors) {
  CreateTopic("Orders");
  EXPECT_EQ(Call(&Broker::CreateTopic)(kAccount, "ORDERS", {}).status().error(),
            ErrorCode::kTopicExists);
  EXPECT_EQ(Call(&Broker::CreateTopic)(kAccount, "", {}).status().error(),
            ErrorCode::kTopicNameFormat);
  // A queue of the same name is another namespace; another account too.
  Create("Orders");
  EXPECT_TRUE(Call(&Broker::CreateTopic)(kAccount + 1, "Orders", {}).ok());

  Limits l = TopicTestLimits();
  l.topics.max_topics_per_account = 2;
  ResetTopics(l);
  CreateTopic("a");
  CreateTopic("b");
  EXPECT_EQ(Call(&Broker::CreateTopic)(kAccount, "c", {}).status().error(), ErrorCode::kTopicQuota);
  EXPECT_TRUE(Call(&Broker::CreateTopic)(kAccount + 1, "c", {}).ok());
  ASSERT_TRUE(Call(&Broker::DeleteTopic)(kAccount, "a").ok());
  EXPECT_TRUE(Call(&Broker::CreateTopic)(kAccount, "c", {}).ok());
}

TEST_F(TopicTest, ListInCreationOrderWithSearchAndPaging) {
  for (const char* n : {"beta", "Alpha", "gamma-alp", "delta"}) CreateTopic(n);
  auto all = broker_->ListTopics(kAccount, "", 0, 50);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total_count, 4);
  ASSERT_EQ(all->topics.size(), 4u);
  EXPECT_EQ(all->topics[0].name, "beta");
  EXPECT_EQ(all->topics[3].name, "delta");
  EXPECT_TRUE(IsIdWithPrefix(all->topics[1].topic_id, "topic-"));

  auto search = broker_->ListTopics(kAccount, "ALP", 0, 50);
  EXPECT_EQ(search->total_count, 2);
  ASSERT_EQ(search->topics.size(), 2u);
  EXPECT_EQ(search->topics[0].name, "Alpha");
  EXPECT_EQ(search->topics[1].name, "gamma-alp");

  auto page = broker_->ListTopics(kAccount, "", 1, 2);
  EXPECT_EQ(page->total_count, 4);
  ASSERT_EQ(page->topics.size(), 2u);
  EXPECT_EQ(page->topics[0].name, "Alpha");
  EXPECT_EQ(broker_->ListTopics(kAccount, "", 10, 2)->topics.size(), 0u);
  EXPECT_EQ(broker_->ListTopics(kAccount + 5, "", 0, 50)->total_count, 0);
}

TEST_F(TopicTest, SetAttributesChangesSizeAndModifyTime) {
  CreateTopic("t");
  clock_.Advance(5000);
  ASSERT_TRUE(Call(&Broker::SetTopicAttributes)(kAccount, "T", 1024).ok());
  auto v = broker_->GetTopic(kAccount, "t");
  EXPECT_EQ(v->attributes.max_msg_size, 1024);
  EXPECT_EQ(v->last_modify_time, NowS());
  EXPECT_EQ(v->create_time, NowS() - 5);
  EXPECT_TRUE(Call(&Broker::SetTopicAttributes)(kAccount, "t", std::nullopt).ok());
  EXPECT_EQ(Call(&Broker::SetTopicAttributes)(kAccount, "x", 2048).error(),
            ErrorCode::kTopicNotExist);
}

TEST_F(TopicTest, DeleteNeedsNoSubscriptions) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  EXPECT_EQ(Call(&Broker::DeleteTopic)(kAccount, "t").error(), ErrorCode::kTopicHasSubscriptions);
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "s").ok());
  ASSERT_TRUE(Call(&Broker::DeleteTopic)(kAccount, "T").ok());
  EXPECT_EQ(broker_->GetTopic(kAccount, "t").status().error(), ErrorCode::kTopicNotExist);
  EXPECT_EQ(Call(&Broker::DeleteTopic)(kAccount, "t").error(), ErrorCode::kTopicNotExist);
  // The name is free again, with a new id.
  EXPECT_TRUE(Call(&Broker::CreateTopic)(kAccount, "t", {}).ok());
}

TEST_F(TopicTest, SubscribeViewsAndDefaults) {
  Create("q");
  CreateTopic("t");
  clock_.Advance(1000);
  SubscriptionView v =
      Subscribe("t", "ToQueue", {Protocol::kQueue, "Q", NotifyStrategy::kBackoffRetry, {"a"}, {}});
  EXPECT_TRUE(IsIdWithPrefix(v.subscription_id, "subsc-")) << v.subscription_id;
  EXPECT_EQ(v.name, "ToQueue");
  EXPECT_EQ(v.topic_name, "t");
  EXPECT_EQ(v.topic_owner, kAccount);
  EXPECT_EQ(v.spec.name, "ToQueue");
  EXPECT_EQ(v.spec.protocol, Protocol::kQueue);
  EXPECT_EQ(v.spec.endpoint, "Q");
  EXPECT_EQ(v.spec.notify_strategy, NotifyStrategy::kBackoffRetry);
  // Queue endpoints always store SIMPLIFIED (section 14 item 48).
  EXPECT_EQ(v.spec.content_format, ContentFormat::kSimplified);
  EXPECT_EQ(v.spec.filter_tags, std::vector<std::string>{"a"});
  EXPECT_EQ(v.msg_count, 0);
  EXPECT_EQ(v.create_time, NowS());
  EXPECT_EQ(v.last_modify_time, NowS());

  SubscriptionView h = SubscribeHttp("t", "hook");
  EXPECT_EQ(h.spec.content_format, ContentFormat::kJson);
  EXPECT_EQ(h.spec.endpoint, "http://push.example/hook");
  auto got = broker_->GetSubscription(kAccount, "T", "TOQUEUE");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->subscription_id, v.subscription_id);
}

TEST_F(TopicTest, SubscribeErrors) {
  Create("q");
  CreateTopic("t");
  CreateTopic("r", FilterType::kRoutingKey);
  SubscribeQueue("t", "s", "q");
  auto spec = [](std::string name, Protocol p, std::string endpoint,
                 std::vector<std::string> keys = {}) {
    return TopicFixture::Spec(name, SubscriptionArgs{p, endpoint, {}, {}, keys});
  };
  EXPECT_EQ(
      Call(&Broker::Subscribe)(kAccount, "nope", spec("x", Protocol::kQueue, "q")).status().error(),
      ErrorCode::kTopicNotExist);
  EXPECT_EQ(
      Call(&Broker::Subscribe)(kAccount, "t", spec("S", Protocol::kQueue, "q")).status().error(),
      ErrorCode::kSubscriptionExists);
  EXPECT_EQ(
      Call(&Broker::Subscribe)(kAccount, "t", spec("", Protocol::kQueue, "q")).status().error(),
      ErrorCode::kSubscriptionNameFormat);
  EXPECT_EQ(Call(&Broker::Subscribe)(kAccount, "t", spec("x", Protocol::kQueue, "missing"))
                .status()
                .error(),
            ErrorCode::kIllegalEndpoint);
  // The queue must belong to the same account.
  ASSERT_TRUE(Call(&Broker::CreateQueue)(kAccount + 1, "other", {}).ok());
  EXPECT_EQ(Call(&Broker::Subscribe)(kAccount, "t", spec("x", Protocol::kQueue, "other"))
                .status()
                .error(),
            ErrorCode::kIllegalEndpoint);
  // Routing topics need a binding key on Subscribe.
  EXPECT_EQ(
      Call(&Broker::Subscribe)(kAccount, "r", spec("x", Protocol::kQueue, "q")).status().error(),
      ErrorCode::kLackBindingKey);
  EXPECT_TRUE(
      Call(&Broker::Subscribe)(kAccount, "r", spec("x", Protocol::kQueue, "q", {"#"})).ok());
  // The same subscription name under another topic is fine.
  EXPECT_TRUE(
      Call(&Broker::Subscribe)(kAccount, "r", spec("s", Protocol::kQueue, "q", {"a"})).ok());

  Limits l = TopicTestLimits();
  l.topics.max_subscriptions_per_topic = 2;
  ResetTopics(l);
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "a", "q");
  SubscribeHttp("t", "b");
  EXPECT_EQ(
      Call(&Broker::Subscribe)(kAccount, "t", spec("c", Protocol::kQueue, "q")).status().error(),
      ErrorCode::kSubscriptionQuota);
  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "t", "a").ok());
  EXPECT_TRUE(Call(&Broker::Subscribe)(kAccount, "t", spec("c", Protocol::kQueue, "q")).ok());
}

TEST_F(TopicTest, ListSubscriptionsInCreationOrder) {
  Create("q");
  CreateTopic("t");
  for (const char* n : {"zeta", "Alpha", "beta-al"}) SubscribeQueue("t", n, "q");
  auto all = broker_->ListSubscriptions(kAccount, "t", "", 0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total_count, 3);
  ASSERT_EQ(all->subscriptions.size(), 3u);
  EXPECT_EQ(all->subscriptions[0].name, "zeta");
  EXPECT_EQ(all->subscriptions[2].name, "beta-al");
  EXPECT_EQ(all->subscriptions[1].spec.endpoint, "q");
  auto search = broker_->ListSubscriptions(kAccount, "t", "AL", 1, 100);
  EXPECT_EQ(search->total_count, 2);
  ASSERT_EQ(search->subscriptions.size(), 1u);
  EXPECT_EQ(search->subscriptions[0].name, "beta-al");
  EXPECT_EQ(broker_->ListSubscriptions(kAccount, "t", "", 0, 1)->subscriptions.size(), 1u);
  EXPECT_EQ(broker_->ListSubscriptions(kAccount, "x", "", 0, 1).status().error(),
            ErrorCode::kTopicNotExist);
}

TEST_F(TopicTest, SetSubscriptionAttributes) {
  Create("q");
  CreateTopic("t");
  CreateTopic("r", FilterType::kRoutingKey);
  SubscribeQueue("t", "s", "q", {"a", "b"});
  SubscribeHttp("t", "h");
  Subscribe("r", "k", {Protocol::kQueue, "q", {}, {}, {"x.#"}});

  clock_.Advance(2000);
  // Unset members stay; vectors replace; queues stay SIMPLIFIED.
  SubscriptionUpdate u;
  u.notify_strategy = NotifyStrategy::kBackoffRetry;
  u.content_format = ContentFormat::kJson;
  ASSERT_TRUE(Call(&Broker::SetSubscriptionAttributes)(kAccount, "t", "S", u).ok());
  auto v = broker_->GetSubscription(kAccount, "t", "s");
  EXPECT_EQ(v->spec.notify_strategy, NotifyStrategy::kBackoffRetry);
  EXPECT_EQ(v->spec.content_format, ContentFormat::kSimplified);
  EXPECT_EQ(v->spec.filter_tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(v->last_modify_time, NowS());
  EXPECT_EQ(v->create_time, NowS() - 2);

  SubscriptionUpdate tags;
  tags.filter_tags = std::vector<std::string>{"c"};
  ASSERT_TRUE(Call(&Broker::SetSubscriptionAttributes)(kAccount, "t", "s", tags).ok());
  v = broker_->GetSubscription(kAccount, "t", "s");
  EXPECT_EQ(v->spec.filter_tags, std::vector<std::string>{"c"});
  EXPECT_EQ(v->spec.notify_strategy, NotifyStrategy::kBackoffRetry);

  SubscriptionUpdate fmt;
  fmt.content_format = ContentFormat::kSimplified;
  ASSERT_TRUE(Call(&Broker::SetSubscriptionAttributes)(kAccount, "t", "h", fmt).ok());
  EXPECT_EQ(broker_->GetSubscription(kAccount, "t", "h")->spec.content_format,
            ContentFormat::kSimplified);

  // A binding key is never required on Set, even on a routing topic.
  SubscriptionUpdate none;
  none.binding_keys = std::vector<std::string>{};
  ASSERT_TRUE(Call(&Broker::SetSubscriptionAttributes)(kAccount, "r", "k", none).ok());
  EXPECT_TRUE(broker_->GetSubscription(kAccount, "r", "k")->spec.binding_keys.empty());

  EXPECT_EQ(Call(&Broker::SetSubscriptionAttributes)(kAccount, "x", "s", u).error(),
            ErrorCode::kTopicNotExist);
  EXPECT_EQ(Call(&Broker::SetSubscriptionAttributes)(kAccount, "t", "x", u).error(),
            ErrorCode::kSubscriptionNotExist);
}

TEST_F(TopicTest, ClearFilterTagsAndUnsubscribe) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q", {"a"});
  ASSERT_TRUE(Call(&Broker::ClearSubscriptionFilterTags)(kAccount, "t", "s").ok());
  EXPECT_TRUE(broker_->GetSubscription(kAccount, "t", "s")->spec.filter_tags.empty());
  EXPECT_EQ(Call(&Broker::ClearSubscriptionFilterTags)(kAccount, "t", "x").error(),
            ErrorCode::kSubscriptionNotExist);
  EXPECT_EQ(Call(&Broker::ClearSubscriptionFilterTags)(kAccount, "x", "s").error(),
            ErrorCode::kTopicNotExist);

  ASSERT_TRUE(Call(&Broker::Unsubscribe)(kAccount, "T", "S").ok());
  EXPECT_EQ(broker_->GetSubscription(kAccount, "t", "s").status().error(),
            ErrorCode::kSubscriptionNotExist);
  EXPECT_EQ(Call(&Broker::Unsubscribe)(kAccount, "t", "s").error(),
            ErrorCode::kSubscriptionNotExist);
  EXPECT_EQ(Call(&Broker::Unsubscribe)(kAccount, "x", "s").error(), ErrorCode::kTopicNotExist);
  EXPECT_EQ(broker_->GetSubscription(kAccount, "x", "s").status().error(),
            ErrorCode::kTopicNotExist);
  // Resubscribing under the same name gives a new subscription.
  EXPECT_TRUE(
      Call(&Broker::Subscribe)(kAccount, "t", Spec("s", {Protocol::kQueue, "q", {}, {}, {}})).ok());
}

TEST_F(TopicTest, DeletingTheEndpointQueueKeepsTheSubscription) {
  Create("q");
  CreateTopic("t");
  SubscribeQueue("t", "s", "q");
  ASSERT_TRUE(Call(&Broker::DeleteQueue)(kAccount, "q").ok());
  EXPECT_TRUE(broker_->GetSubscription(kAccount, "t", "s").ok());
}

TEST_F(TopicTest, StorageFailureIsReported) {
  CreateTopic("t");
  log_.FailSync();
  EXPECT_EQ(Call(&Broker::CreateTopic)(kAccount, "u", {}).status().error(),
            ErrorCode::kStorageFailed);
  EXPECT_EQ(Call(&Broker::SetTopicAttributes)(kAccount, "t", 2048).error(),
            ErrorCode::kStorageFailed);
  EXPECT_EQ(broker_->GetTopic(kAccount, "u").status().error(), ErrorCode::kTopicNotExist);
}

}  // namespace
}  // namespace cmq::broker
