#include "bench/push_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench/bench_message.h"
#include "common/strings.h"

namespace cmq::bench {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr uint64_t kMaxBody = 4 * 1024 * 1024;
constexpr char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
constexpr char kOkClose[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr char kBad[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct RequestHead {
  std::string_view method;
  std::string_view path;
  std::optional<std::string_view> message_id;
  uint64_t content_length = 0;
  bool keep_alive = true;
};

// Parses "METHOD SP target SP HTTP/1.x" and the header lines of `head` (without the
// blank line). nullopt if malformed or if it uses Transfer-Encoding.
std::optional<RequestHead> ParseHead(std::string_view head) {
  RequestHead h;
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
  h.method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (h.method.empty() || target.empty() || version.substr(0, 7) != "HTTP/1.") return std::nullopt;
  h.path = target.substr(0, target.find('?'));
  h.keep_alive = version != "HTTP/1.0";
  bool has_length = false;
  while (eol != std::string_view::npos) {
    size_t start = eol + 2;
    eol = head.find("\r\n", start);
    std::string_view field = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string_view name = field.substr(0, colon);
    std::string_view value = Trim(field.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      std::optional<uint64_t> n = ParseUint64(value);
      if (!n || (has_length && *n != h.content_length)) return std::nullopt;
      h.content_length = *n;
      has_length = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      return std::nullopt;
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (ContainsIgnoreCase(value, "close")) h.keep_alive = false;
      if (ContainsIgnoreCase(value, "keep-alive")) h.keep_alive = true;
    } else if (EqualsIgnoreCase(name, "x-cmq-message-id")) {
      h.message_id = value;
    }
  }
  return h;
}

}  // namespace

PushSink::PushSink(Handler handler) : handler_(std::move(handler)) {}

PushSink::~PushSink() { Stop(); }

std::string PushSink::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

bool PushSink::Start(std::string* error) {
  auto fail = [error](const char* what) {
    *error = std::string("push sink: ") + what + ": " + std::strerror(errno);
    return false;
  };
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return fail("bind");
  if (::listen(listen_fd_, 1024) != 0) return fail("listen");
  socklen_t len = sizeof(addr);
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return fail("getsockname");
  }
  port_ = ntohs(addr.sin_port);
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return fail("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail("eventfd");
  for (int fd : {listen_fd_, wake_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return fail("epoll_ctl");
  }
  thread_ = std::thread([this] { Serve(); });
  return true;
}

void PushSink::Stop() {
  if (thread_.joinable()) {
    stop_ = true;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
    thread_.join();
  }
  while (!conns_.empty()) Close(conns_.begin()->first);
  for (int* fd : {&listen_fd_, &wake_fd_, &epoll_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void PushSink::Serve() {
  epoll_event events[128];
  while (!stop_.load()) {
    int n = ::epoll_wait(epoll_fd_, events, 128, -1);
    if (n < 0 && errno != EINTR) return;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) return;
      if (fd == listen_fd_) {
        Accept();
        continue;
      }
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;  // closed earlier in this round
      Connection& c = *it->second;
      if (events[i].events & EPOLLOUT) {
        Flush(c);
        if (conns_.find(fd) == conns_.end()) continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) OnReadable(c);
    }
  }
}

void PushSink::Accept() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: epoll will report the rest
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    conns_[fd] = std::move(c);
    ++connections_;
  }
}

void PushSink::OnReadable(Connection& c) {
  char buf[64 * 1024];
  bool eof = false;
  while (true) {
    ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf)) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    eof = true;  // orderly close or a reset: nothing more will come
    break;
  }
  int fd = c.fd;
  HandleInput(c);
  if (conns_.find(fd) == conns_.end()) return;
  // A peer that closed gets no more answers; what it sent complete was counted.
  if (eof) Close(fd);
}

void PushSink::HandleInput(Connection& c) {
  size_t pos = 0;
  while (!c.close_after_write) {
    size_t head_end = c.in.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) {
      if (c.in.size() - pos > kMaxHead) return Reject(c);
      break;
    }
    std::optional<RequestHead> head =
        ParseHead(std::string_view(c.in).substr(pos, head_end - pos));
    if (!head || head->content_length > kMaxBody) return Reject(c);
    size_t body_start = head_end + 4;
    if (c.in.size() - body_start < head->content_length) break;  // body not complete yet
    c.out.append(head->keep_alive ? kOk : kOkClose);
    c.close_after_write = !head->keep_alive;
    ++requests_;
    PushRequest request{head->method, head->path, head->message_id,
                        std::string_view(c.in).substr(body_start, head->content_length)};
    handler_(request, SteadyNowNs());
    pos = body_start + head->content_length;
  }
  c.in.erase(0, pos);
  Flush(c);
}

void PushSink::Reject(Connection& c) {
  ++malformed_;
  c.in.clear();
  c.out.append(kBad);
  c.close_after_write = true;
  Flush(c);
}

void PushSink::Flush(Connection& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(c.fd);  // the peer is gone
    return;
  }
  if (c.out.empty() && c.close_after_write) {
    Close(c.fd);
    return;
  }
  bool want_write = !c.out.empty();
  if (want_write != c.want_write) {
    c.want_write = want_write;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
    ev.data.fd = c.fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

void PushSink::Close(int fd) {
  ::close(fd);  // also leaves the epoll set
  conns_.erase(fd);
}

}  // namespace cmq::bench
