#include "common/push_network_policy.h"

#include <ifaddrs.h>

#include <algorithm>
#include <string>

#include "common/strings.h"

namespace cmq {
namespace {

constexpr DeniedNetwork kBuiltInDenied[] = {
    {"0.0.0.0/8", "unspecified"},  // connecting to 0.0.0.0 reaches this host
    {"127.0.0.0/8", "loopback"},
    {"169.254.0.0/16", "link-local"},  // the metadata service of most clouds
    {"224.0.0.0/4", "multicast"},
    {"240.0.0.0/4", "reserved and broadcast"},
    {"100.100.100.200/32", "cloud metadata (Alibaba Cloud)"},
    {"168.63.129.16/32", "cloud platform service (Azure WireServer)"},
    {"::/128", "unspecified"},
    {"::1/128", "loopback"},
    {"::/96", "IPv4-compatible (deprecated)"},
    {"fe80::/10", "link-local"},
    {"ff00::/8", "multicast"},
    {"fd00:ec2::254/128", "cloud metadata (AWS)"},
};

// Names of cloud metadata services (compared without case and trailing dot).
constexpr std::string_view kDeniedHostNames[] = {
    "metadata.google.internal",   "metadata.goog",           "metadata", "instance-data",
    "instance-data.ec2.internal", "metadata.tencentyun.com",
};

constexpr std::string_view kOwnListener = "cmqd's own listener";
constexpr std::string_view kOperatorDenied = "push_deny_networks";

}  // namespace

PushNetworkPolicy::PushNetworkPolicy(Lists lists) {
  for (const DeniedNetwork& d : kBuiltInDenied) {
    Result<IpNetwork> network = IpNetwork::Parse(d.network);
    // The table above is constant and covered by the unit tests.
    if (network.ok()) rules_.push_back({*network, false, d.why});
  }
  for (const IpNetwork& n : lists.deny) rules_.push_back({n, false, kOperatorDenied});
  for (const IpNetwork& n : lists.allow) rules_.push_back({n, true, {}});
}

void PushNetworkPolicy::AddOwnPort(uint16_t port) {
  if (std::find(own_ports_.begin(), own_ports_.end(), port) == own_ports_.end()) {
    own_ports_.push_back(port);
  }
}

const PushNetworkPolicy::Rule* PushNetworkPolicy::Decide(const IpAddress& address) const {
  const Rule* best = nullptr;
  for (const Rule& r : rules_) {
    if (!r.network.Contains(address)) continue;
    int length = r.network.prefix_length();
    if (best == nullptr || length > best->network.prefix_length() ||
        (length == best->network.prefix_length() && r.allow && !best->allow)) {
      best = &r;
    }
  }
  return best;
}

std::optional<std::string_view> PushNetworkPolicy::Refusal(const IpAddress& address,
                                                           uint16_t port) const {
  // An IPv6 address that reaches an IPv4 one must pass as both.
  std::optional<IpAddress> v4 = address.EmbeddedV4();
  const IpAddress& reached = v4 ? *v4 : address;
  if (std::find(own_ports_.begin(), own_ports_.end(), port) != own_ports_.end() &&
      IsOwnAddress(reached)) {
    return kOwnListener;
  }
  for (const IpAddress* a : {&address, &reached}) {
    const Rule* rule = Decide(*a);
    if (rule != nullptr && !rule->allow) return rule->why;
  }
  return std::nullopt;
}

Status PushNetworkPolicy::CheckAddress(const IpAddress& address, uint16_t port) const {
  std::optional<std::string_view> why = Refusal(address, port);
  if (!why) return Status::Ok();
  return Status(ErrorCode::kEndpointRefused, "pushes may not reach " + address.ToString() +
                                                 " port " + std::to_string(port) + " (" +
                                                 std::string(*why) + ")");
}

Status PushNetworkPolicy::CheckEndpoint(const EndpointUrl& url) const {
  if (url.address) return CheckAddress(*url.address, url.port);
  std::string_view host = url.host;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (std::string_view denied : kDeniedHostNames) {
    if (EqualsIgnoreCase(host, denied)) {
      return Status(ErrorCode::kEndpointRefused,
                    "pushes may not reach " + std::string(denied) + " (cloud metadata service)");
    }
  }
  return Status::Ok();
}

std::span<const DeniedNetwork> PushNetworkPolicy::BuiltInDenied() { return kBuiltInDenied; }

bool PushNetworkPolicy::IsOwnAddress(const IpAddress& address) {
  static const IpNetwork kThisHost[] = {IpNetwork(IpAddress::V4(0), 8),
                                        IpNetwork(IpAddress::V4(0x7f000000), 8),
                                        IpNetwork(IpAddress::V6({}), 127)};  // :: and ::1
  for (const IpNetwork& n : kThisHost) {
    if (n.Contains(address)) return true;
  }
  // Read every time: interfaces come and go, and only pushes to cmqd's own port
  // numbers get here.
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return true;  // cannot tell: refuse rather than risk it
  bool own = false;
  for (ifaddrs* i = list; i != nullptr && !own; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    std::optional<IpAddress> a = IpAddress::FromSockaddr(i->ifa_addr);
    own = a && *a == address;
  }
  freeifaddrs(list);
  return own;
}

}  // namespace cmq
