// ResponseParser: incremental HTTP/1.x response parser for push outcomes. It keeps
// the status code and what decides connection reuse; body bytes are counted and
// dropped (the outcome of a push is its status alone, 9.5).
//
// Framing: Content-Length, chunked (extensions and trailers skipped) or, without
// either, until the peer closes. 1xx interim responses are skipped (101 is an error:
// nothing asked to switch protocols); 204 and 304 have no body. Lines may end in CRLF
// or a bare LF.
//
// Limits: the status line plus headers may take max_header_bytes (error beyond). A
// body longer than max_body_bytes is not read: the response is complete as soon as
// that is known, and the connection is marked not reusable.
//
// Not thread-safe; one parser per connection, Reset() between responses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cmq::delivery {

struct ResponseLimits {
  size_t max_header_bytes = 64 << 10;
  size_t max_body_bytes = 1 << 20;
};

class ResponseParser {
 public:
  enum class State { kNeedMore, kDone, kError };

  explicit ResponseParser(ResponseLimits limits = {}) : limits_(limits) {}

  // Consumes `data`. Bytes after a complete response make the connection not
  // reusable (a server has no business sending them). Once kDone or kError, further
  // input is ignored and the state stays.
  State Feed(std::string_view data);
  // The peer closed the connection: completes a close-delimited body, otherwise the
  // response is truncated (kError). Idempotent once finished.
  State FinishOnEof();
  void Reset();

  State state() const { return state_; }
  // Valid once kDone.
  int status() const { return status_; }
  // True when the connection may carry another request after this response.
  bool reusable() const { return state_ == State::kDone && keep_alive_; }
  // Whether any byte of a response has arrived (a reused connection that closes
  // before that was stale, not an answer).
  bool started() const { return started_; }
  // Why kError happened.
  const std::string& error() const { return error_; }

 private:
  enum class Phase {
    kStatusLine, kHeaders, kFixedBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers,
    kBodyUntilClose, kFinished
  };

  State Fail(std::string why);
  State Done();
  // Appends to the current line; true when a full line is in line_ (terminator
  // stripped). Advances *pos past what it used.
  bool TakeLine(std::string_view data, size_t* pos, size_t limit);
  bool ParseStatusLine();
  bool ParseHeader();
  // Called at the blank line that ends the head.
  State EndOfHead();
  bool ParseChunkSize(uint64_t* size);

  ResponseLimits limits_;
  State state_ = State::kNeedMore;
  Phase phase_ = Phase::kStatusLine;
  std::string line_;
  std::string error_;
  size_t head_bytes_ = 0;
  int status_ = 0;
  int version_minor_ = 1;
  bool keep_alive_ = true;
  bool started_ = false;
  bool chunked_ = false;
  bool has_length_ = false;
  bool has_transfer_encoding_ = false;
  uint64_t content_length_ = 0;
  uint64_t remaining_ = 0;  // of the fixed body or the current chunk
  uint64_t body_bytes_ = 0;
};

}  // namespace cmq::delivery
