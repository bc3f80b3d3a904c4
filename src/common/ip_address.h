// IpAddress and IpNetwork: IPv4/IPv6 addresses and CIDR networks as plain values, for
// deciding where an outgoing connection may go (push_network_policy.h).
//
// The parsers accept exactly the text forms their callers must understand and
// nothing else; every function is pure and thread-safe.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace cmq {

class IpAddress {
 public:
  enum class Family { kV4, kV6 };

  // The unambiguous text forms, as written in configuration: IPv4 as four decimal
  // parts without leading zeros ("10.0.0.1"), IPv6 as RFC 4291 text without brackets
  // or zone ("::1", "::ffff:10.0.0.1").
  static std::optional<IpAddress> Parse(std::string_view text);

  // Every form in which a URL host names an address rather than a host name, as the
  // C library's resolver reads it: Parse's IPv6 forms and the historic inet_aton IPv4
  // forms of one to four dot-separated parts, each decimal, octal (leading 0) or hex
  // (leading 0x), the last part filling the remaining bytes: "2130706433",
  // "0x7f000001", "0177.0.0.1" and "127.1" are all 127.0.0.1. Anything else is a host
  // name (nullopt), for the resolver to look up.
  static std::optional<IpAddress> ParseHost(std::string_view host);

  // `address` in host byte order.
  static IpAddress V4(uint32_t address);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  // An AF_INET or AF_INET6 socket address; nullopt for other families.
  static std::optional<IpAddress> FromSockaddr(const sockaddr* address);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  // Network byte order; 4 bytes (IPv4) or 16 bytes (IPv6) are meaningful.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  int bit_length() const { return is_v4() ? 32 : 128; }

  // The IPv4 address an IPv6 address reaches when connected to: the IPv4-mapped
  // ::ffff:a.b.c.d (the kernel connects to a.b.c.d) and the NAT64 well-known prefix
  // 64:ff9b::a.b.c.d (a NAT64 gateway connects to a.b.c.d). nullopt otherwise.
  std::optional<IpAddress> EmbeddedV4() const;

  // "10.0.0.1", "::1" (RFC 5952 text).
  std::string ToString() const;

  bool operator==(const IpAddress& other) const = default;

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// An address and a port, as a socket peer is written: "10.0.0.7:51234",
// "[2001:db8::1]:443" (the http layer's peer, X-Forwarded-For as cmqd writes it).
struct IpEndpoint {
  IpAddress address;
  uint16_t port = 0;

  // Exactly those two forms (Parse's address text, a decimal port); nullopt otherwise.
  static std::optional<IpEndpoint> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const IpEndpoint& other) const = default;
};

class IpNetwork {
 public:
  // "10.0.0.0/8", "fc00::/7", or an address alone (a /32 or /128 network). The bits
  // after the prefix must be zero: "10.0.0.1/8" is refused (it usually means a typo),
  // with kInvalidParameters naming the network meant.
  static Result<IpNetwork> Parse(std::string_view text);

  // `prefix_length` must be within the address's bit length; host bits are cleared.
  IpNetwork(const IpAddress& address, int prefix_length);

  // True if `address` is of the same family and within the network.
  bool Contains(const IpAddress& address) const;
  const IpAddress& address() const { return address_; }
  int prefix_length() const { return prefix_length_; }
  std::string ToString() const;

  bool operator==(const IpNetwork& other) const = default;

 private:
  IpAddress address_;
  int prefix_length_ = 0;
};

}  // namespace cmq
