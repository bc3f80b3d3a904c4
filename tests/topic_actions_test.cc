// Black-box: every topic and subscription action of docs/cmq-api.md 7.2 and 8.2
// answers over HTTP with the documented success shape (sections 3, 7.1, 8.1 and 14
// items 14, 15, 48, 49, 59, 64, 67).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

constexpr const char* kTopicInts[] = {
    "msgCount",  "maxMsgSize", "msgRetentionSeconds", "createTime", "lastModifyTime", "filterType",
    "createUin", "qps",        "LoggingEnabled"};
constexpr const char* kSubscriptionStrings[] = {
    "topicOwner",          "protocol",       "protocal",         "endpoint", "notifyStrategy",
    "notifyContentFormat", "subscriptionId", "subscriptionName", "topicName"};

class TopicActionsTest : public SharedServerTest {
 protected:
  std::string CreateTopic(const std::string& name, ParamList attributes = {}) {
    attributes.emplace_back("topicName", name);
    return StrField(Ok("CreateTopic", std::move(attributes)), "topicId");
  }
  std::string Subscribe(const std::string& topic, const std::string& name,
                        const std::string& protocol, const std::string& endpoint,
                        ParamList extra = {}) {
    extra.emplace_back("topicName", topic);
    extra.emplace_back("subscriptionName", name);
    extra.emplace_back("protocol", protocol);
    extra.emplace_back("endpoint", endpoint);
    return StrField(Ok("Subscribe", std::move(extra)), "subscriptionId");
  }
  JsonValue SubscriptionAttributes(const std::string& topic, const std::string& name) {
    return Ok("GetSubscriptionAttributes", {{"topicName", topic}, {"subscriptionName", name}});
  }
  static std::vector<std::string> Strings(const JsonValue& v, std::string_view key) {
    std::vector<std::string> out;
    for (const JsonValue& item : ArrayField(v, key)) out.push_back(item.as_string());
    return out;
  }
};

TEST_F(TopicActionsTest, CreateTopicReturnsTopicId) {
  ClientResult<JsonValue> r = caller_->Call("CreateTopic", {{"topicName", UniqueName("create")}});
  ASSERT_TRUE(IsSuccess(r));
  ASSERT_TRUE(HasString(*r, "topicId"));
  EXPECT_EQ(StrField(*r, "topicId").rfind("topic-", 0), 0u);
  // Every attribute at once, the way the Python SDK sends them.
  r = caller_->Call(
      "CreateTopic",
      {{"topicName", UniqueName("create")}, {"maxMsgSize", "1048576"}, {"filterType", "2"}});
  EXPECT_TRUE(IsSuccess(r));
}

TEST_F(TopicActionsTest, GetTopicAttributesShapeAndDefaults) {
  std::string t = UniqueName("attrs");
  std::string id = CreateTopic(t);
  JsonValue r = Ok("GetTopicAttributes", {{"topicName", t}});
  for (const char* key : kTopicInts) EXPECT_TRUE(HasInt(r, key));
  EXPECT_TRUE(HasString(r, "topicId"));
  EXPECT_TRUE(HasArray(r, "tags"));
  EXPECT_EQ(StrField(r, "topicId"), id);
  EXPECT_EQ(StrField(r, "topicName"), t);
  EXPECT_EQ(IntField(r, "msgCount"), 0);
  EXPECT_EQ(IntField(r, "maxMsgSize"), 65536);
  EXPECT_EQ(IntField(r, "msgRetentionSeconds"), 86400);
  EXPECT_EQ(IntField(r, "filterType"), 1);
  EXPECT_EQ(IntField(r, "createUin"), 1000000) << "the default account's appId";
  EXPECT_EQ(IntField(r, "createTime"), IntField(r, "lastModifyTime"));
  EXPECT_GT(IntField(r, "createTime"), 1600000000);
  EXPECT_TRUE(ArrayField(r, "tags").empty());

  std::string zero = UniqueName("zero");
  CreateTopic(zero, {{"filterType", "0"}, {"maxMsgSize", "1024"}});
  r = Ok("GetTopicAttributes", {{"topicName", zero}});
  EXPECT_EQ(IntField(r, "filterType"), 1) << "0 is tag filtering (14.67)";
  EXPECT_EQ(IntField(r, "maxMsgSize"), 1024);
}

TEST_F(TopicActionsTest, SetTopicAttributesAnswersEnvelope) {
  std::string t = UniqueName("set");
  CreateTopic(t);
  ClientResult<JsonValue> r =
      caller_->Call("SetTopicAttributes", {{"topicName", t}, {"maxMsgSize", "4096"}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_EQ(IntField(Ok("GetTopicAttributes", {{"topicName", t}}), "maxMsgSize"), 4096);
}

TEST_F(TopicActionsTest, ListTopicShapeAndPaging) {
  std::string prefix = UniqueName("listtopic");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(CreateTopic(prefix + "x" + std::to_string(i)));
  JsonValue r = Ok("ListTopic", {{"searchWord", prefix}});
  EXPECT_TRUE(HasInt(r, "totalCount"));
  ASSERT_TRUE(HasArray(r, "topicList"));
  EXPECT_EQ(IntField(r, "totalCount"), 3);
  ASSERT_EQ(ArrayField(r, "topicList").size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const JsonValue& item = ArrayField(r, "topicList")[i];
    EXPECT_EQ(StrField(item, "topicId"), ids[i]);
    EXPECT_EQ(StrField(item, "topicName"), prefix + "x" + std::to_string(i));
  }
  r = Ok("ListTopic", {{"searchWord", prefix}, {"offset", "1"}, {"limit", "1"}});
  EXPECT_EQ(IntField(r, "totalCount"), 3);
  ASSERT_EQ(ArrayField(r, "topicList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(r, "topicList")[0], "topicId"), ids[1]);

  r = Ok("ListTopic", {{"searchWord", "no-topic-is-called-like-this"}});
  EXPECT_EQ(IntField(r, "totalCount"), 0);
  ASSERT_TRUE(HasArray(r, "topicList")) << "[] even when empty (Java requires the key)";
}

TEST_F(TopicActionsTest, DeleteTopicAnswersEnvelope) {
  std::string t = UniqueName("delete");
  CreateTopic(t);
  EXPECT_TRUE(IsSuccess(caller_->Call("DeleteTopic", {{"topicName", t}})));
  EXPECT_TRUE(IsServerError(caller_->Call("GetTopicAttributes", {{"topicName", t}}), 4440, 10600));
}

TEST_F(TopicActionsTest, PublishAndBatchPublishReturnIds) {
  std::string t = UniqueName("publish");
  std::string q = UniqueName("publish-q");
  CreateTopic(t);
  CreateQueue(q);
  Subscribe(t, "s", "queue", q);
  JsonValue r = Ok("PublishMessage", {{"topicName", t}, {"msgBody", "one"}, {"routingKey", ""}});
  ASSERT_TRUE(HasString(r, "msgId"));
  EXPECT_FALSE(StrField(r, "msgId").empty());
  r = Ok("BatchPublishMessage",
         {{"topicName", t}, {"msgBody.1", "two"}, {"msgBody.2", "three"}, {"msgTag.1", "x"}});
  ASSERT_TRUE(HasArray(r, "msgList"));
  ASSERT_EQ(ArrayField(r, "msgList").size(), 2u);
  for (const JsonValue& m : ArrayField(r, "msgList")) EXPECT_TRUE(HasString(m, "msgId"));
  EXPECT_NE(StrField(ArrayField(r, "msgList")[0], "msgId"),
            StrField(ArrayField(r, "msgList")[1], "msgId"));
}

TEST_F(TopicActionsTest, SubscribeAndGetSubscriptionAttributesShape) {
  std::string t = UniqueName("sub");
  std::string q = UniqueName("sub-q");
  CreateTopic(t);
  CreateQueue(q);
  std::string http_id = Subscribe(t, "web", "http", "http://127.0.0.1:9/cb");
  EXPECT_EQ(http_id.rfind("subsc-", 0), 0u);
  // C++ SDK style: filterTag.0 / bindingKey.0, and the SDK default JSON on a queue.
  Subscribe(t, "toqueue", "queue", q,
            {{"notifyStrategy", "BACKOFF_RETRY"},
             {"notifyContentFormat", "JSON"},
             {"filterTag.0", "a"},
             {"filterTag.1", "b"},
             {"bindingKey.0", "k.#"}});

  JsonValue web = SubscriptionAttributes(t, "web");
  for (const char* key : kSubscriptionStrings) EXPECT_TRUE(HasString(web, key)) << key;
  for (const char* key : {"msgCount", "createTime", "lastModifyTime"}) {
    EXPECT_TRUE(HasInt(web, key)) << key;
  }
  for (const char* key : {"filterTag", "filterTags", "bindingKey"}) {
    EXPECT_TRUE(HasArray(web, key)) << key << " must be an array, never null";
  }
  EXPECT_EQ(StrField(web, "topicOwner"), "1000000");
  EXPECT_EQ(StrField(web, "protocol"), "http");
  EXPECT_EQ(StrField(web, "protocal"), "http");
  EXPECT_EQ(StrField(web, "endpoint"), "http://127.0.0.1:9/cb");
  EXPECT_EQ(StrField(web, "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(StrField(web, "notifyContentFormat"), "JSON");
  EXPECT_EQ(StrField(web, "subscriptionId"), http_id);
  EXPECT_EQ(StrField(web, "subscriptionName"), "web");
  EXPECT_EQ(StrField(web, "topicName"), t);
  EXPECT_EQ(IntField(web, "msgCount"), 0);

  JsonValue queue = SubscriptionAttributes(t, "toqueue");
  EXPECT_EQ(StrField(queue, "protocol"), "queue");
  EXPECT_EQ(StrField(queue, "protocal"), "queue");
  EXPECT_EQ(StrField(queue, "endpoint"), q);
  EXPECT_EQ(StrField(queue, "notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(StrField(queue, "notifyContentFormat"), "SIMPLIFIED") << "14.48";
  EXPECT_EQ(Strings(queue, "filterTag"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Strings(queue, "filterTags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Strings(queue, "bindingKey"), (std::vector<std::string>{"k.#"}));
}

TEST_F(TopicActionsTest, ListSubscriptionByTopicShape) {
  std::string t = UniqueName("listsub");
  std::string q = UniqueName("listsub-q");
  CreateTopic(t);
  CreateQueue(q);
  JsonValue r = Ok("ListSubscriptionByTopic", {{"topicName", t}});
  EXPECT_EQ(IntField(r, "totalCount"), 0);
  ASSERT_TRUE(HasArray(r, "subscriptionList"));

  std::string a = Subscribe(t, "alpha", "http", "https://127.0.0.1:9/a");
  std::string b = Subscribe(t, "beta", "queue", q);
  r = Ok("ListSubscriptionByTopic", {{"topicName", t}});
  EXPECT_TRUE(HasInt(r, "totalCount"));
  EXPECT_EQ(IntField(r, "totalCount"), 2);
  const std::vector<JsonValue>& list = ArrayField(r, "subscriptionList");
  ASSERT_EQ(list.size(), 2u);
  for (const JsonValue& s : list) {
    for (const char* key : {"subscriptionId", "subscriptionName", "protocol", "endpoint"}) {
      EXPECT_TRUE(HasString(s, key)) << key;
    }
  }
  EXPECT_EQ(StrField(list[0], "subscriptionId"), a);
  EXPECT_EQ(StrField(list[0], "subscriptionName"), "alpha");
  EXPECT_EQ(StrField(list[0], "protocol"), "http");
  EXPECT_EQ(StrField(list[0], "endpoint"), "https://127.0.0.1:9/a");
  EXPECT_EQ(StrField(list[1], "subscriptionId"), b);
  EXPECT_EQ(StrField(list[1], "protocol"), "queue");
  EXPECT_EQ(StrField(list[1], "endpoint"), q);

  r = Ok("ListSubscriptionByTopic",
         {{"topicName", t}, {"searchWord", "BET"}, {"offset", "0"}, {"limit", "100"}});
  EXPECT_EQ(IntField(r, "totalCount"), 1);
  r = Ok("ListSubscriptionByTopic", {{"topicName", t}, {"offset", "1"}, {"limit", "1"}});
  ASSERT_EQ(ArrayField(r, "subscriptionList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(r, "subscriptionList")[0], "subscriptionName"), "beta");
}

TEST_F(TopicActionsTest, SetSubscriptionAttributesAndClearFilterTags) {
  std::string t = UniqueName("setsub");
  CreateTopic(t);
  Subscribe(t, "s", "http", "http://127.0.0.1:9/", {{"filterTag.1", "a"}});
  // The C++ SDK sends unset fields as "" (14.57).
  EXPECT_TRUE(IsSuccess(caller_->Call("SetSubscriptionAttributes", {{"topicName", t},
                                                                    {"subscriptionName", "s"},
                                                                    {"notifyStrategy", ""},
                                                                    {"notifyContentFormat", ""}})));
  EXPECT_EQ(StrField(SubscriptionAttributes(t, "s"), "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_TRUE(
      IsSuccess(caller_->Call("SetSubscriptionAttributes", {{"topicName", t},
                                                            {"subscriptionName", "s"},
                                                            {"notifyStrategy", "BACKOFF_RETRY"},
                                                            {"notifyContentFormat", "SIMPLIFIED"},
                                                            {"filterTag.1", "x"},
                                                            {"filterTag.2", "y"},
                                                            {"bindingKey.1", "b.*"}})));
  JsonValue s = SubscriptionAttributes(t, "s");
  EXPECT_EQ(StrField(s, "notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(StrField(s, "notifyContentFormat"), "SIMPLIFIED");
  EXPECT_EQ(Strings(s, "filterTag"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Strings(s, "bindingKey"), (std::vector<std::string>{"b.*"}));

  // The Java SDK's spelling of the action (2.1).
  EXPECT_TRUE(IsSuccess(
      caller_->Call("ClearSUbscriptionFIlterTags", {{"topicName", t}, {"subscriptionName", "s"}})));
  s = SubscriptionAttributes(t, "s");
  EXPECT_TRUE(HasArray(s, "filterTag"));
  EXPECT_TRUE(Strings(s, "filterTag").empty());
  EXPECT_TRUE(Strings(s, "filterTags").empty());
  EXPECT_EQ(Strings(s, "bindingKey"), (std::vector<std::string>{"b.*"}));
}

TEST_F(TopicActionsTest, UnsubscribeAnswersEnvelope) {
  std::string t = UniqueName("unsub");
  CreateTopic(t);
  Subscribe(t, "s", "http", "http://127.0.0.1:9/");
  EXPECT_TRUE(
      IsSuccess(caller_->Call("Unsubscribe", {{"topicName", t}, {"subscriptionName", "s"}})));
  EXPECT_TRUE(IsServerError(
      caller_->Call("GetSubscriptionAttributes", {{"topicName", t}, {"subscriptionName", "s"}}),
      4000, 10560));
  EXPECT_EQ(IntField(Ok("ListSubscriptionByTopic", {{"topicName", t}}), "totalCount"), 0);
}

TEST_F(TopicActionsTest, EveryActionOverGet) {
  CallerOptions options = server().Options();
  options.http_method = "GET";
  Caller get = server().NewCaller(options);
  std::string t = UniqueName("get");
  std::string q = UniqueName("get-q");
  CreateQueue(q);
  auto ok = [&](std::string_view action, ParamList params) {
    ClientResult<JsonValue> r = get.Call(action, std::move(params));
    EXPECT_TRUE(IsSuccess(r)) << action;
    return r.ok() ? std::move(r).value() : JsonValue();
  };
  ok("CreateTopic", {{"topicName", t}});
  ok("SetTopicAttributes", {{"topicName", t}, {"maxMsgSize", "2048"}});
  ok("ListTopic", {{"searchWord", t}});
  ok("GetTopicAttributes", {{"topicName", t}});
  ok("Subscribe",
     {{"topicName", t}, {"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", q}});
  ok("ListSubscriptionByTopic", {{"topicName", t}});
  ok("SetSubscriptionAttributes",
     {{"topicName", t}, {"subscriptionName", "s"}, {"filterTag.1", "a"}});
  ok("GetSubscriptionAttributes", {{"topicName", t}, {"subscriptionName", "s"}});
  ok("ClearSubscriptionFilterTags", {{"topicName", t}, {"subscriptionName", "s"}});
  ok("PublishMessage", {{"topicName", t}, {"msgBody", "via get"}});
  ok("BatchPublishMessage", {{"topicName", t}, {"msgBody.0", "b0"}, {"msgBody.1", "b1"}});
  ok("Unsubscribe", {{"topicName", t}, {"subscriptionName", "s"}});
  ok("DeleteTopic", {{"topicName", t}});
  ClientResult<JsonValue> m = Receive(q);
  ASSERT_TRUE(IsSuccess(m));
  EXPECT_EQ(StrField(*m, "msgBody"), "via get");
}

}  // namespace
}  // namespace cmq::testing
