// HttpSink: a small HTTP/1.1 server inside the black-box test process that stands in
// for a subscriber's endpoint (docs/cmq-api.md 9.5). It records every request (method,
// target, headers, body) and answers per path as scripted: 200, 500, or never (the
// request is held, its connection left open, until the sink is destroyed).
//
// One thread serves all connections with poll(); keep-alive, Content-Length and
// chunked bodies are understood. Every public method is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace cmq::testing {

struct SinkRequest {
  std::string method;
  std::string target;                                        // as received, query included
  std::string path;                                          // target without the query
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as received
  std::string body;

  // The value of header `name` (case-insensitive; the last one wins), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

class HttpSink {
 public:
  enum class Answer { kOk, kError500, kNever };

  // Listens on 127.0.0.1 on a free port and starts serving; check listening().
  HttpSink();
  ~HttpSink();  // stops the thread and closes every connection (held ones too)
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  bool listening() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>" + path.
  std::string Url(std::string_view path) const;

  // Requests for `path` get 500 for the first `failures`, then `then`. Unscripted
  // paths get 200.
  void Script(const std::string& path, Answer then, int failures = 0);

  // The requests received for `path` so far, in arrival order.
  std::vector<SinkRequest> Requests(const std::string& path) const;
  // Waits until at least `n` requests for `path` arrived (true) or `timeout_ms` passed.
  bool WaitForRequests(const std::string& path, size_t n, int64_t timeout_ms = 60000) const;
  // Requests for `path` held without an answer whose connection is still open.
  size_t HeldOpen(const std::string& path) const;

 private:
  struct Connection;
  struct PathState {
    Answer then = Answer::kOk;
    int failures = 0;
    std::vector<SinkRequest> requests;
    size_t held_open = 0;
  };
  void Serve();
  // Parses and answers every complete request buffered on `c`; false to close it.
  bool HandleInput(Connection& c);
  void Drop(Connection& c);

  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, PathState> paths_;                // guarded by mu_
  std::vector<std::unique_ptr<Connection>> connections_;  // serving thread only
};

}  // namespace cmq::testing
