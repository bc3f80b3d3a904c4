// PushSink: the HTTP endpoint that --mode push subscribes to its topic
// (docs/cmq-api.md 9.5). One epoll thread on 127.0.0.1 (a free port) serves any number
// of keep-alive connections and answers every complete request 200 with an empty body
// at once, so the sink never limits the push rate being measured; then it hands the
// request to the handler.
//
// Requests must carry their body with Content-Length (cmqd's pushes do). A request with
// Transfer-Encoding, a malformed head, a head over 64 KiB or a body over 4 MiB is
// answered 400 and its connection closed; those are counted, not handed on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace cmq::bench {

struct PushRequest {
  std::string_view method;
  std::string_view path;                      // the target without its query
  std::optional<std::string_view> message_id;  // the x-cmq-message-id header
  std::string_view body;
};

class PushSink {
 public:
  // Called on the sink thread, one request at a time, after its 200 is queued. The
  // views are valid only during the call.
  using Handler = std::function<void(const PushRequest& request, int64_t received_ns)>;

  explicit PushSink(Handler handler);
  ~PushSink();  // Stop()
  PushSink(const PushSink&) = delete;
  PushSink& operator=(const PushSink&) = delete;

  // Listens on 127.0.0.1:0 and starts the thread. False with `error` set on failure.
  bool Start(std::string* error);
  // Stops the thread and closes every socket. Idempotent; the handler is not called
  // after it returns, and everything it touched may be read.
  void Stop();

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>" + path.
  std::string Url(std::string_view path) const;

  // Thread-safe counters.
  uint64_t requests() const { return requests_.load(); }        // answered 200
  uint64_t malformed() const { return malformed_.load(); }      // answered 400
  uint64_t connections() const { return connections_.load(); }  // accepted in all

 private:
  struct Connection {
    int fd = -1;
    std::string in;
    std::string out;
    bool close_after_write = false;
    bool want_write = false;  // EPOLLOUT registered
  };

  void Serve();
  void Accept();
  void OnReadable(Connection& c);
  void Flush(Connection& c);
  // Answers and hands on every complete request buffered in c.in.
  void HandleInput(Connection& c);
  void Reject(Connection& c);
  void Close(int fd);

  Handler handler_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> malformed_{0};
  std::atomic<uint64_t> connections_{0};
  std::map<int, std::unique_ptr<Connection>> conns_;  // sink thread only
};

}  // namespace cmq::bench
