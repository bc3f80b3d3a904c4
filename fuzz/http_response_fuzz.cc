// Fuzzes HttpResponseParser, the one response parser of the client and the pusher:
// arbitrary bytes (then the end of the connection), fed whole and again in split
// points derived from the input, in both body modes. Both feeds must agree exactly
// (the outcome may not depend on how the socket delivered the bytes), and a complete
// response must respect the parser's contract.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_response_parser.h"

namespace {

using cmq::HttpBodyMode;
using cmq::HttpResponseLimits;
using cmq::HttpResponseParser;

// Small limits, so that fuzz inputs reach the over-limit paths too.
constexpr HttpResponseLimits kLimits{/*max_header_bytes=*/1024, /*max_body_bytes=*/2048};

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  HttpResponseParser::State state = HttpResponseParser::State::kNeedMore;
  int status = 0;
  std::string body;
  bool reusable = false;
  std::string remainder;
};

// `next_size` returns the size of the next piece of input to feed.
template <typename NextSize>
Outcome Run(std::string_view input, HttpBodyMode mode, NextSize next_size) {
  HttpResponseParser parser(kLimits, mode);
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, next_size());
    pos += piece.size();
    parser.Feed(piece);
  }
  Outcome out;
  out.state = parser.FeedEof();
  Check(parser.FeedEof() == out.state);
  if (out.state == HttpResponseParser::State::kError) {
    Check(!parser.error().empty());
    Check(!parser.reusable());
    return out;
  }
  Check(out.state == HttpResponseParser::State::kDone);
  const cmq::HttpResponse& r = parser.response();
  Check(r.status >= 200 && r.status <= 999);
  Check(r.version_minor >= 0 && r.version_minor <= 9);
  Check(r.body.size() <= kLimits.max_body_bytes);
  if (mode == HttpBodyMode::kDiscard) Check(r.body.empty());
  for (const auto& [name, value] : r.headers) {
    Check(!name.empty());
    for (char c : name) Check(!(c >= 'A' && c <= 'Z'));
  }
  if (parser.reusable()) Check(r.keep_alive && parser.remainder().empty());
  out.status = r.status;
  out.body = r.body;
  out.reusable = parser.reusable();
  out.remainder = std::string(parser.remainder());
  return out;
}

bool Same(const Outcome& a, const Outcome& b) {
  return a.state == b.state && a.status == b.status && a.body == b.body &&
         a.reusable == b.reusable && a.remainder == b.remainder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (HttpBodyMode mode : {HttpBodyMode::kKeep, HttpBodyMode::kDiscard}) {
    Outcome whole = Run(input, mode, [&] { return input.size(); });
    uint64_t state = 1469598103934665603ull;  // FNV-1a of the input seeds the splits
    for (unsigned char c : input) state = (state ^ c) * 1099511628211ull;
    Outcome split = Run(input, mode, [&] {
      state ^= state << 13;
      state ^= state >> 7;
      state ^= state << 17;
      return static_cast<size_t>(1 + state % 48);
    });
    Check(Same(whole, split));
  }
  return 0;
}
