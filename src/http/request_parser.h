// Incremental HTTP/1.1 request parser (RFC 9112), written for a server that reads
// sockets in arbitrary pieces: feed bytes as they arrive, take complete requests out.
//
// Strict where leniency enables request smuggling or ambiguity (obs-fold, bare CR,
// invalid header names, Content-Length together with Transfer-Encoding, disagreeing
// Content-Length values) and lenient where real clients differ harmlessly (LF without
// CR ends a line, empty lines before a request line are skipped).
//
// Not thread-safe; one parser per connection. No allocation beyond the request's
// own strings and one buffer for a line split across reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/server.h"

namespace cmq::http {

struct ParserLimits {
  // Request line plus header section, line endings included (431 beyond; 414 when the
  // request line alone is longer). Trailers of a chunked body get the same budget.
  size_t max_header_bytes = 64 << 10;
  // De-chunked body size (413 beyond).
  size_t max_body_bytes = 4 << 20;
};

class RequestParser {
 public:
  enum class State {
    kNeedMore,  // feed more bytes
    kComplete,  // a whole request is ready: TakeRequest()
    kError,     // malformed or over a limit: error_status()/error_reason(); connection
                // must be closed after answering, the parser stays in this state
  };

  explicit RequestParser(ParserLimits limits = {});

  // Consumes a prefix of `data` and returns its length. Stops right after the end of
  // a request (the rest belongs to the next, pipelined one), at the first error, or
  // at the end of `data`. Consumes nothing unless state() is kNeedMore.
  size_t Feed(std::string_view data);

  State state() const { return state_; }
  // True once any byte of the current request other than leading empty lines has been
  // consumed (the connection is no longer idle).
  bool started() const;
  // True exactly once per request, when its header section is complete, it carries
  // "Expect: 100-continue" (HTTP/1.1), and its body is still to come. The server
  // should then send "HTTP/1.1 100 Continue" before waiting for the body.
  bool TakeContinueRequest();

  // In kError: 400, 413, 414, 431, 501 or 505, and a short English reason.
  int error_status() const { return error_status_; }
  std::string_view error_reason() const { return error_reason_; }

  // In kComplete: moves the request out and gets ready for the next one. `peer` is
  // left empty (the server knows it).
  Request TakeRequest();

  // Forgets any partial request and any error.
  void Reset();

 private:
  enum class Phase {
    kRequestLine,
    kHeaders,
    kBody,           // Content-Length body
    kChunkSize,
    kChunkData,
    kChunkDataEnd,   // CRLF after chunk data
    kTrailers,
    kDone,
  };
  enum class LineStatus { kLine, kNeedMore, kTooLong };

  // Takes one line (terminator removed) from [*p, end), buffering a partial line.
  // `limit` counts the line and its terminator, plus bytes buffered earlier.
  LineStatus TakeLine(const char** p, const char* end, size_t limit, std::string_view* line,
                      size_t* raw_size);
  bool ParseRequestLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line);
  bool ParseFieldLine(std::string_view line, std::string_view* name,
                      std::string_view* value);
  bool ParseContentLength(std::string_view value);
  bool ParseTransferEncoding(std::string_view value);
  void ParseConnection(std::string_view value);
  bool FinishHeaders();
  bool ParseChunkSize(std::string_view line);
  void Complete();
  bool Fail(int status, const char* reason);

  ParserLimits limits_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kRequestLine;
  int error_status_ = 0;
  const char* error_reason_ = "";

  Request request_;
  std::string partial_;     // a line split across Feed calls
  size_t header_bytes_ = 0;  // request line + headers, or trailers, consumed so far
  uint64_t remaining_ = 0;   // body bytes (kBody) or chunk bytes (kChunkData) to come

  bool has_content_length_ = false;
  uint64_t content_length_ = 0;
  bool has_transfer_encoding_ = false;
  int chunked_count_ = 0;
  bool chunked_not_last_ = false;
  bool other_coding_ = false;
  bool has_host_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  bool expect_continue_ = false;
  bool continue_pending_ = false;
};

}  // namespace cmq::http
