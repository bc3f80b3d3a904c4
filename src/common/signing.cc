#include "common/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

namespace cmq {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string Hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  // HMAC() only fails on allocation failure or an unusable digest, neither of which a
  // caller could handle; an empty result would silently fail every comparison, so
  // make it loud instead.
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &out_len) == nullptr) {
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(out), out_len);
}

}  // namespace

std::string SignParams(std::string_view method, std::string_view host, std::string_view path,
                       const SigningKey& key, const SigningStamp& stamp, ParamList* params) {
  AddParamIfAbsent(params, "SecretId", std::string(key.secret_id));
  AddParamIfAbsent(params, "Nonce", std::to_string(stamp.nonce));
  AddParamIfAbsent(params, "Timestamp", std::to_string(stamp.timestamp));
  AddParamIfAbsent(params, "SignatureMethod",
                   key.method == SignatureMethod::kHmacSHA256 ? "HmacSHA256" : "HmacSHA1");
  if (FindParam(*params, "Signature") != nullptr) return "";
  std::string string_to_sign = StringToSign(method, host, path, *params);
  params->emplace_back("Signature", Sign(string_to_sign, key.secret_key, key.method));
  return string_to_sign;
}

SignatureMethod ParseSignatureMethod(std::string_view value) {
  return value == "HmacSHA256" ? SignatureMethod::kHmacSHA256 : SignatureMethod::kHmacSHA1;
}

void AppendSignedName(std::string_view name, std::string* out) {
  for (char c : name) out->push_back(c == '_' ? '.' : c);
}

std::string SignedName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  AppendSignedName(name, &out);
  return out;
}

std::string StringToSign(std::string_view method, std::string_view host, std::string_view path,
                         const ParamList& params) {
  std::vector<size_t> order(params.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return params[a].first < params[b].first; });
  std::string out;
  out.append(method).append(host).append(path).push_back('?');
  bool first = true;
  for (size_t i : order) {
    if (!first) out.push_back('&');
    first = false;
    AppendSignedName(params[i].first, &out);
    out.push_back('=');
    out.append(params[i].second);
  }
  return out;
}

std::string Sign(std::string_view data, std::string_view secret_key, SignatureMethod method) {
  return Base64Encode(method == SignatureMethod::kHmacSHA256 ? HmacSha256(secret_key, data)
                                                             : HmacSha1(secret_key, data));
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha1(), key, data);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha256(), key, data);
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(kBase64Alphabet[(v >> 6) & 63]);
    out.push_back(kBase64Alphabet[v & 63]);
  }
  size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out.push_back(kBase64Alphabet[(v >> 18) & 63]);
    out.push_back(kBase64Alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  const Status bad(ErrorCode::kCannotParse, "base64");
  if (text.size() % 4 != 0) return bad;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t data_chars = last ? 4 - padding : 4;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int d = 0;
      if (k < data_chars) {
        d = Base64Value(text[i + k]);
        if (d < 0) return bad;
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (data_chars >= 3) out.push_back(static_cast<char>(v >> 8));
    if (data_chars == 4) out.push_back(static_cast<char>(v));
    // Canonical form only: bits dropped by the padding must be zero.
    if (data_chars == 2 && (v & 0xffff) != 0) return bad;
    if (data_chars == 3 && (v & 0xff) != 0) return bad;
  }
  return out;
}

}  // namespace cmq
