#include "common/http_response_parser.h"

#include <algorithm>
#include <optional>

#include "common/strings.h"

namespace cmq {
namespace {

// A chunk-size line (size, extensions) longer than this is an error.
constexpr size_t kMaxChunkLine = 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the comma-separated header value lists `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Exceeds(const char* what, size_t limit) {
  return std::string(what) + " exceed " + std::to_string(limit) + " bytes";
}

}  // namespace

const std::string* HttpResponse::Header(std::string_view lower_name) const {
  const std::string* found = nullptr;
  for (const auto& [name, value] : headers) {
    if (name == lower_name) found = &value;
  }
  return found;
}

HttpResponseParser::HttpResponseParser(HttpResponseLimits limits, HttpBodyMode mode)
    : limits_(limits), mode_(mode) {}

void HttpResponseParser::Reset() { *this = HttpResponseParser(limits_, mode_); }

std::string_view HttpResponseParser::remainder() const {
  if (state_ != State::kDone) return {};
  return std::string_view(buf_).substr(pos_);
}

bool HttpResponseParser::reusable() const {
  return state_ == State::kDone && response_.keep_alive && remainder().empty();
}

HttpResponseParser::State HttpResponseParser::Fail(std::string message) {
  state_ = State::kError;
  error_ = std::move(message);
  return state_;
}

HttpResponseParser::State HttpResponseParser::Finish() {
  phase_ = Phase::kDone;
  state_ = State::kDone;
  return state_;
}

HttpResponseParser::State HttpResponseParser::CutShort() {
  response_.keep_alive = false;
  return Finish();
}

HttpResponseParser::State HttpResponseParser::Feed(std::string_view data) {
  if (state_ != State::kNeedMore) {
    if (state_ == State::kDone) buf_.append(data);
    return state_;
  }
  if (data.empty()) return state_;
  started_ = true;
  // Compact lazily so that a long body arriving in small pieces stays linear.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data);
  return Advance();
}

HttpResponseParser::State HttpResponseParser::FeedEof() {
  if (state_ != State::kNeedMore) return state_;
  if (phase_ == Phase::kUntilClose) return CutShort();
  if (!started_) return Fail("connection closed before any response byte");
  return Fail("connection closed in the middle of the response");
}

bool HttpResponseParser::NextLine(std::string_view* line) {
  size_t nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) return false;
  std::string_view l(buf_.data() + pos_, nl - pos_);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  *line = l;
  pos_ = nl + 1;
  return true;
}

void HttpResponseParser::TakeBody(uint64_t limit) {
  size_t take = static_cast<size_t>(std::min<uint64_t>(limit, buf_.size() - pos_));
  if (mode_ == HttpBodyMode::kKeep) response_.body.append(buf_, pos_, take);
  pos_ += take;
  body_bytes_ += take;
}

bool HttpResponseParser::ParseHead(std::string_view head) {
  // Status line: HTTP/1.x SP 3DIGIT [SP reason]
  size_t eol = head.find('\n');
  std::string_view status_line = head.substr(0, eol);
  if (!status_line.empty() && status_line.back() == '\r') status_line.remove_suffix(1);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[7] < '0' ||
      status_line[7] > '9' || status_line[8] != ' ') {
    Fail("malformed status line");
    return false;
  }
  response_ = HttpResponse();
  response_.version_minor = status_line[7] - '0';
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') {
      Fail("malformed status code");
      return false;
    }
    status = status * 10 + (status_line[i] - '0');
  }
  if (status < 100 || (status_line.size() > 12 && status_line[12] != ' ')) {
    Fail("malformed status code");
    return false;
  }
  response_.status = status;
  if (status_line.size() > 13) response_.reason = std::string(status_line.substr(13));

  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      // Obsolete folding continues the previous field's value (RFC 9112 5.2).
      if (response_.headers.empty()) {
        Fail("folded line without a header to continue");
        return false;
      }
      std::string& value = response_.headers.back().second;
      std::string_view more = Trim(line);
      if (!more.empty()) value.append(value.empty() ? "" : " ").append(more);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      Fail("malformed header line");
      return false;
    }
    std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
      Fail("malformed header name");
      return false;
    }
    response_.headers.emplace_back(AsciiLower(name), std::string(Trim(line.substr(colon + 1))));
  }
  return true;
}

HttpResponseParser::State HttpResponseParser::StartBody() {
  const std::string* connection = response_.Header("connection");
  if (response_.version_minor == 0) {
    response_.keep_alive = connection && HasToken(*connection, "keep-alive");
  } else {
    response_.keep_alive = !(connection && HasToken(*connection, "close"));
  }
  std::optional<uint64_t> length;
  for (const auto& [name, value] : response_.headers) {
    if (name != "content-length") continue;
    std::optional<uint64_t> v = ParseUint64(Trim(value));
    if (!v || (length && *length != *v)) return Fail("invalid content-length");
    length = v;
  }
  if (no_body_ || response_.status == 204 || response_.status == 304) return Finish();
  bool keep = mode_ == HttpBodyMode::kKeep;
  if (const std::string* te = response_.Header("transfer-encoding")) {
    // A length next to a transfer coding is a smuggling hint: never reuse.
    if (length) response_.keep_alive = false;
    std::string_view codings = Trim(*te);
    size_t comma = codings.rfind(',');
    std::string_view last =
        Trim(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
    bool chunked = EqualsIgnoreCase(last, "chunked");
    // Only chunked alone frames a body that can be handed over as sent.
    if (keep && (!chunked || comma != std::string_view::npos)) {
      return Fail("unsupported transfer-encoding: " + *te);
    }
    if (chunked) {
      phase_ = Phase::kChunkSize;
      return state_;
    }
    response_.keep_alive = false;
    phase_ = Phase::kUntilClose;
    return state_;
  }
  if (length) {
    if (*length > limits_.max_body_bytes) {
      if (keep) return Fail(Exceeds("response body", limits_.max_body_bytes));
      return CutShort();
    }
    if (*length == 0) return Finish();
    remaining_ = *length;
    if (keep) response_.body.reserve(*length);
    phase_ = Phase::kFixedBody;
    return state_;
  }
  response_.keep_alive = false;
  phase_ = Phase::kUntilClose;
  return state_;
}

HttpResponseParser::State HttpResponseParser::Advance() {
  bool keep = mode_ == HttpBodyMode::kKeep;
  while (state_ == State::kNeedMore) {
    switch (phase_) {
      case Phase::kHead: {
        size_t end = buf_.find("\n\r\n", pos_);
        size_t end_len = 3;
        size_t bare = buf_.find("\n\n", pos_);
        if (bare != std::string::npos && (end == std::string::npos || bare < end)) {
          end = bare;
          end_len = 2;
        }
        size_t head_bytes = end == std::string::npos ? buf_.size() - pos_ : end + end_len - pos_;
        if (head_bytes > limits_.max_header_bytes) {
          return Fail(Exceeds("response headers", limits_.max_header_bytes));
        }
        if (end == std::string::npos) return state_;
        std::string_view head(buf_.data() + pos_, end + 1 - pos_);
        pos_ = end + end_len;
        if (!ParseHead(head)) return state_;
        if (response_.status < 200) {
          if (response_.status == 101) return Fail("unexpected protocol switch (101)");
          continue;  // interim response such as 100 Continue: the real one follows
        }
        StartBody();
        continue;
      }
      case Phase::kFixedBody: {
        uint64_t before = body_bytes_;
        TakeBody(remaining_);
        remaining_ -= body_bytes_ - before;
        if (remaining_ == 0) return Finish();
        return state_;
      }
      case Phase::kUntilClose: {
        uint64_t room = limits_.max_body_bytes - body_bytes_;
        if (buf_.size() - pos_ > room) {
          if (keep) return Fail(Exceeds("response body", limits_.max_body_bytes));
          TakeBody(room);  // up to the limit exactly, however the bytes arrived
          return CutShort();
        }
        TakeBody(UINT64_MAX);
        return state_;
      }
      case Phase::kChunkSize: {
        std::string_view line;
        size_t start = pos_;
        if (!NextLine(&line)) {
          if (buf_.size() - pos_ > kMaxChunkLine) return Fail("chunk size line too long");
          return state_;
        }
        // Measured like an incomplete line: every byte before the '\n'.
        if (pos_ - start - 1 > kMaxChunkLine) return Fail("chunk size line too long");
        std::string_view digits = Trim(line.substr(0, line.find(';')));
        if (digits.empty() || digits.size() > 15) return Fail("invalid chunk size");
        uint64_t size = 0;
        for (char c : digits) {
          int d = HexDigit(c);
          if (d < 0) return Fail("invalid chunk size");
          size = size * 16 + static_cast<uint64_t>(d);
        }
        if (size > limits_.max_body_bytes - body_bytes_) {
          if (keep) return Fail(Exceeds("response body", limits_.max_body_bytes));
          return CutShort();
        }
        remaining_ = size;
        phase_ = size == 0 ? Phase::kTrailers : Phase::kChunkData;
        continue;
      }
      case Phase::kChunkData: {
        uint64_t before = body_bytes_;
        TakeBody(remaining_);
        remaining_ -= body_bytes_ - before;
        if (remaining_ > 0) return state_;
        phase_ = Phase::kChunkDataEnd;
        continue;
      }
      case Phase::kChunkDataEnd: {
        std::string_view line;
        if (!NextLine(&line)) {
          if (buf_.size() - pos_ >= 2) return Fail("missing CRLF after chunk data");
          return state_;
        }
        if (!line.empty()) return Fail("missing CRLF after chunk data");
        phase_ = Phase::kChunkSize;
        continue;
      }
      case Phase::kTrailers: {
        std::string_view line;
        size_t before = pos_;
        if (!NextLine(&line)) {
          if (trailer_bytes_ + (buf_.size() - pos_) > limits_.max_header_bytes) {
            return Fail("response trailers too long");
          }
          return state_;
        }
        trailer_bytes_ += pos_ - before;
        if (trailer_bytes_ > limits_.max_header_bytes) return Fail("response trailers too long");
        if (line.empty()) return Finish();
        continue;  // trailer fields are ignored
      }
      case Phase::kDone:
        return state_;
    }
  }
  return state_;
}

}  // namespace cmq
