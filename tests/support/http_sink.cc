#include "support/http_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "common/strings.h"

namespace cmq::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 1000);
      continue;
    }
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

enum class Parse { kIncomplete, kDone, kError };

// Decodes a chunked body at the start of `in`; on kDone `*consumed` bytes were used.
Parse DecodeChunked(std::string_view in, std::string* body, size_t* consumed) {
  size_t pos = 0;
  body->clear();
  while (true) {
    size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) return Parse::kIncomplete;
    std::string_view size_text = in.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));
    char* end = nullptr;
    std::string size_copy(Trim(size_text));
    unsigned long size = strtoul(size_copy.c_str(), &end, 16);
    if (size_copy.empty() || *end != '\0') return Parse::kError;
    pos = eol + 2;
    if (size == 0) {
      // Trailers end with an empty line.
      size_t trailers_end = in.find("\r\n", pos);
      while (trailers_end != std::string_view::npos && trailers_end != pos) {
        pos = trailers_end + 2;
        trailers_end = in.find("\r\n", pos);
      }
      if (trailers_end == std::string_view::npos) return Parse::kIncomplete;
      *consumed = pos + 2;
      return Parse::kDone;
    }
    if (in.size() < pos + size + 2) return Parse::kIncomplete;
    body->append(in.substr(pos, size));
    pos += size + 2;
  }
}

// One request at the start of `in`.
Parse ParseRequest(std::string_view in, SinkRequest* request, size_t* consumed) {
  size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    return in.size() > kMaxHeaderBytes ? Parse::kError : Parse::kIncomplete;
  }
  std::string_view head = in.substr(0, head_end);
  size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Parse::kError;
  *request = SinkRequest();
  request->method = std::string(line.substr(0, sp1));
  request->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request->path = request->target.substr(0, request->target.find('?'));
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view h = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) return Parse::kError;
    request->headers.emplace_back(std::string(Trim(h.substr(0, colon))),
                                  std::string(Trim(h.substr(colon + 1))));
  }
  size_t body_start = head_end + 4;
  std::string_view after = in.substr(body_start);
  std::optional<std::string> chunked = request->Header("Transfer-Encoding");
  if (chunked && EqualsIgnoreCase(*chunked, "chunked")) {
    size_t used = 0;
    Parse p = DecodeChunked(after, &request->body, &used);
    if (p == Parse::kDone) *consumed = body_start + used;
    return p;
  }
  size_t length = 0;
  if (std::optional<std::string> cl = request->Header("Content-Length")) {
    std::optional<uint64_t> n = ParseUint64(*cl);
    if (!n) return Parse::kError;
    length = static_cast<size_t>(*n);
  }
  if (after.size() < length) return Parse::kIncomplete;
  request->body = std::string(after.substr(0, length));
  *consumed = body_start + length;
  return Parse::kDone;
}

}  // namespace

std::optional<std::string> SinkRequest::Header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (EqualsIgnoreCase(it->first, name)) return it->second;
  }
  return std::nullopt;
}

struct HttpSink::Connection {
  int fd = -1;
  std::string in;
  std::string held_path;  // non-empty while a request is held unanswered
  bool holding = false;
};

HttpSink::HttpSink() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0 || pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 128) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

HttpSink::~HttpSink() {
  if (thread_.joinable()) {
    char b = 1;
    (void)!write(wake_fds_[1], &b, 1);
    thread_.join();
  }
  for (auto& c : connections_) close(c->fd);
  for (int fd : {listen_fd_, wake_fds_[0], wake_fds_[1]}) {
    if (fd >= 0) close(fd);
  }
}

std::string HttpSink::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void HttpSink::Script(const std::string& path, Answer then, int failures) {
  std::lock_guard<std::mutex> lock(mu_);
  PathState& state = paths_[path];
  state.then = then;
  state.failures = failures;
}

std::vector<SinkRequest> HttpSink::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = paths_.find(path);
  return it == paths_.end() ? std::vector<SinkRequest>() : it->second.requests;
}

bool HttpSink::WaitForRequests(const std::string& path, size_t n, int64_t timeout_ms) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto it = paths_.find(path);
    return it != paths_.end() && it->second.requests.size() >= n;
  });
}

size_t HttpSink::HeldOpen(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = paths_.find(path);
  return it == paths_.end() ? 0 : it->second.held_open;
}

void HttpSink::Serve() {
  while (true) {
    std::vector<pollfd> fds = {{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (auto& c : connections_) fds.push_back({c->fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if (fds[1].revents & POLLIN) {
      while (true) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        connections_.push_back(std::move(c));
      }
    }
    // Connections accepted above were not polled yet: only the first ones have events.
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Connection& c = *connections_[i - 2];
      char buf[65536];
      ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      bool keep = n > 0;
      if (keep) {
        c.in.append(buf, static_cast<size_t>(n));
        keep = HandleInput(c);
      }
      if (!keep) Drop(c);
    }
    connections_.erase(
        std::remove_if(connections_.begin(), connections_.end(),
                       [](const std::unique_ptr<Connection>& c) { return c->fd < 0; }),
        connections_.end());
  }
}

bool HttpSink::HandleInput(Connection& c) {
  // A held request blocks its connection: later bytes are only buffered.
  while (!c.holding) {
    SinkRequest request;
    size_t consumed = 0;
    Parse p = ParseRequest(c.in, &request, &consumed);
    if (p == Parse::kIncomplete) return true;
    if (p == Parse::kError) {
      SendAll(c.fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return false;
    }
    c.in.erase(0, consumed);
    bool close_after = false;
    if (std::optional<std::string> conn = request.Header("Connection")) {
      close_after = EqualsIgnoreCase(*conn, "close");
    }
    Answer answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      PathState& state = paths_[request.path];
      answer =
          static_cast<int>(state.requests.size()) < state.failures ? Answer::kError500 : state.then;
      if (answer == Answer::kNever) {
        ++state.held_open;
        c.holding = true;
        c.held_path = request.path;
      }
      state.requests.push_back(std::move(request));
    }
    changed_.notify_all();
    if (answer == Answer::kOk) {
      SendAll(c.fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
    } else if (answer == Answer::kError500) {
      SendAll(c.fd,
              "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
              "Content-Length: 5\r\n\r\nerror");
    }
    if (close_after && answer != Answer::kNever) return false;
  }
  return true;
}

void HttpSink::Drop(Connection& c) {
  if (c.holding) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      --paths_[c.held_path].held_open;
    }
    changed_.notify_all();
  }
  close(c.fd);
  c.fd = -1;
}

}  // namespace cmq::testing
