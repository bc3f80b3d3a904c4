#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "common/strings.h"

namespace cmq {
namespace {

bool IsDecimalDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One part of an inet_aton address: decimal, 0-prefixed octal or 0x-prefixed hex
// ("0x" alone is 0, as the C library reads it). nullopt if not a number or above
// 32 bits.
std::optional<uint32_t> ParseAtonPart(std::string_view part) {
  if (part.empty() || !IsDecimalDigit(part.front())) return std::nullopt;
  int base = 10;
  if (part.size() > 1 && part[0] == '0') {
    if (part[1] == 'x' || part[1] == 'X') {
      base = 16;
      part.remove_prefix(2);
    } else {
      base = 8;
      part.remove_prefix(1);
    }
  }
  uint64_t value = 0;
  for (char c : part) {
    int digit = base == 16 ? HexValue(c) : (IsDecimalDigit(c) ? c - '0' : -1);
    if (digit < 0 || digit >= base) return std::nullopt;
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
    if (value > UINT32_MAX) return std::nullopt;
  }
  return static_cast<uint32_t>(value);
}

std::optional<IpAddress> ParseAton(std::string_view host) {
  uint32_t parts[4];
  size_t count = 0;
  while (true) {
    size_t dot = host.find('.');
    if (count == 4) return std::nullopt;
    std::optional<uint32_t> part = ParseAtonPart(host.substr(0, dot));
    if (!part) return std::nullopt;
    parts[count++] = *part;
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  // Every part but the last is one byte; the last fills the bytes that remain.
  uint32_t address = 0;
  for (size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 0xff) return std::nullopt;
    address |= parts[i] << (24 - 8 * i);
  }
  uint32_t last = parts[count - 1];
  if (count > 1 && last > (UINT32_MAX >> (8 * (count - 1)))) return std::nullopt;
  return IpAddress::V4(address | last);
}

// Four decimal parts 0-255 without leading zeros.
std::optional<IpAddress> ParseDottedQuad(std::string_view text) {
  uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    std::string_view part = text.substr(0, dot);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) {
      return std::nullopt;
    }
    uint32_t value = 0;
    for (char c : part) {
      if (!IsDecimalDigit(c)) return std::nullopt;
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value > 255) return std::nullopt;
    address = (address << 8) | value;
    text.remove_prefix(dot == std::string_view::npos ? text.size() : dot + 1);
  }
  return IpAddress::V4(address);
}

std::optional<IpAddress> ParseV6(std::string_view text) {
  if (text.find(':') == std::string_view::npos || text.size() > INET6_ADDRSTRLEN) {
    return std::nullopt;
  }
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET6, std::string(text).c_str(), bytes.data()) != 1) return std::nullopt;
  return IpAddress::V6(bytes);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return ParseV6(text);
  return ParseDottedQuad(text);
}

std::optional<IpAddress> IpAddress::ParseHost(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return ParseV6(host);
  return ParseAton(host);
}

IpAddress IpAddress::V4(uint32_t address) {
  IpAddress a;
  a.family_ = Family::kV4;
  for (int i = 0; i < 4; ++i) a.bytes_[i] = static_cast<uint8_t>(address >> (24 - 8 * i));
  return a;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return V4(ntohl(v4->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &v6->sin6_addr, bytes.size());
    return V6(bytes);
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::EmbeddedV4() const {
  if (is_v4()) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(bytes_.data(), kMapped, 12) != 0 && std::memcmp(bytes_.data(), kNat64, 12) != 0) {
    return std::nullopt;
  }
  return V4((uint32_t{bytes_[12]} << 24) | (uint32_t{bytes_[13]} << 16) |
            (uint32_t{bytes_[14]} << 8) | bytes_[15]);
}

std::optional<IpEndpoint> IpEndpoint::Parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  std::optional<uint64_t> port = ParseUint64(text.substr(colon + 1));
  std::optional<IpAddress> address = IpAddress::Parse(host);
  // IPv6 needs its brackets (its colons would be ambiguous), IPv4 has none.
  if (!port || *port > 65535 || !address || bracketed == address->is_v4()) return std::nullopt;
  return IpEndpoint{*address, static_cast<uint16_t>(*port)};
}

std::string IpEndpoint::ToString() const {
  std::string host = address.ToString();
  return (address.is_v4() ? host : "[" + host + "]") + ":" + std::to_string(port);
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN] = {0};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), text, sizeof(text));
  return text;
}

Result<IpNetwork> IpNetwork::Parse(std::string_view text) {
  size_t slash = text.find('/');
  std::optional<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidParameters,
                  std::string("'").append(text).append("' is not a network: ").append(why));
  };
  if (!address) return bad("expected an IPv4 or IPv6 address, optionally with /prefix");
  int prefix = address->bit_length();
  if (slash != std::string_view::npos) {
    std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return bad("bad prefix length");
    prefix = 0;
    for (char c : digits) {
      if (!IsDecimalDigit(c)) return bad("bad prefix length");
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > address->bit_length()) {
      return bad("prefix length above " + std::to_string(address->bit_length()));
    }
  }
  IpNetwork network(*address, prefix);
  if (!(network.address() == *address)) {
    return bad("bits after the prefix are set (did you mean " + network.ToString() + "?)");
  }
  return network;
}

IpNetwork::IpNetwork(const IpAddress& address, int prefix_length) : prefix_length_(prefix_length) {
  std::array<uint8_t, 16> bytes = address.bytes();
  for (int bit = prefix_length; bit < 128; ++bit) {
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  if (address.is_v4()) {
    address_ = IpAddress::V4((uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) |
                             (uint32_t{bytes[2]} << 8) | bytes[3]);
  } else {
    address_ = IpAddress::V6(bytes);
  }
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.family() != address_.family()) return false;
  const std::array<uint8_t, 16>& a = address.bytes();
  const std::array<uint8_t, 16>& n = address_.bytes();
  int full_bytes = prefix_length_ / 8;
  if (std::memcmp(a.data(), n.data(), static_cast<size_t>(full_bytes)) != 0) return false;
  int rest = prefix_length_ % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a[full_bytes] & mask) == n[full_bytes];
}

std::string IpNetwork::ToString() const {
  return address_.ToString() + "/" + std::to_string(prefix_length_);
}

}  // namespace cmq
