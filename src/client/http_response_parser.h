// Incremental HTTP/1.1 response parser: feed it bytes as they arrive, in any split,
// until it reports a complete response. Used by the blocking HttpConnection and by
// cmq-bench's many-socket long-poll driver, so it never does I/O itself.
//
// Handles status line and headers (1xx interim responses are skipped), bodies
// delimited by Content-Length, by chunked transfer coding (extensions and trailers
// ignored) or by the end of the connection, and responses that have no body (204,
// 304, and a response to HEAD when told so). Limits bound memory; anything malformed
// or over a limit is an error with a description, never a crash.
//
// Not thread-safe; one parser per connection, Reset() between responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cmq::client {

struct HttpResponse {
  int version_minor = 1;  // HTTP/1.x
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;                                           // de-chunked
  // False when the connection cannot carry another request after this response:
  // "Connection: close", HTTP/1.0 without "Connection: keep-alive", or a body that
  // ended with the connection.
  bool keep_alive = true;

  // The last header with this (lower-case) name, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

struct HttpParserLimits {
  size_t max_header_bytes = 64 << 10;  // status line + headers (+ trailers)
  size_t max_body_bytes = 64 << 20;
};

class HttpResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit HttpResponseParser(HttpParserLimits limits = {});

  // Takes the next bytes of the stream. Once kDone, bytes beyond the response are kept
  // (see remainder()); once kDone or kError, further calls return the same state.
  State Feed(std::string_view data);
  // The peer closed the connection. Completes a body delimited by the close; any other
  // unfinished response becomes kError.
  State FeedEof();
  // The request was HEAD: the response has no body whatever its headers say. Call
  // before feeding.
  void set_no_body() { no_body_ = true; }

  State state() const { return state_; }
  // Any byte of the response has been received (tells a stale keep-alive connection,
  // closed before answering, from a response cut short).
  bool started() const { return started_; }
  const std::string& error() const { return error_; }
  HttpResponse& response() { return response_; }
  // Bytes received after the end of the response.
  std::string_view remainder() const;
  // Ready for the next response on the same connection (drops any remainder).
  void Reset();

 private:
  enum class Phase { kHead, kFixedBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers,
                     kUntilClose, kDone };

  State Fail(std::string message);
  State Advance();
  bool ParseHead(std::string_view head);
  // Next line ending in "\n" from pos_ (without "\r\n"); false if incomplete.
  bool NextLine(std::string_view* line);
  void Finish();

  HttpParserLimits limits_;
  bool no_body_ = false;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kHead;
  bool started_ = false;
  std::string error_;
  std::string buf_;  // unconsumed input starts at pos_
  size_t pos_ = 0;
  uint64_t remaining_ = 0;  // bytes left in the fixed body or current chunk
  size_t trailer_bytes_ = 0;
  HttpResponse response_;
};

}  // namespace cmq::client
