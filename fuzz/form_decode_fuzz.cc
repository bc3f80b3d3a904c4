// libFuzzer target for DecodeForm, the first parser every request body and query meets.
// Besides "no crash, no UB", it checks the round trip: whatever DecodeForm accepts,
// EncodeForm must turn back into a form that decodes to the same parameters.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/form.h"

namespace {

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "form_decode_fuzz: %s\n", what);
    std::abort();
  }
}

bool IsUnreservedOrEscape(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || c == '%';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  cmq::Result<cmq::ParamList> decoded = cmq::DecodeForm(input);
  if (!decoded.ok()) {
    Check(decoded.status().error() == cmq::ErrorCode::kCannotParse, "unexpected error code");
    return 0;
  }
  // Each parameter comes from a distinct non-empty '&'-separated segment, and decoding
  // never makes text longer.
  size_t decoded_bytes = 0;
  for (const auto& [key, value] : *decoded) decoded_bytes += key.size() + value.size();
  Check(decoded_bytes <= size, "decoded output longer than input");
  Check(decoded->size() <= size, "more parameters than input bytes");

  std::string encoded = cmq::EncodeForm(*decoded);
  for (char c : encoded) {
    Check(IsUnreservedOrEscape(c) || c == '=' || c == '&', "EncodeForm emitted a raw byte");
  }
  cmq::Result<cmq::ParamList> again = cmq::DecodeForm(encoded);
  Check(again.ok(), "EncodeForm output does not decode");
  Check(*again == *decoded, "round trip changed the parameters");
  return 0;
}
