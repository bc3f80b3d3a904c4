#include "server/forwarder.h"

#include <unordered_map>
#include <vector>

#include "common/endpoint_url.h"
#include "delivery/host_resolver.h"
#include "delivery/push_connection.h"
#include "server/access_log.h"

namespace cmq::server {
namespace {

using delivery::PushConnection;
using delivery::PushResult;

// Headers that describe one connection or the message framing: written by this hop
// (or by the server answering it), never copied.
bool IsHopHeader(std::string_view lower_name) {
  static constexpr std::string_view kHop[] = {
      "host",    "content-length", "transfer-encoding", "connection", "keep-alive",
      "te",      "trailer",        "upgrade",           "expect",     "proxy-connection",
      "x-forwarded-for", kForwardedByHeader};
  for (std::string_view h : kHop) {
    if (lower_name == h) return true;
  }
  return false;
}

// "ip:port" or "[ip]:port" -> the address alone.
std::string_view PeerAddress(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    size_t close = peer.find(']');
    return close == std::string_view::npos ? peer : peer.substr(1, close - 1);
  }
  size_t colon = peer.rfind(':');
  return colon == std::string_view::npos ? peer : peer.substr(0, colon);
}

}  // namespace

std::string ForwardedRequestBytes(const http::Request& request, const std::string& node_id) {
  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += request.host;
  out += "\r\n";
  std::string forwarded_for;
  if (const std::string* before = request.Header("x-forwarded-for")) {
    forwarded_for = *before + ", ";
  }
  forwarded_for += PeerAddress(request.peer);
  for (const auto& [name, value] : request.headers) {
    if (IsHopHeader(name)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "X-Forwarded-For: " + forwarded_for + "\r\n";
  out += "X-Cmq-Forwarded-By: " + node_id + "\r\n";
  out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n";
  out += request.body;
  return out;
}

struct Forwarder::Impl : std::enable_shared_from_this<Forwarder::Impl> {
  struct Job {
    std::string peer;
    EndpointUrl url;
    std::string bytes;
    Done done;
    http::EventLoop::TimerId timer = 0;
    std::unique_ptr<PushConnection> conn;
    bool retried = false;  // a stale kept-alive connection was replaced once
  };
  struct Idle {
    uint64_t id = 0;
    std::unique_ptr<PushConnection> conn;
    http::EventLoop::TimerId timer = 0;
  };

  http::EventLoop* loop;
  ForwarderOptions options;
  delivery::HostResolver resolver;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, Job> jobs;
  std::unordered_map<std::string, std::vector<Idle>> idle;  // by peer

  Impl(http::EventLoop* l, env::Env* env, ForwarderOptions o)
      : loop(l), options(std::move(o)), resolver(l, env) {}

  ~Impl() {
    for (auto& [id, job] : jobs) {
      if (job.timer != 0) loop->Cancel(job.timer);
    }
    for (auto& [peer, list] : idle) {
      for (Idle& i : list) loop->Cancel(i.timer);
    }
  }

  std::weak_ptr<Impl> Weak() { return weak_from_this(); }

  // Every failure is retryable for the client, whatever its cause.
  static Status Unreachable(const Job& job, const std::string& why) {
    return Status(ErrorCode::kStorageUnavailable, "forwarding to " + job.peer + ": " + why);
  }

  uint64_t Forward(const std::string& peer, const http::Request& request, int64_t timeout_ms,
                   Done done) {
    uint64_t id = ++next_id;
    Job& job = jobs[id];
    job.peer = peer;
    job.bytes = ForwardedRequestBytes(request, options.node_id);
    job.done = std::move(done);
    job.timer = loop->RunAfter(timeout_ms, [w = Weak(), id, peer, timeout_ms] {
      if (auto self = w.lock()) {
        auto it = self->jobs.find(id);
        if (it != self->jobs.end()) it->second.timer = 0;
        self->Finish(id, Status(ErrorCode::kStorageUnavailable,
                                "no answer from " + peer + " within " +
                                    std::to_string(timeout_ms) + " ms"));
      }
    });
    // Started from the loop, so that `done` never runs inside Forward.
    loop->Post([w = Weak(), id] {
      if (auto self = w.lock()) self->Start(id);
    });
    return id;
  }

  void Start(uint64_t id) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Job& job = it->second;
    Result<EndpointUrl> url = ParseEndpointUrl("http://" + job.peer);
    if (!url.ok()) {
      return Finish(id, Unreachable(job, "bad address: " + url.status().detail()));
    }
    job.url = *url;
    auto pool = idle.find(job.peer);
    if (pool != idle.end() && !pool->second.empty()) {
      Idle reuse = std::move(pool->second.back());
      pool->second.pop_back();
      loop->Cancel(reuse.timer);
      job.conn = std::move(reuse.conn);
      return Send(id);
    }
    Connect(id);
  }

  void Connect(uint64_t id) {
    // Copies: the answer may come inside Resolve and end the job.
    const Job& job = jobs.at(id);
    std::string host = job.url.host;
    resolver.Resolve(host, job.url.port,
                     [w = Weak(), id](Result<std::vector<delivery::SocketAddress>> addresses) {
                       auto self = w.lock();
                       if (!self) return;
                       self->Connected(id, std::move(addresses));
                     });
  }

  void Connected(uint64_t id, Result<std::vector<delivery::SocketAddress>> addresses) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Job& job = it->second;
    if (!addresses.ok()) return Finish(id, Unreachable(job, addresses.status().detail()));
    HttpResponseLimits limits;
    limits.max_body_bytes = options.max_response_bytes;
    job.conn = std::make_unique<PushConnection>(loop, nullptr, job.url.host, limits,
                                                HttpBodyMode::kKeep);
    Status connected = job.conn->Connect(addresses->front());
    if (!connected.ok()) return Finish(id, Unreachable(job, connected.detail()));
    Send(id);
  }

  void Send(uint64_t id) {
    Job& job = jobs.at(id);
    job.conn->Send(job.bytes, [w = Weak(), id](PushResult result) {
      if (auto self = w.lock()) self->Answered(id, std::move(result));
    });
  }

  void Answered(uint64_t id, PushResult result) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Job& job = it->second;
    if (result.kind == PushResult::Kind::kStale && !job.retried) {
      // The peer closed the kept-alive connection before reading the request.
      job.retried = true;
      job.conn.reset();
      return Connect(id);
    }
    if (result.kind != PushResult::Kind::kResponse) {
      return Finish(id, Unreachable(job, result.error));
    }
    if (result.reusable) Park(job.peer, std::move(job.conn));
    http::Response response;
    response.status = result.response.status;
    response.reason = result.response.reason;
    if (const std::string* type = result.response.Header("content-type")) {
      response.content_type = *type;
    }
    if (const std::string* summary = result.response.Header(kAnswerSummaryHeader)) {
      response.headers.emplace_back(kAnswerSummaryHeader, *summary);
    }
    response.body = std::move(result.response.body);
    Finish(id, std::move(response));
  }

  void Park(const std::string& peer, std::unique_ptr<PushConnection> conn) {
    std::vector<Idle>& list = idle[peer];
    if (list.size() >= options.max_idle_per_peer) return;  // closes it
    uint64_t idle_id = ++next_id;
    auto drop = [w = Weak(), peer, idle_id] {
      if (auto self = w.lock()) self->DropIdle(peer, idle_id);
    };
    conn->Park(drop);
    Idle entry;
    entry.id = idle_id;
    entry.conn = std::move(conn);
    entry.timer = loop->RunAfter(options.idle_timeout_ms, drop);
    list.push_back(std::move(entry));
  }

  void DropIdle(const std::string& peer, uint64_t idle_id) {
    auto pool = idle.find(peer);
    if (pool == idle.end()) return;
    std::vector<Idle>& list = pool->second;
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i].id != idle_id) continue;
      loop->Cancel(list[i].timer);
      // The connection may be the one calling (its close callback): it touches
      // nothing of itself after the callback returns.
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    if (list.empty()) idle.erase(pool);
  }

  void Finish(uint64_t id, Result<http::Response> outcome) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    Done done = std::move(it->second.done);
    if (it->second.timer != 0) loop->Cancel(it->second.timer);
    jobs.erase(it);  // closes a connection still in use
    done(std::move(outcome));
  }

  void Cancel(uint64_t id) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    if (it->second.timer != 0) loop->Cancel(it->second.timer);
    jobs.erase(it);
  }
};

Forwarder::Forwarder(http::EventLoop* loop, env::Env* env, ForwarderOptions options)
    : impl_(std::make_shared<Impl>(loop, env, std::move(options))) {}

Forwarder::~Forwarder() = default;

uint64_t Forwarder::Forward(const std::string& peer, const http::Request& request,
                            int64_t timeout_ms, Done done) {
  return impl_->Forward(peer, request, timeout_ms, std::move(done));
}

void Forwarder::Cancel(uint64_t id) { impl_->Cancel(id); }

size_t Forwarder::InFlight() const { return impl_->jobs.size(); }

}  // namespace cmq::server
