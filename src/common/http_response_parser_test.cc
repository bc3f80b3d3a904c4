#include "common/http_response_parser.h"

#include <gtest/gtest.h>

namespace cmq {
namespace {

using State = HttpResponseParser::State;

// Feeds `wire` one byte at a time, the hardest split.
State FeedBytewise(HttpResponseParser* p, std::string_view wire) {
  State s = State::kNeedMore;
  for (char c : wire) s = p->Feed(std::string_view(&c, 1));
  return s;
}

HttpResponseParser Discarding(HttpResponseLimits limits = {}) {
  return HttpResponseParser(limits, HttpBodyMode::kDiscard);
}

// Feeds `wire` whole into `p` and byte by byte into a fresh parser of the same mode
// and limits; both must agree.
State FeedBothWays(std::string_view wire, HttpResponseParser* p, HttpResponseLimits limits = {},
                   HttpBodyMode mode = HttpBodyMode::kDiscard) {
  HttpResponseParser bytewise(limits, mode);
  State s2 = FeedBytewise(&bytewise, wire);
  State s1 = p->Feed(wire);
  EXPECT_EQ(s1, s2) << wire;
  if (s1 == State::kDone) {
    EXPECT_EQ(p->response().status, bytewise.response().status);
    EXPECT_EQ(p->response().body, bytewise.response().body);
    EXPECT_EQ(p->reusable(), bytewise.reusable());
  }
  return s1;
}

// --- both modes ---------------------------------------------------------------------------

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
    EXPECT_TRUE(p.reusable());
    ASSERT_NE(p.response().Header("content-type"), nullptr);
    EXPECT_EQ(*p.response().Header("content-type"), "application/json");
  }
  HttpResponseParser p;
  EXPECT_EQ(FeedBytewise(&p, wire), State::kDone);
  EXPECT_EQ(p.response().body, "{\"code\":0}\n");
  HttpResponseParser d = Discarding();
  ASSERT_EQ(FeedBothWays(wire, &d), State::kDone);
  EXPECT_EQ(d.response().status, 200);
  EXPECT_EQ(d.response().body, "") << "a discarding parser keeps no body";
  EXPECT_TRUE(d.reusable());
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
  HttpResponseParser d = Discarding();
  EXPECT_EQ(FeedBothWays(wire, &d), State::kDone);
  EXPECT_TRUE(d.reusable());
}

TEST(HttpResponseParserTest, BareLfAndNoReason) {
  HttpResponseParser p;
  ASSERT_EQ(FeedBothWays("HTTP/1.1 204\nContent-Length: 0\n\n", &p, {}, HttpBodyMode::kKeep),
            State::kDone);
  EXPECT_EQ(p.response().status, 204);
  EXPECT_EQ(p.response().reason, "");
  EXPECT_TRUE(p.reusable());
}

TEST(HttpResponseParserTest, SkipsInterimResponses) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_EQ(p.response().body, "ok");
  HttpResponseParser d = Discarding();
  ASSERT_EQ(FeedBothWays("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
                         "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
                         &d),
            State::kDone);
  EXPECT_EQ(d.response().status, 202);
  d.Reset();
  EXPECT_EQ(d.Feed("HTTP/1.1 101 Switching Protocols\r\n\r\n"), State::kError);
}

TEST(HttpResponseParserTest, KeepAliveRules) {
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    HttpResponseParser p({}, mode);
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n"),
              State::kDone);
    EXPECT_FALSE(p.response().keep_alive);
    EXPECT_FALSE(p.reusable());
    p.Reset();
    EXPECT_EQ(p.Feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), State::kDone);
    EXPECT_FALSE(p.reusable());
    p.Reset();
    EXPECT_EQ(p.Feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"),
              State::kDone);
    EXPECT_TRUE(p.reusable());
    p.Reset();
    // A length next to a transfer coding: the coding frames the body, and the
    // connection is not reused.
    ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "1\r\nx\r\n0\r\n\r\n"),
              State::kDone);
    EXPECT_EQ(p.response().body, mode == HttpBodyMode::kKeep ? "x" : "");
    EXPECT_FALSE(p.reusable());
  }
}

TEST(HttpResponseParserTest, KeepsRemainderAndDoesNotReuseAConfusedConnection) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP"), State::kDone);
  EXPECT_EQ(p.remainder(), "HTTP");
  EXPECT_TRUE(p.response().keep_alive);
  EXPECT_FALSE(p.reusable()) << "bytes nobody asked for";
  p.Reset();
  EXPECT_EQ(p.remainder(), "");
  HttpResponseParser d = Discarding();
  ASSERT_EQ(d.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"), State::kDone);
  EXPECT_TRUE(d.reusable());
  EXPECT_EQ(d.Feed("junk"), State::kDone);
  EXPECT_FALSE(d.reusable());
}

TEST(HttpResponseParserTest, BodyUntilClose) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n\r\nabc"), State::kNeedMore);
  EXPECT_EQ(p.Feed("def"), State::kNeedMore);
  EXPECT_EQ(p.FeedEof(), State::kDone);
  EXPECT_EQ(p.response().body, "abcdef");
  EXPECT_FALSE(p.response().keep_alive);
  HttpResponseParser d = Discarding();
  EXPECT_EQ(d.Feed("HTTP/1.1 200 OK\r\n\r\nsome body"), State::kNeedMore);
  EXPECT_EQ(d.FeedEof(), State::kDone);
  EXPECT_EQ(d.response().status, 200);
  EXPECT_FALSE(d.reusable());
}

TEST(HttpResponseParserTest, NoBodyResponses) {
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    HttpResponseParser p({}, mode);
    EXPECT_EQ(p.Feed("HTTP/1.1 204 No Content\r\n\r\n"), State::kDone);
    p.Reset();
    ASSERT_EQ(p.Feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), State::kDone);
    EXPECT_TRUE(p.reusable());
    p.Reset();
    p.set_no_body();
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"), State::kDone);
    EXPECT_EQ(p.response().body, "");
  }
}

TEST(HttpResponseParserTest, ObsoleteFoldingIsUnfolded) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\tc\r\nConnection:\r\n close\r\n"
                   "Content-Length: 0\r\n\r\n"),
            State::kDone);
  EXPECT_EQ(*p.response().Header("x-long"), "a b c");
  EXPECT_EQ(*p.response().Header("connection"), "close");
  EXPECT_FALSE(p.reusable()) << "a folded Connection: close still counts";
}

TEST(HttpResponseParserTest, EofBeforeAndDuringResponse) {
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    HttpResponseParser p({}, mode);
    EXPECT_FALSE(p.started());
    EXPECT_EQ(p.FeedEof(), State::kError);
    EXPECT_FALSE(p.started());
    p.Reset();
    p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
    EXPECT_TRUE(p.started());
    EXPECT_EQ(p.FeedEof(), State::kError);
    EXPECT_NE(p.error().find("middle"), std::string::npos);
    p.Reset();
    p.Feed("HTTP/1.1 200 OK\r\nContent-Le");
    EXPECT_EQ(p.FeedEof(), State::kError);
  }
}

TEST(HttpResponseParserTest, MalformedInputIsAnError) {
  const char* cases[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 20x OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 099 x\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "\r\nHTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
  };
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    for (const char* wire : cases) {
      HttpResponseParser p({}, mode);
      EXPECT_EQ(p.Feed(wire), State::kError) << wire;
      EXPECT_FALSE(p.error().empty()) << wire;
      EXPECT_FALSE(p.reusable());
      EXPECT_EQ(p.Feed("more"), State::kError);
    }
  }
}

TEST(HttpResponseParserTest, HeadAndChunkLineLimits) {
  HttpResponseLimits limits;
  limits.max_header_bytes = 64;
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    HttpResponseParser p(limits, mode);
    EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a')), State::kError);
    HttpResponseParser endless(limits, mode);
    EXPECT_EQ(endless.Feed(std::string(1000, 'H')), State::kError);
    HttpResponseParser chunk_line({}, mode);
    EXPECT_EQ(chunk_line.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
                              std::string(5000, 'e')),
              State::kError);
    HttpResponseParser trailers(limits, mode);
    EXPECT_EQ(trailers.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: " +
                            std::string(100, 't') + "\r\n"),
              State::kError);
  }
}

// --- kKeep: the body is wanted --------------------------------------------------------

TEST(HttpResponseParserTest, KeepingBodiesOverTheLimitIsAnError) {
  HttpResponseLimits limits;
  limits.max_body_bytes = 8;
  HttpResponseParser q(limits);
  EXPECT_EQ(q.Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), State::kError);
  HttpResponseParser r(limits);
  EXPECT_EQ(r.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n"),
            State::kError);
  HttpResponseParser s(limits);
  EXPECT_EQ(s.Feed("HTTP/1.1 200 OK\r\n\r\n123456789"), State::kError);
  HttpResponseParser exact(limits);
  EXPECT_EQ(exact.Feed("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678"), State::kDone);
}

TEST(HttpResponseParserTest, KeepingBodiesNeedsACodingItCanUndo) {
  for (const char* te : {"gzip", "gzip, chunked", "chunked, gzip", "identity"}) {
    HttpResponseParser p;
    EXPECT_EQ(p.Feed(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: ") + te + "\r\n\r\n"),
              State::kError)
        << te;
    EXPECT_NE(p.error().find("unsupported transfer-encoding"), std::string::npos);
  }
}

// --- kDiscard: only the status and the framing matter ---------------------------------

TEST(HttpResponseParserTest, DiscardingFramesOtherCodingsByTheirLastOne) {
  HttpResponseParser p = Discarding();
  ASSERT_EQ(FeedBothWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                         "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n",
                         &p),
            State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_TRUE(p.reusable());
  // A coding other than chunked last is delimited by the close.
  p.Reset();
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz"), State::kNeedMore);
  EXPECT_EQ(p.FeedEof(), State::kDone);
  EXPECT_FALSE(p.reusable());
}

TEST(HttpResponseParserTest, DiscardingEndsOversizedBodiesEarlyWithoutReuse) {
  HttpResponseLimits limits;
  limits.max_body_bytes = 10;
  HttpResponseParser p = Discarding(limits);
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"), State::kDone);
  EXPECT_EQ(p.response().status, 200);
  EXPECT_FALSE(p.reusable());
  HttpResponseParser chunked = Discarding(limits);
  ASSERT_EQ(chunked.Feed("HTTP/1.1 503 X\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n"
                         "8\r\n"),
            State::kDone);
  EXPECT_EQ(chunked.response().status, 503);
  EXPECT_FALSE(chunked.reusable());
  HttpResponseParser until_close = Discarding(limits);
  ASSERT_EQ(until_close.Feed("HTTP/1.1 200 OK\r\n\r\n" + std::string(11, 'b')), State::kDone);
  EXPECT_FALSE(until_close.reusable());
  HttpResponseParser exact = Discarding(limits);
  ASSERT_EQ(exact.Feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"), State::kDone);
  EXPECT_TRUE(exact.reusable());
}

}  // namespace
}  // namespace cmq
