// Fuzzes http::RequestParser: arbitrary bytes, fed whole and again in split points
// derived from the input. Both runs must agree exactly (the parser's output may not
// depend on how the socket happened to deliver the bytes), and every request that
// comes out must respect the parser's contract.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_parser.h"

namespace {

using cmq::http::ParserLimits;
using cmq::http::Request;
using cmq::http::RequestParser;

// Small limits, so that fuzz inputs reach the 413/414/431 paths too.
constexpr ParserLimits kLimits{/*max_header_bytes=*/2048, /*max_body_bytes=*/4096};

struct Outcome {
  std::vector<Request> requests;
  RequestParser::State state = RequestParser::State::kNeedMore;
  int error_status = 0;
};

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckRequest(const Request& r) {
  Check(!r.method.empty());
  Check(!r.target.empty());
  Check(r.version_minor == 0 || r.version_minor == 1);
  Check(r.body.size() <= kLimits.max_body_bytes);
  Check(r.target.compare(0, r.path.size(), r.path) == 0);
  if (r.target.size() > r.path.size()) Check(r.target.substr(r.path.size() + 1) == r.query);
  for (const auto& [name, value] : r.headers) {
    Check(!name.empty());
    for (char c : name) Check(!(c >= 'A' && c <= 'Z'));
  }
}

// `next_size` returns the size of the next piece of input to feed.
template <typename NextSize>
Outcome Run(std::string_view input, NextSize next_size) {
  Outcome out;
  RequestParser parser(kLimits);
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, next_size());
    pos += piece.size();
    while (!piece.empty()) {
      size_t used = parser.Feed(piece);
      Check(used <= piece.size());
      piece.remove_prefix(used);
      parser.TakeContinueRequest();
      switch (parser.state()) {
        case RequestParser::State::kNeedMore:
          Check(piece.empty());
          break;
        case RequestParser::State::kComplete:
          out.requests.push_back(parser.TakeRequest());
          CheckRequest(out.requests.back());
          break;
        case RequestParser::State::kError: {
          int s = parser.error_status();
          Check(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 505);
          Check(parser.Feed(piece) == 0);
          out.state = RequestParser::State::kError;
          out.error_status = s;
          return out;
        }
      }
    }
  }
  return out;
}

bool Same(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path &&
         a.query == b.query && a.host == b.host && a.headers == b.headers &&
         a.body == b.body && a.version_minor == b.version_minor && a.keep_alive == b.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = Run(input, [&] { return input.size(); });

  uint64_t state = 1469598103934665603ull;  // FNV-1a of the input seeds the splits
  for (unsigned char c : input) state = (state ^ c) * 1099511628211ull;
  Outcome split = Run(input, [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<size_t>(1 + state % 48);
  });

  Check(whole.state == split.state);
  Check(whole.error_status == split.error_status);
  Check(whole.requests.size() == split.requests.size());
  for (size_t i = 0; i < whole.requests.size(); ++i) {
    Check(Same(whole.requests[i], split.requests[i]));
  }
  return 0;
}
