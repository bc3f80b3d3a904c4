// Small string helpers used across layers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cmq {

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Case-insensitive substring test (ASCII).
bool ContainsIgnoreCase(std::string_view haystack, std::string_view needle);
// Whole-string decimal integer with optional leading '-', no spaces, no '+', fits
// int64. nullopt otherwise.
std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<uint64_t> ParseUint64(std::string_view s);
// RFC 3629 UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);
// CRC32C (Castagnoli), and leveldb's mask for storing CRCs of data containing CRCs.
// `init` is the CRC of preceding data, so Crc32c(b, Crc32c(a)) == Crc32c(a + b).
// Uses the SSE4.2 instruction when the CPU has it.
uint32_t Crc32c(std::string_view data, uint32_t init = 0);
// The table-driven path Crc32c falls back to; same results. Exposed for tests.
uint32_t Crc32cPortable(std::string_view data, uint32_t init = 0);
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t UnmaskCrc(uint32_t m) {
  uint32_t rot = m - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}
// `n` random characters from [a-z0-9] (for resource ids), from a CSPRNG.
std::string RandomAlnum(size_t n);
uint64_t RandomUint64();
// `bytes` random bytes from a CSPRNG, as 2 * bytes lower-case hex digits (secrets:
// session ids, tokens).
std::string RandomHex(size_t bytes);
// Whether a == b, in a time that depends only on the lengths (comparing secrets).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cmq
