// Black-box: the HTTP layer under hostile or odd clients (docs/cmq-api.md 1.5, 1.7;
// DESIGN.md "clean 4xx for malformed requests"). After every abuse a normal signed
// request on a new connection must still succeed.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "support/blackbox.h"

namespace cmq::testing {
namespace {

class HttpRobustnessTest : public SharedServerTest {
 protected:
  // A fresh connection and a signed call that must work.
  void ExpectServerHealthy() {
    Caller c = server().NewCaller();
    ClientResult<JsonValue> r = c.Call("ListQueue", {{"limit", "1"}});
    EXPECT_TRUE(IsSuccess(r)) << "the server no longer serves normal requests";
  }
  // Sends `bytes` on a new connection and returns the first response, if any.
  ClientResult<HttpResponse> Exchange(const std::string& bytes, RawConnection* raw) {
    EXPECT_TRUE(raw->Connect(server().port()));
    raw->Send(bytes);  // may fail half way when the server rejects early; the answer counts
    return raw->ReadResponse(20000);
  }
  static bool Is4xx(const ClientResult<HttpResponse>& r) {
    return r.ok() && r->status >= 400 && r->status < 500;
  }
};

TEST_F(HttpRobustnessTest, ManyRequestsOnOneKeepAliveConnection) {
  std::string q = UniqueName("keepalive");
  CreateQueue(q);
  Caller c = server().NewCaller();
  for (int i = 0; i < 300; ++i) {
    ClientResult<JsonValue> r = c.Call(
        "SendMessage", {{"queueName", q}, {"msgBody", std::string("m").append(std::to_string(i))}});
    ASSERT_TRUE(IsSuccess(r)) << "request " << i;
  }
  EXPECT_EQ(c.connection().connects(), 1u) << "all on one TCP connection";
  EXPECT_EQ(c.connection().retries(), 0u);
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 300);
}

TEST_F(HttpRobustnessTest, PipelinedRequestsAnsweredInOrder) {
  std::string q = UniqueName("pipeline");
  CreateQueue(q);
  std::string both = RawSignedPost(*caller_, "SendMessage", {{"queueName", q}, {"msgBody", "1"}}) +
                     RawSignedPost(*caller_, "GetQueueAttributes", {{"queueName", q}}) +
                     RawSignedPost(*caller_, "SendMessage", {{"queueName", q}, {"msgBody", "2"}});
  RawConnection raw;
  ASSERT_TRUE(raw.Connect(server().port()));
  ASSERT_TRUE(raw.Send(both));
  ClientResult<HttpResponse> r1 = raw.ReadResponse();
  ClientResult<HttpResponse> r2 = raw.ReadResponse();
  ClientResult<HttpResponse> r3 = raw.ReadResponse();
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  ClientResult<JsonValue> j1 = ParseEnvelope(*r1), j2 = ParseEnvelope(*r2), j3 = ParseEnvelope(*r3);
  ASSERT_TRUE(IsSuccess(j1) && IsSuccess(j2) && IsSuccess(j3));
  EXPECT_TRUE(HasString(*j1, "msgId"));
  EXPECT_TRUE(HasInt(*j2, "activeMsgNum"));
  EXPECT_TRUE(HasString(*j3, "msgId"));
}

TEST_F(HttpRobustnessTest, MalformedRequestLines) {
  for (const std::string& bad :
       {std::string("GARBAGE\r\n\r\n"), std::string("POST\r\n\r\n"),
        std::string("POST / HTTP/1.1 extra\r\nHost: x\r\n\r\n"),
        std::string("POST  HTTP/1.1\r\n\r\n"),
        std::string("\x01\x02\x03 / HTTP/1.1\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nno colon header\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
        std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
        std::string("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")}) {
    SCOPED_TRACE(bad.substr(0, bad.find('\r')));
    RawConnection raw;
    ClientResult<HttpResponse> r = Exchange(bad, &raw);
    EXPECT_TRUE(Is4xx(r)) << (r.ok() ? "HTTP " + std::to_string(r->status) : r.error().ToString());
    ExpectServerHealthy();
  }
}

TEST_F(HttpRobustnessTest, OversizedBodyGets413) {
  // Only the head is sent: the declared length alone must be refused.
  std::string head = "POST / HTTP/1.1\r\nHost: " + server().authority() +
                     "\r\nContent-Length: 104857600\r\n\r\n";
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(head + std::string(4096, 'a'), &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 413);
  ExpectServerHealthy();
}

TEST_F(HttpRobustnessTest, OversizedChunkedBodyGets413) {
  std::string head = "POST / HTTP/1.1\r\nHost: " + server().authority() +
                     "\r\nTransfer-Encoding: chunked\r\n\r\n";
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(head + "10000000\r\n" + std::string(4096, 'a'), &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 413);
  ExpectServerHealthy();
}

TEST_F(HttpRobustnessTest, OversizedHeadersGet431) {
  std::string request = "POST / HTTP/1.1\r\nHost: " + server().authority() + "\r\n";
  for (int i = 0; i < 100; ++i) {
    request += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'h') + "\r\n";
  }
  request += "\r\n";
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(request, &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 431);
  ExpectServerHealthy();
}

TEST_F(HttpRobustnessTest, HalfRequestThenDisconnect) {
  std::string q = UniqueName("half");
  CreateQueue(q);
  std::string full = RawSignedPost(*caller_, "SendMessage", {{"queueName", q}, {"msgBody", "half"}});
  for (size_t cut : {size_t{1}, size_t{10}, full.find("\r\n\r\n"), full.find("\r\n\r\n") + 4,
                     full.size() - 1}) {
    RawConnection raw;
    ASSERT_TRUE(raw.Connect(server().port()));
    ASSERT_TRUE(raw.Send(full.substr(0, cut)));
    raw.Close();
  }
  ExpectServerHealthy();
  EXPECT_EQ(IntField(Attributes(q), "activeMsgNum"), 0) << "no incomplete request was executed";
}

TEST_F(HttpRobustnessTest, GarbageBytes) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 5; ++round) {
    std::string junk(4096, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    RawConnection raw;
    ASSERT_TRUE(raw.Connect(server().port()));
    raw.Send(junk);
    // The server answers 4xx and/or closes; it must not hang on to the connection forever
    // nor crash.
    ClientResult<HttpResponse> r = raw.ReadResponse(20000);
    if (r.ok()) {
      EXPECT_TRUE(Is4xx(r)) << r->status;
    }
    ExpectServerHealthy();
  }
  // Connections that send nothing at all.
  for (int i = 0; i < 50; ++i) {
    RawConnection raw;
    ASSERT_TRUE(raw.Connect(server().port()));
  }
  ExpectServerHealthy();
}

TEST_F(HttpRobustnessTest, ChunkedRequestBody) {
  std::string q = UniqueName("chunked");
  CreateQueue(q);
  std::string full = RawSignedPost(*caller_, "SendMessage", {{"queueName", q}, {"msgBody", "chunky"}});
  size_t split = full.find("\r\n\r\n");
  std::string head = full.substr(0, full.find("Content-Length:"));
  std::string body = full.substr(split + 4);
  std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += 10) {
    std::string piece = body.substr(i, 10);
    char len[16];
    snprintf(len, sizeof(len), "%zx", piece.size());
    chunked += std::string(len) + "\r\n" + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(chunked, &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(IsSuccess(ParseEnvelope(*r)));
  ClientResult<JsonValue> got = Receive(q);
  ASSERT_TRUE(IsSuccess(got));
  EXPECT_EQ(StrField(*got, "msgBody"), "chunky");
}

TEST_F(HttpRobustnessTest, Http10ClosesAfterResponse) {
  std::string full = RawSignedPost(*caller_, "ListQueue", {});
  full.replace(full.find("HTTP/1.1"), 8, "HTTP/1.0");
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(full, &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(IsSuccess(ParseEnvelope(*r)));
  EXPECT_TRUE(raw.WaitClosed()) << "HTTP/1.0 without keep-alive: the server closes";
}

TEST_F(HttpRobustnessTest, ConnectionCloseIsHonoured) {
  std::string full = RawSignedPost(*caller_, "ListQueue", {}, {"Connection: close"});
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(full, &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_TRUE(IsSuccess(ParseEnvelope(*r)));
  const std::string* conn = r->Header("connection");
  ASSERT_NE(conn, nullptr) << "a closing server says so (1.5)";
  EXPECT_NE(conn->find("close"), std::string::npos);
  EXPECT_TRUE(raw.WaitClosed());
}

TEST_F(HttpRobustnessTest, ResponseHeaders) {
  RawConnection raw;
  ClientResult<HttpResponse> r = Exchange(RawSignedPost(*caller_, "ListQueue", {}), &raw);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_NE(r->Header("content-type"), nullptr);
  EXPECT_EQ(*r->Header("content-type"), "application/json; charset=utf-8");
  ASSERT_NE(r->Header("content-length"), nullptr);
  EXPECT_EQ(*r->Header("content-length"), std::to_string(r->body.size()));
  // Errors are HTTP 200 too (1.4).
  RawConnection raw2;
  r = Exchange(RawSignedPost(*caller_, "NoSuchAction", {}), &raw2);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace cmq::testing
