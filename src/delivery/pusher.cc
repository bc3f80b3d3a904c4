#include "delivery/pusher.h"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/endpoint_url.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/tls_context.h"
#include "delivery/push_connection.h"
#include "delivery/push_request.h"

namespace cmq::delivery {
namespace {

// Failure lines per endpoint are rate-limited so a dead endpoint cannot flood the log.
constexpr int64_t kFailureLogIntervalMs = 10000;
// Rough per-task overhead counted against max_queued_bytes besides the body.
constexpr size_t kTaskOverheadBytes = 256;

}  // namespace

struct Pusher::Impl : std::enable_shared_from_this<Impl> {
  struct Attempt {
    uint64_t id = 0;
    std::string pool_key;
    EndpointUrl url;
    broker::PushTask task;  // body dropped once the request is formatted
    Done done;
    size_t queued_bytes = 0;
    std::string request;
    std::unique_ptr<PushConnection> conn;
    http::EventLoop::TimerId deadline = 0;
    std::vector<SocketAddress> addresses;
    size_t next_address = 0;
    bool stale_retry_used = false;
  };
  struct IdleConnection {
    uint64_t id;
    std::unique_ptr<PushConnection> conn;
    http::EventLoop::TimerId timer;
  };
  struct Endpoint {
    std::string key;
    bool tls = false;
    std::string host;
    uint16_t port = 0;
    std::deque<std::unique_ptr<Attempt>> queue;
    int outstanding = 0;
    std::vector<IdleConnection> idle;  // most recently used last
    std::optional<int64_t> last_failure_log_ms;
    uint64_t unlogged_failures = 0;
  };

  http::EventLoop* loop;
  env::Env* env;
  PusherOptions options;
  HostResolver resolver;
  std::unique_ptr<TlsClientContext> tls;
  std::string tls_error;  // set when the TLS context could not be created
  std::unordered_map<std::string, std::unique_ptr<Endpoint>> endpoints;
  std::unordered_map<uint64_t, std::unique_ptr<Attempt>> running;
  std::unordered_set<std::string> dirty;  // endpoints whose FIFO may move
  bool pump_posted = false;
  size_t queued_bytes = 0;
  uint64_t next_id = 1;
  uint64_t next_request_id = RandomUint64() >> 12;
  Stats counters;

  Impl(http::EventLoop* l, env::Env* e, PusherOptions o)
      : loop(l), env(e), options(std::move(o)), resolver(l, e, options.resolver) {
    // Zero would park every task forever.
    options.max_outstanding_per_endpoint = std::max(1, options.max_outstanding_per_endpoint);
    if (!options.policy) options.policy = std::make_shared<const PushNetworkPolicy>();
  }

  void Shutdown() {
    for (auto& [id, a] : running) {
      if (a->deadline != 0) loop->Cancel(a->deadline);
    }
    running.clear();
    for (auto& [key, ep] : endpoints) {
      for (IdleConnection& c : ep->idle) loop->Cancel(c.timer);
    }
    endpoints.clear();
  }

  // Failure that must not complete inside Push (the caller may be the broker).
  void FailLater(Done done, std::string why) {
    ++counters.failed;
    std::weak_ptr<Impl> weak = weak_from_this();
    loop->Post([weak, done = std::move(done), why = std::move(why)] {
      if (weak.lock()) done(false, why);
    });
  }

  void MarkDirty(const std::string& key) {
    dirty.insert(key);
    if (pump_posted) return;
    pump_posted = true;
    std::weak_ptr<Impl> weak = weak_from_this();
    loop->Post([weak] {
      if (auto self = weak.lock()) self->Pump();
    });
  }

  void LogFailure(Endpoint* ep, const std::string& why, const broker::PushTask& task) {
    int64_t now = env->clock()->NowMs();
    if (ep->last_failure_log_ms && now - *ep->last_failure_log_ms < kFailureLogIntervalMs) {
      ++ep->unlogged_failures;
      return;
    }
    std::string more;
    if (ep->unlogged_failures > 0) {
      more = " (+" + std::to_string(ep->unlogged_failures) + " more failures not logged)";
    }
    CMQ_LOG_WARN("push to %s failed: %s (msgId %s, subscription %s, attempt %d)%s",
                 task.endpoint.c_str(), why.c_str(), task.msg_id.c_str(),
                 task.subscription_name.c_str(), task.attempt + 1, more.c_str());
    ep->last_failure_log_ms = now;
    ep->unlogged_failures = 0;
  }

  void Push(const broker::PushTask& task, Done done) {
    auto url = ParseEndpointUrl(task.endpoint);
    if (!url.ok()) {
      CMQ_LOG_WARN("push of msgId %s failed: %s", task.msg_id.c_str(),
                   url.status().detail().c_str());
      FailLater(std::move(done), url.status().detail());
      return;
    }
    std::string key = url->PoolKey();
    auto& slot = endpoints[key];
    if (!slot) {
      slot = std::make_unique<Endpoint>();
      slot->key = key;
      slot->tls = url->tls;
      slot->host = url->host;
      slot->port = url->port;
    }
    Endpoint* ep = slot.get();
    size_t bytes = task.body.size() + task.endpoint.size() + kTaskOverheadBytes;
    if (ep->queue.size() >= options.max_queued_per_endpoint ||
        queued_bytes + bytes > options.max_queued_bytes) {
      std::string why = "too many pushes waiting (" + std::to_string(ep->queue.size()) +
                        " for this endpoint, " + std::to_string(queued_bytes) + " bytes in all)";
      LogFailure(ep, why, task);
      FailLater(std::move(done), why);
      MarkDirty(key);  // lets the pump drop an endpoint created just now
      return;
    }
    auto a = std::make_unique<Attempt>();
    a->pool_key = key;
    a->url = std::move(url).value();
    a->task = task;
    a->done = std::move(done);
    a->queued_bytes = bytes;
    queued_bytes += bytes;
    ep->queue.push_back(std::move(a));
    MarkDirty(key);
  }

  void Pump() {
    pump_posted = false;
    std::unordered_set<std::string> keys;
    keys.swap(dirty);
    for (const std::string& key : keys) {
      auto it = endpoints.find(key);
      if (it == endpoints.end()) continue;
      Endpoint* ep = it->second.get();
      while (ep->outstanding < options.max_outstanding_per_endpoint && !ep->queue.empty()) {
        std::unique_ptr<Attempt> a = std::move(ep->queue.front());
        ep->queue.pop_front();
        queued_bytes -= a->queued_bytes;
        Start(ep, std::move(a));
      }
      MaybeDropEndpoint(key);
    }
  }

  void MaybeDropEndpoint(const std::string& key) {
    auto it = endpoints.find(key);
    if (it == endpoints.end()) return;
    Endpoint* ep = it->second.get();
    if (ep->queue.empty() && ep->outstanding == 0 && ep->idle.empty()) endpoints.erase(it);
  }

  bool EnsureTls() {
    if (tls) return true;
    if (!tls_error.empty()) return false;
    TlsClientOptions tls_options;
    tls_options.verify_peer = options.verify_tls;
    auto ctx = TlsClientContext::Create(tls_options);
    if (!ctx.ok()) {
      tls_error = "TLS unavailable: " + ctx.status().detail();
      CMQ_LOG_ERROR("https pushes will fail: %s", tls_error.c_str());
      return false;
    }
    tls = std::move(ctx).value();
    if (!options.verify_tls) {
      CMQ_LOG_WARN("https push endpoints: certificate verification is OFF (push_verify_tls)");
    }
    return true;
  }

  void Start(Endpoint* ep, std::unique_ptr<Attempt> owned) {
    Attempt* a = owned.get();
    a->id = next_id++;
    std::string request_id = std::to_string(next_request_id++);
    a->request = FormatPushRequest(a->task, a->url, request_id);
    a->task.body.clear();
    a->task.body.shrink_to_fit();
    uint64_t id = a->id;
    std::weak_ptr<Impl> weak = weak_from_this();
    a->deadline = loop->RunAfter(options.timeout_ms, [weak, id] {
      if (auto self = weak.lock()) self->OnDeadline(id);
    });
    ++ep->outstanding;
    ++counters.attempts_started;
    running[id] = std::move(owned);
    if (ep->tls && !EnsureTls()) {
      Finish(id, false, tls_error);
      return;
    }
    if (!ep->idle.empty()) {
      IdleConnection idle = std::move(ep->idle.back());
      ep->idle.pop_back();
      loop->Cancel(idle.timer);
      a->conn = std::move(idle.conn);
      SendOn(a);
      return;
    }
    Open(ep, a);
  }

  void Open(Endpoint* ep, Attempt* a) {
    uint64_t id = a->id;
    std::weak_ptr<Impl> weak = weak_from_this();
    resolver.Resolve(ep->host, ep->port, [weak, id](Result<std::vector<SocketAddress>> r) {
      if (auto self = weak.lock()) self->OnResolved(id, std::move(r));
    });
  }

  void OnResolved(uint64_t id, Result<std::vector<SocketAddress>> addresses) {
    auto it = running.find(id);
    if (it == running.end()) return;  // timed out meanwhile
    if (!addresses.ok()) {
      Finish(id, false, addresses.status().detail());
      return;
    }
    Attempt* a = it->second.get();
    a->addresses.clear();
    a->next_address = 0;
    std::string refused;      // for the log: each refused address and why
    std::string_view reason;  // for the owner: why, without addresses
    for (const SocketAddress& address : *addresses) {
      std::optional<IpAddress> ip = IpAddress::FromSockaddr(address.get());
      std::optional<std::string_view> why = ip ? options.policy->Refusal(*ip, a->url.port)
                                               : std::optional<std::string_view>("not IP");
      if (!why) {
        a->addresses.push_back(address);
        continue;
      }
      reason = *why;
      refused +=
          (refused.empty() ? "" : ", ") + FormatAddress(address) + " (" + std::string(*why) + ")";
    }
    if (a->addresses.empty()) {
      Finish(id, false,
             "refused: " + a->url.host + " is in a network pushes may not reach (" +
                 std::string(reason) + ")",
             "resolved to " + refused);
      return;
    }
    if (!refused.empty()) {
      CMQ_LOG_DEBUG("push to %s: not connecting to %s", a->url.host.c_str(), refused.c_str());
    }
    ConnectNext(a);
  }

  void ConnectNext(Attempt* a) {
    Endpoint* ep = endpoints.at(a->pool_key).get();
    std::string error = "no address";
    while (a->next_address < a->addresses.size()) {
      auto conn = std::make_unique<PushConnection>(loop, ep->tls ? tls.get() : nullptr, ep->host,
                                                   options.response);
      Status s = conn->Connect(a->addresses[a->next_address++]);
      if (s.ok()) {
        ++counters.connections_opened;
        a->conn = std::move(conn);
        SendOn(a);
        return;
      }
      error = s.detail();
    }
    Finish(a->id, false, error);
  }

  void SendOn(Attempt* a) {
    uint64_t id = a->id;
    std::weak_ptr<Impl> weak = weak_from_this();
    a->conn->Send(a->request, [weak, id](PushResult r) {
      if (auto self = weak.lock()) self->OnResult(id, std::move(r));
    });
  }

  // Runs inside the connection's callback: it may be destroyed here.
  void OnResult(uint64_t id, PushResult r) {
    auto it = running.find(id);
    if (it == running.end()) return;
    Attempt* a = it->second.get();
    switch (r.kind) {
      case PushResult::Kind::kResponse: {
        bool delivered = r.status >= 200 && r.status <= 299;
        if (r.reusable) Park(std::move(a->conn), a->pool_key);
        Finish(id, delivered, "HTTP status " + std::to_string(r.status));
        return;
      }
      case PushResult::Kind::kStale:
        if (!a->stale_retry_used) {
          a->stale_retry_used = true;
          ++counters.stale_retries;
          a->conn.reset();
          Open(endpoints.at(a->pool_key).get(), a);
          return;
        }
        break;
      case PushResult::Kind::kConnectFailed:
        if (a->next_address < a->addresses.size()) {
          a->conn.reset();
          ConnectNext(a);
          return;
        }
        break;
      case PushResult::Kind::kFailed:
        break;
    }
    Finish(id, false, r.error);
  }

  void Park(std::unique_ptr<PushConnection> conn, const std::string& key) {
    Endpoint* ep = endpoints.at(key).get();
    uint64_t idle_id = next_id++;
    std::weak_ptr<Impl> weak = weak_from_this();
    conn->Park([weak, key, idle_id] {
      if (auto self = weak.lock()) self->DropIdle(key, idle_id, /*cancel_timer=*/true);
    });
    http::EventLoop::TimerId timer =
        loop->RunAfter(options.idle_timeout_ms, [weak, key, idle_id] {
          if (auto self = weak.lock()) self->DropIdle(key, idle_id, /*cancel_timer=*/false);
        });
    ep->idle.push_back({idle_id, std::move(conn), timer});
  }

  void DropIdle(const std::string& key, uint64_t idle_id, bool cancel_timer) {
    auto it = endpoints.find(key);
    if (it == endpoints.end()) return;
    std::vector<IdleConnection>& idle = it->second->idle;
    for (size_t i = 0; i < idle.size(); ++i) {
      if (idle[i].id != idle_id) continue;
      if (cancel_timer) loop->Cancel(idle[i].timer);
      idle.erase(idle.begin() + static_cast<ptrdiff_t>(i));
      MaybeDropEndpoint(key);
      return;
    }
  }

  void OnDeadline(uint64_t id) {
    auto it = running.find(id);
    if (it == running.end()) return;
    it->second->deadline = 0;
    Finish(id, false, "no complete response within " + std::to_string(options.timeout_ms) + " ms");
  }

  // Ends attempt `id`; its connection, unless parked already, is closed. A failure's
  // `why` goes to the log and to `done`; `log_detail`, to the log only.
  void Finish(uint64_t id, bool delivered, const std::string& why,
              const std::string& log_detail = "") {
    auto node = running.extract(id);
    if (node.empty()) return;
    std::unique_ptr<Attempt> a = std::move(node.mapped());
    if (a->deadline != 0) loop->Cancel(a->deadline);
    Endpoint* ep = endpoints.at(a->pool_key).get();
    --ep->outstanding;
    MarkDirty(a->pool_key);
    if (delivered) {
      ++counters.delivered;
    } else {
      ++counters.failed;
      LogFailure(ep, log_detail.empty() ? why : why + " [" + log_detail + "]", a->task);
    }
    Done done = std::move(a->done);
    a.reset();  // closes a connection that was not parked
    done(delivered, delivered ? std::string_view() : std::string_view(why));
  }

  Stats GetStats() const {
    Stats s = counters;
    s.outstanding = running.size();
    for (const auto& [id, a] : running) s.open_connections += a->conn ? 1 : 0;
    for (const auto& [key, ep] : endpoints) {
      s.queued += ep->queue.size();
      s.open_connections += ep->idle.size();
    }
    return s;
  }
};

Pusher::Pusher(http::EventLoop* loop, env::Env* env, PusherOptions options)
    : impl_(std::make_shared<Impl>(loop, env, std::move(options))) {}

Pusher::~Pusher() { impl_->Shutdown(); }

void Pusher::Push(const broker::PushTask& task, Done done) { impl_->Push(task, std::move(done)); }

Pusher::Stats Pusher::stats() const { return impl_->GetStats(); }

}  // namespace cmq::delivery
