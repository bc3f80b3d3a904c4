// ScriptedServer: a small blocking HTTP/1.1 server on 127.0.0.1 whose every answer is
// scripted by its owner. It stands in for subscribers' push endpoints and for a CMQ
// server in the tests, and it is cmq-bench's push sink; cmqd does not use it.
//
// One thread accepts; each connection is served by a thread of its own with blocking
// I/O, so a handler may block to hold its request while other connections go on.
// Requests are read with the project's RequestParser, held to the same rules as
// cmqd's own requests: a malformed one is answered with the parser's 4xx/5xx and the
// connection is closed (counted in malformed()). A request is recorded (unless
// `record` is off) before the handler runs; the handler's reply is then written as
// given, well-formed or not, and the connection kept, closed, or held silent (read
// and ignored until the peer closes). A request that asked to close gets its reply
// and the close.
//
// Thread: every public method but Stop is thread-safe. Handlers run on connection
// threads, possibly at the same time. Stop (and the destructor) closes every
// connection (held ones too) and joins every thread; a handler still blocked must be
// released by its test.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/request_parser.h"
#include "http/server.h"

namespace cmq::http {

struct ReceivedRequest : Request {
  int connection = 0;  // 1-based index of the connection it arrived on
  // The value of header `lower_name`, or `fallback` when absent.
  std::string HeaderOr(std::string_view lower_name, std::string_view fallback = "") const;
};

struct ScriptedReply {
  enum class Then {
    kKeepOpen,    // write `bytes`, read the next request
    kClose,       // write `bytes`, close
    kHoldSilent,  // write `bytes` (usually none), then read and ignore until the peer closes
  };
  std::string bytes;  // written as is
  Then then = Then::kKeepOpen;
};

// "HTTP/1.1 <status> <reason>" with a Content-Length `body`; `extra_headers` are whole
// header lines, each ending in CRLF.
std::string HttpReply(int status, std::string_view body = "", std::string_view extra_headers = "");

// How the server reads and writes an accepted connection: plain TCP by default; a test
// supplies another (TLS) through ScriptedServerOptions::streams.
class ServerStream {
 public:
  virtual ~ServerStream() = default;
  // Blocking. Bytes read or written (> 0), else the connection is over.
  virtual int Read(char* buf, int n) = 0;
  virtual int Write(const char* buf, int n) = 0;
};
// Makes the stream for an accepted fd (not owned); null refuses the connection.
using StreamFactory = std::function<std::unique_ptr<ServerStream>(int fd)>;

struct ScriptedServerOptions {
  StreamFactory streams;        // null: plain TCP
  std::string scheme = "http";  // of Url()
  bool record = true;           // keep every request for requests() and WaitFor()
  ParserLimits limits;
};

class ScriptedServer {
 public:
  using Handler = std::function<ScriptedReply(const ReceivedRequest&)>;

  // Listens on 127.0.0.1, a free port, and starts serving; see listening().
  explicit ScriptedServer(Handler handler, ScriptedServerOptions options = {});
  ~ScriptedServer();  // Stop()
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // Stops serving: closes the listener and every connection, joins every thread. The
  // handler is not called after it returns; the counters and requests stay readable.
  // Idempotent; not concurrently with itself.
  void Stop();

  // False (with error()) if the server could not listen; it then serves nothing.
  bool listening() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  // "<scheme>://127.0.0.1:<port>" + path.
  std::string Url(std::string_view path = "/push") const;

  std::vector<ReceivedRequest> requests() const;  // recorded, in arrival order
  size_t request_count() const;                   // handed to the handler, recorded or not
  uint64_t malformed() const;                     // answered by the server's parser
  int connections_accepted() const;
  int connections_closed() const;
  int max_concurrent_connections() const;
  // Requests held silent whose connection is still open.
  int held_open() const;

  // Stops accepting: connects from now on are refused, connections already accepted
  // are still served. A handler may call it.
  void StopAccepting();

  // Waits until `pred` holds over the recorded requests (true) or `limit` passes.
  bool WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
               std::chrono::milliseconds limit = std::chrono::seconds(60)) const;
  // Waits until `n` connections were closed (true) or `limit` passes.
  bool WaitClosed(int n, std::chrono::milliseconds limit = std::chrono::seconds(60)) const;
  // Waits until `n` requests are held open (true) or `limit` passes. A request is
  // recorded before its handler runs, so it may be seen before it is held.
  bool WaitHeldOpen(int n, std::chrono::milliseconds limit = std::chrono::seconds(60)) const;

 private:
  struct Worker {
    std::thread thread;
    bool done = false;  // guarded by mu_
  };

  void Accept();
  void Serve(int fd, int connection, Worker* self);
  void ServeRequests(ServerStream* stream, int connection);
  // Joins and forgets finished connection threads. Called with mu_ held.
  void ReapLocked(std::vector<std::thread>* finished);

  Handler handler_;
  ScriptedServerOptions options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::string error_;
  std::thread acceptor_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;                  // guarded by mu_
  bool not_accepting_ = false;             // guarded by mu_
  std::list<Worker> workers_;              // guarded by mu_
  std::vector<int> open_fds_;              // guarded by mu_
  std::vector<ReceivedRequest> requests_;  // guarded by mu_
  size_t request_count_ = 0;               // guarded by mu_
  uint64_t malformed_ = 0;                 // guarded by mu_
  int accepted_ = 0;                       // guarded by mu_
  int closed_ = 0;                         // guarded by mu_
  int max_open_ = 0;                       // guarded by mu_
  int held_open_ = 0;                      // guarded by mu_
};

}  // namespace cmq::http
