// Test-only: an HTTP (or HTTPS) server on 127.0.0.1 that records every request and
// answers as the test scripts it. One thread per connection (blocking I/O), so many
// connections may be open at once and the sink counts how many were, at most. A
// request is recorded before the handler runs (the handler may block to hold it). Used
// by the delivery unit tests and by the black-box topic tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/strings.h"

namespace cmq::delivery::testing {

struct SinkRequest {
  std::string head;  // request line and headers, CRLF-separated
  std::string method;
  std::string target;
  std::string body;
  int connection = 0;  // 1-based index of the connection it arrived on

  // The value of the first header `name` (case-insensitive); nullopt when absent.
  std::optional<std::string> Header(std::string_view name) const {
    std::string lower = AsciiLower(head);
    std::string key = "\r\n" + AsciiLower(name) + ":";
    size_t at = lower.find(key);
    if (at == std::string::npos) return std::nullopt;
    size_t start = at + key.size();
    size_t end = head.find("\r\n", start);
    std::string v = head.substr(start, end == std::string::npos ? std::string::npos : end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

struct SinkReply {
  enum class Then {
    kKeepOpen,    // write `bytes`, read the next request
    kClose,       // write `bytes`, close
    kHoldSilent,  // write `bytes` (usually none), then read and ignore until the peer closes
  };
  std::string bytes;
  Then then = Then::kKeepOpen;
};

// How the sink reads and writes an accepted connection: plain by default; a test
// supplies a TLS one (this header stays free of OpenSSL so black-box tests can use it).
class SinkStream {
 public:
  virtual ~SinkStream() = default;
  // Blocking. Bytes read or written (> 0), else the connection is over.
  virtual int Read(char* buf, int n) = 0;
  virtual int Write(const char* buf, int n) = 0;
};
// Makes the stream for an accepted fd (not owned); null refuses the connection.
using SinkStreamFactory = std::function<std::unique_ptr<SinkStream>(int fd)>;

class PlainSinkStream : public SinkStream {
 public:
  explicit PlainSinkStream(int fd) : fd_(fd) {}
  int Read(char* buf, int n) override { return static_cast<int>(::recv(fd_, buf, n, 0)); }
  int Write(const char* buf, int n) override {
    return static_cast<int>(::send(fd_, buf, n, MSG_NOSIGNAL));
  }

 private:
  int fd_;
};

// "HTTP/1.1 <status> X" with a Content-Length body.
inline std::string SinkResponse(int status, std::string_view body = "",
                                std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" +
         std::string(body);
}

class HttpSink {
 public:
  using Handler = std::function<SinkReply(const SinkRequest&)>;

  // `streams` (e.g. TLS) replaces plain sockets; `scheme` names it in Url().
  explicit HttpSink(Handler handler, SinkStreamFactory streams = nullptr,
                    std::string scheme = "http")
      : handler_(std::move(handler)), streams_(std::move(streams)), scheme_(std::move(scheme)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      std::abort();
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }

  ~HttpSink() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  std::string Url(std::string_view path = "/push") const {
    return scheme_ + "://127.0.0.1:" + std::to_string(port_) +
           std::string(path);
  }

  std::vector<SinkRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t request_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  int connections_accepted() {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  int max_concurrent_connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_open_;
  }
  // Waits (bounded by `limit`) until `pred` holds over the recorded requests.
  bool WaitFor(const std::function<bool(const std::vector<SinkRequest>&)>& pred,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return pred(requests_); });
  }

 private:
  void Accept() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        if (fd >= 0) ::close(fd);
        return;
      }
      if (fd < 0) continue;
      int conn = ++accepted_;
      open_fds_.push_back(fd);
      max_open_ = std::max<int>(max_open_, static_cast<int>(open_fds_.size()));
      threads_.emplace_back([this, fd, conn] { Serve(fd, conn); });
    }
  }

  void Serve(int fd, int conn) {
    std::unique_ptr<SinkStream> stream =
        streams_ ? streams_(fd) : std::make_unique<PlainSinkStream>(fd);
    if (stream) ServeRequests(stream.get(), conn);
    stream.reset();
    Closed(fd);
  }

  void Closed(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    ::close(fd);
  }

  void ServeRequests(SinkStream* stream, int conn) {
    std::string buf;
    while (true) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(stream, &buf)) return;
      }
      SinkRequest req;
      req.connection = conn;
      req.head = buf.substr(0, head_end + 2);
      buf.erase(0, head_end + 4);
      size_t sp1 = req.head.find(' ');
      size_t sp2 = req.head.find(' ', sp1 + 1);
      req.method = req.head.substr(0, sp1);
      req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t length = 0;
      if (auto cl = req.Header("content-length")) length = std::stoul(*cl);
      while (buf.size() < length) {
        if (!ReadMore(stream, &buf)) return;
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      cv_.notify_all();
      SinkReply reply = handler_(req);
      if (!WriteAll(stream, reply.bytes)) return;
      if (reply.then == SinkReply::Then::kClose) return;
      if (reply.then == SinkReply::Then::kHoldSilent) {
        std::string ignored;
        while (ReadMore(stream, &ignored)) ignored.clear();
        return;
      }
    }
  }

  static bool ReadMore(SinkStream* stream, std::string* buf) {
    char tmp[16384];
    int n = stream->Read(tmp, sizeof(tmp));
    if (n <= 0) return false;
    buf->append(tmp, static_cast<size_t>(n));
    return true;
  }

  static bool WriteAll(SinkStream* stream, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      int n = stream->Write(bytes.data() + off, static_cast<int>(bytes.size() - off));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  Handler handler_;
  SinkStreamFactory streams_;
  std::string scheme_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;             // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::vector<int> open_fds_;         // guarded by mu_
  std::vector<SinkRequest> requests_; // guarded by mu_
  int accepted_ = 0;
  int max_open_ = 0;
};

}  // namespace cmq::delivery::testing
