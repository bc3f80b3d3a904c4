// Black-box: TraceMessage against the real cmqd (either storage: CMQ_TEST_STORAGE): a
// message received from two client connections and deleted shows both clients'
// addresses, exactly as the connections' own ends are; after a restart the trace is
// the same.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

// "127.0.0.1:<local port>" of a connected socket: the address cmqd sees as the peer.
std::string LocalEnd(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a.sin_addr, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
}

class MessageTraceTest : public SharedServerTest {
 protected:
  // Receives one message on a connection of its own; returns its answer and, in
  // `client`, the connection's address as cmqd sees it.
  JsonValue ReceiveOn(const std::string& queue, std::string* client) {
    RawConnection c;
    EXPECT_TRUE(c.Connect(server().port()));
    *client = LocalEnd(c.fd());
    EXPECT_TRUE(c.Send(RawSignedPost(*caller_, "ReceiveMessage",
                                     {{"queueName", queue}, {"pollingWaitSeconds", "0"}})));
    ClientResult<HttpResponse> response = c.ReadResponse();
    EXPECT_TRUE(response.ok());
    if (!response.ok()) return JsonValue();
    ClientResult<JsonValue> v = ParseEnvelope(*response);
    EXPECT_TRUE(IsSuccess(v));
    return v.ok() ? *v : JsonValue();
  }
};

TEST_F(MessageTraceTest, ShowsBothReceivingClientsAndTheDelete) {
  std::string q = UniqueName("trace");
  CreateQueue(q, {{"visibilityTimeout", "1"}});
  std::string id = Send(q, "traced");
  std::string first_client;
  JsonValue first = ReceiveOn(q, &first_client);
  ASSERT_EQ(StrField(first, "msgId"), id);
  // The second receive waits for the first one's visibility to end (a long poll).
  RawConnection c;
  ASSERT_TRUE(c.Connect(server().port()));
  const std::string second_client = LocalEnd(c.fd());
  ASSERT_NE(second_client, first_client);
  ASSERT_TRUE(c.Send(RawSignedPost(*caller_, "ReceiveMessage",
                                   {{"queueName", q}, {"pollingWaitSeconds", "10"}})));
  ClientResult<HttpResponse> response = c.ReadResponse();
  ASSERT_TRUE(response.ok());
  ClientResult<JsonValue> second = ParseEnvelope(*response);
  ASSERT_TRUE(IsSuccess(second));
  ASSERT_EQ(StrField(*second, "msgId"), id);
  Ok("DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(*second, "receiptHandle")}});

  auto check = [&](const JsonValue& v) {
    EXPECT_EQ(StrField(v, "msgId"), id);
    ASSERT_NE(v.Find("complete"), nullptr);
    EXPECT_TRUE(v.Find("complete")->as_bool());
    const auto& events = ArrayField(v, "events");
    ASSERT_EQ(events.size(), 4u);
    EXPECT_EQ(StrField(events[0], "event"), "sent");
    EXPECT_EQ(StrField(events[1], "event"), "received");
    EXPECT_EQ(StrField(events[1], "clientAddress"), first_client);
    EXPECT_EQ(IntField(events[1], "dequeueCount"), 1);
    EXPECT_EQ(StrField(events[2], "clientAddress"), second_client);
    EXPECT_EQ(IntField(events[2], "dequeueCount"), 2);
    EXPECT_EQ(StrField(events[3], "event"), "deleted");
    for (const JsonValue& e : events) EXPECT_TRUE(HasInt(e, "time"));
  };
  check(Ok("TraceMessage", {{"queueName", q}, {"msgId", id}}));

  // The journal (or the PostgreSQL log) holds it: a restart keeps the trace.
  server().process().Kill9();
  ASSERT_TRUE(server().Start()) << server().process().output();
  caller_ = std::make_unique<Caller>(server().NewCaller());
  check(Ok("TraceMessage", {{"queueName", q}, {"msgId", id}}));
}

TEST_F(MessageTraceTest, Errors) {
  std::string q = UniqueName("trace");
  CreateQueue(q);
  EXPECT_TRUE(IsServerError(caller_->Call("TraceMessage", {{"queueName", q}, {"msgId", "99999999"}}),
                            4000, 10950));
  EXPECT_TRUE(IsServerError(
      caller_->Call("TraceMessage", {{"queueName", UniqueName("none")}, {"msgId", "1"}}), 4440,
      10100));
}

}  // namespace
}  // namespace cmq::testing
