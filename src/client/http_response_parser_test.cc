#include "client/http_response_parser.h"

#include <gtest/gtest.h>

namespace cmq::client {
namespace {

using State = HttpResponseParser::State;

// Feeds `wire` one byte at a time, the hardest split.
State FeedBytewise(HttpResponseParser* p, std::string_view wire) {
  State s = State::kNeedMore;
  for (char c : wire) s = p->Feed(std::string_view(&c, 1));
  return s;
}

TEST(HttpResponseParserTest, ContentLengthInAnySplit) {
  std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
      "{\"code\":0}\n";
  for (size_t split = 0; split <= wire.size(); ++split) {
    HttpResponseParser p;
    p.Feed(std::string_view(wire).substr(0, split));
    ASSERT_EQ(p.Feed(std::string_view(wire).substr(split)), State::kDone) << split;
    EXPECT_EQ(p.response().status, 200);
    EXPECT_EQ(p.response().reason, "OK");
    EXPECT_EQ(p.response().body, "{\"code\":0}\n");
    EXPECT_TRUE(p.response().keep_alive);
    ASSERT_NE(p.response().Header("content-type"), nullptr);
    EXPECT_EQ(*p.response().Header("content-type"), "application/json");
  }
  HttpResponseParser p;
  EXPECT_EQ(FeedBytewise(&p, wire), State::kDone);
  EXPECT_EQ(p.response().body, "{\"code\":0}\n");
}

TEST(HttpResponseParserTest, Chunked) {
  std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  HttpResponseParser p;
  EXPECT_EQ(FeedBytewise(&p, wire), State::kDone);
  EXPECT_EQ(p.response().body, "hello 0123456789");
  EXPECT_TRUE(p.response().keep_alive);
  HttpResponseParser q;
  EXPECT_EQ(q.Feed(wire), State::kDone);
  EXPECT_EQ(q.response().body, "hello 0123456789");
}

TEST(HttpResponseParserTest, SkipsInterimResponses) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_EQ(p.response().body, "ok");
}

TEST(HttpResponseParserTest, KeepAliveRules) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_FALSE(p.response().keep_alive);
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kDone);
  EXPECT_FALSE(p.response().keep_alive);
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_TRUE(p.response().keep_alive);
}

TEST(HttpResponseParserTest, BodyUntilClose) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\nabc"), State::kNeedMore);
  EXPECT_EQ(p.Feed("def"), State::kNeedMore);
  EXPECT_EQ(p.FeedEof(), State::kDone);
  EXPECT_EQ(p.response().body, "abcdef");
  EXPECT_FALSE(p.response().keep_alive);
}

TEST(HttpResponseParserTest, NoBodyResponses) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 204 No Content\r\n\r\n"), State::kDone);
  p.Reset();
  p.set_no_body();
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.response().body, "");
}

TEST(HttpResponseParserTest, KeepsRemainder) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP"), State::kDone);
  EXPECT_EQ(p.remainder(), "HTTP");
  p.Reset();
  EXPECT_EQ(p.remainder(), "");
}

TEST(HttpResponseParserTest, EofBeforeAndDuringResponse) {
  HttpResponseParser p;
  EXPECT_FALSE(p.started());
  EXPECT_EQ(p.FeedEof(), State::kError);
  p.Reset();
  p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
  EXPECT_TRUE(p.started());
  EXPECT_EQ(p.FeedEof(), State::kError);
  EXPECT_NE(p.error().find("middle"), std::string::npos);
}

TEST(HttpResponseParserTest, MalformedInputIsAnError) {
  const char* cases[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 20x OK\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (const char* wire : cases) {
    HttpResponseParser p;
    EXPECT_EQ(p.Feed(wire), State::kError) << wire;
    EXPECT_FALSE(p.error().empty()) << wire;
    EXPECT_EQ(p.Feed("more"), State::kError);
  }
}

TEST(HttpResponseParserTest, Limits) {
  HttpParserLimits limits;
  limits.max_header_bytes = 64;
  limits.max_body_bytes = 8;
  HttpResponseParser p(limits);
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')), State::kError);
  HttpResponseParser q(limits);
  EXPECT_EQ(q.Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), State::kError);
  HttpResponseParser r(limits);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n"),
            State::kError);
  HttpResponseParser s(limits);
  EXPECT_EQ(s.Feed("HTTP/1.1 200 OK\r\n\r\n123456789"), State::kError);
}

}  // namespace
}  // namespace cmq::client
