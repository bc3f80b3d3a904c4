#include "delivery/push_request.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace cmq::delivery {
namespace {

broker::PushTask Task() {
  broker::PushTask t;
  t.delivery_id = 7;
  t.endpoint = "http://subscriber.example/cgi";
  t.format = broker::ContentFormat::kJson;
  t.topic_owner = 100015036;
  t.topic_name = "MyTopic";
  t.subscription_name = "mysubscription";
  t.msg_id = "6942316962";
  t.body = "test message";
  t.tags = {"a", "b"};
  t.publish_time = 1700000000;
  return t;
}

TEST(PushRequestTest, JsonBodyMatchesTheSpecSample) {
  EXPECT_EQ(FormatPushBody(Task()),
            R"({"TopicOwner":100015036,"topicName":"MyTopic","subscriptionName":)"
            R"("mysubscription","msgId":"6942316962","msgBody":"test message",)"
            R"("publishTime":1700000000})");
}

TEST(PushRequestTest, JsonEscapesTheBody) {
  broker::PushTask t = Task();
  t.body = "say \"hi\"\n\\";
  auto parsed = ParseJson(FormatPushBody(t));
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(parsed->Find("msgBody"), nullptr);
  EXPECT_EQ(parsed->Find("msgBody")->as_string(), t.body);
  EXPECT_EQ(parsed->Find("TopicOwner")->as_int(), 100015036);
}

TEST(PushRequestTest, SimplifiedIsTheRawBody) {
  broker::PushTask t = Task();
  t.format = broker::ContentFormat::kSimplified;
  t.body = std::string("raw\0bytes", 9);
  EXPECT_EQ(FormatPushBody(t), t.body);
}

TEST(PushRequestTest, RequestHeadMatchesTheSpecSample) {
  broker::PushTask t = Task();
  auto url = ParseEndpointUrl(t.endpoint);
  ASSERT_TRUE(url.ok());
  std::string body = FormatPushBody(t);
  EXPECT_EQ(FormatPushRequest(t, *url, "2394928734"),
            "POST /cgi HTTP/1.1\r\n"
            "Host: subscriber.example\r\n"
            "Content-Type: text/plain\r\n"
            "User-Agent: Qcloud Notification Service Agent\r\n"
            "x-cmq-request-id: 2394928734\r\n"
            "x-cmq-message-id: 6942316962\r\n"
            "x-cmq-message-tag: a, b\r\n"
            "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
}

TEST(PushRequestTest, NoTagHeaderWithoutTagsAndNoHeaderInjection) {
  broker::PushTask t = Task();
  t.tags.clear();
  auto url = ParseEndpointUrl("http://h:81/p?q=1");
  ASSERT_TRUE(url.ok());
  std::string req = FormatPushRequest(t, *url, "1");
  EXPECT_EQ(req.find("x-cmq-message-tag"), std::string::npos);
  EXPECT_EQ(req.rfind("POST /p?q=1 HTTP/1.1\r\nHost: h:81\r\n", 0), 0u);

  t.tags = {"x\r\nEvil: 1"};
  req = FormatPushRequest(t, *url, "1");
  EXPECT_NE(req.find("x-cmq-message-tag: x  Evil: 1\r\n"), std::string::npos);
  EXPECT_EQ(req.find("\r\nEvil"), std::string::npos);
}

}  // namespace
}  // namespace cmq::delivery
