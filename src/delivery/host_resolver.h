// HostResolver: turns endpoint host names into socket addresses without blocking the
// event loop. Addresses (in every form IpAddress::ParseHost reads, the same rule the
// endpoint's parser uses) and "localhost" resolve at once; other names go to one
// resolver thread (getaddrinfo), whose answers come back through EventLoop::Post and
// are cached for a TTL (failures for a shorter one). Concurrent lookups of one name
// share a single getaddrinfo call.
//
// Thread: every public method on the loop thread. Callbacks run on the loop thread,
// possibly inside Resolve itself (cached or literal answers), never after the
// resolver is destroyed. Destruction waits for a getaddrinfo call in progress.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/status.h"
#include "env/env.h"
#include "http/event_loop.h"

namespace cmq::delivery {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress ToSocketAddress(const IpAddress& address, uint16_t port);
std::string FormatAddress(const SocketAddress& address);

struct ResolverOptions {
  int64_t ttl_ms = 60000;
  int64_t failure_ttl_ms = 5000;
  size_t max_cache_entries = 10000;
};

class HostResolver {
 public:
  // Addresses in preference order (never empty on success); kIoError naming the host
  // when the name does not resolve.
  using Callback = std::function<void(Result<std::vector<SocketAddress>>)>;

  // `loop` and `env` are not owned and must outlive the resolver. The thread comes
  // from env->StartThread (on first need); cache expiry reads env->clock().
  HostResolver(http::EventLoop* loop, env::Env* env, ResolverOptions options = {});
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  void Resolve(const std::string& host, uint16_t port, Callback cb);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cmq::delivery
