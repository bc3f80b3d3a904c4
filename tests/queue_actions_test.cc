// Black-box: every queue action of docs/cmq-api.md 6.7 answers with the documented
// success shape (sections 3 and 6.7), over every transport variant clients use
// (sections 1, 2.5, 4 and 14).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "common/signing.h"
#include "common/strings.h"
#include "support/blackbox.h"

namespace cmq::testing {
namespace {

constexpr const char* kAttributeInts[] = {
    "maxMsgHeapNum", "pollingWaitSeconds", "visibilityTimeout", "maxMsgSize",
    "msgRetentionSeconds", "createTime", "lastModifyTime", "activeMsgNum",
    "inactiveMsgNum", "rewindSeconds", "rewindmsgNum", "rewindMsgNum",
    "minMsgTime", "delayMsgNum"};

constexpr const char* kSetAttributeInts[] = {"maxMsgHeapNum", "pollingWaitSeconds",
                                             "visibilityTimeout", "maxMsgSize",
                                             "msgRetentionSeconds", "rewindSeconds"};

// The seven fields of a received message (6.7 ReceiveMessage).
void ExpectMessageShape(const JsonValue& m) {
  EXPECT_TRUE(HasString(m, "msgBody"));
  EXPECT_TRUE(HasString(m, "msgId"));
  EXPECT_TRUE(HasString(m, "receiptHandle"));
  EXPECT_TRUE(HasInt(m, "enqueueTime"));
  EXPECT_TRUE(HasInt(m, "firstDequeueTime"));
  EXPECT_TRUE(HasInt(m, "nextVisibleTime"));
  EXPECT_TRUE(HasInt(m, "dequeueCount"));
  EXPECT_FALSE(StrField(m, "msgId").empty());
  // 5.3: [A-Za-z0-9_-], at most 256 characters, never starting with '@'.
  std::string handle = StrField(m, "receiptHandle");
  EXPECT_FALSE(handle.empty());
  EXPECT_LE(handle.size(), 256u);
  for (char c : handle) {
    EXPECT_TRUE(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')
        << "receipt handle " << handle << " has character '" << c << "'";
  }
  EXPECT_LE(IntField(m, "enqueueTime"), IntField(m, "firstDequeueTime"));
  EXPECT_LE(IntField(m, "firstDequeueTime"), IntField(m, "nextVisibleTime"));
  EXPECT_GE(IntField(m, "dequeueCount"), 1);
}

void ExpectQueueListShape(const JsonValue& r) {
  EXPECT_TRUE(HasInt(r, "totalCount"));
  ASSERT_TRUE(HasArray(r, "queueList"));
  for (const JsonValue& q : ArrayField(r, "queueList")) {
    EXPECT_TRUE(HasString(q, "queueId"));
    EXPECT_TRUE(HasString(q, "queueName"));
  }
}

class QueueActionsTest : public SharedServerTest {};

TEST_F(QueueActionsTest, CreateQueueReturnsQueueId) {
  ClientResult<JsonValue> r = caller_->Call("CreateQueue", {{"queueName", UniqueName("create")}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_TRUE(HasString(*r, "queueId"));
  EXPECT_FALSE(StrField(*r, "queueId").empty());
  // Every documented attribute at once.
  r = caller_->Call("CreateQueue", {{"queueName", UniqueName("create")},
                                    {"maxMsgHeapNum", "1000000"},
                                    {"pollingWaitSeconds", "3"},
                                    {"visibilityTimeout", "45"},
                                    {"maxMsgSize", "1048576"},
                                    {"msgRetentionSeconds", "86400"},
                                    {"rewindSeconds", "3600"}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_TRUE(HasString(*r, "queueId"));
}

TEST_F(QueueActionsTest, ListQueueShapeAndEmptyArray) {
  std::string prefix = UniqueName("listshape");
  std::string a = CreateQueue(prefix + "a");
  JsonValue r = Ok("ListQueue", {{"searchWord", prefix}});
  ExpectQueueListShape(r);
  EXPECT_EQ(IntField(r, "totalCount"), 1);
  ASSERT_EQ(ArrayField(r, "queueList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(r, "queueList")[0], "queueId"), a);
  EXPECT_EQ(StrField(ArrayField(r, "queueList")[0], "queueName"), prefix + "a");

  r = Ok("ListQueue", {{"searchWord", "no-queue-is-called-like-this"}});
  ExpectQueueListShape(r);
  EXPECT_EQ(IntField(r, "totalCount"), 0);
  EXPECT_TRUE(ArrayField(r, "queueList").empty());

  r = Ok("ListQueue", {});
  ExpectQueueListShape(r);
  EXPECT_GE(IntField(r, "totalCount"), 1);
}

TEST_F(QueueActionsTest, GetQueueAttributesShape) {
  std::string q = UniqueName("attrs");
  CreateQueue(q);
  JsonValue r = Attributes(q);
  for (const char* key : kAttributeInts) EXPECT_TRUE(HasInt(r, key));
  EXPECT_EQ(r.Find("deadLetterPolicy"), nullptr) << "no policy set: the field is omitted";
  // Defaults of 6.1.
  EXPECT_EQ(IntField(r, "pollingWaitSeconds"), 0);
  EXPECT_EQ(IntField(r, "visibilityTimeout"), 30);
  EXPECT_EQ(IntField(r, "maxMsgSize"), 65536);
  EXPECT_EQ(IntField(r, "msgRetentionSeconds"), 345600);
  EXPECT_EQ(IntField(r, "rewindSeconds"), 0);
  EXPECT_EQ(IntField(r, "activeMsgNum"), 0);
  EXPECT_EQ(IntField(r, "inactiveMsgNum"), 0);
  EXPECT_EQ(IntField(r, "delayMsgNum"), 0);
  EXPECT_EQ(IntField(r, "rewindmsgNum"), 0);
  EXPECT_EQ(IntField(r, "rewindMsgNum"), 0);
  EXPECT_EQ(IntField(r, "minMsgTime"), 0);
  EXPECT_EQ(IntField(r, "createTime"), IntField(r, "lastModifyTime"));
  EXPECT_GT(IntField(r, "createTime"), 1600000000);
}

TEST_F(QueueActionsTest, SetQueueAttributesShape) {
  std::string q = UniqueName("setattrs");
  std::string id = CreateQueue(q);
  JsonValue r = Ok("SetQueueAttributes", {{"queueName", q}, {"visibilityTimeout", "77"}});
  EXPECT_TRUE(HasString(r, "queueId"));
  EXPECT_EQ(StrField(r, "queueId"), id);
  for (const char* key : kSetAttributeInts) EXPECT_TRUE(HasInt(r, key));
  EXPECT_EQ(IntField(r, "visibilityTimeout"), 77);
  EXPECT_EQ(IntField(r, "maxMsgSize"), 65536) << "attributes not given stay unchanged";
  EXPECT_EQ(r.Find("deadLetterPolicy"), nullptr);

  r = Ok("SetQueueAttributes", {{"queueName", q},
                                {"maxMsgHeapNum", "2000000"},
                                {"pollingWaitSeconds", "5"},
                                {"maxMsgSize", "2048"},
                                {"msgRetentionSeconds", "7200"},
                                {"rewindSeconds", "600"}});
  EXPECT_EQ(IntField(r, "maxMsgHeapNum"), 2000000);
  EXPECT_EQ(IntField(r, "pollingWaitSeconds"), 5);
  EXPECT_EQ(IntField(r, "visibilityTimeout"), 77);
  EXPECT_EQ(IntField(r, "maxMsgSize"), 2048);
  EXPECT_EQ(IntField(r, "msgRetentionSeconds"), 7200);
  EXPECT_EQ(IntField(r, "rewindSeconds"), 600);

  JsonValue a = Attributes(q);
  EXPECT_EQ(IntField(a, "maxMsgHeapNum"), 2000000);
  EXPECT_EQ(IntField(a, "pollingWaitSeconds"), 5);
  EXPECT_EQ(IntField(a, "visibilityTimeout"), 77);
  EXPECT_EQ(IntField(a, "maxMsgSize"), 2048);
  EXPECT_EQ(IntField(a, "msgRetentionSeconds"), 7200);
  EXPECT_EQ(IntField(a, "rewindSeconds"), 600);
  EXPECT_GE(IntField(a, "lastModifyTime"), IntField(a, "createTime"));
}

TEST_F(QueueActionsTest, DeleteQueueAnswersEnvelope) {
  std::string q = UniqueName("delq");
  CreateQueue(q);
  Send(q, "x");
  EXPECT_TRUE(IsSuccess(caller_->Call("DeleteQueue", {{"queueName", q}})));
  EXPECT_TRUE(IsServerError(caller_->Call("GetQueueAttributes", {{"queueName", q}}), 4440, 10100));
  // The name is free again and the new queue starts empty.
  CreateQueue(q);
  EXPECT_TRUE(IsServerError(Receive(q), 7000, 10200));
}

TEST_F(QueueActionsTest, RewindQueueAnswersEnvelope) {
  std::string q = UniqueName("rewind");
  CreateQueue(q, {{"rewindSeconds", "3600"}});
  EXPECT_TRUE(IsSuccess(caller_->Call(
      "RewindQueue", {{"queueName", q}, {"startConsumeTime", std::to_string(NowSeconds() - 10)}})));
}

TEST_F(QueueActionsTest, DeadLetterSourceListAndUnbind) {
  std::string dlq = UniqueName("dlq");
  std::string src = UniqueName("dlsrc");
  CreateQueue(dlq);
  // Nothing bound yet: an empty array, never null or absent.
  JsonValue r = Ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}});
  ExpectQueueListShape(r);
  EXPECT_EQ(IntField(r, "totalCount"), 0);
  EXPECT_TRUE(ArrayField(r, "queueList").empty());

  std::string policy =
      R"({"deadLetterQueue":")" + dlq + R"(","policy":0,"maxReceiveCount":3})";
  std::string src_id = CreateQueue(src, {{"deadLetterPolicy", policy}});
  r = Ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}});
  ExpectQueueListShape(r);
  EXPECT_EQ(IntField(r, "totalCount"), 1);
  ASSERT_EQ(ArrayField(r, "queueList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(r, "queueList")[0], "queueName"), src);
  EXPECT_EQ(StrField(ArrayField(r, "queueList")[0], "queueId"), src_id);

  // The policy is reported as a string holding JSON with the same members (6.4).
  JsonValue a = Attributes(src);
  ASSERT_TRUE(HasString(a, "deadLetterPolicy"));
  Result<JsonValue> parsed = ParseJson(StrField(a, "deadLetterPolicy"));
  ASSERT_TRUE(parsed.ok()) << StrField(a, "deadLetterPolicy");
  EXPECT_EQ(StrField(*parsed, "deadLetterQueue"), dlq);
  EXPECT_EQ(IntField(*parsed, "policy"), 0);
  EXPECT_EQ(IntField(*parsed, "maxReceiveCount"), 3);

  r = Ok("UnbindDeadLetterQueue", {{"queueName", src}});
  EXPECT_TRUE(HasString(r, "queueId"));
  EXPECT_EQ(StrField(r, "queueId"), src_id);
  EXPECT_EQ(Attributes(src).Find("deadLetterPolicy"), nullptr);
  r = Ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}});
  EXPECT_EQ(IntField(r, "totalCount"), 0);
  EXPECT_TRUE(ArrayField(r, "queueList").empty());
  // Idempotent.
  EXPECT_TRUE(IsSuccess(caller_->Call("UnbindDeadLetterQueue", {{"queueName", src}})));
}

TEST_F(QueueActionsTest, SendReceiveDeleteShapes) {
  std::string q = UniqueName("msgs");
  CreateQueue(q);
  ClientResult<JsonValue> sent =
      caller_->Call("SendMessage", {{"queueName", q}, {"msgBody", "hello"}, {"delaySeconds", "0"}});
  ASSERT_TRUE(IsSuccess(sent));
  ASSERT_TRUE(HasString(*sent, "msgId"));

  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  ExpectMessageShape(*got);
  EXPECT_EQ(StrField(*got, "msgBody"), "hello");
  EXPECT_EQ(StrField(*got, "msgId"), StrField(*sent, "msgId"));
  EXPECT_EQ(IntField(*got, "dequeueCount"), 1);
  EXPECT_EQ(IntField(*got, "nextVisibleTime") - IntField(*got, "firstDequeueTime"), 30)
      << "default visibilityTimeout";

  ClientResult<JsonValue> del = caller_->Call(
      "DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*got, "receiptHandle")}});
  EXPECT_TRUE(IsSuccess(del));
}

TEST_F(QueueActionsTest, BatchShapes) {
  std::string q = UniqueName("batch");
  CreateQueue(q);
  ClientResult<JsonValue> sent = caller_->Call(
      "BatchSendMessage",
      {{"queueName", q}, {"msgBody.1", "one"}, {"msgBody.2", "two"}, {"msgBody.3", "three"}});
  ASSERT_TRUE(IsSuccess(sent));
  ASSERT_TRUE(HasArray(*sent, "msgList"));
  ASSERT_EQ(ArrayField(*sent, "msgList").size(), 3u);
  for (const JsonValue& m : ArrayField(*sent, "msgList")) EXPECT_TRUE(HasString(m, "msgId"));

  ClientResult<JsonValue> got = caller_->Call(
      "BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(got));
  ASSERT_TRUE(HasArray(*got, "msgInfoList"));
  const std::vector<JsonValue>& list = ArrayField(*got, "msgInfoList");
  ASSERT_EQ(list.size(), 3u) << "all available messages at once (section 14 item 41)";
  ParamList handles = {{"queueName", q}};
  std::map<std::string, std::string> body_by_id;
  for (size_t i = 0; i < list.size(); ++i) {
    ExpectMessageShape(list[i]);
    body_by_id[StrField(list[i], "msgId")] = StrField(list[i], "msgBody");
    handles.emplace_back("receiptHandle." + std::to_string(i + 1),
                         StrField(list[i], "receiptHandle"));
  }
  // msgList is in index order.
  EXPECT_EQ(body_by_id[StrField(ArrayField(*sent, "msgList")[0], "msgId")], "one");
  EXPECT_EQ(body_by_id[StrField(ArrayField(*sent, "msgList")[1], "msgId")], "two");
  EXPECT_EQ(body_by_id[StrField(ArrayField(*sent, "msgList")[2], "msgId")], "three");

  ClientResult<JsonValue> del = caller_->Call("BatchDeleteMessage", handles);
  ASSERT_TRUE(IsSuccess(del));
  if (const JsonValue* e = del->Find("errorList")) {
    EXPECT_TRUE(e->is_array());
    EXPECT_TRUE(e->items().empty());
  }
  JsonValue a = Attributes(q);
  EXPECT_EQ(IntField(a, "activeMsgNum"), 0);
  EXPECT_EQ(IntField(a, "inactiveMsgNum"), 0);
}

TEST_F(QueueActionsTest, ClientRequestIdEchoedAsNumber) {
  std::string q = UniqueName("crid");
  CreateQueue(q);
  ClientResult<JsonValue> r = caller_->Call(
      "SendMessage", {{"queueName", q}, {"msgBody", "x"}, {"clientRequestId", "1231231231"}});
  ASSERT_TRUE(IsSuccess(r));
  const JsonValue* id = r->Find("clientRequestId");
  ASSERT_NE(id, nullptr);
  ASSERT_TRUE(id->is_number());
  EXPECT_EQ(id->as_int(), 1231231231);
  // Without it, no echo.
  r = caller_->Call("GetQueueAttributes", {{"queueName", q}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_EQ(r->Find("clientRequestId"), nullptr);
}

// Unknown parameters are ignored but signed (1.3, 14 item 8).
TEST_F(QueueActionsTest, UnknownParametersIgnored) {
  std::string q = UniqueName("unknown");
  CreateQueue(q);
  Send(q, "m");
  ClientResult<JsonValue> r = caller_->Call("ReceiveMessage", {{"queueName", q},
                                                               {"pollingWaitSeconds", "0"},
                                                               {"UserpollingWaitSeconds", "30"},
                                                               {"Region", "gz"},
                                                               {"Token", "tok"},
                                                               {"appId", "1234"}});
  ASSERT_TRUE(IsSuccess(r));
  EXPECT_EQ(StrField(*r, "msgBody"), "m");
}

// Every SDK variant of method, path and signature algorithm (1.1, 1.2, 2.5).
TEST_F(QueueActionsTest, MethodsPathsAndSignatureMethods) {
  for (const char* method : {"POST", "GET"}) {
    for (const char* path : {"/", "/v2/index.php", "/any/other/path"}) {
      for (SignatureMethod sig : {SignatureMethod::kHmacSHA1, SignatureMethod::kHmacSHA256}) {
        SCOPED_TRACE(std::string(method) + " " + path +
                     (sig == SignatureMethod::kHmacSHA1 ? " sha1" : " sha256"));
        CallerOptions o = server().Options(path);
        o.http_method = method;
        o.signature_method = sig;
        Caller c = server().NewCaller(o);
        std::string q = UniqueName("variant");
        ASSERT_TRUE(IsSuccess(c.Call("CreateQueue", {{"queueName", q}})));
        ClientResult<JsonValue> sent =
            c.Call("SendMessage", {{"queueName", q}, {"msgBody", "a b+c&d=e%f 你好"}});
        ASSERT_TRUE(IsSuccess(sent));
        ClientResult<JsonValue> got =
            c.Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
        ASSERT_TRUE(IsSuccess(got));
        EXPECT_EQ(StrField(*got, "msgBody"), "a b+c&d=e%f 你好");
        EXPECT_TRUE(IsSuccess(c.Call(
            "DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*got, "receiptHandle")}})));
        EXPECT_TRUE(IsSuccess(c.Call("DeleteQueue", {{"queueName", q}})));
      }
    }
  }
}

// All fourteen queue actions, over GET and POST with both signature methods.
TEST_F(QueueActionsTest, EveryActionOverEveryMethod) {
  for (const char* method : {"GET", "POST"}) {
    for (SignatureMethod sig : {SignatureMethod::kHmacSHA1, SignatureMethod::kHmacSHA256}) {
      SCOPED_TRACE(std::string(method) + (sig == SignatureMethod::kHmacSHA1 ? " sha1" : " sha256"));
      CallerOptions o = server().Options("/v2/index.php");
      o.http_method = method;
      o.signature_method = sig;
      Caller c = server().NewCaller(o);
      auto ok = [&](std::string_view action, ParamList params) {
        ClientResult<JsonValue> r = c.Call(action, std::move(params));
        EXPECT_TRUE(IsSuccess(r)) << action;
        return r.ok() ? std::move(r).value() : JsonValue();
      };
      std::string q = UniqueName("every"), dlq = UniqueName("every-dlq");
      ok("CreateQueue", {{"queueName", dlq}});
      EXPECT_TRUE(HasString(ok("CreateQueue", {{"queueName", q}, {"rewindSeconds", "600"}}), "queueId"));
      ExpectQueueListShape(ok("ListQueue", {{"searchWord", q}}));
      JsonValue set = ok("SetQueueAttributes",
                         {{"queueName", q},
                          {"deadLetterPolicy", R"({"deadLetterQueue":")" + dlq +
                                                   R"(","policy":0,"maxReceiveCount":5})"}});
      EXPECT_TRUE(HasString(set, "deadLetterPolicy"));
      JsonValue attrs = ok("GetQueueAttributes", {{"queueName", q}});
      for (const char* key : kAttributeInts) EXPECT_TRUE(HasInt(attrs, key));
      EXPECT_TRUE(HasString(attrs, "deadLetterPolicy"));
      EXPECT_TRUE(HasString(ok("SendMessage", {{"queueName", q}, {"msgBody", "single"}}), "msgId"));
      EXPECT_EQ(ArrayField(ok("BatchSendMessage",
                              {{"queueName", q}, {"msgBody.1", "b1"}, {"msgBody.2", "b2"}}),
                           "msgList")
                    .size(),
                2u);
      JsonValue one = ok("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
      ExpectMessageShape(one);
      JsonValue two = ok("BatchReceiveMessage",
                         {{"queueName", q}, {"numOfMsg", "2"}, {"pollingWaitSeconds", "0"}});
      ASSERT_EQ(ArrayField(two, "msgInfoList").size(), 2u);
      ok("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(one, "receiptHandle")}});
      ok("BatchDeleteMessage",
         {{"queueName", q},
          {"receiptHandle.1", StrField(ArrayField(two, "msgInfoList")[0], "receiptHandle")},
          {"receiptHandle.2", StrField(ArrayField(two, "msgInfoList")[1], "receiptHandle")}});
      ok("RewindQueue", {{"queueName", q}, {"startConsumeTime", std::to_string(NowSeconds() - 60)}});
      EXPECT_EQ(IntField(ok("GetQueueAttributes", {{"queueName", q}}), "activeMsgNum"), 3);
      EXPECT_EQ(IntField(ok("ListDeadLetterSourceQueues", {{"deadLetterQueueName", dlq}}), "totalCount"),
                1);
      EXPECT_TRUE(HasString(ok("UnbindDeadLetterQueue", {{"queueName", q}}), "queueId"));
      ok("DeleteQueue", {{"queueName", q}});
      ok("DeleteQueue", {{"queueName", dlq}});
    }
  }
}

// GET request lines of at least 8 KiB are accepted (1.2).
TEST_F(QueueActionsTest, LongGetRequestLine) {
  CallerOptions o = server().Options("/");
  o.http_method = "GET";
  Caller c = server().NewCaller(o);
  std::string q = UniqueName("longget");
  CreateQueue(q);
  std::string body(3000, 'x');
  body += std::string(1000, ' ');  // each space is 3 bytes on the wire
  ASSERT_TRUE(IsSuccess(c.Call("SendMessage", {{"queueName", q}, {"msgBody", body}})));
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), body);
}

TEST_F(QueueActionsTest, ActionNameIsCaseInsensitive) {
  std::string q = UniqueName("actcase");
  ASSERT_TRUE(IsSuccess(caller_->Call("cREATEqUEUE", {{"queueName", q}})));
  ASSERT_TRUE(IsSuccess(caller_->Call("sENDmESSAGE", {{"queueName", q}, {"msgBody", "m"}})));
  ClientResult<JsonValue> got =
      caller_->Call("RECEIVEMESSAGE", {{"queueName", q}, {"pollingWaitSeconds", "0"}});
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_TRUE(IsSuccess(caller_->Call(
      "deletemessage", {{"queueName", q}, {"receiptHandle", StrField(*got, "receiptHandle")}})));
  ClientResult<JsonValue> attrs = caller_->Call("GetQueueATTRIBUTES", {{"queueName", q}});
  ASSERT_TRUE(IsSuccess(attrs));
  EXPECT_TRUE(HasInt(*attrs, "activeMsgNum"));
  EXPECT_TRUE(IsSuccess(caller_->Call("lISTqUEUE", {})));
  EXPECT_TRUE(IsSuccess(caller_->Call("UnbindDeadLETTERQueue", {{"queueName", q}})));
}

// Indexed parameters may start at 0 or 1; order is numeric (section 4).
TEST_F(QueueActionsTest, IndexedParametersZeroAndOneBased) {
  for (int base : {0, 1}) {
    SCOPED_TRACE("base " + std::to_string(base));
    std::string q = UniqueName("index");
    CreateQueue(q);
    // Eleven bodies, listed out of order: msgBody.10 sorts after msgBody.9.
    ParamList params = {{"queueName", q}};
    for (int i = 10; i >= 0; --i) {
      params.emplace_back("msgBody." + std::to_string(base + i), "body" + std::to_string(i));
    }
    ClientResult<JsonValue> sent = caller_->Call("BatchSendMessage", params);
    ASSERT_TRUE(IsSuccess(sent));
    const std::vector<JsonValue>& ids = ArrayField(*sent, "msgList");
    ASSERT_EQ(ids.size(), 11u);

    std::map<std::string, std::string> body_by_id;
    std::vector<std::string> handles;
    while (body_by_id.size() < 11) {
      ClientResult<JsonValue> got = caller_->Call(
          "BatchReceiveMessage", {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}});
      ASSERT_TRUE(IsSuccess(got));
      for (const JsonValue& m : ArrayField(*got, "msgInfoList")) {
        body_by_id[StrField(m, "msgId")] = StrField(m, "msgBody");
        handles.push_back(StrField(m, "receiptHandle"));
      }
    }
    for (int i = 0; i <= 10; ++i) {
      EXPECT_EQ(body_by_id[StrField(ids[i], "msgId")], "body" + std::to_string(i));
    }
    ParamList del = {{"queueName", q}};
    for (size_t i = 0; i < handles.size(); ++i) {
      del.emplace_back("receiptHandle." + std::to_string(base + i), handles[i]);
    }
    EXPECT_TRUE(IsSuccess(caller_->Call("BatchDeleteMessage", del)));
    EXPECT_EQ(IntField(Attributes(q), "inactiveMsgNum"), 0);
  }
}

// SignatureMethod absent or unknown means SHA-1; Nonce may be 0 or up to 2^64-1 (2.1).
TEST_F(QueueActionsTest, CommonParameterQuirks) {
  auto post = [&](const ParamList& params) {
    return SendRaw(*caller_, "POST", "/", EncodeForm(params));
  };
  CallerOptions o = server().Options();
  o.signature_method = SignatureMethod::kHmacSHA1;
  Caller sha1 = server().NewCaller(o);
  for (const char* method : {"", "HmacSHA512", "hmacsha256"}) {
    SCOPED_TRACE(std::string("SignatureMethod=") + method);
    ParamList p = WithCommon(sha1, "ListQueue", {});
    for (auto it = p.begin(); it != p.end(); ++it) {
      if (it->first != "SignatureMethod") continue;
      if (*method == '\0') {
        p.erase(it);
      } else {
        it->second = method;
      }
      break;
    }
    EXPECT_TRUE(IsSuccess(post(SignParams(sha1, "POST", "/", p))));
  }
  for (const char* nonce : {"0", "18446744073709551615", "9223372036854775807"}) {
    SCOPED_TRACE(std::string("Nonce=") + nonce);
    ParamList p = WithCommon(*caller_, "ListQueue", {});
    for (auto& [k, v] : p) {
      if (k == "Nonce") v = nonce;
    }
    EXPECT_TRUE(IsSuccess(post(SignParams(*caller_, "POST", "/", p))));
    // The same request again (C++ SDK repeats nonces within a second): no replay check.
    EXPECT_TRUE(IsSuccess(post(SignParams(*caller_, "POST", "/", p))));
  }
}

// The Java SDK's OkHttp Content-Type (1.3).
TEST_F(QueueActionsTest, ContentTypeStarSlashStar) {
  std::string q = UniqueName("ctype");
  CreateQueue(q);
  client::PreparedRequest p = caller_->Prepare(
      "SendMessage", {{"queueName", q}, {"msgBody", "star"}}, NowSeconds(), caller_->NextNonce());
  for (auto& [name, value] : p.http.headers) {
    if (name == "Content-Type") value = "*/*;charset=utf-8";
  }
  ClientResult<HttpResponse> resp = caller_->connection().RoundTrip(p.http, 10000);
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  ASSERT_TRUE(IsSuccess(ParseEnvelope(*resp)));
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), "star");
}

// The Python SDK: no Content-Type at all, '+' for spaces, Connection: Keep-Alive.
TEST_F(QueueActionsTest, NoContentTypePlusForSpace) {
  std::string q = UniqueName("noctype");
  CreateQueue(q);
  RawConnection raw;
  ASSERT_TRUE(raw.Connect(server().port()));
  for (int i = 0; i < 2; ++i) {  // twice on one connection: keep-alive holds
    ParamList params = SignParams(
        *caller_, "POST", "/",
        WithCommon(*caller_, "SendMessage", {{"queueName", q}, {"msgBody", "hello python world"}}));
    // Spaces as '+', as Python's urlencode writes them. (Copied rather than replaced in
    // place: GCC 12 warns falsely on that replace, PR105329.)
    std::string encoded = EncodeForm(params), body;
    for (size_t i = 0; i < encoded.size(); ++i) {
      if (encoded.compare(i, 3, "%20") == 0) {
        body.push_back('+');
        i += 2;
      } else {
        body.push_back(encoded[i]);
      }
    }
    std::string request = "POST / HTTP/1.1\r\nHost: " + server().authority() +
                          "\r\nAccept-Encoding: identity\r\nConnection: Keep-Alive\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    ASSERT_TRUE(raw.Send(request));
    ClientResult<HttpResponse> resp = raw.ReadResponse();
    ASSERT_TRUE(resp.ok()) << resp.error().ToString();
    EXPECT_EQ(resp->status, 200);
    const std::string* ct = resp->Header("content-type");
    ASSERT_NE(ct, nullptr);
    EXPECT_NE(ct->find("application/json"), std::string::npos);
    ASSERT_TRUE(IsSuccess(ParseEnvelope(*resp)));
    ClientResult<JsonValue> got = Receive(q);
    ASSERT_TRUE(IsSuccess(got));
    EXPECT_EQ(StrField(*got, "msgBody"), "hello python world");
  }
}

// curl sends Expect: 100-continue on larger bodies (1.3).
TEST_F(QueueActionsTest, ExpectContinue) {
  std::string q = UniqueName("expect");
  CreateQueue(q);
  std::string body_text(5000, 'e');
  std::string request = RawSignedPost(
      *caller_, "SendMessage", {{"queueName", q}, {"msgBody", body_text}},
      {"Content-Type: application/x-www-form-urlencoded", "Expect: 100-continue"});
  size_t split = request.find("\r\n\r\n") + 4;
  RawConnection raw;
  ASSERT_TRUE(raw.Connect(server().port()));
  ASSERT_TRUE(raw.Send(request.substr(0, split)));
  // Either a "100 Continue" arrives, or (like curl after its 1 s wait) we just go on.
  raw.Readable(1000);
  ASSERT_TRUE(raw.Send(request.substr(split)));
  ClientResult<HttpResponse> resp = raw.ReadResponse();  // skips the interim 100
  ASSERT_TRUE(resp.ok()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  ASSERT_TRUE(IsSuccess(ParseEnvelope(*resp)));
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), body_text);
}

// Queue names are unique and looked up case-insensitively, reported as created (5.1).
TEST_F(QueueActionsTest, NamesCaseInsensitive) {
  std::string q = UniqueName("MixedCase");
  std::string id = CreateQueue(q);
  std::string lower = AsciiLower(q);
  JsonValue a = Attributes(lower);
  EXPECT_TRUE(HasInt(a, "activeMsgNum"));
  Send(lower, "via lower");
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), "via lower");
  JsonValue list = Ok("ListQueue", {{"searchWord", lower}});
  ASSERT_EQ(ArrayField(list, "queueList").size(), 1u);
  EXPECT_EQ(StrField(ArrayField(list, "queueList")[0], "queueName"), q);
  EXPECT_EQ(StrField(ArrayField(list, "queueList")[0], "queueId"), id);
}

// Stable paging by creation order; totalCount counts all matches (6.7 ListQueue).
TEST_F(QueueActionsTest, ListQueuePaging) {
  std::string prefix = UniqueName("page");
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(prefix + "x" + std::to_string(i));
    CreateQueue(names.back());
  }
  std::vector<std::string> seen;
  for (int offset = 0; offset < 6; offset += 2) {
    JsonValue r = Ok("ListQueue",
                     {{"searchWord", prefix}, {"offset", std::to_string(offset)}, {"limit", "2"}});
    EXPECT_EQ(IntField(r, "totalCount"), 5);
    EXPECT_EQ(ArrayField(r, "queueList").size(), offset < 4 ? 2u : 1u);
    for (const JsonValue& q : ArrayField(r, "queueList")) seen.push_back(StrField(q, "queueName"));
  }
  EXPECT_EQ(seen, names);
}

// limit above 50 is clamped to 50; limit <= 0 means the default 20 (6.7 ListQueue).
TEST_F(QueueActionsTest, ListQueueLimitClamped) {
  std::string prefix = UniqueName("clamp");
  for (int i = 0; i < 55; ++i) CreateQueue(prefix + "q" + std::to_string(i));
  JsonValue r = Ok("ListQueue", {{"searchWord", prefix}, {"limit", "100"}});
  EXPECT_EQ(IntField(r, "totalCount"), 55);
  EXPECT_EQ(ArrayField(r, "queueList").size(), 50u);
  r = Ok("ListQueue", {{"searchWord", prefix}});
  EXPECT_EQ(ArrayField(r, "queueList").size(), 20u);
  r = Ok("ListQueue", {{"searchWord", prefix}, {"offset", "50"}});
  EXPECT_EQ(ArrayField(r, "queueList").size(), 5u) << "offset without limit is fine";
  EXPECT_EQ(IntField(r, "totalCount"), 55);
}

// Bodies come back byte for byte (6.6).
TEST_F(QueueActionsTest, BodiesRoundTripExactly) {
  std::string q = UniqueName("bodies");
  CreateQueue(q);
  std::vector<std::string> bodies = {
      " leading and trailing ", "quote \" backslash \\ slash /", "line\nbreak\r\ttab",
      "ctrl \x01\x1f end", "+&=%?#", "中文 ümlaut 😀", std::string(65536, 'z')};
  for (const std::string& b : bodies) Send(q, b);
  std::multiset<std::string> received;
  for (size_t i = 0; i < bodies.size(); ++i) {
    ClientResult<JsonValue> got = Receive(q);
    ASSERT_TRUE(IsSuccess(got));
    received.insert(StrField(*got, "msgBody"));
  }
  EXPECT_EQ(received, std::multiset<std::string>(bodies.begin(), bodies.end()));
}

}  // namespace
}  // namespace cmq::testing
