// HttpSink: a subscriber's HTTP endpoint for the black-box tests (docs/cmq-api.md 9.5),
// on http::ScriptedServer (127.0.0.1, a free port). It answers per path as scripted:
// 200, 500, or never (the request is held, its connection left open, until the sink
// is destroyed), and keeps every request for the tests to inspect. A request is
// recorded together with the choice of its answer, so a test that has seen it and
// then changes the script never changes that request's answer. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "http/scripted_server.h"

namespace cmq::testing {

using SinkRequest = http::ReceivedRequest;

class HttpSink {
 public:
  enum class Answer { kOk, kError500, kNever };

  HttpSink();

  bool listening() const { return server_.listening(); }
  uint16_t port() const { return server_.port(); }
  // "http://127.0.0.1:<port>" + path.
  std::string Url(std::string_view path) const { return server_.Url(path); }

  // Requests for `path` get 500 for the first `failures`, then `then`. Unscripted
  // paths get 200.
  void Script(const std::string& path, Answer then, int failures = 0);

  // The requests received for `path` (the target without its query), in arrival order.
  std::vector<SinkRequest> Requests(const std::string& path) const;
  // Waits until at least `n` requests for `path` arrived (true) or `timeout_ms` passed.
  bool WaitForRequests(const std::string& path, size_t n, int64_t timeout_ms = 60000) const;
  // Waits until `n` requests are held without an answer, their connections open
  // (true), or `timeout_ms` passes.
  bool WaitHeldOpen(int n, int64_t timeout_ms = 60000) const {
    return server_.WaitHeldOpen(n, std::chrono::milliseconds(timeout_ms));
  }

 private:
  struct PathState {
    Answer then = Answer::kOk;
    int failures = 0;
    std::vector<SinkRequest> requests;
  };
  // Records `request` and chooses its answer, in one step.
  http::ScriptedReply Reply(const SinkRequest& request);

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, PathState> paths_;  // guarded by mu_
  http::ScriptedServer server_;             // last: stops before the paths go
};

}  // namespace cmq::testing
