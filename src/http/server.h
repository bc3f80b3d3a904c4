// HTTP/1.1 server for the CMQ API: keep-alive, pipelined requests answered in order,
// requests parked for long polling at the cost of their buffers only, limits on
// header and body size, idle and slow-client timeouts, clean 4xx for malformed input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/event_loop.h"

namespace cmq {
class TlsServerContext;
}  // namespace cmq

namespace cmq::http {

struct Request {
  std::string method;       // as received, e.g. "POST"
  std::string target;       // request-target as received, e.g. "/v2/index.php?a=b"
  std::string path;         // target up to '?', not normalised
  std::string query;        // after '?', without it ("" if none)
  std::string host;         // Host header value as received ("" if absent)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;         // de-chunked
  std::string peer;         // "ip:port" of the client ("[ip]:port" for IPv6)
  bool tls = false;         // arrived over HTTPS
  int version_minor = 1;    // HTTP/1.x
  bool keep_alive = true;   // after Connection header and version rules
  const std::string* Header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  std::string reason = "OK";
  std::string content_type = "application/json; charset=utf-8";
  // Extra headers, sent as given; the server writes Content-Length and Connection
  // itself (and Content-Type from the field above), so do not repeat them here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // send "Connection: close" and close after writing
};

// Called exactly once per request, on the loop thread, now or later (also from inside
// OnRequest). Calling it after the client disconnected, or a second time, is harmless
// (the response is dropped). It must not be called after the Server is destroyed; the
// destructor runs the on_cancel of every request still pending.
using Responder = std::function<void(Response)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // `on_cancel` may be set by the handler: the server calls it (once, on the loop
  // thread) if the connection closes before the response was given, e.g. to cancel a
  // parked long poll.
  virtual void OnRequest(Request request, Responder respond,
                         std::function<void(std::function<void()>)> set_on_cancel) = 0;
};

struct ServerOptions {
  size_t max_header_bytes = 64 << 10;      // request line + headers; 431 beyond
  size_t max_body_bytes = 4 << 20;         // 413 beyond
  int64_t idle_timeout_ms = 120000;        // keep-alive connection with no request
  int64_t request_timeout_ms = 30000;      // a started request must arrive fully within
  // Beyond this many open connections the server stops accepting; further clients
  // wait in the listen backlog until a connection closes (logged, rate-limited).
  size_t max_connections = 100000;
};

class Server {
 public:
  // `loop` and `handler` are not owned.
  Server(EventLoop* loop, Handler* handler, ServerOptions options);
  ~Server();
  // Binds and listens ("0.0.0.0", "127.0.0.1", "::", a host name). Port 0 picks a free
  // port; see port(). With `tls` (not owned, must outlive the server) the listener
  // speaks HTTPS: each connection first completes a TLS handshake within
  // request_timeout_ms, and plain HTTP sent to it is answered 400 in plain HTTP.
  // Loop thread (or before Run()).
  // `bound_port`, if given, receives the port bound (port() is the first listener's).
  Status Listen(const std::string& host, uint16_t port, const TlsServerContext* tls = nullptr,
                uint16_t* bound_port = nullptr);
  uint16_t port() const;
  // Graceful shutdown, step one: stop accepting, close idle connections, and answer
  // "Connection: close" on every response from now on. Loop thread.
  void StopAccepting();
  // Accepts at most min(options.max_connections, `cap`) connections from now on; `why`
  // names the reason in the log line written when the limit is reached (cmqd: what
  // the open-file limit leaves for clients). Connections beyond a lowered cap stay
  // open; no new one is accepted until enough of them closed. Loop thread.
  void LimitConnections(size_t cap, std::string why);
  // Requests received and not yet answered (parked long polls included).
  size_t PendingRequests() const;
  size_t OpenConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::http
