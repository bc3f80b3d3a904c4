#include "common/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>

namespace cmq {
namespace {

std::string HostText(std::string_view host) {
  std::optional<IpAddress> a = IpAddress::ParseHost(host);
  return a ? a->ToString() : "name";
}

TEST(IpAddressTest, StrictFormsForConfiguration) {
  EXPECT_EQ(IpAddress::Parse("10.0.0.1")->ToString(), "10.0.0.1");
  EXPECT_EQ(IpAddress::Parse("255.255.255.255")->ToString(), "255.255.255.255");
  EXPECT_EQ(IpAddress::Parse("::1")->ToString(), "::1");
  EXPECT_EQ(IpAddress::Parse("FE80::A")->ToString(), "fe80::a");
  EXPECT_EQ(IpAddress::Parse("::ffff:127.0.0.1")->ToString(), "::ffff:127.0.0.1");
  for (const char* bad : {"", "1", "127.1", "0177.0.0.1", "01.2.3.4", "1.2.3.256", "1.2.3.4.5",
                          "1.2.3.", ".1.2.3", "1..2.3", "0x7f.0.0.1", "::1%eth0", "[::1]",
                          "1:2:3:4:5:6:7:8:9", "example.com", "1.2.3.4 "}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << bad;
  }
}

TEST(IpAddressTest, EveryIpv4FormTheResolverReads) {
  // The forms of defect 7: each is 127.0.0.1.
  for (const char* loopback :
       {"127.0.0.1", "2130706433", "0x7f000001", "0X7F000001", "0177.0.0.1", "0177.0.0.01", "127.1",
        "127.0.1", "0x7f.1", "0x7f.0.0.0x1", "017700000001"}) {
    EXPECT_EQ(HostText(loopback), "127.0.0.1") << loopback;
  }
  EXPECT_EQ(HostText("169.254.43518"), "169.254.169.254");
  EXPECT_EQ(HostText("0xa9fea9fe"), "169.254.169.254");
  EXPECT_EQ(HostText("2852039166"), "169.254.169.254");
  EXPECT_EQ(HostText("0"), "0.0.0.0");
  EXPECT_EQ(HostText("0x"), "0.0.0.0");
  EXPECT_EQ(HostText("4294967295"), "255.255.255.255");
  // Names, not addresses.
  for (const char* name : {"localhost", "example.com", "1e100.net", "4294967296", "1.2.3.4.5",
                           "256.1.1.1", "1.256.1.1", "1.2.65536", "08.1.1.1", "0x1g", "1.2.3.",
                           "127.0.0.1.", ".1", "a.1.2.3", "deadbeef"}) {
    EXPECT_EQ(HostText(name), "name") << name;
  }
}

// The C library agrees on every numeric form we read as an address: the connection
// goes where the check looked.
TEST(IpAddressTest, AgreesWithTheSystemResolver) {
  for (const char* host : {"2130706433", "0x7f000001", "0177.0.0.1", "127.1", "10.1", "0xa9fea9fe",
                           "192.168.1", "0", "1.2.3.4", "00.0x1.02.3"}) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_flags = AI_NUMERICHOST;
    addrinfo* list = nullptr;
    ASSERT_EQ(getaddrinfo(host, nullptr, &hints, &list), 0) << host;
    std::optional<IpAddress> system = IpAddress::FromSockaddr(list->ai_addr);
    freeaddrinfo(list);
    ASSERT_TRUE(system.has_value());
    EXPECT_EQ(HostText(host), system->ToString()) << host;
  }
}

TEST(IpAddressTest, Ipv6Forms) {
  EXPECT_EQ(HostText("::1"), "::1");
  EXPECT_EQ(HostText("0:0:0:0:0:0:0:1"), "::1");
  EXPECT_EQ(HostText("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
  EXPECT_EQ(HostText("::ffff:7f00:1"), "::ffff:127.0.0.1");
  EXPECT_EQ(HostText("fe80::1"), "fe80::1");
  EXPECT_EQ(HostText("fe80::1%25eth0"), "name");
  EXPECT_EQ(HostText(":::1"), "name");
}

TEST(IpAddressTest, EmbeddedIpv4) {
  EXPECT_EQ(IpAddress::Parse("::ffff:169.254.169.254")->EmbeddedV4()->ToString(),
            "169.254.169.254");
  EXPECT_EQ(IpAddress::Parse("::ffff:7f00:1")->EmbeddedV4()->ToString(), "127.0.0.1");
  EXPECT_EQ(IpAddress::Parse("64:ff9b::7f00:1")->EmbeddedV4()->ToString(), "127.0.0.1");
  EXPECT_FALSE(IpAddress::Parse("::1")->EmbeddedV4().has_value());
  EXPECT_FALSE(IpAddress::Parse("2001:db8::7f00:1")->EmbeddedV4().has_value());
  EXPECT_FALSE(IpAddress::Parse("127.0.0.1")->EmbeddedV4().has_value());
}

TEST(IpAddressTest, FromSockaddr) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = htonl(0x0a000001);
  EXPECT_EQ(IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&v4))->ToString(), "10.0.0.1");
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_addr = in6addr_loopback;
  EXPECT_EQ(IpAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&v6))->ToString(), "::1");
  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::FromSockaddr(&other).has_value());
}

TEST(IpNetworkTest, ParseAndContains) {
  IpNetwork ten = *IpNetwork::Parse("10.0.0.0/8");
  EXPECT_TRUE(ten.Contains(*IpAddress::Parse("10.255.1.2")));
  EXPECT_FALSE(ten.Contains(*IpAddress::Parse("11.0.0.0")));
  EXPECT_FALSE(ten.Contains(*IpAddress::Parse("::ffff:10.0.0.1"))) << "families differ";
  IpNetwork odd = *IpNetwork::Parse("172.16.0.0/12");
  EXPECT_TRUE(odd.Contains(*IpAddress::Parse("172.31.255.255")));
  EXPECT_FALSE(odd.Contains(*IpAddress::Parse("172.32.0.0")));
  IpNetwork ula = *IpNetwork::Parse("fc00::/7");
  EXPECT_TRUE(ula.Contains(*IpAddress::Parse("fd12::1")));
  EXPECT_FALSE(ula.Contains(*IpAddress::Parse("fe00::1")));
  IpNetwork one = *IpNetwork::Parse("192.0.2.7");
  EXPECT_EQ(one.prefix_length(), 32);
  EXPECT_TRUE(one.Contains(*IpAddress::Parse("192.0.2.7")));
  EXPECT_FALSE(one.Contains(*IpAddress::Parse("192.0.2.8")));
  IpNetwork all = *IpNetwork::Parse("::/0");
  EXPECT_TRUE(all.Contains(*IpAddress::Parse("2001:db8::1")));
  EXPECT_EQ(IpNetwork::Parse("0.0.0.0/0")->ToString(), "0.0.0.0/0");
  EXPECT_EQ(IpNetwork::Parse("fe80::/10")->ToString(), "fe80::/10");
}

TEST(IpNetworkTest, RejectsWhatIsNotANetwork) {
  for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/8/8",
                          "10.0.0.0/x", "10.0.0.0/-1", "127.1/8", "localhost", "10.0.0.0 /8"}) {
    EXPECT_FALSE(IpNetwork::Parse(bad).ok()) << bad;
  }
  Result<IpNetwork> typo = IpNetwork::Parse("10.0.0.1/8");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().detail().find("did you mean 10.0.0.0/8"), std::string::npos)
      << typo.status().detail();
}

}  // namespace
}  // namespace cmq
