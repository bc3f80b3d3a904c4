#include "delivery/response_parser.h"

#include <algorithm>

#include "common/strings.h"

namespace cmq::delivery {
namespace {

constexpr size_t kMaxChunkLine = 1024;

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` contains `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimOws(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view LastToken(std::string_view value) {
  size_t comma = value.rfind(',');
  return TrimOws(comma == std::string_view::npos ? value : value.substr(comma + 1));
}

}  // namespace

void ResponseParser::Reset() { *this = ResponseParser(limits_); }

ResponseParser::State ResponseParser::Fail(std::string why) {
  error_ = std::move(why);
  phase_ = Phase::kFinished;
  state_ = State::kError;
  return state_;
}

ResponseParser::State ResponseParser::Done() {
  phase_ = Phase::kFinished;
  state_ = State::kDone;
  return state_;
}

bool ResponseParser::TakeLine(std::string_view data, size_t* pos, size_t limit) {
  size_t nl = data.find('\n', *pos);
  size_t end = nl == std::string_view::npos ? data.size() : nl;
  line_.append(data.substr(*pos, end - *pos));
  *pos = nl == std::string_view::npos ? data.size() : nl + 1;
  if (line_.size() > limit) return false;
  if (nl == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

bool ResponseParser::ParseStatusLine() {
  // HTTP/1.x SP 3DIGIT [SP reason]
  std::string_view l = line_;
  if (l.size() < 12 || l.substr(0, 7) != "HTTP/1." || l[7] < '0' || l[7] > '9' || l[8] != ' ') {
    return false;
  }
  for (int i = 9; i < 12; ++i) {
    if (l[i] < '0' || l[i] > '9') return false;
  }
  if (l.size() > 12 && l[12] != ' ') return false;
  version_minor_ = l[7] - '0';
  status_ = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
  if (status_ < 100) return false;
  keep_alive_ = version_minor_ >= 1;
  return true;
}

bool ResponseParser::ParseHeader() {
  std::string_view l = line_;
  if (l.front() == ' ' || l.front() == '\t') return true;  // obsolete folding: ignored
  size_t colon = l.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view name = l.substr(0, colon);
  std::string_view value = TrimOws(l.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-length")) {
    if (value.empty() || value.size() > 18) return false;
    for (char c : value) {
      if (c < '0' || c > '9') return false;
    }
    uint64_t n = static_cast<uint64_t>(*ParseInt64(value));
    if (has_length_ && n != content_length_) return false;  // conflicting lengths
    has_length_ = true;
    content_length_ = n;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    has_transfer_encoding_ = true;
    chunked_ = EqualsIgnoreCase(LastToken(value), "chunked");
  } else if (EqualsIgnoreCase(name, "connection")) {
    if (HasToken(value, "close")) keep_alive_ = false;
    if (HasToken(value, "keep-alive") && version_minor_ == 0) keep_alive_ = true;
  }
  return true;
}

ResponseParser::State ResponseParser::EndOfHead() {
  if (status_ < 200) {
    if (status_ == 101) return Fail("unexpected 101 Switching Protocols");
    // Interim response: the real one follows on the same connection.
    int minor = version_minor_;
    size_t head = head_bytes_;
    Reset();
    version_minor_ = minor;
    head_bytes_ = head;
    started_ = true;
    return state_;
  }
  if (status_ == 204 || status_ == 304) return Done();
  if (has_transfer_encoding_) {
    // A length next to a transfer coding is a smuggling hint; do not reuse.
    if (has_length_) keep_alive_ = false;
    if (chunked_) {
      phase_ = Phase::kChunkSize;
      return state_;
    }
    keep_alive_ = false;
    phase_ = Phase::kBodyUntilClose;
    return state_;
  }
  if (has_length_) {
    if (content_length_ > limits_.max_body_bytes) {
      keep_alive_ = false;
      return Done();
    }
    if (content_length_ == 0) return Done();
    remaining_ = content_length_;
    phase_ = Phase::kFixedBody;
    return state_;
  }
  keep_alive_ = false;
  phase_ = Phase::kBodyUntilClose;
  return state_;
}

bool ResponseParser::ParseChunkSize(uint64_t* size) {
  std::string_view l = line_;
  size_t semi = l.find(';');
  std::string_view digits = TrimOws(l.substr(0, semi));
  if (digits.empty() || digits.size() > 15) return false;
  uint64_t n = 0;
  for (char c : digits) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else return false;
    n = n * 16 + static_cast<uint64_t>(v);
  }
  *size = n;
  return true;
}

ResponseParser::State ResponseParser::Feed(std::string_view data) {
  if (state_ != State::kNeedMore) {
    if (state_ == State::kDone && !data.empty()) keep_alive_ = false;
    return state_;
  }
  if (!data.empty()) started_ = true;
  size_t pos = 0;
  while (pos < data.size() && state_ == State::kNeedMore) {
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaders: {
        size_t room = limits_.max_header_bytes - std::min(limits_.max_header_bytes, head_bytes_);
        size_t before = pos;
        bool full = TakeLine(data, &pos, room);
        head_bytes_ += pos - before;
        if (head_bytes_ > limits_.max_header_bytes) return Fail("response head too large");
        if (!full) break;
        if (phase_ == Phase::kStatusLine) {
          if (!ParseStatusLine()) return Fail("malformed status line");
          phase_ = Phase::kHeaders;
        } else if (line_.empty()) {
          line_.clear();
          EndOfHead();
          continue;
        } else if (!ParseHeader()) {
          return Fail("malformed header line");
        }
        line_.clear();
        break;
      }
      case Phase::kFixedBody: {
        uint64_t n = std::min<uint64_t>(remaining_, data.size() - pos);
        pos += n;
        remaining_ -= n;
        if (remaining_ == 0) Done();
        break;
      }
      case Phase::kChunkSize: {
        if (!TakeLine(data, &pos, kMaxChunkLine)) {
          if (line_.size() > kMaxChunkLine) return Fail("chunk size line too long");
          break;
        }
        uint64_t size;
        if (!ParseChunkSize(&size)) return Fail("malformed chunk size");
        line_.clear();
        if (size == 0) {
          phase_ = Phase::kTrailers;
        } else if (body_bytes_ + size > limits_.max_body_bytes) {
          keep_alive_ = false;
          Done();
        } else {
          remaining_ = size;
          phase_ = Phase::kChunkData;
        }
        break;
      }
      case Phase::kChunkData: {
        uint64_t n = std::min<uint64_t>(remaining_, data.size() - pos);
        pos += n;
        remaining_ -= n;
        body_bytes_ += n;
        if (remaining_ == 0) phase_ = Phase::kChunkDataEnd;
        break;
      }
      case Phase::kChunkDataEnd: {
        if (!TakeLine(data, &pos, 2)) {
          if (line_.size() > 2) return Fail("chunk not followed by CRLF");
          break;
        }
        if (!line_.empty()) return Fail("chunk not followed by CRLF");
        phase_ = Phase::kChunkSize;
        break;
      }
      case Phase::kTrailers: {
        size_t room = limits_.max_header_bytes - std::min(limits_.max_header_bytes, head_bytes_);
        size_t before = pos;
        bool full = TakeLine(data, &pos, room);
        head_bytes_ += pos - before;
        if (head_bytes_ > limits_.max_header_bytes) return Fail("response trailers too large");
        if (!full) break;
        bool blank = line_.empty();
        line_.clear();
        if (blank) Done();
        break;
      }
      case Phase::kBodyUntilClose: {
        body_bytes_ += data.size() - pos;
        pos = data.size();
        if (body_bytes_ > limits_.max_body_bytes) Done();  // keep_alive_ is already false
        break;
      }
      case Phase::kFinished:
        break;
    }
  }
  if (state_ == State::kDone && pos < data.size()) keep_alive_ = false;
  return state_;
}

ResponseParser::State ResponseParser::FinishOnEof() {
  if (state_ != State::kNeedMore) return state_;
  keep_alive_ = false;
  if (phase_ == Phase::kBodyUntilClose) return Done();
  return Fail(started_ ? "connection closed inside the response" : "connection closed before a response");
}

}  // namespace cmq::delivery
