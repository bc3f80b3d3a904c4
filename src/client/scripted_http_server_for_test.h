// Test-only: a tiny HTTP server on 127.0.0.1 whose every answer is scripted by the
// test. One thread serves one connection at a time (enough for a blocking client),
// reads each request (head + Content-Length body), asks the handler what to do and does
// exactly that: write raw bytes, keep or drop the connection, or stay silent.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/strings.h"

namespace cmq::client::testing {

struct ReceivedRequest {
  std::string head;  // request line and headers
  std::string method;
  std::string target;
  std::string body;
  int connection = 0;  // 1-based index of the connection it arrived on
  std::string Header(std::string_view name) const {
    std::string lower_head = AsciiLower(head);
    std::string key = "\r\n" + AsciiLower(name) + ":";
    size_t at = lower_head.find(key);
    if (at == std::string::npos) return {};
    size_t start = at + key.size();
    size_t end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

struct ScriptedReply {
  enum class Then { kKeepOpen, kClose, kHoldSilent };
  std::string bytes;  // written as is (may be empty)
  Then then = Then::kKeepOpen;
};

class ScriptedHttpServer {
 public:
  using Handler = std::function<ScriptedReply(const ReceivedRequest&)>;

  explicit ScriptedHttpServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      std::abort();
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe(wake_) != 0) std::abort();
    thread_ = std::thread([this] { Serve(); });
  }

  ~ScriptedHttpServer() {
    char c = 0;
    // The only byte ever written to a fresh pipe: a failure would leave join() hanging.
    if (::write(wake_[1], &c, 1) != 1) std::abort();
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  uint16_t port() const { return port_; }

  std::vector<ReceivedRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_;
  }
  // Waits (bounded) until the server has closed `n` connections.
  bool WaitClosed(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closed_ >= n; });
  }

 private:
  // Waits for fd to become readable; false if the server is shutting down.
  bool WaitReadable(int fd) {
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (::poll(p, 2, -1) < 0) {
    }
    return !(p[1].revents & POLLIN);
  }

  void Serve() {
    while (WaitReadable(listen_fd_)) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      int conn;
      {
        std::lock_guard<std::mutex> lock(mu_);
        conn = ++connections_;
      }
      bool shutting_down = !ServeConnection(fd, conn);
      ::close(fd);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++closed_;
      }
      cv_.notify_all();
      if (shutting_down) return;
    }
  }

  // Returns false if the server is shutting down.
  bool ServeConnection(int fd, int conn) {
    std::string buf;
    while (true) {
      size_t head_end;
      while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, &buf)) return !stopping_;
      }
      ReceivedRequest req;
      req.connection = conn;
      req.head = buf.substr(0, head_end + 2);
      buf.erase(0, head_end + 4);
      size_t sp1 = req.head.find(' ');
      size_t sp2 = req.head.find(' ', sp1 + 1);
      req.method = req.head.substr(0, sp1);
      req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t length = 0;
      if (std::string cl = req.Header("content-length"); !cl.empty()) length = std::stoul(cl);
      while (buf.size() < length) {
        if (!ReadMore(fd, &buf)) return !stopping_;
      }
      req.body = buf.substr(0, length);
      buf.erase(0, length);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
      }
      ScriptedReply reply = handler_(req);
      size_t off = 0;
      while (off < reply.bytes.size()) {
        ssize_t n = ::send(fd, reply.bytes.data() + off, reply.bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return true;
        off += static_cast<size_t>(n);
      }
      if (reply.then == ScriptedReply::Then::kClose) return true;
      if (reply.then == ScriptedReply::Then::kHoldSilent) {
        // Stay silent until the client gives up and closes.
        std::string ignored;
        while (ReadMore(fd, &ignored)) {
        }
        return !stopping_;
      }
    }
  }

  bool ReadMore(int fd, std::string* buf) {
    if (!WaitReadable(fd)) {
      stopping_ = true;
      return false;
    }
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf->append(tmp, static_cast<size_t>(n));
    return true;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  bool stopping_ = false;  // server thread only
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  int connections_ = 0;
  int closed_ = 0;
};

// "HTTP/1.1 200 OK" with a Content-Length body.
inline std::string OkResponse(std::string_view body, std::string_view extra_headers = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra_headers) + "\r\n" +
         std::string(body);
}

}  // namespace cmq::client::testing
