// PushConnection: one non-blocking client socket to a push endpoint (plain TCP or TLS)
// carrying one request at a time, kept open between requests when the server allows.
// The pusher discards response bodies; cmqd's forwarding to the owner of a partition
// (server/forwarder.h) keeps them (HttpBodyMode::kKeep).
//
// Life: Connect() -> Send() -> done(result) -> [Park() ... Send() again] -> destroyed.
// A request given while the socket is still connecting (or shaking hands) is written
// once it can be. The owner enforces the overall deadline by destroying the
// connection; this class has no timers.
//
// Thread: the event loop's. Callbacks may destroy the connection; it touches nothing
// of itself after calling one.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/http_response_parser.h"
#include "common/tls_context.h"
#include "delivery/host_resolver.h"
#include "http/event_loop.h"

namespace cmq::delivery {

struct PushResult {
  enum class Kind {
    kResponse,       // a complete response; see status
    kConnectFailed,  // TCP connect or TLS handshake failed: nothing was sent
    kStale,          // a parked connection closed before any byte of a response
    kFailed,         // anything else: write/read error, malformed or truncated response
  };
  Kind kind = Kind::kFailed;
  int status = 0;
  bool reusable = false;  // kResponse only: the connection may carry another request
  HttpResponse response;  // kResponse only; its body is empty under HttpBodyMode::kDiscard
  std::string error;      // for logs
};

class PushConnection {
 public:
  // `loop` is not owned. `tls` (not owned) is null for plain http.
  PushConnection(http::EventLoop* loop, const TlsClientContext* tls, std::string host,
                 HttpResponseLimits limits, HttpBodyMode body_mode = HttpBodyMode::kDiscard);
  ~PushConnection();
  PushConnection(const PushConnection&) = delete;
  PushConnection& operator=(const PushConnection&) = delete;

  // Starts a non-blocking connect. An error here (no socket, unreachable at once)
  // means the connection is unusable.
  Status Connect(const SocketAddress& address);

  // Sends one complete request and reports its outcome once through `done`. Only
  // after Connect or on a parked connection.
  using Done = std::function<void(PushResult)>;
  void Send(std::string request, Done done);

  // Keeps an idle connection watched: if the peer closes it or sends anything,
  // `on_close` runs (once) and the connection is useless.
  void Park(std::function<void()> on_close);

  bool reused() const { return requests_ > 1; }
  const std::string& peer() const { return peer_; }

 private:
  enum class Phase { kConnecting, kHandshaking, kWriting, kReading, kParked, kBroken };

  void OnEvents(uint32_t events);
  void OnConnected();
  void Handshake();
  void WriteSome();
  void ReadSome();
  void CheckParked();
  void Watch(uint32_t events);
  // Ends the current request with `result`; the connection stays usable only for a
  // reusable response.
  void Finish(PushResult result);
  void Fail(PushResult::Kind kind, std::string error);
  // Reads or writes through TLS when present. Returns bytes (> 0), 0 at EOF, or -1
  // with *again set when the socket is not ready (and *want_write when TLS needs to
  // write to make progress), else -1 with *error set.
  ssize_t Read(char* buf, size_t n, bool* again, std::string* error);
  ssize_t Write(const char* buf, size_t n, bool* again, std::string* error);

  http::EventLoop* loop_;
  const TlsClientContext* tls_;
  std::string host_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool watching_ = false;
  uint32_t watched_ = 0;
  bool tls_wants_write_ = false;
  Phase phase_ = Phase::kConnecting;
  std::string peer_;
  std::string out_;
  size_t out_off_ = 0;
  int requests_ = 0;
  HttpResponseParser parser_;
  Done done_;
  std::function<void()> on_close_;
};

}  // namespace cmq::delivery
