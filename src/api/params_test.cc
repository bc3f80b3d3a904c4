#include "api/params.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace cmq::api {
namespace {

TEST(ParamsTest, LastOccurrenceWins) {
  ParamList list = {{"queueName", "a"}, {"queueName", "b"}};
  Params p(&list);
  ASSERT_NE(p.Find("queueName"), nullptr);
  EXPECT_EQ(*p.Find("queueName"), "b");
}

TEST(ParamsTest, ExactNameBeatsCaseInsensitiveFallback) {
  ParamList list = {{"queueName", "exact"}, {"QueueName", "folded"}};
  Params p(&list);
  EXPECT_EQ(*p.Find("queueName"), "exact");
  ParamList only_folded = {{"QueueName", "x"}, {"QUEUENAME", "y"}};
  Params q(&only_folded);
  EXPECT_EQ(*q.Find("queueName"), "y");
  EXPECT_EQ(q.Find("queue"), nullptr);
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

}  // namespace
}  // namespace cmq::api
