// Topic actions (7.2): success shapes, every parameter rule and error of 7.2, 10.4 and
// 14 items 51, 55, 59, 67, and publishing into queue subscriptions.
#include <string>
#include <vector>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using TopicActionsTest = ApiTest;

ParamList Join(ParamList a, const ParamList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- CreateTopic / GetTopicAttributes ------------------------------------------------

TEST_F(TopicActionsTest, CreateTopicAnswersTopicId) {
  JsonValue v = Call("CreateTopic", {{"topicName", "orders"}});
  ExpectOk(v);
  EXPECT_EQ(Str(v, "topicId").rfind("topic-", 0), 0u) << Str(v, "topicId");
}

TEST_F(TopicActionsTest, GetTopicAttributesShapeAndDefaults) {
  CreateTopic("orders");
  JsonValue v = Call("GetTopicAttributes", {{"topicName", "orders"}});
  ExpectOk(v);
  int64_t now = clock_.NowMs() / 1000;
  EXPECT_EQ(Int(v, "msgCount"), 0);
  EXPECT_EQ(Int(v, "maxMsgSize"), 65536);
  EXPECT_EQ(Int(v, "msgRetentionSeconds"), 86400);
  EXPECT_EQ(Int(v, "createTime"), now);
  EXPECT_EQ(Int(v, "lastModifyTime"), now);
  EXPECT_EQ(Int(v, "filterType"), 1);
  EXPECT_EQ(Int(v, "createUin"), static_cast<int64_t>(kAccount));
  EXPECT_EQ(Int(v, "qps"), 5000);
  EXPECT_EQ(Int(v, "LoggingEnabled"), 0);
  EXPECT_EQ(Str(v, "topicName"), "orders");
  EXPECT_EQ(Str(v, "topicId").rfind("topic-", 0), 0u);
  ASSERT_NE(v.Find("tags"), nullptr);
  EXPECT_TRUE(v.Find("tags")->is_array());
  EXPECT_TRUE(v.Find("tags")->items().empty());
}

TEST_F(TopicActionsTest, CreateTopicAttributesAndFilterTypeZero) {
  CreateTopic("big", {{"maxMsgSize", "1048576"}, {"filterType", "2"}});
  CreateTopic("small", {{"maxMsgSize", "1024"}, {"filterType", "0"}});
  JsonValue big = Call("GetTopicAttributes", {{"topicName", "big"}});
  EXPECT_EQ(Int(big, "maxMsgSize"), 1048576);
  EXPECT_EQ(Int(big, "filterType"), 2);
  JsonValue small = Call("GetTopicAttributes", {{"topicName", "small"}});
  EXPECT_EQ(Int(small, "maxMsgSize"), 1024);
  EXPECT_EQ(Int(small, "filterType"), 1) << "filterType 0 means tag filtering (14.67)";
}

TEST_F(TopicActionsTest, CreateTopicParameterErrors) {
  ExpectError(Call("CreateTopic", {}), 4000, 10390, "topicName");
  for (const char* bad : {"", "1abc", "a b", "a.b", "ab!"}) {
    ExpectError(Call("CreateTopic", {{"topicName", bad}}), 4000, 10590);
  }
  ExpectError(Call("CreateTopic", {{"topicName", std::string(65, 'a')}}), 4000, 10590);
  CreateTopic(std::string(64, 'a'));
  CreateTopic("with_under-score");
  for (const char* bad : {"1023", "1048577", "-1"}) {
    ExpectError(Call("CreateTopic", {{"topicName", "t"}, {"maxMsgSize", bad}}), 4000, 10350,
                "maxMsgSize");
  }
  ExpectError(Call("CreateTopic", {{"topicName", "t"}, {"maxMsgSize", "big"}}), 4000, 10360,
              "maxMsgSize");
  for (const char* bad : {"3", "-1", "100"}) {
    ExpectError(Call("CreateTopic", {{"topicName", "t"}, {"filterType", bad}}), 4000, 10350,
                "filterType");
  }
  ExpectError(Call("CreateTopic", {{"topicName", "t"}, {"filterType", "tag"}}), 4000, 10360,
              "filterType");
  // Nothing was created by the failures.
  EXPECT_EQ(Int(Call("ListTopic", {{"searchWord", "t"}}), "totalCount"), 1);
}

TEST_F(TopicActionsTest, CreateTopicExistsCaseInsensitive) {
  CreateTopic("Orders");
  JsonValue v = Call("CreateTopic", {{"topicName", "orders"}});
  ExpectError(v, 4460, 4460);
  // Lookup is case-insensitive too; the original spelling is kept.
  EXPECT_EQ(Str(Call("GetTopicAttributes", {{"topicName", "ORDERS"}}), "topicName"), "Orders");
}

TEST_F(TopicActionsTest, TopicQuota) {
  broker::Limits limits = TestLimits();
  limits.topics.max_topics_per_account = 2;
  Reset(limits);
  CreateTopic("a");
  CreateTopic("b");
  ExpectError(Call("CreateTopic", {{"topicName", "c"}}), 4450, 10610);
}

TEST_F(TopicActionsTest, UnknownTopicInEveryAction) {
  const ParamList topic = {{"topicName", "nope"}};
  for (const char* action :
       {"GetTopicAttributes", "SetTopicAttributes", "DeleteTopic", "ListSubscriptionByTopic"}) {
    ExpectError(Call(action, topic), 4440, 10600);
  }
  ExpectError(Call("PublishMessage", Join(topic, {{"msgBody", "m"}})), 4440, 10600);
  ExpectError(Call("BatchPublishMessage", Join(topic, {{"msgBody.1", "m"}})), 4440, 10600);
  ExpectError(Call("Subscribe", Join(topic, {{"subscriptionName", "s"},
                                             {"protocol", "http"},
                                             {"endpoint", "http://h/"}})),
              4440, 10600);
}

// --- SetTopicAttributes --------------------------------------------------------------

TEST_F(TopicActionsTest, SetTopicAttributesChangesMaxMsgSizeOnly) {
  CreateTopic("t", {{"filterType", "2"}});
  AdvanceSeconds(10);
  ExpectOk(Call("SetTopicAttributes", {{"topicName", "t"}, {"maxMsgSize", "2048"}}));
  JsonValue v = Call("GetTopicAttributes", {{"topicName", "t"}});
  EXPECT_EQ(Int(v, "maxMsgSize"), 2048);
  EXPECT_EQ(Int(v, "filterType"), 2);
  EXPECT_EQ(Int(v, "lastModifyTime"), Int(v, "createTime") + 10);
  // filterType is immutable: ignored on Set.
  ExpectOk(Call("SetTopicAttributes", {{"topicName", "t"}, {"filterType", "1"}}));
  EXPECT_EQ(Int(Call("GetTopicAttributes", {{"topicName", "t"}}), "filterType"), 2);

  ExpectError(Call("SetTopicAttributes", {{"topicName", "t"}, {"maxMsgSize", "1023"}}), 4000,
              10350);
  ExpectError(Call("SetTopicAttributes", {{"topicName", "t"}, {"maxMsgSize", "x"}}), 4000, 10360);
  ExpectError(Call("SetTopicAttributes", {{"topicName", "-t"}}), 4000, 10590);
  ExpectError(Call("SetTopicAttributes", {}), 4000, 10390);
}

// --- ListTopic -----------------------------------------------------------------------

TEST_F(TopicActionsTest, ListTopicShapePagingAndSearch) {
  JsonValue empty = Call("ListTopic");
  ExpectOk(empty);
  EXPECT_EQ(Int(empty, "totalCount"), 0);
  ASSERT_NE(empty.Find("topicList"), nullptr);
  EXPECT_TRUE(empty.Find("topicList")->is_array());

  for (int i = 0; i < 55; ++i) CreateTopic("topic" + std::to_string(100 + i));
  CreateTopic("Other");
  JsonValue all = Call("ListTopic");
  EXPECT_EQ(Int(all, "totalCount"), 56);
  EXPECT_EQ(all.Find("topicList")->items().size(), 20u) << "default limit";
  const JsonValue& first = all.Find("topicList")->items()[0];
  EXPECT_EQ(Str(first, "topicName"), "topic100");
  EXPECT_EQ(Str(first, "topicId").rfind("topic-", 0), 0u);

  JsonValue clamped = Call("ListTopic", {{"limit", "1000"}});
  EXPECT_EQ(clamped.Find("topicList")->items().size(), 50u) << "limit clamped to 50";
  JsonValue page = Call("ListTopic", {{"offset", "54"}, {"limit", "5"}});
  ASSERT_EQ(page.Find("topicList")->items().size(), 2u);
  EXPECT_EQ(Str(page.Find("topicList")->items()[0], "topicName"), "topic154");

  JsonValue search = Call("ListTopic", {{"searchWord", "oTHE"}});
  EXPECT_EQ(Int(search, "totalCount"), 1);
  EXPECT_EQ(Str(search.Find("topicList")->items()[0], "topicName"), "Other");

  ExpectError(Call("ListTopic", {{"offset", "-1"}}), 4000, 10350);
  ExpectError(Call("ListTopic", {{"limit", "x"}}), 4000, 10360);
}

// --- DeleteTopic ---------------------------------------------------------------------

TEST_F(TopicActionsTest, DeleteTopicRequiresNoSubscriptions) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q");
  ExpectError(Call("DeleteTopic", {{"topicName", "t"}}), 4000, 10540);
  ExpectOk(Call("Unsubscribe", {{"topicName", "t"}, {"subscriptionName", "s"}}));
  ExpectOk(Call("DeleteTopic", {{"topicName", "T"}}));
  ExpectError(Call("GetTopicAttributes", {{"topicName", "t"}}), 4440, 10600);
  ExpectError(Call("DeleteTopic", {{"topicName", "t"}}), 4440, 10600);
  // The name is free again.
  CreateTopic("t");
}

// --- PublishMessage ------------------------------------------------------------------

TEST_F(TopicActionsTest, PublishIntoQueueSubscriptionsAndReceive) {
  CreateQueue("q1");
  CreateQueue("q2");
  CreateTopic("t");
  Subscribe("t", "s1", "q1");
  Subscribe("t", "s2", "q2", {{"notifyContentFormat", "JSON"}});
  JsonValue v = Publish("t", "hello topic");
  ExpectOk(v);
  EXPECT_FALSE(Str(v, "msgId").empty());
  for (const char* q : {"q1", "q2"}) {
    JsonValue m = Receive(q);
    ExpectOk(m);
    EXPECT_EQ(Str(m, "msgBody"), "hello topic") << q << ": raw body, JSON or not (14.48)";
  }
  // Publishing to a queue whose subscription filters nothing delivers every message.
  JsonValue batch = Call("BatchPublishMessage",
                         Join(Indexed("msgBody", 1, {"b1", "b2", "b3"}), {{"topicName", "t"}}));
  ExpectOk(batch);
  ASSERT_EQ(batch.Find("msgList")->items().size(), 3u);
  for (const JsonValue& id : batch.Find("msgList")->items()) EXPECT_FALSE(Str(id, "msgId").empty());
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) got.push_back(Str(Receive("q1"), "msgBody"));
  EXPECT_EQ(got, (std::vector<std::string>{"b1", "b2", "b3"}));
}

TEST_F(TopicActionsTest, PublishWithoutAnySubscription) {
  CreateTopic("t");
  ExpectError(Publish("t", "m"), 6030, 10650);
  ExpectError(Call("BatchPublishMessage", {{"topicName", "t"}, {"msgBody.1", "m"}}), 6030, 10650);
  EXPECT_EQ(Int(Call("GetTopicAttributes", {{"topicName", "t"}}), "msgCount"), 0);
}

TEST_F(TopicActionsTest, TagFilteringIntoQueues) {
  for (const char* q : {"all", "red", "blue"}) CreateQueue(q);
  CreateTopic("t");
  Subscribe("t", "all", "all");
  Subscribe("t", "red", "red", Indexed("filterTag", 1, {"red", "crimson"}));
  Subscribe("t", "blue", "blue", Indexed("filterTag", 1, {"blue"}));

  ExpectOk(Publish("t", "untagged"));
  ExpectOk(Publish("t", "red one", Indexed("msgTag", 1, {"crimson", "x"})));
  ExpectOk(Publish("t", "both", Indexed("msgTag", 0, {"blue", "red"})));
  ExpectOk(Publish("t", "case", Indexed("msgTag", 1, {"RED"})));

  auto drain = [&](const std::string& q) {
    std::vector<std::string> bodies;
    for (JsonValue m = Receive(q); Code(m) == 0; m = Receive(q))
      bodies.push_back(Str(m, "msgBody"));
    return bodies;
  };
  EXPECT_EQ(drain("all"), (std::vector<std::string>{"untagged", "red one", "both", "case"}));
  EXPECT_EQ(drain("red"), (std::vector<std::string>{"red one", "both"}));
  EXPECT_EQ(drain("blue"), (std::vector<std::string>{"both"}));
}

TEST_F(TopicActionsTest, NoSubscriptionMatchesStoresNothing) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q", Indexed("filterTag", 1, {"a"}));
  ExpectError(Publish("t", "untagged"), 6030, 10730);
  ExpectError(Publish("t", "other", Indexed("msgTag", 1, {"b"})), 6030, 10730);
  ExpectError(Call("BatchPublishMessage", Join(Indexed("msgBody", 1, {"x", "y"}),
                                               {{"topicName", "t"}, {"msgTag.1", "b"}})),
              6030, 10730);
  EXPECT_EQ(Code(Receive("q")), 7000);
  EXPECT_EQ(Int(Call("GetTopicAttributes", {{"topicName", "t"}}), "msgCount"), 0);
}

TEST_F(TopicActionsTest, PhpFilterTagAliasForMessageTags) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q", Indexed("filterTag", 1, {"a"}));
  // No msgTag.N: filterTag.N are the message tags (4 rule 7).
  ExpectOk(Call("BatchPublishMessage", Join(Indexed("msgBody", 1, {"p1", "p2"}),
                                            {{"topicName", "t"}, {"filterTag.1", "a"}})));
  ExpectOk(Publish("t", "p3", {{"filterTag.1", "a"}}));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "p1");
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "p2");
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "p3");
  // msgTag.N wins when both are present.
  ExpectError(Publish("t", "p4", {{"msgTag.1", "b"}, {"filterTag.1", "a"}}), 6030, 10730);
  // The alias follows the message-tag rules.
  ExpectError(Publish("t", "p5", Indexed("filterTag", 1, {"a", "b", "c", "d", "e", "f"})), 4000,
              10720);
}

TEST_F(TopicActionsTest, MessageTagRules) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q");
  ExpectOk(Publish("t", "five", Indexed("msgTag", 1, {"a", "b", "c", "d", "e"})));
  ExpectOk(Publish("t", "sixteen", Indexed("msgTag", 1, {std::string(16, 't')})));
  ExpectOk(Publish("t", "utf8", Indexed("msgTag", 1, {"标签标签标签标签标签标签标签标签"})));
  ExpectError(Publish("t", "six", Indexed("msgTag", 1, {"a", "b", "c", "d", "e", "f"})), 4000,
              10720);
  ExpectError(Publish("t", "long", Indexed("msgTag", 1, {std::string(17, 't')})), 4000, 10350,
              "msgTag");
  ExpectError(Publish("t", "empty", Indexed("msgTag", 1, {""})), 4000, 10350, "msgTag");
  ExpectError(Publish("t", "newline", Indexed("msgTag", 1, {"a\r\nX-Evil: 1"})), 4000, 10360);
  ExpectError(Publish("t", "bad utf8", Indexed("msgTag", 1, {"\xff"})), 4000, 10360);
  ExpectError(Publish("t", "gap", {{"msgTag.1", "a"}, {"msgTag.3", "b"}}), 4000, 10380);
  ExpectError(Publish("t", "start", {{"msgTag.2", "a"}}), 4000, 10380);
  ExpectError(Publish("t", "key", {{"msgTag.x", "a"}}), 4000, 10310);
}

TEST_F(TopicActionsTest, PublishBodyRules) {
  CreateQueue("q");
  CreateTopic("t", {{"maxMsgSize", "1024"}});
  Subscribe("t", "s", "q");
  ExpectOk(Publish("t", std::string(1024, 'x')));
  ExpectError(Publish("t", std::string(1025, 'x')), 4400, 10230);
  ExpectError(Publish("t", ""), 4000, 10120);
  ExpectError(Publish("t", "\xc3\x28"), 4000, 10360, "msgBody");
  ExpectError(Call("PublishMessage", {{"topicName", "t"}}), 4000, 10390, "msgBody");
  ExpectError(Call("PublishMessage", {{"msgBody", "m"}}), 4000, 10390, "topicName");
  ExpectError(Call("PublishMessage", {{"topicName", "9t"}, {"msgBody", "m"}}), 4000, 10590);
  // Everything failed before storing: one message in the queue.
  ExpectOk(Receive("q"));
  EXPECT_EQ(Code(Receive("q")), 7000);
}

TEST_F(TopicActionsTest, BatchPublishRules) {
  CreateQueue("q");
  CreateTopic("t", {{"maxMsgSize", "1048576"}});
  Subscribe("t", "s", "q");
  ParamList topic = {{"topicName", "t"}};
  ExpectError(Call("BatchPublishMessage", topic), 4000, 10390, "msgBody");
  ExpectError(Call("BatchPublishMessage", Join(topic, {{"msgBody", "plain"}})), 4000, 10390);
  std::vector<std::string> seventeen(17, "m");
  ExpectError(Call("BatchPublishMessage", Join(topic, Indexed("msgBody", 1, seventeen))), 4000,
              10370);
  ExpectError(Call("BatchPublishMessage", Join(topic, {{"msgBody.1", "a"}, {"msgBody.3", "b"}})),
              4000, 10380);
  ExpectError(Call("BatchPublishMessage", Join(topic, Indexed("msgBody", 1, {"a", ""}))), 4000,
              10120);
  ExpectError(Call("BatchPublishMessage", Join(topic, Indexed("msgBody", 1, {"a", "\xff"}))), 4000,
              10360);
  std::string half(600 * 1024, 'x');
  ExpectError(Call("BatchPublishMessage", Join(topic, Indexed("msgBody", 1, {half, half}))), 4470,
              10300);
  // All-or-nothing: nothing reached the queue.
  EXPECT_EQ(Code(Receive("q")), 7000);
  // 0-based bodies (Go, Node).
  JsonValue v = Call("BatchPublishMessage", Join(topic, Indexed("msgBody", 0, {"z0", "z1"})));
  ExpectOk(v);
  EXPECT_EQ(v.Find("msgList")->items().size(), 2u);
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "z0");
}

TEST_F(TopicActionsTest, QueueMaxMsgSizeDoesNotApplyToDeliveries) {
  CreateQueue("small", {{"maxMsgSize", "1024"}});
  CreateTopic("t", {{"maxMsgSize", "4096"}});
  Subscribe("t", "s", "small");
  std::string body(3000, 'b');
  ExpectOk(Publish("t", body));
  EXPECT_EQ(Str(Receive("small"), "msgBody"), body) << "14.62";
}

TEST_F(TopicActionsTest, BindingKeysHaveNoEffectOnATagTopic) {
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q", Indexed("bindingKey", 1, {"route.#"}));
  ExpectOk(Publish("t", "any", {{"routingKey", "other"}}));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "any") << "14.52";
}

TEST_F(TopicActionsTest, PublishThrottling) {
  broker::Limits limits = TestLimits();
  limits.topics.publish_qps_per_topic = 2;
  Reset(limits);
  CreateQueue("q");
  CreateTopic("t");
  Subscribe("t", "s", "q");
  ExpectOk(Publish("t", "1"));
  ExpectOk(Call("BatchPublishMessage", {{"topicName", "t"}, {"msgBody.1", "2"}}));
  ExpectError(Publish("t", "3"), 4420, 10250);
  AdvanceSeconds(1);
  ExpectOk(Publish("t", "4"));
  JsonValue attributes = Call("GetTopicAttributes", {{"topicName", "t"}});
  EXPECT_EQ(Int(attributes, "qps"), 2);
}

// --- routing keys --------------------------------------------------------------------

TEST_F(TopicActionsTest, RoutingKeysIntoQueues) {
  for (const char* q : {"hash", "star", "exact", "zero"}) CreateQueue(q);
  CreateTopic("r", {{"filterType", "2"}});
  Subscribe("r", "hash", "hash", Indexed("bindingKey", 1, {"#"}));
  Subscribe("r", "star", "star", Indexed("bindingKey", 1, {"*"}));
  // The C++ SDK numbers Subscribe's keys and tags from 0 (4).
  Subscribe("r", "exact", "exact", Indexed("bindingKey", 0, {"a.b", "1.#.0"}));
  Subscribe("r", "zero", "zero",
            Join(Indexed("bindingKey", 0, {"x.*"}), Indexed("filterTag", 0, {"ignored"})));

  ExpectOk(Publish("r", "empty key", {{"routingKey", ""}}));
  ExpectOk(Publish("r", "one word", {{"routingKey", "abc"}}));
  ExpectOk(Publish("r", "a.b", {{"routingKey", "a.b"}}));
  ExpectOk(Publish("r", "1.0", {{"routingKey", "1.0"}}));
  ExpectOk(Publish("r", "x.y", {{"routingKey", "x.y"}, {"msgTag.1", "unrelated"}}));

  auto drain = [&](const std::string& q) {
    std::vector<std::string> bodies;
    for (JsonValue m = Receive(q); Code(m) == 0; m = Receive(q))
      bodies.push_back(Str(m, "msgBody"));
    return bodies;
  };
  EXPECT_EQ(drain("hash"),
            (std::vector<std::string>{"empty key", "one word", "a.b", "1.0", "x.y"}));
  EXPECT_EQ(drain("star"), (std::vector<std::string>{"one word"}));
  EXPECT_EQ(drain("exact"), (std::vector<std::string>{"a.b", "1.0"}));
  EXPECT_EQ(drain("zero"), (std::vector<std::string>{"x.y"}));
}

TEST_F(TopicActionsTest, RoutingKeyRules) {
  CreateQueue("q");
  CreateTopic("r", {{"filterType", "2"}});
  Subscribe("r", "s", "q", Indexed("bindingKey", 1, {"#"}));
  ExpectError(Publish("r", "no key"), 4000, 10700);
  ExpectError(Call("BatchPublishMessage", {{"topicName", "r"}, {"msgBody.1", "m"}}), 4000, 10700);
  ExpectOk(Publish("r", "64", {{"routingKey", std::string(64, 'k')}}));
  ExpectError(Publish("r", "65", {{"routingKey", std::string(65, 'k')}}), 4000, 10350,
              "routingKey");
  std::string fifteen_dots = "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p";
  ExpectOk(Publish("r", "15 dots", {{"routingKey", fifteen_dots}}));
  ExpectError(Publish("r", "16 dots", {{"routingKey", fifteen_dots + ".q"}}), 4000, 10691);
  // Wildcards in a routing key are literal (14.55).
  ExpectOk(Publish("r", "wild", {{"routingKey", "*.#"}}));

  CreateTopic("narrow", {{"filterType", "2"}});
  Subscribe("narrow", "s", "q", Join(Indexed("bindingKey", 1, {"a"}), {{"filterTag.1", "t"}}));
  ExpectError(Publish("narrow", "nobody", {{"routingKey", "b"}, {"msgTag.1", "t"}}), 6030, 10730);
  ExpectError(Publish("narrow", "case", {{"routingKey", "A"}}), 6030, 10730);

  // On a tag topic a routing key is validated but has no effect.
  CreateTopic("t");
  Subscribe("t", "s", "q");
  ExpectOk(Publish("t", "tag topic", {{"routingKey", "whatever"}}));
  ExpectError(Publish("t", "too long", {{"routingKey", std::string(65, 'k')}}), 4000, 10350);
}

// --- HTTP subscriptions reach the push sink -------------------------------------------

TEST_F(TopicActionsTest, HttpSubscriptionGetsAPushTask) {
  std::vector<broker::PushTask> tasks;
  broker_->SetPushSink([&](broker::PushTask task) { tasks.push_back(std::move(task)); });
  CreateTopic("t");
  Subscribe("t", "json", "http://192.0.2.1:9/json");
  Subscribe("t", "plain", "https://example.com/p?x=1",
            {{"notifyContentFormat", "SIMPLIFIED"}, {"notifyStrategy", "BACKOFF_RETRY"}});
  JsonValue v = Publish("t", "pushed", Indexed("msgTag", 1, {"a", "b"}));
  ExpectOk(v);
  broker_->Tick();
  ASSERT_EQ(tasks.size(), 2u);
  for (const broker::PushTask& task : tasks) {
    EXPECT_EQ(task.msg_id, Str(v, "msgId"));
    EXPECT_EQ(task.body, "pushed");
    EXPECT_EQ(task.topic_name, "t");
    EXPECT_EQ(task.topic_owner, kAccount);
    EXPECT_EQ(task.tags, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(task.attempt, 0);
    if (task.subscription_name == "json") {
      EXPECT_EQ(task.endpoint, "http://192.0.2.1:9/json");
      EXPECT_EQ(task.format, broker::ContentFormat::kJson);
    } else {
      EXPECT_EQ(task.subscription_name, "plain");
      EXPECT_EQ(task.endpoint, "https://example.com/p?x=1");
      EXPECT_EQ(task.format, broker::ContentFormat::kSimplified);
    }
  }
}

// --- durability ----------------------------------------------------------------------

TEST_F(TopicActionsTest, TopicMutationsAnswerOnlyWhenDurable) {
  REQUIRE_MEM_LOG();
  CreateQueue("q");
  log_->SetAutoDurable(false);
  Pending create = Start("CreateTopic", {{"topicName", "t"}});
  EXPECT_FALSE(create.answered());
  ExpectOk(Call("GetTopicAttributes", {{"topicName", "t"}}));  // reads answer at once
  Pending subscribe = Start(
      "Subscribe",
      {{"topicName", "t"}, {"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", "q"}});
  Pending set = Start("SetTopicAttributes", {{"topicName", "t"}, {"maxMsgSize", "4096"}});
  Pending publish = Start("PublishMessage", {{"topicName", "t"}, {"msgBody", "m"}});
  EXPECT_FALSE(subscribe.answered());
  EXPECT_FALSE(set.answered());
  EXPECT_FALSE(publish.answered());
  log_->MakeDurable();
  ExpectOk(create.json());
  ExpectOk(subscribe.json());
  ExpectOk(set.json());
  ExpectOk(publish.json());

  Pending unsubscribe = Start("Unsubscribe", {{"topicName", "t"}, {"subscriptionName", "s"}});
  EXPECT_FALSE(unsubscribe.answered());
  log_->MakeDurable();
  ExpectOk(unsubscribe.json());
  Pending del = Start("DeleteTopic", {{"topicName", "t"}});
  EXPECT_FALSE(del.answered());
  log_->FailSync();
  ASSERT_TRUE(del.answered());
  EXPECT_EQ(Code(del.json()), 6000);
}

TEST_F(TopicActionsTest, GetMethodAndCaseInsensitiveActions) {
  ExpectOk(Call("createtopic", {{"topicName", "g"}}, "GET"));
  ExpectOk(Call("GETTOPICATTRIBUTES", {{"topicName", "g"}}, "GET"));
  ExpectOk(Call("listTopic", {}, "GET"));
}

}  // namespace
}  // namespace cmq::api
