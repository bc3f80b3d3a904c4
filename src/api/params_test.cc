#include "api/params.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace cmq::api {
namespace {

TEST(ParamsTest, LastOccurrenceWins) {
  ParamList list = {{"queueName", "a"}, {"queueName", "b"}};
  Params p(&list);
  ASSERT_TRUE(p.OptionalString("queueName")->has_value());
  EXPECT_EQ(**p.OptionalString("queueName"), "b");
}

TEST(ParamsTest, ExactNameBeatsCaseInsensitiveFallback) {
  ParamList list = {{"queueName", "exact"}, {"QueueName", "folded"}};
  Params p(&list);
  EXPECT_EQ(**p.OptionalString("queueName"), "exact");
  ParamList only_folded = {{"QueueName", "x"}, {"QUEUENAME", "y"}};
  Params q(&only_folded);
  EXPECT_EQ(**q.OptionalString("queueName"), "y");
  EXPECT_FALSE(q.OptionalString("queue")->has_value());
}

// Names the lookups or the signature cannot tell apart are repeats (14.3).
TEST(ParamsTest, RepeatedNames) {
  EXPECT_TRUE(CheckNoRepeatedNames({}).ok());
  EXPECT_TRUE(
      CheckNoRepeatedNames({{"msgBody.1", "a"}, {"msgBody.2", "a"}, {"msgBody", "a"}}).ok());
  for (const ParamList& list :
       std::vector<ParamList>{{{"queueName", "a"}, {"queueName", "a"}},
                              {{"msgBody", "signed"}, {"x", "1"}, {"msgBody", "@other"}},
                              {{"queueName", "a"}, {"QUEUENAME", "b"}},
                              {{"msgBody.1", "a"}, {"msgBody_1", "b"}},
                              {{"Signature", "a"}, {"Signature", "b"}},
                              {{"a", ""}, {"a", ""}}}) {
    Status s = CheckNoRepeatedNames(list);
    EXPECT_EQ(s.error(), ErrorCode::kNotRepeatable) << list[0].first;
    EXPECT_EQ(s.cmq_code(), 4000);
    EXPECT_EQ(s.module_code(), 10330);
  }
  Status s = CheckNoRepeatedNames({{"queueName", "a"}, {"queueName", "b"}});
  EXPECT_EQ(s.WireMessage(), "(10330)parameter queueName is NOT a repeatable parameter");
  // A hostile name is not echoed whole.
  std::string long_name(100000, 'n');
  s = CheckNoRepeatedNames({{long_name, ""}, {long_name, ""}});
  EXPECT_LT(s.WireMessage().size(), 200u);
}

TEST(ParamsTest, UseSignedNamesReadsUnderscoreAsDot) {
  ParamList list = {{"msgBody_1", "a"}, {"queue_Name", "q"}, {"plain", "p"}};
  UseSignedNames(&list);
  EXPECT_EQ(list, (ParamList{{"msgBody.1", "a"}, {"queue.Name", "q"}, {"plain", "p"}}));
}

// What the signature leaves out ('@' values of a Python-style POST) is refused by
// every accessor that would read it, and ignored by the ones that do not.
TEST(ParamsTest, UnsignedValuesAreNeverRead) {
  ParamList list = {{"queueName", "@q"},    {"msgBody.1", "@a"},  {"delaySeconds", "@1"},
                    {"bindindKey.1", "@k"}, {"routingKey", "@r"}, {"notifyStrategy", "@s"},
                    {"searchWord", "@w"},   {"unknown", "@u"},    {"msgTag.1", "t"}};
  Params p(&list, {0, 1, 2, 3, 4, 5, 6, 7});
  auto expect_unsigned = [](const Status& s, const std::string& name) {
    EXPECT_EQ(s.error(), ErrorCode::kUnsignedParameter) << name;
    EXPECT_EQ(s.cmq_code(), 4100);
    EXPECT_EQ(s.WireMessage(),
              "(10030)authentication failed: parameter " + name + " is not signed");
  };
  expect_unsigned(p.RequiredString("queueName").status(), "queueName");
  expect_unsigned(p.QueueName().status(), "queueName");
  expect_unsigned(p.OptionalString("QUEUENAME").status(), "queueName");
  expect_unsigned(p.Indexed("msgBody", 16).status(), "msgBody.1");
  expect_unsigned(p.OptionalInt("delaySeconds", 0, 10).status(), "delaySeconds");
  expect_unsigned(p.BindingKeys().status(), "bindindKey.1");
  expect_unsigned(p.RoutingKey().status(), "routingKey");
  expect_unsigned(p.OptionalNotifyStrategy().status(), "notifyStrategy");
  expect_unsigned(ParsePaging(p, 20, 50).status(), "searchWord");
  // Signed values and absent ones read as usual.
  EXPECT_EQ(*p.Tags("msgTag", ErrorCode::kTooManyMsgTags), std::vector<std::string>{"t"});
  EXPECT_FALSE(p.OptionalString("msgBody")->has_value());
  // The same values, signed, are read (the '@' is just a character then).
  Params all(&list);
  EXPECT_EQ(**all.OptionalString("queueName"), "@q");
  EXPECT_EQ(*all.BindingKeys(), std::vector<std::string>{"@k"});
}

TEST(ParamsTest, RequiredString) {
  ParamList list = {{"empty", ""}};
  Params p(&list);
  EXPECT_EQ(*p.RequiredString("empty"), "");
  Result<std::string_view> missing = p.RequiredString("msgBody");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().error(), ErrorCode::kLackedParameter);
  EXPECT_EQ(missing.status().WireMessage(), "(10390)lacked of required parameter msgBody");
}

TEST(ParamsTest, Ints) {
  ParamList list = {{"ok", "30"},
                    {"neg", "-5"},
                    {"text", "abc"},
                    {"empty", ""},
                    {"plus", "+3"},
                    {"space", " 3"},
                    {"huge", "99999999999999999999"},
                    {"float", "1.5"},
                    {"hugeneg", "-99999999999999999999"}};
  Params p(&list);
  EXPECT_EQ(p.OptionalInt("ok", 0, 30)->value(), 30);
  EXPECT_EQ(p.OptionalInt("neg", -10, 0)->value(), -5);
  EXPECT_FALSE(p.OptionalInt("absent", 0, 1)->has_value());
  EXPECT_EQ(p.OptionalInt("ok", 0, 29).status().error(), ErrorCode::kOutOfRange);
  EXPECT_EQ(p.OptionalInt("ok", 31, 40).status().error(), ErrorCode::kOutOfRange);
  for (const char* name : {"text", "empty", "plus", "space", "float"}) {
    Result<std::optional<int64_t>> v = p.OptionalInt(name, INT64_MIN, INT64_MAX);
    EXPECT_EQ(v.status().error(), ErrorCode::kErrorType) << name;
    EXPECT_EQ(v.status().detail(), name);
  }
  EXPECT_EQ(p.OptionalInt("huge", 0, INT64_MAX).status().error(), ErrorCode::kOutOfRange);
  EXPECT_EQ(p.OptionalInt("hugeneg", INT64_MIN, 0).status().error(), ErrorCode::kOutOfRange);
  EXPECT_EQ(p.RequiredInt("absent", 0, 1).status().error(), ErrorCode::kLackedParameter);
  EXPECT_EQ(p.RequiredInt("ok", 0, 100).value(), 30);
  Result<int64_t> range = p.RequiredInt("ok", 0, 10);
  EXPECT_EQ(range.status().WireMessage(), "(10350)parameter ok value or length is out of range");
}

TEST(ParamsTest, QueueNameSyntax) {
  for (const char* good : {"a", "Queue-1", "q_under",
                           "A123456789012345678901234567890123456789"
                           "012345678901234567890123"}) {
    EXPECT_TRUE(IsValidResourceName(good)) << good;
  }
  std::string too_long = "a" + std::string(64, 'b');
  for (std::string bad :
       {std::string(""), std::string("1abc"), std::string("-a"), std::string("_a"),
        std::string("a b"), std::string("a.b"), std::string("队列"), too_long}) {
    EXPECT_FALSE(IsValidResourceName(bad)) << bad;
  }
  ParamList list = {{"queueName", "9bad"}, {"deadLetterQueueName", "good"}};
  Params p(&list);
  EXPECT_EQ(p.QueueName().status().error(), ErrorCode::kQueueNameFormat);
  EXPECT_EQ(*p.QueueName("deadLetterQueueName"), "good");
  EXPECT_EQ(p.QueueName("other").status().error(), ErrorCode::kLackedParameter);
}

std::vector<std::string> Values(const Result<std::vector<std::string_view>>& r) {
  std::vector<std::string> out;
  if (r.ok()) out.assign(r->begin(), r->end());
  return out;
}

TEST(ParamsTest, IndexedFromZeroAndOne) {
  ParamList zero = {{"msgBody.1", "b"}, {"msgBody.0", "a"}, {"msgBody.2", "c"}};
  Params p0(&zero);
  EXPECT_EQ(Values(p0.Indexed("msgBody", 16)), (std::vector<std::string>{"a", "b", "c"}));
  ParamList one = {{"msgBody.2", "b"}, {"msgBody.1", "a"}};
  Params p1(&one);
  EXPECT_EQ(Values(p1.Indexed("msgBody", 16)), (std::vector<std::string>{"a", "b"}));
}

TEST(ParamsTest, IndexedSortsNumerically) {
  ParamList list;
  for (int i = 12; i >= 1; --i)
    list.push_back({"receiptHandle." + std::to_string(i), std::to_string(i)});
  Params p(&list);
  std::vector<std::string> got = Values(p.Indexed("receiptHandle", 16));
  ASSERT_EQ(got.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(got[i], std::to_string(i + 1));
}

TEST(ParamsTest, IndexedErrors) {
  auto error_of = [](ParamList list, size_t max = 16) {
    Params p(&list);
    return p.Indexed("msgBody", max).status();
  };
  Status gap = error_of({{"msgBody.1", "a"}, {"msgBody.3", "c"}});
  EXPECT_EQ(gap.error(), ErrorCode::kNotConsequent);
  EXPECT_EQ(gap.WireMessage(), "(10380)msgBody parameter is not consequent");
  EXPECT_EQ(error_of({{"msgBody.2", "a"}, {"msgBody.3", "c"}}).error(), ErrorCode::kNotConsequent);
  EXPECT_EQ(error_of({{"msgBody.0", "a"}, {"msgBody.2", "c"}}).error(), ErrorCode::kNotConsequent);
  EXPECT_EQ(error_of({{"msgBody.999999999", "a"}}).error(), ErrorCode::kNotConsequent);

  ParamList seventeen;
  for (int i = 1; i <= 17; ++i) seventeen.push_back({"msgBody." + std::to_string(i), "x"});
  Status too_many = error_of(seventeen);
  EXPECT_EQ(too_many.error(), ErrorCode::kBatchSizeOutOfRange);
  EXPECT_EQ(too_many.WireMessage(), "(10370)msgBody parameter batch size is out of range");
  seventeen.pop_back();
  EXPECT_TRUE(error_of(seventeen).ok());

  for (const char* key : {"msgBody.", "msgBody.x", "msgBody.-1", "msgBody.+1", "msgBody.01",
                          "msgBody.1.2", "msgBody. 1", "msgBody.1234567890123"}) {
    Status s = error_of({{key, "v"}});
    EXPECT_EQ(s.error(), ErrorCode::kParamKeyFormat) << key;
    EXPECT_EQ(s.detail(), key);
  }
}

TEST(ParamsTest, IndexedDuplicatesLastWinsAndPlainKeyIgnored) {
  ParamList list = {{"msgBody", "plain"},
                    {"msgBody.1", "first"},
                    {"msgBody.1", "second"},
                    {"msgBodyX.1", "other"},
                    {"msgBody.2", "two"}};
  Params p(&list);
  EXPECT_EQ(Values(p.Indexed("msgBody", 16)), (std::vector<std::string>{"second", "two"}));
  ParamList plain_only = {{"msgBody", "plain"}};
  Params q(&plain_only);
  Result<std::vector<std::string_view>> none = q.Indexed("msgBody", 16);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ParamsTest, IndexedCaseInsensitiveFallback) {
  ParamList list = {{"MsgBody.1", "a"}, {"MSGBODY.2", "b"}};
  Params p(&list);
  EXPECT_EQ(Values(p.Indexed("msgBody", 16)), (std::vector<std::string>{"a", "b"}));
  // With an exact spelling present, other spellings are not mixed in.
  ParamList mixed = {{"msgBody.1", "a"}, {"MsgBody.2", "b"}};
  Params m(&mixed);
  EXPECT_EQ(Values(m.Indexed("msgBody", 16)), (std::vector<std::string>{"a"}));
}

TEST(ParamsTest, Paging) {
  auto paging = [](ParamList list) {
    Params p(&list);
    return ParsePaging(p, 20, 50);
  };
  Result<Paging> def = paging({});
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->offset, 0);
  EXPECT_EQ(def->limit, 20);
  EXPECT_EQ(def->search_word, "");
  EXPECT_EQ(paging({{"limit", "500"}})->limit, 50);
  EXPECT_EQ(paging({{"limit", "0"}})->limit, 20);
  EXPECT_EQ(paging({{"limit", "-3"}})->limit, 20);
  EXPECT_EQ(paging({{"limit", "7"}, {"offset", "3"}, {"searchWord", "ab"}})->limit, 7);
  EXPECT_EQ(paging({{"offset", "3"}})->offset, 3);
  EXPECT_EQ(paging({{"searchWord", "ab"}})->search_word, "ab");
  EXPECT_EQ(paging({{"offset", "-1"}}).status().error(), ErrorCode::kOutOfRange);
  EXPECT_EQ(paging({{"offset", "x"}}).status().error(), ErrorCode::kErrorType);
  EXPECT_EQ(paging({{"limit", "x"}}).status().error(), ErrorCode::kErrorType);
}

TEST(DeadLetterPolicyTest, Valid) {
  Result<broker::DeadLetterPolicy> p =
      ParseDeadLetterPolicy(R"({"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":5})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->queue_name, "dlq");
  EXPECT_EQ(p->policy, 0);
  EXPECT_EQ(p->max_receive_count, 5);
  Result<broker::DeadLetterPolicy> ttl =
      ParseDeadLetterPolicy(R"({"deadLetterQueue":"dlq","policy":"1","maxTimeToLive":"300"})");
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_EQ(ttl->policy, 1);
  EXPECT_EQ(ttl->max_time_to_live, 300);
}

TEST(DeadLetterPolicyTest, Errors) {
  struct Case {
    const char* json;
    ErrorCode error;
  } cases[] = {
      {"not json", ErrorCode::kDlqNotJson},
      {"", ErrorCode::kDlqNotJson},
      {"[1]", ErrorCode::kDlqNotJson},
      {"\"dlq\"", ErrorCode::kDlqNotJson},
      {R"({"policy":0,"maxReceiveCount":5})", ErrorCode::kDlqQueueMember},
      {R"({"deadLetterQueue":5,"policy":0,"maxReceiveCount":5})", ErrorCode::kDlqQueueMember},
      {R"({"deadLetterQueue":"d","maxReceiveCount":5})", ErrorCode::kDlqPolicyMember},
      {R"({"deadLetterQueue":"d","policy":2,"maxReceiveCount":5})", ErrorCode::kDlqPolicyMember},
      {R"({"deadLetterQueue":"d","policy":0.5,"maxReceiveCount":5})", ErrorCode::kDlqPolicyMember},
      {R"({"deadLetterQueue":"d","policy":0})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":0,"maxReceiveCount":0})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":0,"maxReceiveCount":1001})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":0,"maxReceiveCount":"x"})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":1})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":1,"maxTimeToLive":299})", ErrorCode::kDlqParams},
      {R"({"deadLetterQueue":"d","policy":1,"maxTimeToLive":43201})", ErrorCode::kDlqParams},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseDeadLetterPolicy(c.json).status().error(), c.error) << c.json;
  }
}

TEST(DeadLetterPolicyTest, JsonRoundTrip) {
  broker::DeadLetterPolicy policy{"dlq\"x", 1, 0, 600};
  std::string text = DeadLetterPolicyJson(policy);
  Result<JsonValue> parsed = ParseJson(text);
  ASSERT_TRUE(parsed.ok()) << text;
  EXPECT_EQ(parsed->Find("deadLetterQueue")->as_string(), "dlq\"x");
  EXPECT_EQ(parsed->Find("policy")->as_int(), 1);
  EXPECT_EQ(parsed->Find("maxTimeToLive")->as_int(), 600);
  EXPECT_EQ(parsed->Find("maxReceiveCount")->as_int(), 0);
}

TEST(BodyEncodingTest, Utf8) {
  EXPECT_TRUE(CheckBodyEncoding("hello 你好").ok());
  Status bad = CheckBodyEncoding("bad \xff");
  EXPECT_EQ(bad.error(), ErrorCode::kErrorType);
  EXPECT_EQ(bad.WireMessage(), "(10360)parameter msgBody error type");
}

// --- topic model -----------------------------------------------------------------------

ErrorCode EndpointError(broker::Protocol protocol, const std::string& endpoint) {
  ParamList list = {{"endpoint", endpoint}};
  Result<std::string_view> r = Params(&list).Endpoint(protocol);
  return r.ok() ? ErrorCode::kOk : r.status().error();
}

TEST(TopicParamsTest, HttpEndpoints) {
  using broker::Protocol;
  for (const char* ok : {"http://h", "https://h/", "HTTPS://h:1/p?q#f", "http://10.0.0.1:65535/x",
                         "http://[fe80::1]/", "http://[::1]:80"}) {
    EXPECT_EQ(EndpointError(Protocol::kHttp, ok), ErrorCode::kOk) << ok;
  }
  for (const char* bad :
       {"", "h", "http:/h", "http://", "http://:80/", "http://h:/", "http://h:0", "http://h:65536",
        "http://h:123456", "http://u@h/", "http://u:p@h/", "http://[]/", "http://[zz]/",
        "http://h]:1/", "mailto:x@y", "http://h/\x7f"}) {
    EXPECT_EQ(EndpointError(Protocol::kHttp, bad), ErrorCode::kEndpointFormat) << bad;
  }
  for (const char* blank : {"http://h/ ", "http://h/\t", "\rhttp://h/", "http://h/\v"}) {
    EXPECT_EQ(EndpointError(Protocol::kHttp, blank), ErrorCode::kEndpointBlank);
  }
  EXPECT_EQ(EndpointError(Protocol::kHttp, "http://h/" + std::string(491, 'x')), ErrorCode::kOk);
  EXPECT_EQ(EndpointError(Protocol::kHttp, "http://h/" + std::string(492, 'x')),
            ErrorCode::kEndpointFormat);
}

TEST(TopicParamsTest, QueueEndpoints) {
  using broker::Protocol;
  EXPECT_EQ(EndpointError(Protocol::kQueue, "my_queue-1"), ErrorCode::kOk);
  EXPECT_EQ(EndpointError(Protocol::kQueue, "http://h/"), ErrorCode::kEndpointFormat);
  EXPECT_EQ(EndpointError(Protocol::kQueue, "1q"), ErrorCode::kEndpointFormat);
  EXPECT_EQ(EndpointError(Protocol::kQueue, "a q"), ErrorCode::kEndpointBlank);
  ParamList none;
  EXPECT_EQ(Params(&none).Endpoint(Protocol::kQueue).status().error(), ErrorCode::kLackedParameter);
}

TEST(TopicParamsTest, RoutingKeyAbsentEmptyAndLimits) {
  ParamList none;
  EXPECT_FALSE(Params(&none).RoutingKey()->has_value());
  ParamList empty = {{"routingKey", ""}};
  ASSERT_TRUE(Params(&empty).RoutingKey()->has_value());
  EXPECT_EQ(**Params(&empty).RoutingKey(), "");
  ParamList dots = {{"routingKey", std::string(15, '.')}};
  EXPECT_TRUE(Params(&dots).RoutingKey().ok());
  dots = {{"routingKey", std::string(16, '.')}};
  EXPECT_EQ(Params(&dots).RoutingKey().status().error(), ErrorCode::kTooManyDelimiters);
  ParamList long_key = {{"routingKey", std::string(65, 'k')}};
  EXPECT_EQ(Params(&long_key).RoutingKey().status().error(), ErrorCode::kOutOfRange);
}

TEST(TopicParamsTest, TagsCountCharactersNotBytes) {
  ParamList list = {{"msgTag.1", "\xe4\xbd\xa0\xe5\xa5\xbd"}};  // 2 characters, 6 bytes
  Result<std::vector<std::string>> tags = Params(&list).Tags("msgTag", ErrorCode::kTooManyMsgTags);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, std::vector<std::string>{"\xe4\xbd\xa0\xe5\xa5\xbd"});
  std::string sixteen;
  for (int i = 0; i < 16; ++i) sixteen += "\xe4\xbd\xa0";
  list = {{"msgTag.0", sixteen}};
  EXPECT_TRUE(Params(&list).Tags("msgTag", ErrorCode::kTooManyMsgTags).ok());
  list = {{"msgTag.0", sixteen + "x"}};
  EXPECT_EQ(Params(&list).Tags("msgTag", ErrorCode::kTooManyMsgTags).status().error(),
            ErrorCode::kOutOfRange);
  list = {{"msgTag.1", "\x7f"}};
  EXPECT_EQ(Params(&list).Tags("msgTag", ErrorCode::kTooManyMsgTags).status().error(),
            ErrorCode::kErrorType);
  list = {};
  for (int i = 1; i <= 6; ++i) list.push_back({"filterTag." + std::to_string(i), "t"});
  Status too_many = Params(&list).Tags("filterTag", ErrorCode::kTooManyFilterTags).status();
  EXPECT_EQ(too_many.error(), ErrorCode::kTooManyFilterTags);
}

TEST(TopicParamsTest, BindingKeys) {
  ParamList list = {{"bindingKey.0", ""}, {"bindingKey.1", std::string(64, 'k')}};
  Result<std::vector<std::string>> keys = Params(&list).BindingKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);
  list = {{"bindingKey.1", std::string(16, '.')}};
  EXPECT_EQ(Params(&list).BindingKeys().status().error(), ErrorCode::kTooManyDelimiters);
  list = {};
  for (int i = 1; i <= 6; ++i) list.push_back({"bindingKey." + std::to_string(i), "k"});
  EXPECT_EQ(Params(&list).BindingKeys().status().error(), ErrorCode::kTooManyBindingKeys);
}

// tencentyun/cmq-php-sdk sends bindindKey.N for bindingKey.N (14.21a).
TEST(TopicParamsTest, PhpMisspelledBindingKeys) {
  ParamList list = {{"bindindKey.1", "a.*"}, {"bindindKey.2", "#"}};
  EXPECT_EQ(*Params(&list).BindingKeys(), (std::vector<std::string>{"a.*", "#"}));
  // Same rules as bindingKey.N.
  list = {{"bindindKey.1", std::string(65, 'k')}};
  EXPECT_EQ(Params(&list).BindingKeys().status().error(), ErrorCode::kOutOfRange);
  list = {{"bindindKey.2", "k"}};
  EXPECT_EQ(Params(&list).BindingKeys().status().error(), ErrorCode::kNotConsequent);
  // The correct spelling, when present, is the one read.
  list = {{"bindindKey.1", "php"}, {"bindingKey.1", "right"}};
  EXPECT_EQ(*Params(&list).BindingKeys(), std::vector<std::string>{"right"});
}

TEST(TopicParamsTest, ProtocolStrategyAndFormat) {
  ParamList list = {
      {"protocol", "HTTPS"}, {"notifyStrategy", "Backoff_Retry"}, {"notifyContentFormat", "json"}};
  Params p(&list);
  EXPECT_EQ(*p.SubscriptionProtocol(), broker::Protocol::kHttp);
  EXPECT_EQ(**p.OptionalNotifyStrategy(), broker::NotifyStrategy::kBackoffRetry);
  EXPECT_EQ(**p.OptionalContentFormat(), broker::ContentFormat::kJson);
  ParamList empty = {{"protocol", "tcp"}, {"notifyStrategy", ""}, {"notifyContentFormat", ""}};
  Params e(&empty);
  EXPECT_EQ(e.SubscriptionProtocol().status().error(), ErrorCode::kUndefinedProtocol);
  EXPECT_FALSE(e.OptionalNotifyStrategy()->has_value());
  EXPECT_FALSE(e.OptionalContentFormat()->has_value());
  ParamList bad = {{"notifyStrategy", "X"}, {"notifyContentFormat", "Y"}};
  EXPECT_EQ(Params(&bad).OptionalNotifyStrategy().status().error(), ErrorCode::kUndefinedStrategy);
  EXPECT_EQ(Params(&bad).OptionalContentFormat().status().error(),
            ErrorCode::kUndefinedContentFormat);
  EXPECT_EQ(NotifyStrategyName(broker::NotifyStrategy::kExponentialDecayRetry),
            "EXPONENTIAL_DECAY_RETRY");
  EXPECT_EQ(ContentFormatName(broker::ContentFormat::kSimplified), "SIMPLIFIED");
  EXPECT_EQ(ProtocolName(broker::Protocol::kQueue), "queue");
}

}  // namespace
}  // namespace cmq::api
