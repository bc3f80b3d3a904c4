// PushSink: the HTTP endpoint that --mode push subscribes to its topic
// (docs/cmq-api.md 9.5): http::ScriptedServer on 127.0.0.1 (a free port), which reads
// requests with cmqd's own request parser on keep-alive connections. Every complete
// request is handed to the handler and answered 200 with an empty body; a malformed
// one (including a head over 64 KiB or a body over 4 MiB) is answered with its 4xx
// and its connection closed, and counted, not handed on. Requests are not kept.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http/scripted_server.h"

namespace cmq::bench {

struct PushRequest {
  std::string_view method;
  std::string_view path;                       // the target without its query
  std::optional<std::string_view> message_id;  // the x-cmq-message-id header
  std::string_view body;
};

class PushSink {
 public:
  // Called one request at a time (the sink has a thread per connection), before the
  // request is answered. The views are valid only during the call.
  using Handler = std::function<void(const PushRequest& request, int64_t received_ns)>;

  explicit PushSink(Handler handler) : handler_(std::move(handler)) {}
  PushSink(const PushSink&) = delete;
  PushSink& operator=(const PushSink&) = delete;

  // Listens on 127.0.0.1:0 and starts serving. False with `error` set on failure.
  bool Start(std::string* error);
  // Stops serving and closes every socket. Idempotent; the handler is not called
  // after it returns, and everything it touched may be read.
  void Stop();

  // "http://127.0.0.1:<port>" + path. After a successful Start.
  std::string Url(std::string_view path) const { return server_->Url(path); }

  // After a successful Start; thread-safe, and kept after Stop().
  uint64_t requests() const { return server_->request_count(); }  // answered 200
  uint64_t malformed() const { return server_->malformed(); }     // answered 4xx by the parser
  uint64_t connections() const { return server_->connections_accepted(); }  // in all

 private:
  Handler handler_;
  std::mutex handler_mu_;  // the handler sees one request at a time
  std::unique_ptr<http::ScriptedServer> server_;
};

}  // namespace cmq::bench
