// PushNetworkPolicy: which addresses cmqd's HTTP pushes may connect to. A tenant
// chooses its subscription's endpoint; without this policy it could make cmqd
// connect to loopback services, the cloud metadata service or cmqd itself and learn
// from the subscription's counters whether they answered (server-side request
// forgery).
//
// Decision for one address (an IPv4-mapped or NAT64 IPv6 address is judged as itself
// and as the IPv4 address it reaches, and refused if either is):
//   1. cmqd's own listening ports (AddOwnPort) on any address of this host are
//      refused, whatever the lists say: a push must never reach cmqd itself.
//   2. Otherwise the most specific network containing the address decides, among the
//      built-in denied networks (BuiltInDenied: loopback, link-local, unspecified,
//      multicast, broadcast and reserved, cloud metadata addresses), the operator's
//      `deny` networks and the operator's `allow` networks; an allow network wins
//      over a deny network of the same prefix length. An address in no listed
//      network is allowed, so private ranges (10/8, 172.16/12, 192.168/16, fc00::/7)
//      are allowed unless denied.
// A host name is judged by the addresses it resolves to, at connect time (pusher);
// only the well-known cloud metadata names are refused as names, at Subscribe.
//
// Thread: const methods may run concurrently; AddOwnPort is for start-up, before the
// policy is first used.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/endpoint_url.h"
#include "common/ip_address.h"
#include "common/status.h"

namespace cmq {

struct DeniedNetwork {
  std::string_view network;  // CIDR text
  std::string_view why;      // shown in errors: "loopback", "link-local" ...
};

class PushNetworkPolicy {
 public:
  struct Lists {
    std::vector<IpNetwork> deny;   // push_deny_networks: refused as well
    std::vector<IpNetwork> allow;  // push_allow_networks: reachable although denied
  };

  explicit PushNetworkPolicy(Lists lists = {});

  // cmqd listens on `port` (the API, or any other listener).
  void AddOwnPort(uint16_t port);

  // Why a push may not connect to `address`:`port` ("loopback", "cmqd's own
  // listener", ...), or nullopt when it may.
  std::optional<std::string_view> Refusal(const IpAddress& address, uint16_t port) const;
  // Refusal as a Status: kEndpointRefused naming the address and the reason.
  Status CheckAddress(const IpAddress& address, uint16_t port) const;
  // Subscribe's check: an endpoint whose host is an address (in any form) is judged
  // by CheckAddress; a known cloud metadata host name is refused; any other name is
  // OK here and judged by its resolved addresses when pushed to.
  Status CheckEndpoint(const EndpointUrl& url) const;

  static std::span<const DeniedNetwork> BuiltInDenied();

 private:
  struct Rule {
    IpNetwork network;
    bool allow;
    std::string_view why;
  };
  // The most specific rule containing `address` (allow wins a tie), or null.
  const Rule* Decide(const IpAddress& address) const;
  // Whether `address` is one of this host's own (loopback, unspecified or assigned
  // to an interface now).
  static bool IsOwnAddress(const IpAddress& address);

  std::vector<Rule> rules_;
  std::vector<uint16_t> own_ports_;
};

}  // namespace cmq
