#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

namespace cmq::http {
namespace {

struct Outcome {
  std::vector<Request> requests;
  RequestParser::State state = RequestParser::State::kNeedMore;
  int error_status = 0;
  int continues = 0;
  bool started = false;  // at the end of input
};

// Feeds `input` in pieces whose sizes come from `next_size`.
Outcome Parse(std::string_view input, const std::function<size_t()>& next_size,
              ParserLimits limits = {}) {
  Outcome out;
  RequestParser parser(limits);
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, std::max<size_t>(1, next_size()));
    pos += piece.size();
    size_t off = 0;
    while (off < piece.size()) {
      size_t used = parser.Feed(piece.substr(off));
      off += used;
      if (parser.TakeContinueRequest()) ++out.continues;
      if (parser.state() == RequestParser::State::kComplete) {
        out.requests.push_back(parser.TakeRequest());
      } else if (parser.state() == RequestParser::State::kError) {
        out.state = RequestParser::State::kError;
        out.error_status = parser.error_status();
        EXPECT_FALSE(parser.error_reason().empty());
        EXPECT_EQ(parser.Feed("more"), 0u);  // errors are sticky
        return out;
      } else {
        EXPECT_EQ(off, piece.size()) << "kNeedMore must consume everything";
      }
    }
  }
  out.state = parser.state();
  out.started = parser.started();
  return out;
}

Outcome ParseWhole(std::string_view input, ParserLimits limits = {}) {
  return Parse(input, [&] { return input.size(); }, limits);
}

void ExpectSameRequest(const Request& a, const Request& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.query, b.query);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.version_minor, b.version_minor);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
}

void ExpectSameOutcome(const Outcome& a, const Outcome& b) {
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.error_status, b.error_status);
  ASSERT_EQ(a.requests.size(), b.requests.size());
  for (size_t i = 0; i < a.requests.size(); ++i) ExpectSameRequest(a.requests[i], b.requests[i]);
}

// Parses whole, byte by byte and in random splits; all must agree. Returns the first.
Outcome ParseAllWays(std::string_view input, ParserLimits limits = {}) {
  Outcome whole = ParseWhole(input, limits);
  {
    SCOPED_TRACE("byte by byte");
    ExpectSameOutcome(whole, Parse(input, [] { return size_t{1}; }, limits));
  }
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("random split, seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<size_t> dist(1, 17);
    ExpectSameOutcome(whole, Parse(input, [&] { return dist(rng); }, limits));
  }
  return whole;
}

const Request& Only(const Outcome& o) {
  EXPECT_EQ(o.state, RequestParser::State::kNeedMore);
  EXPECT_EQ(o.requests.size(), 1u);
  static const Request empty;
  return o.requests.empty() ? empty : o.requests[0];
}

int ErrorOf(std::string_view input, ParserLimits limits = {}) {
  Outcome o = ParseAllWays(input, limits);
  EXPECT_EQ(o.state, RequestParser::State::kError) << input;
  return o.error_status;
}

TEST(RequestParserTest, GetWithQuery) {
  Outcome o = ParseAllWays(
      "GET /v2/index.php?Action=ListQueue&Nonce=1 HTTP/1.1\r\n"
      "Host: cmq-queue-gz.api.qcloud.com:8080\r\n"
      "User-Agent: test\r\n\r\n");
  const Request& r = Only(o);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/v2/index.php?Action=ListQueue&Nonce=1");
  EXPECT_EQ(r.path, "/v2/index.php");
  EXPECT_EQ(r.query, "Action=ListQueue&Nonce=1");
  EXPECT_EQ(r.host, "cmq-queue-gz.api.qcloud.com:8080");
  EXPECT_EQ(r.version_minor, 1);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.body, "");
  ASSERT_NE(r.Header("user-agent"), nullptr);
  EXPECT_EQ(*r.Header("user-agent"), "test");
  EXPECT_EQ(r.Header("missing"), nullptr);
}

TEST(RequestParserTest, PostWithFormBody) {
  std::string body = "Action=SendMessage&queueName=q1&msgBody=hello%20world";
  Outcome o = ParseAllWays("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n" + body);
  const Request& r = Only(o);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(r.body, body);
  EXPECT_FALSE(o.started);
}

TEST(RequestParserTest, HeaderNamesLowerCasedValuesTrimmed) {
  Outcome o = ParseAllWays(
      "GET / HTTP/1.1\r\nX-Custom-HEADER: \t value with  spaces \t\r\nEmpty:\r\n"
      "Obs: caf\xc3\xa9\r\n\r\n");
  const Request& r = Only(o);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].first, "x-custom-header");
  EXPECT_EQ(r.headers[0].second, "value with  spaces");
  EXPECT_EQ(r.headers[1].first, "empty");
  EXPECT_EQ(r.headers[1].second, "");
  EXPECT_EQ(r.headers[2].second, "caf\xc3\xa9");
  EXPECT_EQ(r.host, "");
}

TEST(RequestParserTest, KeepAliveRules) {
  auto keep_alive = [](std::string_view version, std::string_view connection) {
    std::string req = "GET / " + std::string(version) + "\r\n";
    if (!connection.empty()) req += "Connection: " + std::string(connection) + "\r\n";
    req += "\r\n";
    Outcome o = ParseAllWays(req);
    return Only(o).keep_alive;
  };
  EXPECT_TRUE(keep_alive("HTTP/1.1", ""));
  EXPECT_TRUE(keep_alive("HTTP/1.1", "Keep-Alive"));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "close"));
  EXPECT_FALSE(keep_alive("HTTP/1.1", "Upgrade, CLOSE"));
  EXPECT_FALSE(keep_alive("HTTP/1.0", ""));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "keep-alive"));
  EXPECT_TRUE(keep_alive("HTTP/1.0", "Keep-Alive"));
  EXPECT_FALSE(keep_alive("HTTP/1.0", "keep-alive, close"));
}

TEST(RequestParserTest, ChunkedBodyWithExtensionsAndTrailers) {
  Outcome o = ParseAllWays(
      "POST /v2/index.php HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "7\r\nAction=\r\n"
      "A;name=value;quoted=\"a b\"\r\nSendMessag\r\n"
      "0001\r\ne\r\n"
      "0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n");
  const Request& r = Only(o);
  EXPECT_EQ(r.body, "Action=SendMessage");
  // Trailers are dropped, never merged into the headers.
  EXPECT_EQ(r.Header("x-trailer"), nullptr);
  ASSERT_NE(r.Header("transfer-encoding"), nullptr);
}

TEST(RequestParserTest, ChunkedEmptyBodyAndTransferCodingCase) {
  Outcome o = ParseAllWays("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(Only(o).body, "");
}

TEST(RequestParserTest, PipelinedRequestsComeOutInOrder) {
  std::string input =
      "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
      "GET /b?x=1 HTTP/1.1\r\n\r\n"
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
      "GET /d HTTP/1.0\r\n\r\n";
  Outcome o = ParseAllWays(input);
  ASSERT_EQ(o.requests.size(), 4u);
  EXPECT_EQ(o.requests[0].target, "/a");
  EXPECT_EQ(o.requests[0].body, "abc");
  EXPECT_EQ(o.requests[1].target, "/b?x=1");
  EXPECT_EQ(o.requests[2].body, "hi");
  EXPECT_EQ(o.requests[3].version_minor, 0);
  EXPECT_FALSE(o.requests[3].keep_alive);
}

TEST(RequestParserTest, FeedStopsAtTheEndOfARequest) {
  RequestParser parser;
  std::string_view two = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
  size_t used = parser.Feed(two);
  EXPECT_EQ(used, two.size() / 2);
  ASSERT_EQ(parser.state(), RequestParser::State::kComplete);
  EXPECT_EQ(parser.Feed(two.substr(used)), 0u);  // nothing until the request is taken
  EXPECT_EQ(parser.TakeRequest().target, "/1");
  EXPECT_EQ(parser.Feed(two.substr(used)), two.size() / 2);
  EXPECT_EQ(parser.TakeRequest().target, "/2");
}

TEST(RequestParserTest, EmptyLinesBeforeRequestAreSkippedAndNotAStart) {
  RequestParser parser;
  parser.Feed("\r\n\r\n\n");
  EXPECT_FALSE(parser.started());
  parser.Feed("G");
  EXPECT_TRUE(parser.started());
  parser.Feed("ET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(parser.state(), RequestParser::State::kComplete);
  EXPECT_EQ(parser.TakeRequest().method, "GET");
  EXPECT_FALSE(parser.started());
}

TEST(RequestParserTest, BareLineFeedsAreAccepted) {
  Outcome o = ParseAllWays("POST / HTTP/1.1\nContent-Length: 2\nHost: x\n\nok");
  EXPECT_EQ(Only(o).body, "ok");
  EXPECT_EQ(Only(o).host, "x");
}

TEST(RequestParserTest, ExpectContinue) {
  Outcome o = ParseAllWays(
      "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok"
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
      // No body: nothing to wait for. HTTP/1.0: expectations do not apply.
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"
      "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(o.requests.size(), 4u);
  EXPECT_EQ(o.continues, 0);  // each body arrived with its headers
  std::string input =
      "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok"
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
      "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n"
      "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx";
  EXPECT_EQ(Parse(input, [] { return size_t{1}; }).continues, 2);
}

TEST(RequestParserTest, NoContinueRequestedWhenBodyArrivedWithHeaders) {
  RequestParser parser;
  parser.Feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(parser.state(), RequestParser::State::kComplete);
  EXPECT_FALSE(parser.TakeContinueRequest());
}

TEST(RequestParserTest, DuplicateContentLengthThatAgrees) {
  Outcome twice =
      ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(Only(twice).body, "ok");
  EXPECT_EQ(Only(ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nok")).body, "ok");
}

TEST(RequestParserTest, BadRequestLines) {
  EXPECT_EQ(ErrorOf("GET /\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1 \r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("G(T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / http/1.1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.10\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("\x16\x03\x01\x02\x01\xfc\x03\x03\r\n"), 400);  // TLS hello
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.2\r\n\r\n"), 505);
  EXPECT_EQ(ErrorOf("GET / HTTP/0.9\r\n\r\n"), 505);
}

TEST(RequestParserTest, BadHeaderLines) {
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n\tA: 1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: 1\r2\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA: 1\r\r\n\r\n"), 400);
  constexpr char kNul[] = "GET / HTTP/1.1\r\nA: 1\0002\r\n\r\n";
  EXPECT_EQ(ErrorOf(std::string(kNul, sizeof(kNul) - 1)), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA : 1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nA@b: 1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n: 1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(RequestParserTest, HeaderSectionLimit) {
  ParserLimits limits;
  limits.max_header_bytes = 100;
  std::string line = "GET / HTTP/1.1\r\n";         // 16 bytes
  std::string fill = "X: " + std::string(77, 'a') + "\r\n";  // 82 bytes
  // Exactly at the limit: 16 + 82 + 2.
  EXPECT_EQ(Only(ParseAllWays(line + fill + "\r\n", limits)).headers.size(), 1u);
  std::string fill2 = "X: " + std::string(78, 'a') + "\r\n";
  EXPECT_EQ(ErrorOf(line + fill2 + "\r\n", limits), 431);
  // A header line that never ends is refused as soon as it passes the limit.
  EXPECT_EQ(ErrorOf(line + "X: " + std::string(200, 'a'), limits), 431);
  EXPECT_EQ(ErrorOf("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n", limits), 414);
  EXPECT_EQ(ErrorOf("GET /" + std::string(200, 'a'), limits), 414);
}

TEST(RequestParserTest, BadContentLength) {
  for (const char* v : {"abc", "-1", "+5", "5 5", "", "0x10", "5,6", "1.0"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: " + std::string(v) + "\r\n\r\n"), 400);
  }
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"), 400);
}

TEST(RequestParserTest, BodyTooLarge) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(Only(ParseAllWays("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789", limits))
                .body.size(),
            10u);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits), 413);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n"), 413);
  // Chunked: one big chunk, or many small ones adding up.
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n", limits), 413);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "ffffffffffffffffffffffff\r\n",
                    limits),
            413);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "6\r\n012345\r\n5\r\n01234\r\n",
                    limits),
            413);
}

TEST(RequestParserTest, TransferEncodingErrors) {
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

TEST(RequestParserTest, MalformedChunks) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(ErrorOf(head + "zz\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "2 x\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "2;a\x01\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "2\r\nabc\r\n"), 400);  // data longer than announced
  EXPECT_EQ(ErrorOf(head + "2;" + std::string(5000, 'e') + "\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "0\r\nbad trailer\r\n\r\n"), 400);
  ParserLimits limits;
  limits.max_header_bytes = 100;
  EXPECT_EQ(ErrorOf(head + "0\r\nT: " + std::string(200, 'a') + "\r\n\r\n", limits), 431);
}

}  // namespace
}  // namespace cmq::http
