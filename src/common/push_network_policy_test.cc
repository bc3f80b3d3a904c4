#include "common/push_network_policy.h"

#include <gtest/gtest.h>
#include <ifaddrs.h>

namespace cmq {
namespace {

// "ok", or the refusal's reason.
std::string Judge(const PushNetworkPolicy& policy, std::string_view host, uint16_t port = 80) {
  std::optional<IpAddress> a = IpAddress::ParseHost(host);
  if (!a) return "not an address";
  std::optional<std::string_view> why = policy.Refusal(*a, port);
  return why ? std::string(*why) : "ok";
}

std::string JudgeUrl(const PushNetworkPolicy& policy, std::string_view url) {
  Result<EndpointUrl> parsed = ParseEndpointUrl(url);
  if (!parsed.ok()) return "unparsable";
  Status s = policy.CheckEndpoint(*parsed);
  return s.ok() ? "ok" : s.WireMessage();
}

PushNetworkPolicy::Lists Lists(std::vector<std::string> deny, std::vector<std::string> allow) {
  PushNetworkPolicy::Lists lists;
  for (const std::string& d : deny) lists.deny.push_back(*IpNetwork::Parse(d));
  for (const std::string& a : allow) lists.allow.push_back(*IpNetwork::Parse(a));
  return lists;
}

TEST(PushNetworkPolicyTest, BuiltInListParses) {
  for (const DeniedNetwork& d : PushNetworkPolicy::BuiltInDenied()) {
    EXPECT_TRUE(IpNetwork::Parse(d.network).ok()) << d.network;
    EXPECT_FALSE(d.why.empty());
  }
}

TEST(PushNetworkPolicyTest, DefaultsRefuseThisHostLinkLocalAndMetadata) {
  PushNetworkPolicy policy;
  // Every form of defect 7, both families.
  for (const char* host :
       {"127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.255.255.254", "::1",
        "::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::7f00:1", "0:0:0:0:0:0:0:1"}) {
    EXPECT_EQ(Judge(policy, host), "loopback") << host;
  }
  for (const char* host : {"169.254.169.254", "0xa9fea9fe", "2852039166", "169.254.0.23",
                           "::ffff:169.254.169.254", "fe80::1", "febf::1"}) {
    EXPECT_EQ(Judge(policy, host), "link-local") << host;
  }
  EXPECT_EQ(Judge(policy, "0.0.0.0"), "unspecified");
  EXPECT_EQ(Judge(policy, "0"), "unspecified");
  EXPECT_EQ(Judge(policy, "::"), "unspecified");
  EXPECT_EQ(Judge(policy, "224.0.0.1"), "multicast");
  EXPECT_EQ(Judge(policy, "ff02::1"), "multicast");
  EXPECT_EQ(Judge(policy, "255.255.255.255"), "reserved and broadcast");
  EXPECT_EQ(Judge(policy, "::127.0.0.1"), "IPv4-compatible (deprecated)");
  EXPECT_EQ(Judge(policy, "100.100.100.200"), "cloud metadata (Alibaba Cloud)");
  EXPECT_EQ(Judge(policy, "fd00:ec2::254"), "cloud metadata (AWS)");
  EXPECT_EQ(Judge(policy, "168.63.129.16"), "cloud platform service (Azure WireServer)");
}

TEST(PushNetworkPolicyTest, DefaultsAllowPrivateAndPublicNetworks) {
  PushNetworkPolicy policy;
  for (const char* host : {"10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                           "100.100.100.201", "8.8.8.8", "fc00::1", "fd12:3456::1", "fd00:ec2::253",
                           "2001:db8::1", "::ffff:10.0.0.1", "64:ff9b::808:808", "169.253.255.255",
                           "169.255.0.0", "126.255.255.255", "128.0.0.0", "fec0::1", "fe7f::1"}) {
    EXPECT_EQ(Judge(policy, host), "ok") << host;
  }
}

TEST(PushNetworkPolicyTest, OperatorDenyAndAllow) {
  PushNetworkPolicy policy(Lists({"10.0.0.0/8", "fc00::/7", "203.0.113.0/24"},
                                 {"127.0.0.0/8", "10.1.0.0/16", "169.254.0.0/16"}));
  EXPECT_EQ(Judge(policy, "10.2.0.1"), "push_deny_networks");
  EXPECT_EQ(Judge(policy, "fd00::1"), "push_deny_networks");
  EXPECT_EQ(Judge(policy, "::ffff:10.2.0.1"), "push_deny_networks");
  EXPECT_EQ(Judge(policy, "10.1.2.3"), "ok") << "the more specific allow wins";
  EXPECT_EQ(Judge(policy, "127.0.0.1"), "ok") << "allow of the same prefix wins";
  EXPECT_EQ(Judge(policy, "0x7f000001"), "ok");
  EXPECT_EQ(Judge(policy, "::ffff:127.0.0.1"), "ok");
  EXPECT_EQ(Judge(policy, "::1"), "loopback") << "allowing IPv4 loopback leaves ::1 denied";
  EXPECT_EQ(Judge(policy, "169.254.1.1"), "ok");
  EXPECT_EQ(Judge(policy, "169.254.169.254"), "ok");
  EXPECT_EQ(Judge(policy, "192.168.0.1"), "ok");
  // A /32 metadata address stays refused under a wider allow.
  EXPECT_EQ(Judge(policy, "100.100.100.200"), "cloud metadata (Alibaba Cloud)");
  PushNetworkPolicy wide(Lists({}, {"100.64.0.0/10"}));
  EXPECT_EQ(Judge(wide, "100.100.100.200"), "cloud metadata (Alibaba Cloud)");
  PushNetworkPolicy exact(Lists({}, {"100.100.100.200/32"}));
  EXPECT_EQ(Judge(exact, "100.100.100.200"), "ok");
  // NAT64 must pass as IPv6 and as the IPv4 address it reaches.
  PushNetworkPolicy no_nat64(Lists({"64:ff9b::/96"}, {}));
  EXPECT_EQ(Judge(no_nat64, "64:ff9b::808:808"), "push_deny_networks");
}

// Addresses of this host: loopback, unspecified and those of its interfaces.
std::vector<std::string> OwnAddresses() {
  std::vector<std::string> out = {"127.0.0.1", "127.0.0.2", "::1", "0.0.0.0", "::"};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (std::optional<IpAddress> a = IpAddress::FromSockaddr(i->ifa_addr)) {
      out.push_back(a->ToString());
    }
  }
  freeifaddrs(list);
  return out;
}

TEST(PushNetworkPolicyTest, OwnListenerIsRefusedOnEveryOwnAddressWhateverTheLists) {
  PushNetworkPolicy policy(Lists({}, {"0.0.0.0/0", "::/0"}));
  policy.AddOwnPort(8080);
  policy.AddOwnPort(9090);
  for (const std::string& host : OwnAddresses()) {
    EXPECT_EQ(Judge(policy, host, 8080), "cmqd's own listener") << host;
    EXPECT_EQ(Judge(policy, host, 9090), "cmqd's own listener") << host;
    EXPECT_NE(Judge(policy, host, 8081), "cmqd's own listener") << host;
  }
  EXPECT_EQ(Judge(policy, "::ffff:127.0.0.1", 8080), "cmqd's own listener");
  EXPECT_EQ(Judge(policy, "2130706433", 8080), "cmqd's own listener");
  // The same port on another host is someone else's.
  EXPECT_EQ(Judge(policy, "192.0.2.1", 8080), "ok");
  EXPECT_EQ(Judge(policy, "2001:db8::1", 8080), "ok");
}

TEST(PushNetworkPolicyTest, SubscribeCheckOfEndpoints) {
  PushNetworkPolicy policy;
  policy.AddOwnPort(8080);
  EXPECT_EQ(JudgeUrl(policy, "http://127.0.0.1:9/cb"),
            "(10630)illegal endpoint: pushes may not reach 127.0.0.1 port 9 (loopback)");
  EXPECT_EQ(JudgeUrl(policy, "http://0x7f000001/"),
            "(10630)illegal endpoint: pushes may not reach 127.0.0.1 port 80 (loopback)");
  EXPECT_EQ(JudgeUrl(policy, "https://[::1]/"),
            "(10630)illegal endpoint: pushes may not reach ::1 port 443 (loopback)");
  EXPECT_EQ(JudgeUrl(policy, "http://[::ffff:169.254.169.254]/latest/meta-data/"),
            "(10630)illegal endpoint: pushes may not reach ::ffff:169.254.169.254 port 80 "
            "(link-local)");
  for (const char* url :
       {"http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./",
        "http://metadata/", "http://metadata.tencentyun.com/latest/meta-data/",
        "http://instance-data/latest/", "http://metadata.goog/"}) {
    EXPECT_NE(JudgeUrl(policy, url).find("(cloud metadata service)"), std::string::npos) << url;
  }
  // Names are judged when resolved; private and public addresses pass.
  for (const char* url :
       {"http://localhost:9/", "http://hooks.example.com/", "http://10.0.0.8/",
        "http://[fd00::1]:8443/", "http://metadata.example.com/", "http://192.0.2.1:8080/"}) {
    EXPECT_EQ(JudgeUrl(policy, url), "ok") << url;
  }
  Status s = policy.CheckEndpoint(*ParseEndpointUrl("http://127.1/"));
  EXPECT_EQ(s.cmq_code(), 4000);
  EXPECT_EQ(s.module_code(), 10630);
}

}  // namespace
}  // namespace cmq
