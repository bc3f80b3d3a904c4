// Queue management actions: success shapes and every error of 6.4, 6.5 and 6.7.
#include <string>

#include "api/api_test_fixture.h"

namespace cmq::api {
namespace {

using QueueActionsTest = ApiTest;

std::string Policy(const std::string& dlq, int max_receive_count = 5) {
  return R"({"deadLetterQueue":")" + dlq + R"(","policy":0,"maxReceiveCount":)" +
         std::to_string(max_receive_count) + "}";
}

TEST_F(QueueActionsTest, CreateQueueAnswersQueueId) {
  JsonValue v = Call("CreateQueue", {{"queueName", "orders"}});
  ExpectOk(v);
  EXPECT_FALSE(Str(v, "queueId").empty());
}

TEST_F(QueueActionsTest, GetQueueAttributesShapeAndDefaults) {
  CreateQueue("orders");
  JsonValue v = Attributes("orders");
  ExpectOk(v);
  struct Expected {
    const char* name;
    int64_t value;  // -1: any
  } fields[] = {
      {"maxMsgHeapNum", 100000000},
      {"pollingWaitSeconds", 0},
      {"visibilityTimeout", 30},
      {"maxMsgSize", 65536},
      {"msgRetentionSeconds", 345600},
      {"rewindSeconds", 0},
      {"createTime", clock_.NowMs() / 1000},
      {"lastModifyTime", clock_.NowMs() / 1000},
      {"activeMsgNum", 0},
      {"inactiveMsgNum", 0},
      {"delayMsgNum", 0},
      {"rewindmsgNum", 0},
      {"rewindMsgNum", 0},
      {"minMsgTime", 0},
  };
  for (const Expected& f : fields) {
    EXPECT_EQ(Int(v, f.name), f.value) << f.name;
  }
  EXPECT_EQ(Str(v, "queueName"), "orders");
  EXPECT_FALSE(Str(v, "queueId").empty());
  EXPECT_EQ(v.Find("deadLetterPolicy"), nullptr);
}

TEST_F(QueueActionsTest, CreateQueueWithEveryAttribute) {
  CreateQueue("custom", {{"maxMsgHeapNum", "1000000"},
                         {"pollingWaitSeconds", "30"},
                         {"visibilityTimeout", "43200"},
                         {"maxMsgSize", "1048576"},
                         {"msgRetentionSeconds", "1296000"},
                         {"rewindSeconds", "1296000"}});
  JsonValue v = Attributes("custom");
  EXPECT_EQ(Int(v, "maxMsgHeapNum"), 1000000);
  EXPECT_EQ(Int(v, "pollingWaitSeconds"), 30);
  EXPECT_EQ(Int(v, "visibilityTimeout"), 43200);
  EXPECT_EQ(Int(v, "maxMsgSize"), 1048576);
  EXPECT_EQ(Int(v, "msgRetentionSeconds"), 1296000);
  EXPECT_EQ(Int(v, "rewindSeconds"), 1296000);
}

TEST_F(QueueActionsTest, CreateQueueLowerBounds) {
  CreateQueue("low", {{"maxMsgHeapNum", "1"},
                      {"pollingWaitSeconds", "0"},
                      {"visibilityTimeout", "1"},
                      {"maxMsgSize", "1024"},
                      {"msgRetentionSeconds", "60"},
                      {"rewindSeconds", "0"}});
}

TEST_F(QueueActionsTest, CreateQueueRangeErrors) {
  struct Case {
    const char* name;
    const char* value;
    int module;
  } cases[] = {
      {"maxMsgHeapNum", "0", 10350},
      {"maxMsgHeapNum", "1000000001", 10350},
      {"pollingWaitSeconds", "-1", 10350},
      {"pollingWaitSeconds", "31", 10350},
      {"visibilityTimeout", "0", 10350},
      {"visibilityTimeout", "43201", 10350},
      {"maxMsgSize", "1023", 10350},
      {"maxMsgSize", "1048577", 10350},
      {"msgRetentionSeconds", "59", 10350},
      {"msgRetentionSeconds", "1296001", 10350},
      {"rewindSeconds", "-1", 10350},
      {"rewindSeconds", "1296001", 10350},
      // The C++ SDK's uninitialised rewindSeconds.
      {"rewindSeconds", "-858993460", 10350},
      {"rewindSeconds", "400000", 10700},
      {"visibilityTimeout", "abc", 10360},
      {"maxMsgSize", "1.5", 10360},
      {"maxMsgHeapNum", "", 10360},
      {"msgRetentionSeconds", "1e3", 10360},
  };
  for (const Case& c : cases) {
    JsonValue v = Call("CreateQueue", {{"queueName", "q"}, {c.name, c.value}});
    ExpectError(v, 4000, c.module, c.module == 10700 ? "" : c.name);
  }
  ExpectError(Attributes("q"), 4440, 10100);
}

TEST_F(QueueActionsTest, RewindSecondsAboveRetention) {
  JsonValue v =
      Call("CreateQueue",
           {{"queueName", "q"}, {"msgRetentionSeconds", "600"}, {"rewindSeconds", "601"}});
  ExpectError(v, 4000, 10700);
  EXPECT_EQ(Message(v), "(10700)rewindSeconds cannot be greater than msgRetentionSeconds");
  CreateQueue("q", {{"msgRetentionSeconds", "600"}, {"rewindSeconds", "600"}});
  ExpectError(Call("SetQueueAttributes", {{"queueName", "q"}, {"msgRetentionSeconds", "500"}}),
              4000, 10700);
}

TEST_F(QueueActionsTest, QueueNameErrors) {
  ExpectError(Call("CreateQueue"), 4000, 10390, "queueName");
  EXPECT_EQ(Message(Call("CreateQueue")), "(10390)lacked of required parameter queueName");
  for (const char* bad : {"", "1q", "q.q", "q q", "-q"}) {
    JsonValue v = Call("CreateQueue", {{"queueName", bad}});
    ExpectError(v, 4000, 10020);
    EXPECT_EQ(Message(v), "(10020)queue name format error");
  }
  ExpectError(Call("CreateQueue", {{"queueName", "a" + std::string(64, 'b')}}), 4000, 10020);
  CreateQueue("a" + std::string(63, 'b'));
  for (const char* action :
       {"GetQueueAttributes", "SetQueueAttributes", "DeleteQueue", "RewindQueue",
        "UnbindDeadLetterQueue", "SendMessage", "BatchSendMessage", "ReceiveMessage",
        "BatchReceiveMessage", "DeleteMessage", "BatchDeleteMessage"}) {
    ExpectError(Call(action), 4000, 10390, "queueName");
    ExpectError(Call(action, {{"queueName", "9"}}), 4000, 10020);
  }
}

TEST_F(QueueActionsTest, QueueExistsCaseInsensitive) {
  CreateQueue("Orders");
  JsonValue v = Call("CreateQueue", {{"queueName", "oRDERS"}});
  EXPECT_EQ(Code(v), 4460);
  EXPECT_EQ(Message(v), "(4460)queue is already existed,case insensitive");
  // Lookup is case-insensitive too; the original spelling is kept.
  JsonValue attributes = Attributes("ORDERS");
  ExpectOk(attributes);
  EXPECT_EQ(Str(attributes, "queueName"), "Orders");
}

TEST_F(QueueActionsTest, QueueQuota) {
  broker::Limits limits = TestLimits();
  limits.max_queues_per_account = 2;
  Reset(limits);
  CreateQueue("a");
  CreateQueue("b");
  ExpectError(Call("CreateQueue", {{"queueName", "c"}}), 4450, 10220);
}

TEST_F(QueueActionsTest, UnknownQueue) {
  ExpectError(Attributes("nope"), 4440, 10100);
  EXPECT_EQ(Message(Attributes("nope")), "(10100)queue is not existed, or deleted");
  ExpectError(Call("SetQueueAttributes", {{"queueName", "nope"}}), 4440, 10100);
  ExpectError(Call("DeleteQueue", {{"queueName", "nope"}}), 4440, 10100);
  ExpectError(Call("RewindQueue", {{"queueName", "nope"}, {"startConsumeTime", "0"}}), 4440, 10100);
  ExpectError(Call("UnbindDeadLetterQueue", {{"queueName", "nope"}}), 4440, 10100);
  ExpectError(Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", "nope"}}), 4440, 10100);
}

TEST_F(QueueActionsTest, ListQueueShape) {
  JsonValue empty = Call("ListQueue");
  ExpectOk(empty);
  EXPECT_EQ(Int(empty, "totalCount"), 0);
  ASSERT_NE(empty.Find("queueList"), nullptr);
  ASSERT_TRUE(empty.Find("queueList")->is_array());
  EXPECT_TRUE(empty.Find("queueList")->items().empty());

  CreateQueue("alpha");
  CreateQueue("beta");
  CreateQueue("AlphaTwo");
  JsonValue all = Call("ListQueue");
  EXPECT_EQ(Int(all, "totalCount"), 3);
  const auto& items = all.Find("queueList")->items();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(Str(items[0], "queueName"), "alpha");  // creation order
  EXPECT_EQ(Str(items[1], "queueName"), "beta");
  EXPECT_FALSE(Str(items[0], "queueId").empty());

  JsonValue search = Call("ListQueue", {{"searchWord", "ALPHA"}});
  EXPECT_EQ(Int(search, "totalCount"), 2);
  EXPECT_EQ(search.Find("queueList")->items().size(), 2u);

  JsonValue page = Call("ListQueue", {{"offset", "1"}, {"limit", "1"}});
  EXPECT_EQ(Int(page, "totalCount"), 3);
  ASSERT_EQ(page.Find("queueList")->items().size(), 1u);
  EXPECT_EQ(Str(page.Find("queueList")->items()[0], "queueName"), "beta");

  // offset without limit is allowed (C++ sends it alone).
  EXPECT_EQ(Call("ListQueue", {{"offset", "2"}}).Find("queueList")->items().size(), 1u);
  EXPECT_EQ(Call("ListQueue", {{"offset", "10"}}).Find("queueList")->items().size(), 0u);
}

TEST_F(QueueActionsTest, ListQueueLimits) {
  for (int i = 0; i < 52; ++i) CreateQueue(std::string("q").append(std::to_string(i)));
  EXPECT_EQ(Call("ListQueue").Find("queueList")->items().size(), 20u);
  EXPECT_EQ(Call("ListQueue", {{"limit", "0"}}).Find("queueList")->items().size(), 20u);
  EXPECT_EQ(Call("ListQueue", {{"limit", "-4"}}).Find("queueList")->items().size(), 20u);
  JsonValue clamped = Call("ListQueue", {{"limit", "1000"}});
  EXPECT_EQ(clamped.Find("queueList")->items().size(), 50u);
  EXPECT_EQ(Int(clamped, "totalCount"), 52);
  ExpectError(Call("ListQueue", {{"offset", "-1"}}), 4000, 10350, "offset");
  ExpectError(Call("ListQueue", {{"limit", "ten"}}), 4000, 10360, "limit");
}

TEST_F(QueueActionsTest, SetQueueAttributesChangesOnlyWhatIsGiven) {
  CreateQueue("q");
  clock_.Advance(5000);
  JsonValue v = Call("SetQueueAttributes", {{"queueName", "q"}, {"visibilityTimeout", "60"}});
  ExpectOk(v);
  EXPECT_FALSE(Str(v, "queueId").empty());
  EXPECT_EQ(Int(v, "visibilityTimeout"), 60);
  EXPECT_EQ(Int(v, "maxMsgHeapNum"), 100000000);
  EXPECT_EQ(Int(v, "pollingWaitSeconds"), 0);
  EXPECT_EQ(Int(v, "maxMsgSize"), 65536);
  EXPECT_EQ(Int(v, "msgRetentionSeconds"), 345600);
  EXPECT_EQ(Int(v, "rewindSeconds"), 0);
  EXPECT_EQ(v.Find("deadLetterPolicy"), nullptr);

  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "visibilityTimeout"), 60);
  EXPECT_EQ(Int(a, "lastModifyTime"), Int(a, "createTime") + 5);
  // Same ranges as CreateQueue.
  ExpectError(Call("SetQueueAttributes", {{"queueName", "q"}, {"maxMsgSize", "100"}}), 4000, 10350,
              "maxMsgSize");
  ExpectError(Call("SetQueueAttributes", {{"queueName", "q"}, {"pollingWaitSeconds", "x"}}), 4000,
              10360, "pollingWaitSeconds");
}

TEST_F(QueueActionsTest, DeadLetterPolicyRoundTrip) {
  CreateQueue("dlq");
  CreateQueue("src", {{"deadLetterPolicy", Policy("dlq", 3)}});
  JsonValue a = Attributes("src");
  std::string text = Str(a, "deadLetterPolicy");
  Result<JsonValue> policy = ParseJson(text);
  ASSERT_TRUE(policy.ok()) << text;
  EXPECT_EQ(policy->Find("deadLetterQueue")->as_string(), "dlq");
  EXPECT_EQ(policy->Find("policy")->as_int(), 0);
  EXPECT_EQ(policy->Find("maxReceiveCount")->as_int(), 3);

  // SetQueueAttributes reports it too; an empty value leaves it unchanged.
  JsonValue set = Call("SetQueueAttributes", {{"queueName", "src"}, {"deadLetterPolicy", ""}});
  ExpectOk(set);
  EXPECT_EQ(Str(set, "deadLetterPolicy"), text);

  JsonValue sources = Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", "dlq"}});
  ExpectOk(sources);
  EXPECT_EQ(Int(sources, "totalCount"), 1);
  ASSERT_EQ(sources.Find("queueList")->items().size(), 1u);
  EXPECT_EQ(Str(sources.Find("queueList")->items()[0], "queueName"), "src");
  EXPECT_FALSE(Str(sources.Find("queueList")->items()[0], "queueId").empty());

  JsonValue unbind = Call("UnbindDeadLetterQueue", {{"queueName", "src"}});
  ExpectOk(unbind);
  EXPECT_EQ(Str(unbind, "queueId"), Str(a, "queueId"));
  EXPECT_EQ(Attributes("src").Find("deadLetterPolicy"), nullptr);
  JsonValue after = Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", "dlq"}});
  EXPECT_EQ(Int(after, "totalCount"), 0);
  ASSERT_TRUE(after.Find("queueList")->is_array());
  EXPECT_TRUE(after.Find("queueList")->items().empty());
  // Idempotent.
  ExpectOk(Call("UnbindDeadLetterQueue", {{"queueName", "src"}}));
}

TEST_F(QueueActionsTest, DeadLetterPolicyErrors) {
  CreateQueue("dlq");
  struct Case {
    std::string policy;
    int module;
  } cases[] = {
      {"{not json", 10710},
      {R"({"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":0})", 10720},
      {R"({"deadLetterQueue":"dlq","policy":1,"maxTimeToLive":100})", 10720},
      {R"({"deadLetterQueue":"missing","policy":0,"maxReceiveCount":1})", 10730},
      {R"({"policy":0,"maxReceiveCount":1})", 10760},
      {R"({"deadLetterQueue":"dlq","policy":7,"maxReceiveCount":1})", 10770},
  };
  for (const Case& c : cases) {
    ExpectError(Call("CreateQueue", {{"queueName", "src"}, {"deadLetterPolicy", c.policy}}), 4000,
                c.module);
  }
  // maxTimeToLive must stay below the source's retention (checked by the broker).
  ExpectError(
      Call("CreateQueue",
           {{"queueName", "src"},
            {"msgRetentionSeconds", "600"},
            {"deadLetterPolicy", R"({"deadLetterQueue":"dlq","policy":1,"maxTimeToLive":600})"}}),
      4000, 10720);
  CreateQueue(
      "src", {{"msgRetentionSeconds", "600"},
              {"deadLetterPolicy", R"({"deadLetterQueue":"dlq","policy":1,"maxTimeToLive":599})"}});
}

TEST_F(QueueActionsTest, DeadLetterNesting) {
  CreateQueue("dlq");
  CreateQueue("src", {{"deadLetterPolicy", Policy("dlq")}});
  // A queue that has a policy cannot be a DLQ, and a DLQ cannot get a policy.
  ExpectError(Call("CreateQueue", {{"queueName", "other"}, {"deadLetterPolicy", Policy("src")}}),
              4000, 10740);
  CreateQueue("third");
  ExpectError(
      Call("SetQueueAttributes", {{"queueName", "dlq"}, {"deadLetterPolicy", Policy("third")}}),
      4000, 10740);
}

TEST_F(QueueActionsTest, QueueCannotBeItsOwnDeadLetterQueue) {
  CreateQueue("self");
  JsonValue v =
      Call("SetQueueAttributes", {{"queueName", "self"}, {"deadLetterPolicy", Policy("self")}});
  EXPECT_EQ(Code(v), 4000) << Message(v);
  EXPECT_EQ(Attributes("self").Find("deadLetterPolicy"), nullptr);
}

TEST_F(QueueActionsTest, DeadLetterMoveAfterMaxReceiveCount) {
  CreateQueue("dlq");
  CreateQueue("src", {{"deadLetterPolicy", Policy("dlq", 1)}});
  SendMessage("src", "poison");
  ExpectOk(Receive("src"));
  AdvanceSeconds(30);  // visibility expires with dequeueCount == maxReceiveCount
  ExpectError(Receive("src"), 7000, 10200);
  JsonValue moved = Receive("dlq");
  ExpectOk(moved);
  EXPECT_EQ(Str(moved, "msgBody"), "poison");
  EXPECT_EQ(Int(moved, "dequeueCount"), 1);
}

TEST_F(QueueActionsTest, DeadLetterBindTooMany) {
  CreateQueue("dlq");
  for (int i = 0; i < 6; ++i) {
    CreateQueue("src" + std::to_string(i), {{"deadLetterPolicy", Policy("dlq")}});
  }
  JsonValue v = Call("CreateQueue", {{"queueName", "src6"}, {"deadLetterPolicy", Policy("dlq")}});
  ExpectError(v, 4000, 10780);
  JsonValue page = Call("ListDeadLetterSourceQueues",
                        {{"deadLetterQueueName", "dlq"}, {"limit", "2"}, {"searchWord", "SRC"}});
  EXPECT_EQ(Int(page, "totalCount"), 6);
  EXPECT_EQ(page.Find("queueList")->items().size(), 2u);
  ExpectError(Call("ListDeadLetterSourceQueues"), 4000, 10390, "deadLetterQueueName");
  ExpectError(Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", "#"}}), 4000, 10020);
  ExpectError(
      Call("ListDeadLetterSourceQueues", {{"deadLetterQueueName", "dlq"}, {"offset", "-2"}}), 4000,
      10350, "offset");
}

TEST_F(QueueActionsTest, DeleteQueue) {
  CreateQueue("q");
  SendMessage("q", "m");
  ExpectOk(Call("DeleteQueue", {{"queueName", "q"}}));
  ExpectError(Attributes("q"), 4440, 10100);
  // The name is free again.
  CreateQueue("q");
  EXPECT_EQ(Int(Attributes("q"), "activeMsgNum"), 0);
}

TEST_F(QueueActionsTest, DeleteActiveDeadLetterQueue) {
  CreateQueue("dlq");
  CreateQueue("src", {{"deadLetterPolicy", Policy("dlq")}});
  JsonValue v = Call("DeleteQueue", {{"queueName", "dlq"}});
  ExpectError(v, 4000, 10750);
  ExpectOk(Call("UnbindDeadLetterQueue", {{"queueName", "src"}}));
  ExpectOk(Call("DeleteQueue", {{"queueName", "dlq"}}));
}

TEST_F(QueueActionsTest, RewindQueue) {
  CreateQueue("q", {{"rewindSeconds", "3600"}});
  int64_t start = clock_.NowMs() / 1000;
  SendMessage("q", "first");
  JsonValue got = Receive("q");
  ExpectOk(got);
  ExpectOk(
      Call("DeleteMessage", {{"queueName", "q"}, {"receiptHandle", Str(got, "receiptHandle")}}));
  JsonValue a = Attributes("q");
  EXPECT_EQ(Int(a, "rewindmsgNum"), 1);
  EXPECT_EQ(Int(a, "rewindMsgNum"), 1);
  EXPECT_EQ(Int(a, "activeMsgNum"), 0);
  ExpectError(Receive("q"), 7000, 10200);

  clock_.Advance(10000);
  JsonValue rewound =
      Call("RewindQueue", {{"queueName", "q"}, {"startConsumeTime", std::to_string(start)}});
  ExpectOk(rewound);
  JsonValue again = Receive("q");
  ExpectOk(again);
  EXPECT_EQ(Str(again, "msgBody"), "first");
}

TEST_F(QueueActionsTest, RewindQueueErrors) {
  CreateQueue("off");
  int64_t now = clock_.NowMs() / 1000;
  JsonValue disabled =
      Call("RewindQueue", {{"queueName", "off"}, {"startConsumeTime", std::to_string(now)}});
  EXPECT_EQ(Code(disabled), 6050);
  EXPECT_EQ(Message(disabled), "(10670)your queue cannot be rewinded");

  CreateQueue("on", {{"rewindSeconds", "600"}});
  for (int64_t t : {now + 10, now - 601}) {
    ExpectError(Call("RewindQueue", {{"queueName", "on"}, {"startConsumeTime", std::to_string(t)}}),
                4000, 10680);
  }
  ExpectOk(
      Call("RewindQueue", {{"queueName", "on"}, {"startConsumeTime", std::to_string(now - 600)}}));
  ExpectError(Call("RewindQueue", {{"queueName", "on"}}), 4000, 10390, "startConsumeTime");
  // The C++ SDK transmits one garbage byte.
  for (const char* garbage : {"\x07", "\xe8", "x", "17e8"}) {
    ExpectError(Call("RewindQueue", {{"queueName", "on"}, {"startConsumeTime", garbage}}), 4000,
                10360, "startConsumeTime");
  }
}

TEST_F(QueueActionsTest, UnbindDeadLetterQueueErrors) {
  ExpectError(Call("UnbindDeadLetterQueue", {{"queueName", "bad name"}}), 4000, 10020);
  ExpectError(Call("UnbindDeadLetterQueue", {{"queueName", "nope"}}), 4440, 10100);
  CreateQueue("plain");
  JsonValue v = Call("UnbindDeadLetterQueue", {{"queueName", "plain"}});
  ExpectOk(v);
  EXPECT_FALSE(Str(v, "queueId").empty());
}

}  // namespace
}  // namespace cmq::api
