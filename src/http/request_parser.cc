#include "http/request_parser.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace cmq::http {
namespace {

// Bytes allowed in a chunk-size line (size, extensions, terminator). Extensions carry
// nothing we use; the cap keeps a hostile client from streaming one forever.
constexpr size_t kMaxChunkLine = 4096;
// Body capacity reserved up front from Content-Length. Larger bodies grow by doubling,
// so a client announcing many large bodies cannot pin memory it never sends.
constexpr size_t kMaxReserve = 1 << 20;

constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTokenChar = MakeTokenTable();

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenChar[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// field-value characters: VCHAR, obs-text, SP, HTAB. Rejects CR, LF, NUL and other
// controls.
bool IsFieldValue(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// request-target characters: anything visible, obs-text tolerated (some clients send
// raw UTF-8 in the query).
bool IsTarget(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower[i]) return false;
  }
  return true;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls fn(element) for each trimmed, non-empty element of a comma-separated list;
// stops early when fn returns false. Returns false if it stopped early.
template <typename Fn>
bool ForEachListElement(std::string_view value, Fn fn) {
  while (true) {
    size_t comma = value.find(',');
    std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

bool RequestParser::started() const {
  return phase_ != Phase::kRequestLine || !partial_.empty();
}

bool RequestParser::TakeContinueRequest() {
  return std::exchange(continue_pending_, false);
}

bool RequestParser::Fail(int status, const char* reason) {
  state_ = State::kError;
  error_status_ = status;
  error_reason_ = reason;
  continue_pending_ = false;
  return false;
}

void RequestParser::Reset() {
  state_ = State::kNeedMore;
  phase_ = Phase::kRequestLine;
  error_status_ = 0;
  error_reason_ = "";
  request_ = Request();
  // A huge header line should not stay pinned to an idle connection.
  if (partial_.capacity() > 1024) {
    std::string().swap(partial_);
  } else {
    partial_.clear();
  }
  header_bytes_ = 0;
  remaining_ = 0;
  has_content_length_ = false;
  content_length_ = 0;
  has_transfer_encoding_ = false;
  chunked_count_ = 0;
  chunked_not_last_ = false;
  other_coding_ = false;
  has_host_ = false;
  connection_close_ = false;
  connection_keep_alive_ = false;
  expect_continue_ = false;
  continue_pending_ = false;
}

Request RequestParser::TakeRequest() {
  Request out = std::move(request_);
  Reset();
  return out;
}

RequestParser::LineStatus RequestParser::TakeLine(const char** p, const char* end,
                                                  size_t limit, std::string_view* line,
                                                  size_t* raw_size) {
  const char* start = *p;
  size_t avail = static_cast<size_t>(end - start);
  const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
  if (nl == nullptr) {
    // The line still needs its '\n', so reaching the limit already is too long.
    if (partial_.size() + avail >= limit) return LineStatus::kTooLong;
    partial_.append(start, avail);
    *p = end;
    return LineStatus::kNeedMore;
  }
  size_t n = static_cast<size_t>(nl - start);
  *raw_size = partial_.size() + n + 1;
  if (*raw_size > limit) return LineStatus::kTooLong;
  if (partial_.empty()) {
    *line = std::string_view(start, n);
  } else {
    partial_.append(start, n);
    *line = partial_;
  }
  *p = nl + 1;
  // CRLF or a lone LF ends a line; any other CR is rejected by the character checks.
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return LineStatus::kLine;
}

size_t RequestParser::Feed(std::string_view data) {
  if (state_ != State::kNeedMore) return 0;
  const char* p = data.data();
  const char* const end = p + data.size();
  std::string_view line;
  size_t raw = 0;
  while (p < end && state_ == State::kNeedMore) {
    switch (phase_) {
      case Phase::kRequestLine: {
        LineStatus st = TakeLine(&p, end, limits_.max_header_bytes, &line, &raw);
        if (st == LineStatus::kTooLong) {
          Fail(414, "request line too long");
          break;
        }
        if (st == LineStatus::kNeedMore) break;
        // Empty lines before a request line are allowed (RFC 9112 2.2), e.g. a stray
        // CRLF after the previous request's body; they do not count as a start.
        if (!line.empty()) {
          header_bytes_ = raw;
          if (ParseRequestLine(line)) phase_ = Phase::kHeaders;
        }
        partial_.clear();
        break;
      }
      case Phase::kHeaders: {
        LineStatus st =
            TakeLine(&p, end, limits_.max_header_bytes - header_bytes_, &line, &raw);
        if (st == LineStatus::kTooLong) {
          Fail(431, "request header section too large");
          break;
        }
        if (st == LineStatus::kNeedMore) break;
        header_bytes_ += raw;
        if (line.empty()) {
          FinishHeaders();
        } else {
          ParseHeaderLine(line);
        }
        partial_.clear();
        break;
      }
      case Phase::kBody: {
        size_t take = static_cast<size_t>(
            std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p)));
        request_.body.append(p, take);
        p += take;
        remaining_ -= take;
        if (remaining_ == 0) Complete();
        break;
      }
      case Phase::kChunkSize: {
        LineStatus st = TakeLine(&p, end, kMaxChunkLine, &line, &raw);
        if (st == LineStatus::kTooLong) {
          Fail(400, "chunk size line too long");
          break;
        }
        if (st == LineStatus::kNeedMore) break;
        ParseChunkSize(line);
        partial_.clear();
        break;
      }
      case Phase::kChunkData: {
        size_t take = static_cast<size_t>(
            std::min<uint64_t>(remaining_, static_cast<uint64_t>(end - p)));
        request_.body.append(p, take);
        p += take;
        remaining_ -= take;
        if (remaining_ == 0) phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkDataEnd: {
        LineStatus st = TakeLine(&p, end, 2, &line, &raw);
        if (st == LineStatus::kNeedMore) break;
        if (st == LineStatus::kTooLong || !line.empty()) {
          Fail(400, "chunk data not followed by CRLF");
          break;
        }
        phase_ = Phase::kChunkSize;
        partial_.clear();
        break;
      }
      case Phase::kTrailers: {
        LineStatus st =
            TakeLine(&p, end, limits_.max_header_bytes - header_bytes_, &line, &raw);
        if (st == LineStatus::kTooLong) {
          Fail(431, "trailer section too large");
          break;
        }
        if (st == LineStatus::kNeedMore) break;
        header_bytes_ += raw;
        if (line.empty()) {
          Complete();
        } else {
          // Trailers are checked like headers and then dropped: nothing in CMQ uses them
          // and merging them into the headers would let them override framing fields.
          std::string_view name, value;
          ParseFieldLine(line, &name, &value);
        }
        partial_.clear();
        break;
      }
      case Phase::kDone:
        return static_cast<size_t>(p - data.data());
    }
  }
  return static_cast<size_t>(p - data.data());
}

bool RequestParser::ParseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view method = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return Fail(400, "malformed request line");
  std::string_view target = rest.substr(0, sp2);
  std::string_view version = rest.substr(sp2 + 1);
  if (!IsToken(method)) return Fail(400, "invalid method");
  if (!IsTarget(target)) return Fail(400, "invalid request target");
  if (version == "HTTP/1.1") {
    request_.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    request_.version_minor = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return Fail(505, "HTTP version not supported");
  } else {
    return Fail(400, "malformed HTTP version");
  }
  request_.method.assign(method);
  request_.target.assign(target);
  return true;
}

bool RequestParser::ParseFieldLine(std::string_view line, std::string_view* name,
                                   std::string_view* value) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(400, "obsolete header line folding");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Fail(400, "header line without colon");
  *name = line.substr(0, colon);
  // Also rejects whitespace between the name and the colon (RFC 9112 5.1).
  if (!IsToken(*name)) return Fail(400, "invalid header name");
  *value = TrimOws(line.substr(colon + 1));
  if (!IsFieldValue(*value)) return Fail(400, "invalid character in header value");
  return true;
}

bool RequestParser::ParseHeaderLine(std::string_view line) {
  std::string_view name, value;
  if (!ParseFieldLine(line, &name, &value)) return false;
  if (request_.headers.empty()) request_.headers.reserve(12);
  std::string lower(name.size(), '\0');
  for (size_t i = 0; i < name.size(); ++i) lower[i] = Lower(name[i]);
  std::string_view n = lower;
  if (n == "content-length") {
    if (!ParseContentLength(value)) return false;
  } else if (n == "transfer-encoding") {
    if (!ParseTransferEncoding(value)) return false;
  } else if (n == "host") {
    if (has_host_) return Fail(400, "more than one Host header");
    has_host_ = true;
    request_.host.assign(value);
  } else if (n == "connection") {
    ParseConnection(value);
  } else if (n == "expect") {
    // Other expectations are ignored rather than refused with 417: no client we serve
    // sends them, and ignoring is what most servers do.
    if (EqualsLower(value, "100-continue")) expect_continue_ = true;
  }
  request_.headers.emplace_back(std::move(lower), std::string(value));
  return true;
}

bool RequestParser::ParseContentLength(std::string_view value) {
  bool ok = true;
  bool any = false;
  ForEachListElement(value, [&](std::string_view element) {
    uint64_t v = 0;
    for (char c : element) {
      if (c < '0' || c > '9') return ok = false;
      // Saturate: a syntactically valid but absurd length is "too large", not "bad".
      v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (has_content_length_ && v != content_length_) return ok = false;
    has_content_length_ = true;
    content_length_ = v;
    any = true;
    return true;
  });
  if (!ok || !any) return Fail(400, "invalid Content-Length");
  return true;
}

bool RequestParser::ParseTransferEncoding(std::string_view value) {
  has_transfer_encoding_ = true;
  ForEachListElement(value, [&](std::string_view element) {
    if (EqualsLower(element, "chunked")) {
      ++chunked_count_;
    } else {
      if (chunked_count_ > 0) chunked_not_last_ = true;
      other_coding_ = true;
    }
    return true;
  });
  return true;
}

void RequestParser::ParseConnection(std::string_view value) {
  ForEachListElement(value, [&](std::string_view element) {
    if (EqualsLower(element, "close")) connection_close_ = true;
    if (EqualsLower(element, "keep-alive")) connection_keep_alive_ = true;
    return true;
  });
}

bool RequestParser::FinishHeaders() {
  request_.keep_alive = request_.version_minor >= 1 ? !connection_close_
                                                    : connection_keep_alive_ && !connection_close_;
  if (has_transfer_encoding_) {
    // RFC 9112 6.1 and 6.3: framing that cannot be determined reliably is an error.
    if (request_.version_minor == 0) return Fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (has_content_length_) return Fail(400, "both Content-Length and Transfer-Encoding");
    if (chunked_count_ != 1 || chunked_not_last_) {
      return Fail(400, "chunked must be the final transfer coding, once");
    }
    if (other_coding_) return Fail(501, "unsupported transfer coding");
    phase_ = Phase::kChunkSize;
    header_bytes_ = 0;  // from now on: trailer budget
  } else if (has_content_length_ && content_length_ > 0) {
    if (content_length_ > limits_.max_body_bytes) return Fail(413, "request body too large");
    request_.body.reserve(static_cast<size_t>(std::min<uint64_t>(content_length_, kMaxReserve)));
    remaining_ = content_length_;
    phase_ = Phase::kBody;
  } else {
    Complete();
    return true;
  }
  continue_pending_ = expect_continue_ && request_.version_minor >= 1;
  return true;
}

bool RequestParser::ParseChunkSize(std::string_view line) {
  size_t i = 0;
  uint64_t size = 0;
  while (i < line.size() && HexValue(line[i]) >= 0) {
    size = size * 16 + static_cast<uint64_t>(HexValue(line[i]));
    // Checked per digit, so the value never overflows.
    if (size > limits_.max_body_bytes) return Fail(413, "request body too large");
    ++i;
  }
  if (i == 0) return Fail(400, "invalid chunk size");
  std::string_view rest = TrimOws(line.substr(i));
  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): content is ignored, only
  // its characters are checked.
  if (!rest.empty() && (rest.front() != ';' || !IsFieldValue(rest))) {
    return Fail(400, "invalid chunk extension");
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
    return true;
  }
  if (request_.body.size() + size > limits_.max_body_bytes) {
    return Fail(413, "request body too large");
  }
  remaining_ = size;
  phase_ = Phase::kChunkData;
  return true;
}

void RequestParser::Complete() {
  const std::string& target = request_.target;
  size_t q = target.find('?');
  if (q == std::string::npos) {
    request_.path = target;
    request_.query.clear();
  } else {
    request_.path.assign(target, 0, q);
    request_.query.assign(target, q + 1);
  }
  state_ = State::kComplete;
  phase_ = Phase::kDone;
  continue_pending_ = false;
}

}  // namespace cmq::http
