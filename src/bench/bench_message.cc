#include "bench/bench_message.h"

#include <algorithm>
#include <chrono>

namespace cmq::bench {
namespace {

void AppendHex(uint64_t v, int digits, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kHex[(v >> (4 * i)) & 0xf]);
}

std::optional<uint64_t> ParseHex(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string MakeMessageBody(const MessageStamp& stamp, size_t size) {
  std::string body;
  body.reserve(std::max(size, kMessageHeaderSize));
  body.append("cmqb");
  AppendHex(stamp.run_id, 8, &body);
  body.push_back(':');
  AppendHex(stamp.seq, 16, &body);
  body.push_back(':');
  AppendHex(static_cast<uint64_t>(stamp.sent_ns), 16, &body);
  body.push_back(':');
  // The filler is 'a' + i % 26 at byte i, copied from one prepared run: starting it
  // at i % 26 keeps the pattern.
  static const std::string filler = [] {
    std::string f(64 * 1024, ' ');
    for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<char>('a' + i % 26);
    return f;
  }();
  while (body.size() < size) {
    size_t at = body.size() % 26;
    body.append(filler, at, std::min(size - body.size(), filler.size() - at));
  }
  return body;
}

std::optional<MessageStamp> ParseMessageBody(std::string_view body) {
  if (body.size() < kMessageHeaderSize || body.substr(0, 4) != "cmqb" || body[12] != ':' ||
      body[29] != ':' || body[46] != ':') {
    return std::nullopt;
  }
  std::optional<uint64_t> run = ParseHex(body.substr(4, 8));
  std::optional<uint64_t> seq = ParseHex(body.substr(13, 16));
  std::optional<uint64_t> sent = ParseHex(body.substr(30, 16));
  if (!run || !seq || !sent) return std::nullopt;
  return MessageStamp{static_cast<uint32_t>(*run), *seq, static_cast<int64_t>(*sent)};
}

}  // namespace cmq::bench
