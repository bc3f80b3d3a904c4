#include "common/form.h"

namespace cmq {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded form of one key or value; false on a bad escape.
bool DecodeComponent(std::string_view in, std::string* out) {
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (in.size() - i < 3) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

void AppendUrlEncoded(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : value) {
    if (IsUnreserved(c)) {
      out->push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out->push_back('%');
      out->push_back(kHex[b >> 4]);
      out->push_back(kHex[b & 0xf]);
    }
  }
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

std::string UrlEncode(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendUrlEncoded(value, &out);
  return out;
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
