#include "broker/receipt_handle.h"

#include <array>
#include <cstring>

#include "common/coding.h"

namespace cmq::broker {
namespace {

constexpr uint8_t kHandleVersion = 1;
constexpr size_t kPayloadBytes = 1 + 8 + 8 + 4;     // version, uid, position, generation
constexpr size_t kHandleBytes = kPayloadBytes + 8;  // + MAC
constexpr size_t kHandleChars = (kHandleBytes * 8 + 5) / 6;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

}  // namespace

uint64_t SipHash24(std::string_view key, std::string_view data) {
  std::array<char, 16> k{};
  std::memcpy(k.data(), key.data(), std::min(key.size(), k.size()));
  const uint64_t k0 = DecodeFixed64(k.data());
  const uint64_t k1 = DecodeFixed64(k.data() + 8);
  uint64_t v0 = 0x736f6d6570736575ull ^ k0;
  uint64_t v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0;
  uint64_t v3 = 0x7465646279746573ull ^ k1;
  auto round = [&] {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  };
  size_t full = data.size() / 8 * 8;
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = DecodeFixed64(data.data() + i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t last = static_cast<uint64_t>(data.size() & 0xff) << 56;
  for (size_t i = full; i < data.size(); ++i) {
    last |= static_cast<uint64_t>(static_cast<uint8_t>(data[i])) << (8 * (i - full));
  }
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

std::string EncodeReceiptHandle(const ReceiptHandle& h, std::string_view key) {
  std::string raw;
  raw.push_back(static_cast<char>(kHandleVersion));
  PutFixed64(&raw, h.queue_uid);
  PutFixed64(&raw, h.position);
  PutFixed32(&raw, h.generation);
  PutFixed64(&raw, SipHash24(key, raw));
  return Base64UrlEncode(raw);
}

std::optional<ReceiptHandle> DecodeReceiptHandle(std::string_view text, std::string_view key) {
  if (text.size() != kHandleChars) return std::nullopt;
  std::string raw;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = AlphabetIndex(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero: exactly one text per handle.
  if (raw.size() != kHandleBytes || (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  if (static_cast<uint8_t>(raw[0]) != kHandleVersion) return std::nullopt;
  std::string_view payload(raw.data(), kPayloadBytes);
  if (DecodeFixed64(raw.data() + kPayloadBytes) != SipHash24(key, payload)) return std::nullopt;
  ReceiptHandle h;
  h.queue_uid = DecodeFixed64(raw.data() + 1);
  h.position = DecodeFixed64(raw.data() + 9);
  h.generation = DecodeFixed32(raw.data() + 17);
  return h;
}

}  // namespace cmq::broker
