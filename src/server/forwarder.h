// Forwarder: how a node of the distributed mode passes a request it does not serve to
// the node that owns the partition (docs/architecture.md, "Any node serves any
// request"). The request goes unchanged (method, target, Host, body: the client's
// signature still verifies at the owner), marked with `X-Cmq-Forwarded-By` so that a
// node that lost the partition in between answers instead of forwarding again, over
// kept-alive connections to each peer. The owner's answer comes back as it was sent
// (status, Content-Type, body), with its X-Cmq-Answer header (access_log.h) for the
// forwarding node's access line.
//
// A forward ends exactly once: with the peer's complete response, or with an error
// (the peer cannot be resolved or reached, the connection broke, a malformed answer,
// or no answer within the timeout). After an error the request may or may not have
// run at the peer; the caller answers with a retryable error. A kept-alive connection
// found closed before any byte of the answer is retried once on a new one (the request
// never reached the peer).
//
// Thread: the event loop's, for every call and callback. `done` never runs inside
// Forward, never after Cancel or after the Forwarder is destroyed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "env/env.h"
#include "http/event_loop.h"
#include "http/server.h"

namespace cmq::server {

struct ForwarderOptions {
  // This node's id, sent in X-Cmq-Forwarded-By (the peer's logs name the forwarder).
  std::string node_id;
  // Idle kept-alive connections to a peer close after this, and at most this many are
  // kept per peer.
  int64_t idle_timeout_ms = 30000;
  size_t max_idle_per_peer = 64;
  // Answers are read up to this size (the API's answers are far smaller).
  size_t max_response_bytes = 64 << 20;
};

// The header that marks a forwarded request (lower case, as http::Request keeps names).
inline constexpr const char* kForwardedByHeader = "x-cmq-forwarded-by";

class Forwarder {
 public:
  // `loop` and `env` (its resolver thread and clock) are not owned and must outlive it.
  Forwarder(http::EventLoop* loop, env::Env* env, ForwarderOptions options);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Sends `request` to `peer` ("host:port", "[v6]:port") and reports the answer, or
  // the error, once, within `timeout_ms`. Returns an id for Cancel.
  using Done = std::function<void(Result<http::Response>)>;
  uint64_t Forward(const std::string& peer, const http::Request& request, int64_t timeout_ms,
                   Done done);

  // The client went away: the forward ends without an answer and its connection
  // closes, so the peer cancels a parked long poll. Unknown or finished ids are ignored.
  void Cancel(uint64_t id);

  // Forwards in progress.
  size_t InFlight() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The bytes of `request` as sent to a peer, marked as forwarded by `node_id` (exposed
// for tests).
std::string ForwardedRequestBytes(const http::Request& request, const std::string& node_id);

}  // namespace cmq::server
