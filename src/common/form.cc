#include "common/form.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace cmq {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded form of one key or value; false on a bad escape. Runs without
// '%' or '+' (all of a typical message body) are copied whole: the positions of the
// next '%' and '+' are found with memchr and remembered until passed.
bool DecodeComponent(std::string_view in, std::string* out) {
  size_t start = out->size();
  out->resize(start + in.size());  // decoding never grows the text
  char* dst = out->data() + start;
  const char* p = in.data();
  const char* const end = p + in.size();
  const char* next_pct = nullptr;
  const char* next_plus = nullptr;
  auto find = [end](const char* from, char c) {
    const void* hit = std::memchr(from, c, static_cast<size_t>(end - from));
    return hit == nullptr ? end : static_cast<const char*>(hit);
  };
  while (p < end) {
    if (next_pct == nullptr || next_pct < p) next_pct = find(p, '%');
    if (next_plus == nullptr || next_plus < p) next_plus = find(p, '+');
    const char* special = std::min(next_pct, next_plus);
    std::memcpy(dst, p, static_cast<size_t>(special - p));
    dst += special - p;
    p = special;
    if (p == end) break;
    if (*p == '+') {
      *dst++ = ' ';
      ++p;
      continue;
    }
    if (end - p < 3) return false;
    int hi = HexValue(p[1]);
    int lo = HexValue(p[2]);
    if (hi < 0 || lo < 0) return false;
    *dst++ = static_cast<char>(hi * 16 + lo);
    p += 3;
  }
  out->resize(static_cast<size_t>(dst - out->data()));
  return true;
}

constexpr std::array<bool, 256> MakeUnreservedTable() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
  }
  return t;
}
constexpr std::array<bool, 256> kUnreserved = MakeUnreservedTable();

void AppendUrlEncoded(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  size_t start = out->size();
  out->resize(start + 3 * value.size());  // the worst case: every byte escaped
  char* dst = out->data() + start;
  for (char c : value) {
    auto b = static_cast<unsigned char>(c);
    if (kUnreserved[b]) {
      *dst++ = c;
    } else {
      dst[0] = '%';
      dst[1] = kHex[b >> 4];
      dst[2] = kHex[b & 0xf];
      dst += 3;
    }
  }
  out->resize(static_cast<size_t>(dst - out->data()));
}

}  // namespace

Result<ParamList> DecodeForm(std::string_view input) {
  ParamList params;
  while (!input.empty()) {
    size_t amp = input.find('&');
    std::string_view segment = input.substr(0, amp);
    input = amp == std::string_view::npos ? std::string_view() : input.substr(amp + 1);
    if (segment.empty()) continue;
    size_t eq = segment.find('=');
    std::string_view key = segment.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : segment.substr(eq + 1);
    Param param;
    if (!DecodeComponent(key, &param.first) || !DecodeComponent(value, &param.second)) {
      return Status(ErrorCode::kCannotParse, "request");
    }
    params.push_back(std::move(param));
  }
  return params;
}

std::optional<uint32_t> ParseParamIndex(std::string_view digits) {
  constexpr size_t kMaxIndexDigits = 9;
  if (digits.empty() || digits.size() > kMaxIndexDigits ||
      (digits.size() > 1 && digits[0] == '0')) {
    return std::nullopt;
  }
  uint32_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

std::string UrlEncode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendUrlEncoded(value, &out);
  return out;
}

const std::string* FindParam(const ParamList& params, std::string_view name) {
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

void AddParamIfAbsent(ParamList* params, std::string_view name, std::string value) {
  if (FindParam(*params, name) == nullptr) params->emplace_back(std::string(name), std::move(value));
}

std::string EncodeForm(const ParamList& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out.push_back('&');
    AppendUrlEncoded(key, &out);
    out.push_back('=');
    AppendUrlEncoded(value, &out);
  }
  return out;
}

}  // namespace cmq
