// Incremental HTTP/1.x response parser: feed it bytes as they arrive, in any split,
// until it reports a complete response. It never does I/O itself. The one response
// parser of the project: the client transport (libcmq's HttpConnection, cmq-bench's
// long-poll driver, the black-box tests' raw connections) keeps bodies; the pusher
// only needs the status and whether the connection can be reused, so it discards
// them (HttpBodyMode).
//
// Handles the status line and headers (1xx interim responses are skipped; 101 is an
// error, nothing asked to switch protocols; obsolete line folding is unfolded into
// one space, RFC 9112 5.2), bodies delimited by Content-Length, by chunked transfer
// coding (extensions and trailers ignored) or by the end of the connection, and
// responses that have no body (204, 304, and a response to HEAD when told so). Lines
// may end in CRLF or a bare LF. Transfer-Encoding wins over Content-Length (and the
// connection is then not reused: the pair hints at smuggling). Limits bound memory;
// anything malformed or over a limit is an error with a description, never a crash.
//
// Not thread-safe; one parser per connection, Reset() between responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cmq {

struct HttpResponse {
  int version_minor = 1;  // HTTP/1.x
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;  // de-chunked; empty in HttpBodyMode::kDiscard
  // False when the connection cannot carry another request after this response:
  // "Connection: close", HTTP/1.0 without "Connection: keep-alive", a body that ended
  // with the connection or was not read to its end, Transfer-Encoding together with
  // Content-Length.
  bool keep_alive = true;

  // The last header with this (lower-case) name, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

struct HttpResponseLimits {
  size_t max_header_bytes = 64 << 10;  // status line + headers; trailers separately
  size_t max_body_bytes = 64 << 20;
};

enum class HttpBodyMode {
  // The body is kept in response().body. A body over max_body_bytes is an error, and
  // so is a transfer coding other than "chunked" alone (it could not be decoded).
  kKeep,
  // The body is counted and dropped. Once it is known to exceed max_body_bytes the
  // response is complete at once, and not keep_alive (the rest is never read); other
  // transfer codings are read until the connection closes.
  kDiscard,
};

class HttpResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit HttpResponseParser(HttpResponseLimits limits = {},
                              HttpBodyMode mode = HttpBodyMode::kKeep);

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
  const HttpResponse& response() const { return response_; }
  // Bytes received after the end of the response.
  std::string_view remainder() const;
  // Complete, keep_alive, and nothing received after it (a server that sends bytes
  // nobody asked for is confused): the connection may carry the next request.
  bool reusable() const;
  // Ready for the next response on the same connection (drops any remainder).
  void Reset();

 private:
  enum class Phase {
    kHead,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kUntilClose,
    kDone
  };

  State Fail(std::string message);
  State Finish();
  // The body will not be read to its end (kDiscard over the limit): complete now.
  State CutShort();
  State Advance();
  // After the blank line ending a final response's head: picks the body framing.
  State StartBody();
  bool ParseHead(std::string_view head);
  // Next line ending in "\n" from pos_ (without "\r\n"); false if incomplete.
  bool NextLine(std::string_view* line);
  // Takes up to `limit` bytes of body from the buffer.
  void TakeBody(uint64_t limit);

  HttpResponseLimits limits_;
  HttpBodyMode mode_;
  bool no_body_ = false;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kHead;
  bool started_ = false;
  std::string error_;
  std::string buf_;  // unconsumed input starts at pos_
  size_t pos_ = 0;
  uint64_t remaining_ = 0;   // bytes left in the fixed body or current chunk
  uint64_t body_bytes_ = 0;  // received so far (kept or not)
  size_t trailer_bytes_ = 0;
  HttpResponse response_;
};

}  // namespace cmq
