#include "delivery/host_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace cmq::delivery {

SocketAddress ToSocketAddress(const IpAddress& address, uint16_t port) {
  SocketAddress a;
  if (address.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    std::memcpy(&v4->sin_addr, address.bytes().data(), 4);
    a.length = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    std::memcpy(&v6->sin6_addr, address.bytes().data(), 16);
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

std::string FormatAddress(const SocketAddress& address) {
  std::optional<IpAddress> ip = IpAddress::FromSockaddr(address.get());
  if (!ip) return "?";
  in_port_t port = ip->is_v4() ? reinterpret_cast<const sockaddr_in*>(address.get())->sin_port
                               : reinterpret_cast<const sockaddr_in6*>(address.get())->sin6_port;
  std::string text = ip->ToString();
  return (ip->is_v4() ? text : "[" + text + "]") + ":" + std::to_string(ntohs(port));
}

namespace {

void SetPort(SocketAddress* a, uint16_t port) {
  if (a->storage.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&a->storage)->sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6*>(&a->storage)->sin6_port = htons(port);
  }
}

Result<std::vector<SocketAddress>> LookUp(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) {
    return Status(ErrorCode::kIoError, "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  std::vector<SocketAddress> out;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    out.push_back(a);
  }
  freeaddrinfo(list);
  if (out.empty()) return Status(ErrorCode::kIoError, "no IPv4/IPv6 address for " + host);
  return out;
}

}  // namespace

struct HostResolver::Impl : std::enable_shared_from_this<Impl> {
  // Shared with the resolver thread.
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::string> hosts;  // guarded by mu
    bool stop = false;              // guarded by mu
  };
  struct CacheEntry {
    Result<std::vector<SocketAddress>> result = Status(ErrorCode::kIoError, "unresolved");
    int64_t expires_ms = 0;
  };
  struct Waiter {
    uint16_t port;
    Callback cb;
  };

  http::EventLoop* loop;
  env::Env* env;
  ResolverOptions options;
  std::shared_ptr<Queue> queue = std::make_shared<Queue>();
  std::unique_ptr<env::Env::Thread> thread;
  std::unordered_map<std::string, CacheEntry> cache;
  std::unordered_map<std::string, std::vector<Waiter>> pending;

  Impl(http::EventLoop* l, env::Env* e, ResolverOptions o) : loop(l), env(e), options(o) {}

  static Result<std::vector<SocketAddress>> WithPort(const Result<std::vector<SocketAddress>>& r,
                                                    uint16_t port) {
    if (!r.ok()) return r.status();
    std::vector<SocketAddress> out = *r;
    for (SocketAddress& a : out) SetPort(&a, port);
    return out;
  }

  void StartThread() {
    std::weak_ptr<Impl> weak = weak_from_this();
    std::shared_ptr<Queue> q = queue;
    http::EventLoop* l = loop;
    thread = env->StartThread("cmq-resolver", [q, l, weak] {
      while (true) {
        std::string host;
        {
          std::unique_lock<std::mutex> lock(q->mu);
          q->cv.wait(lock, [&] { return q->stop || !q->hosts.empty(); });
          if (q->stop) return;
          host = std::move(q->hosts.front());
          q->hosts.pop_front();
        }
        auto result = LookUp(host);
        l->Post([weak, host, result = std::move(result)]() mutable {
          if (auto self = weak.lock()) self->OnResolved(host, std::move(result));
        });
      }
    });
  }

  void OnResolved(const std::string& host, Result<std::vector<SocketAddress>> result) {
    int64_t now = env->clock()->NowMs();
    if (cache.size() >= options.max_cache_entries) {
      std::erase_if(cache, [now](const auto& kv) { return kv.second.expires_ms <= now; });
      if (cache.size() >= options.max_cache_entries) cache.clear();
    }
    CacheEntry& entry = cache[host];
    entry.expires_ms = now + (result.ok() ? options.ttl_ms : options.failure_ttl_ms);
    entry.result = std::move(result);
    auto it = pending.find(host);
    if (it == pending.end()) return;
    std::vector<Waiter> waiters = std::move(it->second);
    pending.erase(it);
    // Copy: a callback may resolve again and rehash the cache.
    Result<std::vector<SocketAddress>> answer = entry.result;
    for (Waiter& w : waiters) w.cb(WithPort(answer, w.port));
  }

  void Resolve(const std::string& host, uint16_t port, Callback cb) {
    if (std::optional<IpAddress> address = IpAddress::ParseHost(host)) {
      cb(std::vector<SocketAddress>{ToSocketAddress(*address, port)});
      return;
    }
    if (host == "localhost") {
      cb(std::vector<SocketAddress>{ToSocketAddress(IpAddress::V4(INADDR_LOOPBACK), port),
                                    ToSocketAddress(*IpAddress::Parse("::1"), port)});
      return;
    }
    auto cached = cache.find(host);
    if (cached != cache.end() && cached->second.expires_ms > env->clock()->NowMs()) {
      Result<std::vector<SocketAddress>> answer = WithPort(cached->second.result, port);
      cb(std::move(answer));
      return;
    }
    auto [it, first] = pending.try_emplace(host);
    it->second.push_back({port, std::move(cb)});
    if (!first) return;
    if (!thread) StartThread();
    {
      std::lock_guard<std::mutex> lock(queue->mu);
      queue->hosts.push_back(host);
    }
    queue->cv.notify_one();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(queue->mu);
      queue->stop = true;
    }
    queue->cv.notify_one();
    if (thread) thread->Join();
  }
};

HostResolver::HostResolver(http::EventLoop* loop, env::Env* env, ResolverOptions options)
    : impl_(std::make_shared<Impl>(loop, env, options)) {}

HostResolver::~HostResolver() { impl_->Stop(); }

void HostResolver::Resolve(const std::string& host, uint16_t port, Callback cb) {
  impl_->Resolve(host, port, std::move(cb));
}

}  // namespace cmq::delivery
