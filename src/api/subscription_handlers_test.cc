// Subscription actions (8.2): success shapes, every parameter rule and error of 8.1,
// 8.2 and 10.4, and 14 items 48, 49, 52, 56-58, 64, 65.
#include <string>
#include <vector>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

class SubscriptionActionsTest : public ApiTest {
 protected:
  SubscriptionActionsTest() {
    CreateQueue("q");
    CreateTopic("t");
  }

  // Subscribe's parameters for `protocol` and `endpoint` plus `extra`.
  static ParamList Sub(const std::string& name, const std::string& protocol,
                       const std::string& endpoint, ParamList extra = {}) {
    extra.push_back({"topicName", "t"});
    extra.push_back({"subscriptionName", name});
    extra.push_back({"protocol", protocol});
    extra.push_back({"endpoint", endpoint});
    return extra;
  }
  JsonValue Get(const std::string& name, const std::string& topic = "t") {
    return Call("GetSubscriptionAttributes", {{"topicName", topic}, {"subscriptionName", name}});
  }
  static std::vector<std::string> Strings(const JsonValue& v, std::string_view key) {
    std::vector<std::string> out;
    const JsonValue* a = v.Find(key);
    EXPECT_TRUE(a != nullptr && a->is_array()) << key << " is not an array";
    if (a == nullptr || !a->is_array()) return out;
    for (const JsonValue& item : a->items()) out.push_back(item.as_string());
    return out;
  }
};

ParamList Join(ParamList a, const ParamList& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// --- Subscribe / GetSubscriptionAttributes --------------------------------------------

TEST_F(SubscriptionActionsTest, SubscribeAnswersSubscriptionId) {
  JsonValue v = Call("Subscribe", Sub("s", "http", "http://192.0.2.1:8080/cb"));
  ExpectOk(v);
  EXPECT_EQ(Str(v, "subscriptionId").rfind("subsc-", 0), 0u) << Str(v, "subscriptionId");
}

TEST_F(SubscriptionActionsTest, GetSubscriptionAttributesShapeHttpDefaults) {
  ExpectOk(Call("Subscribe", Sub("s", "http", "http://192.0.2.1:8080/cb")));
  JsonValue v = Get("s");
  ExpectOk(v);
  int64_t now = clock_.NowMs() / 1000;
  EXPECT_EQ(Str(v, "topicOwner"), std::to_string(kAccount));
  EXPECT_EQ(Int(v, "msgCount"), 0);
  EXPECT_EQ(Str(v, "protocol"), "http");
  EXPECT_EQ(Str(v, "protocal"), "http");
  EXPECT_EQ(Str(v, "endpoint"), "http://192.0.2.1:8080/cb");
  EXPECT_EQ(Str(v, "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(Str(v, "notifyContentFormat"), "JSON");
  EXPECT_EQ(Int(v, "createTime"), now);
  EXPECT_EQ(Int(v, "lastModifyTime"), now);
  EXPECT_TRUE(Strings(v, "filterTag").empty());
  EXPECT_TRUE(Strings(v, "filterTags").empty());
  EXPECT_TRUE(Strings(v, "bindingKey").empty());
  EXPECT_EQ(Str(v, "subscriptionName"), "s");
  EXPECT_EQ(Str(v, "topicName"), "t");
  EXPECT_EQ(Str(v, "subscriptionId").rfind("subsc-", 0), 0u);
}

TEST_F(SubscriptionActionsTest, QueueSubscriptionIsAlwaysSimplified) {
  ExpectOk(Call("Subscribe", Sub("plain", "queue", "q")));
  ExpectOk(Call("Subscribe", Sub("json", "QUEUE", "Q", {{"notifyContentFormat", "JSON"}})));
  for (const char* name : {"plain", "json"}) {
    JsonValue v = Get(name);
    EXPECT_EQ(Str(v, "protocol"), "queue") << name;
    EXPECT_EQ(Str(v, "protocal"), "queue") << name;
    EXPECT_EQ(Str(v, "notifyContentFormat"), "SIMPLIFIED") << name << " (14.48)";
  }
  EXPECT_EQ(Str(Get("json"), "endpoint"), "Q");
  // Set cannot make it JSON either.
  ExpectOk(
      Call("SetSubscriptionAttributes",
           {{"topicName", "t"}, {"subscriptionName", "plain"}, {"notifyContentFormat", "JSON"}}));
  EXPECT_EQ(Str(Get("plain"), "notifyContentFormat"), "SIMPLIFIED");
}

TEST_F(SubscriptionActionsTest, EverySettingOnSubscribe) {
  ParamList extra = {{"notifyStrategy", "BACKOFF_RETRY"}, {"notifyContentFormat", "SIMPLIFIED"}};
  extra = Join(extra, Indexed("filterTag", 1, {"a", "b", "c", "d", std::string(16, 'e')}));
  extra = Join(extra, Indexed("bindingKey", 1, {"k.#", "*", std::string(64, 'k'), "", "x"}));
  ExpectOk(Call("Subscribe", Sub("s", "https", "https://hooks.example.com:8443/a/b?c=d", extra)));
  JsonValue v = Get("s");
  EXPECT_EQ(Str(v, "protocol"), "http") << "https is an alias of http (14.64)";
  EXPECT_EQ(Str(v, "endpoint"), "https://hooks.example.com:8443/a/b?c=d");
  EXPECT_EQ(Str(v, "notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(Str(v, "notifyContentFormat"), "SIMPLIFIED");
  std::vector<std::string> tags = {"a", "b", "c", "d", std::string(16, 'e')};
  EXPECT_EQ(Strings(v, "filterTag"), tags);
  EXPECT_EQ(Strings(v, "filterTags"), tags);
  EXPECT_EQ(Strings(v, "bindingKey"),
            (std::vector<std::string>{"k.#", "*", std::string(64, 'k'), "", "x"}));
}

TEST_F(SubscriptionActionsTest, ZeroBasedTagsAndKeysFromTheCppSdk) {
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q",
                                 Join(Indexed("filterTag", 0, {"t0", "t1"}),
                                      Indexed("bindingKey", 0, {"k0"})))));
  JsonValue v = Get("s");
  EXPECT_EQ(Strings(v, "filterTag"), (std::vector<std::string>{"t0", "t1"}));
  EXPECT_EQ(Strings(v, "bindingKey"), (std::vector<std::string>{"k0"}));
}

TEST_F(SubscriptionActionsTest, EmptyStrategyAndFormatMeanDefault) {
  ExpectOk(Call("Subscribe", Sub("h", "HTTP", "http://h/",
                                 {{"notifyStrategy", ""}, {"notifyContentFormat", ""}})));
  ExpectOk(Call("Subscribe",
                Sub("q", "Queue", "q", {{"notifyStrategy", ""}, {"notifyContentFormat", ""}})));
  EXPECT_EQ(Str(Get("h"), "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(Str(Get("h"), "notifyContentFormat"), "JSON");
  EXPECT_EQ(Str(Get("q"), "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(Str(Get("q"), "notifyContentFormat"), "SIMPLIFIED");
  // Values in any case.
  ExpectOk(Call("Subscribe",
                Sub("lower", "http", "http://h/",
                    {{"notifyStrategy", "backoff_retry"}, {"notifyContentFormat", "simplified"}})));
  EXPECT_EQ(Str(Get("lower"), "notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(Str(Get("lower"), "notifyContentFormat"), "SIMPLIFIED");
}

TEST_F(SubscriptionActionsTest, SubscribeRequiredParameters) {
  ExpectError(
      Call("Subscribe", {{"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", "q"}}),
      4000, 10390, "topicName");
  ExpectError(Call("Subscribe", {{"topicName", "t"}, {"protocol", "queue"}, {"endpoint", "q"}}),
              4000, 10390, "subscriptionName");
  ExpectError(Call("Subscribe", {{"topicName", "t"}, {"subscriptionName", "s"}, {"endpoint", "q"}}),
              4000, 10390, "protocol");
  ExpectError(
      Call("Subscribe", {{"topicName", "t"}, {"subscriptionName", "s"}, {"protocol", "queue"}}),
      4000, 10390, "endpoint");
}

TEST_F(SubscriptionActionsTest, NameErrors) {
  for (const char* bad : {"", "_s", "s s", "s/t", "s.t"}) {
    ExpectError(Call("Subscribe", Sub(bad, "queue", "q")), 4000, 10580);
  }
  ExpectError(Call("Subscribe", Sub(std::string(65, 's'), "queue", "q")), 4000, 10580);
  ExpectOk(Call("Subscribe", Sub(std::string(64, 's'), "queue", "q")));
  ParamList bad_topic = Sub("s", "queue", "q");
  for (Param& p : bad_topic) {
    if (p.first == "topicName") p.second = "0t";
  }
  ExpectError(Call("Subscribe", bad_topic), 4000, 10590);
}

TEST_F(SubscriptionActionsTest, ProtocolErrors) {
  for (const char* bad : {"", "ftp", "sms", "email", "httpx"}) {
    ExpectError(Call("Subscribe", Sub("s", bad, "http://h/")), 4000, 10510);
  }
}

TEST_F(SubscriptionActionsTest, EndpointErrors) {
  for (const char* blank : {"http://h/a b", " http://h/", "http://h/\t", "q q", "\nq"}) {
    std::string protocol = std::string(blank).find("http") != std::string::npos ? "http" : "queue";
    ExpectError(Call("Subscribe", Sub("s", protocol, blank)), 4510, 10570);
  }
  for (const char* bad : {"", "h/path", "ftp://h/", "http://", "http:///x", "http://user@h/",
                          "http://h:0/", "http://h:65536/", "http://h:x/", "http://h:/",
                          "http://[]/", "http://h\x01/", "http://\xe4\xbd\xa0/", "//h/"}) {
    SCOPED_TRACE(bad);
    ExpectError(Call("Subscribe", Sub("s", "http", bad)), 4000, 10500);
  }
  std::string url = "http://h/" + std::string(491, 'p');
  ASSERT_EQ(url.size(), 500u);
  ExpectOk(Call("Subscribe", Sub("max", "http", url)));
  ExpectError(Call("Subscribe", Sub("s", "http", url + "p")), 4000, 10500);
  // Protocol and endpoint must agree.
  ExpectError(Call("Subscribe", Sub("s", "queue", "http://h/")), 4000, 10500);
  ExpectError(Call("Subscribe", Sub("s", "http", "q")), 4000, 10500);
  ExpectError(Call("Subscribe", Sub("s", "queue", "9q")), 4000, 10500);
  // A queue that does not exist (14.65).
  ExpectError(Call("Subscribe", Sub("s", "queue", "missing")), 4000, 10630);
  // Accepted forms.
  int n = 0;
  for (const char* good : {"http://h", "HTTP://H/", "https://h:443", "http://192.0.2.1:1/x?y=1#f",
                           "http://[2001:db8::1]:8080/p", "http://a-b.c_d~e/"}) {
    SCOPED_TRACE(good);
    ExpectOk(Call("Subscribe", Sub("ok" + std::to_string(n++), "http", good)));
  }
}

// Defect 7: endpoints in networks pushes may not reach are refused at Subscribe with
// 4000/10630 and the reason, whatever form the address is written in.
TEST_F(SubscriptionActionsTest, EndpointsPushesMayNotReachAreRefused) {
  struct Case {
    const char* endpoint;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"http://127.0.0.1:9/cb", "pushes may not reach 127.0.0.1 port 9 (loopback)"},
           {"http://2130706433/", "pushes may not reach 127.0.0.1 port 80 (loopback)"},
           {"http://0x7f000001:8080/", "pushes may not reach 127.0.0.1 port 8080 (loopback)"},
           {"http://0177.0.0.1/", "pushes may not reach 127.0.0.1 port 80 (loopback)"},
           {"https://127.1/", "pushes may not reach 127.0.0.1 port 443 (loopback)"},
           {"http://[::1]:80/", "pushes may not reach ::1 port 80 (loopback)"},
           {"http://[::ffff:127.0.0.1]/",
            "pushes may not reach ::ffff:127.0.0.1 port 80 (loopback)"},
           {"http://169.254.169.254/latest/meta-data/",
            "pushes may not reach 169.254.169.254 port 80 (link-local)"},
           {"http://[fe80::1]/", "pushes may not reach fe80::1 port 80 (link-local)"},
           {"http://0.0.0.0:8080/", "pushes may not reach 0.0.0.0 port 8080 (unspecified)"},
           {"http://metadata.google.internal/computeMetadata/v1/",
            "pushes may not reach metadata.google.internal (cloud metadata service)"},
           {"http://metadata.tencentyun.com/",
            "pushes may not reach metadata.tencentyun.com (cloud metadata service)"},
       }) {
    SCOPED_TRACE(c.endpoint);
    JsonValue v = Call("Subscribe", Sub("s", "http", c.endpoint));
    ExpectError(v, 4000, 10630);
    EXPECT_EQ(Str(v, "message"), std::string("(10630)illegal endpoint: ") + c.message);
  }
  ExpectError(Get("s"), 4000, 10560);  // nothing was subscribed
  // Private ranges and names are accepted (names are judged when resolved).
  int n = 0;
  for (const char* ok : {"http://10.0.0.1/", "http://192.168.1.1:8080/", "http://172.16.0.1/",
                         "http://[fd00::1]/", "http://localhost:9/", "http://hooks.example.com/"}) {
    SCOPED_TRACE(ok);
    ExpectOk(Call("Subscribe", Sub("ok" + std::to_string(n++), "http", ok)));
  }
}

TEST_F(SubscriptionActionsTest, PushNetworkPolicyOfTheOptionsDecides) {
  PushNetworkPolicy::Lists lists;
  lists.allow.push_back(*IpNetwork::Parse("127.0.0.0/8"));
  lists.deny.push_back(*IpNetwork::Parse("10.0.0.0/8"));
  auto policy = std::make_shared<PushNetworkPolicy>(lists);
  policy->AddOwnPort(8080);
  Reset(TestLimits(), policy);
  CreateTopic("t");
  ExpectOk(Call("Subscribe", Sub("loop", "http", "http://127.0.0.1:9/cb")));
  JsonValue own = Call("Subscribe", Sub("own", "http", "http://127.0.0.1:8080/"));
  ExpectError(own, 4000, 10630);
  EXPECT_EQ(
      Str(own, "message"),
      "(10630)illegal endpoint: pushes may not reach 127.0.0.1 port 8080 (cmqd's own listener)");
  JsonValue denied = Call("Subscribe", Sub("ten", "http", "http://10.1.2.3/"));
  ExpectError(denied, 4000, 10630);
  EXPECT_EQ(Str(denied, "message"),
            "(10630)illegal endpoint: pushes may not reach 10.1.2.3 port 80 (push_deny_networks)");
}

TEST_F(SubscriptionActionsTest, StrategyAndFormatErrors) {
  ExpectError(Call("Subscribe", Sub("s", "http", "http://h/", {{"notifyStrategy", "RETRY"}})), 4000,
              10520);
  ExpectError(Call("Subscribe", Sub("s", "http", "http://h/", {{"notifyContentFormat", "XML"}})),
              4000, 10530);
  ExpectError(Call("Subscribe", Sub("s", "queue", "q", {{"notifyContentFormat", "TEXT"}})), 4000,
              10530);
}

TEST_F(SubscriptionActionsTest, FilterTagAndBindingKeyErrors) {
  auto subscribe = [&](ParamList extra) {
    return Call("Subscribe", Sub("s", "queue", "q", extra));
  };
  ExpectError(subscribe(Indexed("filterTag", 1, {"a", "b", "c", "d", "e", "f"})), 4000, 10490);
  ExpectError(subscribe(Indexed("filterTag", 1, {std::string(17, 't')})), 4000, 10350, "filterTag");
  ExpectError(subscribe(Indexed("filterTag", 1, {""})), 4000, 10350, "filterTag");
  ExpectError(subscribe({{"filterTag.1", "a"}, {"filterTag.3", "b"}}), 4000, 10380);
  ExpectError(subscribe(Indexed("bindingKey", 1, {"a", "b", "c", "d", "e", "f"})), 4000, 10680);
  ExpectError(subscribe(Indexed("bindingKey", 1, {std::string(65, 'k')})), 4000, 10350,
              "bindingKey");
  ExpectError(subscribe(Indexed("bindingKey", 1, {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q"})), 4000,
              10691);
  ExpectOk(subscribe(Indexed("bindingKey", 1, {"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p"})));
}

TEST_F(SubscriptionActionsTest, RoutingTopicNeedsABindingKey) {
  CreateTopic("r", {{"filterType", "2"}});
  ParamList base = {
      {"topicName", "r"}, {"subscriptionName", "s"}, {"protocol", "queue"}, {"endpoint", "q"}};
  ExpectError(Call("Subscribe", base), 4000, 10710);
  ExpectError(Call("Subscribe", Join(base, {{"filterTag.1", "a"}})), 4000, 10710);
  ExpectOk(Call("Subscribe", Join(base, {{"bindingKey.1", "#"}})));
  // Set never requires one (14.56).
  ExpectOk(
      Call("SetSubscriptionAttributes",
           {{"topicName", "r"}, {"subscriptionName", "s"}, {"notifyStrategy", "BACKOFF_RETRY"}}));
}

TEST_F(SubscriptionActionsTest, DuplicateAndQuota) {
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q")));
  ExpectError(Call("Subscribe", Sub("S", "http", "http://h/")), 4490, 10470);
  // The same name under another topic is fine.
  CreateTopic("other");
  ParamList other = Sub("s", "queue", "q");
  for (Param& p : other) {
    if (p.first == "topicName") p.second = "other";
  }
  ExpectOk(Call("Subscribe", other));

  broker::Limits limits = TestLimits();
  limits.topics.max_subscriptions_per_topic = 2;
  Reset(limits);
  CreateQueue("q");
  CreateTopic("t");
  ExpectOk(Call("Subscribe", Sub("a", "queue", "q")));
  ExpectOk(Call("Subscribe", Sub("b", "queue", "q")));
  ExpectError(Call("Subscribe", Sub("c", "queue", "q")), 4500, 10480);
}

TEST_F(SubscriptionActionsTest, UnknownSubscriptionInEveryAction) {
  ParamList key = {{"topicName", "t"}, {"subscriptionName", "nope"}};
  for (const char* action : {"GetSubscriptionAttributes", "SetSubscriptionAttributes",
                             "Unsubscribe", "ClearSubscriptionFilterTags"}) {
    ExpectError(Call(action, key), 4000, 10560);
    ExpectError(Call(action, {{"topicName", "t"}, {"subscriptionName", "-x"}}), 4000, 10580);
    ExpectError(Call(action, {{"topicName", "t"}}), 4000, 10390, "subscriptionName");
    ExpectError(Call(action, {{"topicName", "gone"}, {"subscriptionName", "s"}}), 4440, 10600);
    ExpectError(Call(action, {{"subscriptionName", "s"}}), 4000, 10390, "topicName");
  }
}

// --- ListSubscriptionByTopic ----------------------------------------------------------

TEST_F(SubscriptionActionsTest, ListSubscriptionByTopicShapeAndPaging) {
  JsonValue empty = Call("ListSubscriptionByTopic", {{"topicName", "t"}});
  ExpectOk(empty);
  EXPECT_EQ(Int(empty, "totalCount"), 0);
  ASSERT_NE(empty.Find("subscriptionList"), nullptr);
  EXPECT_TRUE(empty.Find("subscriptionList")->is_array());

  ExpectOk(Call("Subscribe", Sub("web", "http", "http://h/cb")));
  for (int i = 0; i < 99; ++i) {
    ExpectOk(
        Call("Subscribe", Sub(std::string("s").append(std::to_string(100 + i)), "queue", "q")));
  }
  // The default quota is 100 per topic.
  ExpectError(Call("Subscribe", Sub("s199", "queue", "q")), 4500, 10480);
  JsonValue all = Call("ListSubscriptionByTopic", {{"topicName", "t"}});
  EXPECT_EQ(Int(all, "totalCount"), 100);
  const std::vector<JsonValue>& items = all.Find("subscriptionList")->items();
  ASSERT_EQ(items.size(), 20u) << "default limit";
  EXPECT_EQ(Str(items[0], "subscriptionName"), "web");
  EXPECT_EQ(Str(items[0], "protocol"), "http");
  EXPECT_EQ(Str(items[0], "endpoint"), "http://h/cb");
  EXPECT_EQ(Str(items[0], "subscriptionId").rfind("subsc-", 0), 0u);
  EXPECT_EQ(Str(items[1], "protocol"), "queue");
  EXPECT_EQ(Str(items[1], "endpoint"), "q");

  EXPECT_EQ(Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"limit", "500"}})
                .Find("subscriptionList")
                ->items()
                .size(),
            100u)
      << "limit clamped to 100";
  JsonValue page =
      Call("ListSubscriptionByTopic", {{"topicName", "T"}, {"offset", "98"}, {"limit", "5"}});
  ASSERT_EQ(page.Find("subscriptionList")->items().size(), 2u);
  EXPECT_EQ(Str(page.Find("subscriptionList")->items()[1], "subscriptionName"), "s198");
  JsonValue search = Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"searchWord", "WE"}});
  EXPECT_EQ(Int(search, "totalCount"), 1);

  ExpectOk(Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"offset", "1000"}}));
  ExpectError(Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"offset", "1001"}}), 4000,
              10350, "offset");
  ExpectError(Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"offset", "-1"}}), 4000, 10350);
  ExpectError(Call("ListSubscriptionByTopic", {{"topicName", "t"}, {"limit", "ten"}}), 4000, 10360);
  ExpectError(Call("ListSubscriptionByTopic", {}), 4000, 10390);
  ExpectError(Call("ListSubscriptionByTopic", {{"topicName", "!"}}), 4000, 10590);
}

// --- SetSubscriptionAttributes --------------------------------------------------------

TEST_F(SubscriptionActionsTest, SetSubscriptionAttributes) {
  ExpectOk(Call("Subscribe",
                Sub("s", "http", "http://h/",
                    Join(Indexed("filterTag", 0, {"a"}), Indexed("bindingKey", 0, {"k"})))));
  AdvanceSeconds(5);
  // The C++ SDK sends every field, unset ones as "": nothing changes (14.57).
  ExpectOk(Call("SetSubscriptionAttributes", {{"topicName", "t"},
                                              {"subscriptionName", "s"},
                                              {"notifyStrategy", ""},
                                              {"notifyContentFormat", ""}}));
  JsonValue v = Get("s");
  EXPECT_EQ(Str(v, "notifyStrategy"), "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(Str(v, "notifyContentFormat"), "JSON");
  EXPECT_EQ(Strings(v, "filterTag"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(Strings(v, "bindingKey"), (std::vector<std::string>{"k"}));

  ParamList set = {{"topicName", "t"},
                   {"subscriptionName", "s"},
                   {"notifyStrategy", "BACKOFF_RETRY"},
                   {"notifyContentFormat", "SIMPLIFIED"},
                   // protocol and endpoint cannot change: ignored.
                   {"protocol", "queue"},
                   {"endpoint", "q"}};
  ExpectOk(Call("SetSubscriptionAttributes", Join(set, Join(Indexed("filterTag", 1, {"x", "y"}),
                                                            Indexed("bindingKey", 1, {"b.#"})))));
  v = Get("s");
  EXPECT_EQ(Str(v, "notifyStrategy"), "BACKOFF_RETRY");
  EXPECT_EQ(Str(v, "notifyContentFormat"), "SIMPLIFIED");
  EXPECT_EQ(Strings(v, "filterTag"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Strings(v, "filterTags"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(Strings(v, "bindingKey"), (std::vector<std::string>{"b.#"}));
  EXPECT_EQ(Str(v, "protocol"), "http");
  EXPECT_EQ(Str(v, "endpoint"), "http://h/");
  EXPECT_EQ(Int(v, "lastModifyTime"), Int(v, "createTime") + 5);

  ParamList key = {{"topicName", "t"}, {"subscriptionName", "s"}};
  ExpectError(Call("SetSubscriptionAttributes", Join(key, {{"notifyStrategy", "x"}})), 4000, 10520);
  ExpectError(Call("SetSubscriptionAttributes", Join(key, {{"notifyContentFormat", "x"}})), 4000,
              10530);
  ExpectError(Call("SetSubscriptionAttributes",
                   Join(key, Indexed("filterTag", 1, {"1", "2", "3", "4", "5", "6"}))),
              4000, 10490);
  ExpectError(Call("SetSubscriptionAttributes",
                   Join(key, Indexed("bindingKey", 1, {"1", "2", "3", "4", "5", "6"}))),
              4000, 10680);
  ExpectError(
      Call("SetSubscriptionAttributes", Join(key, {{"bindingKey.1", std::string(65, 'k')}})), 4000,
      10350);
  ExpectError(Call("SetSubscriptionAttributes", Join(key, {{"filterTag.1", std::string(17, 'k')}})),
              4000, 10350);
  // Failed updates changed nothing.
  EXPECT_EQ(Strings(Get("s"), "filterTag"), (std::vector<std::string>{"x", "y"}));
}

// --- Unsubscribe / ClearSubscriptionFilterTags ----------------------------------------

TEST_F(SubscriptionActionsTest, UnsubscribeStopsDelivery) {
  CreateQueue("q2");
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q")));
  ExpectOk(Call("Subscribe", Sub("s2", "queue", "q2")));
  ExpectOk(Call("Unsubscribe", {{"topicName", "T"}, {"subscriptionName", "S"}}));
  ExpectError(Get("s"), 4000, 10560);
  JsonValue list = Call("ListSubscriptionByTopic", {{"topicName", "t"}});
  EXPECT_EQ(Int(list, "totalCount"), 1);
  ExpectOk(Publish("t", "after"));
  EXPECT_EQ(Code(Receive("q")), 7000);
  EXPECT_EQ(Str(Receive("q2"), "msgBody"), "after");
  ExpectOk(Call("Unsubscribe", {{"topicName", "t"}, {"subscriptionName", "s2"}}));
  ExpectError(Publish("t", "nobody"), 6030, 10650);
  // The name is free again.
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q")));
}

TEST_F(SubscriptionActionsTest, ClearFilterTagsWithTheJavaSpelling) {
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q", Indexed("filterTag", 1, {"a"}))));
  ExpectError(Publish("t", "untagged"), 6030, 10730);
  AdvanceSeconds(3);
  ExpectOk(Call("ClearSUbscriptionFIlterTags", {{"topicName", "t"}, {"subscriptionName", "s"}}));
  JsonValue v = Get("s");
  EXPECT_TRUE(Strings(v, "filterTag").empty());
  EXPECT_TRUE(Strings(v, "filterTags").empty());
  EXPECT_EQ(Int(v, "lastModifyTime"), Int(v, "createTime") + 3);
  ExpectOk(Publish("t", "untagged"));
  EXPECT_EQ(Str(Receive("q"), "msgBody"), "untagged");
  // Clearing twice is fine.
  ExpectOk(Call("ClearSubscriptionFilterTags", {{"topicName", "t"}, {"subscriptionName", "s"}}));
}

TEST_F(SubscriptionActionsTest, QueueDeletedAfterSubscribeKeepsSubscription) {
  ExpectOk(Call("Subscribe", Sub("s", "queue", "q")));
  ExpectOk(Call("DeleteQueue", {{"queueName", "q"}}));
  // The delivery fails and retries; the publish itself succeeds (9.4).
  ExpectOk(Publish("t", "into nowhere"));
  ExpectOk(Get("s"));
}

}  // namespace
}  // namespace cmq::api
