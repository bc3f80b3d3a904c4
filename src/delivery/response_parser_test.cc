#include "delivery/response_parser.h"

#include <gtest/gtest.h>

namespace cmq::delivery {
namespace {

using State = ResponseParser::State;

// Feeds `text` whole, then byte by byte into a fresh parser; both must agree.
State FeedBothWays(std::string_view text, ResponseParser* p, ResponseLimits limits = {}) {
  ResponseParser bytewise(limits);
  State s2 = State::kNeedMore;
  for (char c : text) s2 = bytewise.Feed(std::string_view(&c, 1));
  State s1 = p->Feed(text);
  EXPECT_EQ(s1, s2) << text;
  if (s1 == State::kDone) {
    EXPECT_EQ(p->status(), bytewise.status());
    EXPECT_EQ(p->reusable(), bytewise.reusable());
  }
  return s1;
}

TEST(ResponseParserTest, ContentLengthKeepAlive) {
  ResponseParser p;
  EXPECT_FALSE(p.started());
  ASSERT_EQ(FeedBothWays("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX: y\r\n\r\nhello", &p),
            State::kDone);
  EXPECT_TRUE(p.started());
  EXPECT_EQ(p.status(), 200);
  EXPECT_TRUE(p.reusable());
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.1 500 Internal\r\nContent-Length: 2\r\n\r\nx"), State::kNeedMore);
  EXPECT_EQ(p.Feed("y"), State::kDone);
  EXPECT_EQ(p.status(), 500);
}

TEST(ResponseParserTest, BareLfAndNoReason) {
  ResponseParser p;
  ASSERT_EQ(FeedBothWays("HTTP/1.1 204\nContent-Length: 0\n\n", &p), State::kDone);
  EXPECT_EQ(p.status(), 204);
  EXPECT_TRUE(p.reusable());
}

TEST(ResponseParserTest, Chunked) {
  ResponseParser p;
  ASSERT_EQ(FeedBothWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                         "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n",
                         &p),
            State::kDone);
  EXPECT_EQ(p.status(), 200);
  EXPECT_TRUE(p.reusable());
}

TEST(ResponseParserTest, CloseDelimitedEndsAtEof) {
  ResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\nsome body"), State::kNeedMore);
  EXPECT_EQ(p.FinishOnEof(), State::kDone);
  EXPECT_EQ(p.status(), 200);
  EXPECT_FALSE(p.reusable());
  // A transfer coding other than chunked is close-delimited too.
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz"), State::kNeedMore);
  EXPECT_EQ(p.FinishOnEof(), State::kDone);
}

TEST(ResponseParserTest, ConnectionReuseRules) {
  ResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kDone);
  EXPECT_FALSE(p.reusable());
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_TRUE(p.reusable());
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_FALSE(p.reusable());
  p.Reset();
  // Bytes after the response: the server is confused, do not reuse.
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP"), State::kDone);
  EXPECT_FALSE(p.reusable());
  p.Reset();
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), State::kDone);
  EXPECT_EQ(p.Feed("junk"), State::kDone);
  EXPECT_FALSE(p.reusable());
  p.Reset();
  // Length next to a transfer coding.
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "0\r\n\r\n"),
            State::kDone);
  EXPECT_FALSE(p.reusable());
}

TEST(ResponseParserTest, InterimResponsesAreSkipped) {
  ResponseParser p;
  ASSERT_EQ(FeedBothWays("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                         "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
                         &p),
            State::kDone);
  EXPECT_EQ(p.status(), 202);
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.1 101 Switching Protocols\r\n\r\n"), State::kError);
}

TEST(ResponseParserTest, NoBodyStatuses) {
  ResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), State::kDone);
  EXPECT_TRUE(p.reusable());
}

TEST(ResponseParserTest, MalformedInputIsAnError) {
  for (const char* bad : {
           "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n",
           "ICY 200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
           "\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
           "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
       }) {
    ResponseParser p;
    EXPECT_EQ(p.Feed(bad), State::kError) << bad;
    EXPECT_FALSE(p.error().empty());
    EXPECT_FALSE(p.reusable());
  }
}

TEST(ResponseParserTest, HeadLimit) {
  ResponseLimits limits;
  limits.max_header_bytes = 64;
  ResponseParser p(limits);
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')), State::kError);
  ResponseParser endless(limits);
  EXPECT_EQ(endless.Feed(std::string(1000, 'H')), State::kError);
  ResponseParser chunk_line;
  EXPECT_EQ(chunk_line.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                            std::string(5000, 'e')),
            State::kError);
}

TEST(ResponseParserTest, OversizedBodiesEndEarlyAndAreNotReused) {
  ResponseLimits limits;
  limits.max_body_bytes = 10;
  ResponseParser p(limits);
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.status(), 200);
  EXPECT_FALSE(p.reusable());
  ResponseParser chunked(limits);
  ASSERT_EQ(chunked.Feed("HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n"
                         "8\r\n"),
            State::kDone);
  EXPECT_EQ(chunked.status(), 503);
  EXPECT_FALSE(chunked.reusable());
  ResponseParser until_close(limits);
  ASSERT_EQ(until_close.Feed("HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b')), State::kDone);
  EXPECT_FALSE(until_close.reusable());
}

TEST(ResponseParserTest, EofInsideAResponseIsAnError) {
  ResponseParser p;
  EXPECT_EQ(p.FinishOnEof(), State::kError);
  EXPECT_FALSE(p.started());
  ResponseParser q;
  q.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
  EXPECT_EQ(q.FinishOnEof(), State::kError);
  EXPECT_TRUE(q.started());
  ResponseParser r;
  r.Feed("HTTP/1.1 200 OK\r\nContent-Le");
  EXPECT_EQ(r.FinishOnEof(), State::kError);
}

}  // namespace
}  // namespace cmq::delivery
