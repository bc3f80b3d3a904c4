// Pusher: performs the HTTP push attempts the broker hands out (docs/cmq-api.md 9.5)
// on the server's event loop and reports each outcome once.
//
// Per endpoint (scheme, host, port) it keeps a pool of keep-alive connections and at
// most `max_outstanding_per_endpoint` attempts in progress; further tasks wait in that
// endpoint's own FIFO (at most `max_queued_per_endpoint` of them; beyond, and beyond
// `max_queued_bytes` in all, a task fails at once so the broker's retry policy
// applies). A slow or dead endpoint therefore delays only its own tasks.
//
// An attempt is delivered iff a complete response with a 2xx status arrives within
// `timeout_ms` of the attempt starting (the time a task waits in its endpoint's FIFO
// does not count). Everything else fails it: other statuses (redirects are not
// followed), name resolution, connect or TLS errors, malformed or truncated
// responses, the timeout, and an endpoint the network policy refuses. A kept-alive
// connection that turns out closed before any byte of a response is retried once on a
// fresh connection. Response bodies are read (up to a limit) and ignored.
//
// Network policy (defect 7, server-side request forgery): the endpoint's host is
// resolved once per new connection, every address is checked with
// `PusherOptions::policy`, and only an allowed address is connected to (the very
// socket address that was checked, so a DNS answer that changes between check and
// connect cannot slip through). If none is allowed the attempt fails with an error
// that names the reason but not the resolved addresses (it is shown to the
// subscription's owner); the log line has them.
//
// Thread: the event loop's, for every call and every callback. `done` is called
// exactly once per Push, never inside Push itself (it may call Push again), and never
// after the Pusher is destroyed: destruction drops queued and running attempts
// without calling their `done` (the broker hands pending deliveries out again after a
// restart). The process must ignore SIGPIPE (cmqd does): OpenSSL writes with write().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "broker/topic_types.h"
#include "common/http_response_parser.h"
#include "common/push_network_policy.h"
#include "delivery/host_resolver.h"
#include "env/env.h"
#include "http/event_loop.h"

namespace cmq::delivery {

struct PusherOptions {
  int64_t timeout_ms = 15000;
  int max_outstanding_per_endpoint = 16;
  size_t max_queued_per_endpoint = 10000;
  size_t max_queued_bytes = 256u << 20;  // bodies waiting in all FIFOs
  // Idle kept-alive connections are closed after this. Below Node's default 5 s
  // server keep-alive, so the common case closes on our side first.
  int64_t idle_timeout_ms = 4000;
  bool verify_tls = true;  // https: check the certificate against the system CA store
  // Which addresses pushes may connect to. Null: the built-in defaults.
  std::shared_ptr<const PushNetworkPolicy> policy;
  // Responses are parsed with bodies discarded: a body longer than this ends the
  // response early (its connection is not reused).
  HttpResponseLimits response{.max_header_bytes = 64 << 10, .max_body_bytes = 1 << 20};
  ResolverOptions resolver;
};

class Pusher {
 public:
  struct Stats {
    uint64_t attempts_started = 0;
    uint64_t delivered = 0;
    uint64_t failed = 0;
    uint64_t connections_opened = 0;
    uint64_t stale_retries = 0;
    size_t open_connections = 0;  // busy and idle
    size_t queued = 0;            // waiting in endpoint FIFOs
    size_t outstanding = 0;       // attempts in progress
  };

  // `loop` and `env` (threads for name resolution, clock for its cache) are not owned
  // and must outlive the Pusher.
  Pusher(http::EventLoop* loop, env::Env* env, PusherOptions options);
  ~Pusher();
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  // `done` gets the outcome and, for a failure, why (for the subscription's owner:
  // no resolved addresses in it).
  using Done = std::function<void(bool delivered, std::string_view error)>;
  void Push(const broker::PushTask& task, Done done);

  Stats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace cmq::delivery
