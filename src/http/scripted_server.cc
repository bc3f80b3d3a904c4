#include "http/scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cmq::http {
namespace {

class PlainStream : public ServerStream {
 public:
  explicit PlainStream(int fd) : fd_(fd) {}
  int Read(char* buf, int n) override {
    ssize_t r;
    do {
      r = ::recv(fd_, buf, static_cast<size_t>(n), 0);
    } while (r < 0 && errno == EINTR);
    return static_cast<int>(r);
  }
  int Write(const char* buf, int n) override {
    ssize_t r;
    do {
      r = ::send(fd_, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return static_cast<int>(r);
  }

 private:
  int fd_;
};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

bool WriteAll(ServerStream* stream, std::string_view bytes) {
  while (!bytes.empty()) {
    int n = stream->Write(bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string ReceivedRequest::HeaderOr(std::string_view lower_name,
                                      std::string_view fallback) const {
  const std::string* value = Header(lower_name);
  return value != nullptr ? *value : std::string(fallback);
}

std::string HttpReply(int status, std::string_view body, std::string_view extra_headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  out.append(extra_headers).append("\r\n").append(body);
  return out;
}

ScriptedServer::ScriptedServer(Handler handler, ScriptedServerOptions options)
    : handler_(std::move(handler)), options_(std::move(options)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 1024) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    error_ = std::string("listen on 127.0.0.1: ") + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ScriptedServer::~ScriptedServer() { Stop(); }

void ScriptedServer::Stop() {
  if (acceptor_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    // Wakes the blocked accept().
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    std::list<Worker> workers;
    {
      std::lock_guard<std::mutex> lock(mu_);
      workers.swap(workers_);
    }
    for (Worker& w : workers) w.thread.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void ScriptedServer::StopAccepting() {
  std::lock_guard<std::mutex> lock(mu_);
  if (not_accepting_ || listen_fd_ < 0) return;
  not_accepting_ = true;
  // Wakes the blocked accept(); a listening socket shut down leaves the LISTEN state, so
  // the kernel refuses later connects. Stop() still closes it.
  ::shutdown(listen_fd_, SHUT_RDWR);
}

std::string ScriptedServer::Url(std::string_view path) const {
  return options_.scheme + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<ReceivedRequest> ScriptedServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t ScriptedServer::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_count_;
}

uint64_t ScriptedServer::malformed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return malformed_;
}

int ScriptedServer::connections_accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

int ScriptedServer::connections_closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

int ScriptedServer::max_concurrent_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_open_;
}

int ScriptedServer::held_open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_open_;
}

bool ScriptedServer::WaitFor(const std::function<bool(const std::vector<ReceivedRequest>&)>& pred,
                             std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, limit, [&] { return pred(requests_); });
}

bool ScriptedServer::WaitClosed(int n, std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, limit, [&] { return closed_ >= n; });
}

bool ScriptedServer::WaitHeldOpen(int n, std::chrono::milliseconds limit) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, limit, [&] { return held_open_ >= n; });
}

void ScriptedServer::ReapLocked(std::vector<std::thread>* finished) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    finished->push_back(std::move(it->thread));
    it = workers_.erase(it);
  }
}

void ScriptedServer::Accept() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    std::vector<std::thread> finished;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || not_accepting_) {
        if (fd >= 0) ::close(fd);
        return;
      }
      if (fd >= 0) {
        int connection = ++accepted_;
        open_fds_.push_back(fd);
        max_open_ = std::max(max_open_, static_cast<int>(open_fds_.size()));
        Worker* w = &workers_.emplace_back();
        w->thread = std::thread([this, fd, connection, w] { Serve(fd, connection, w); });
      }
      ReapLocked(&finished);
    }
    for (std::thread& t : finished) t.join();
  }
}

void ScriptedServer::Serve(int fd, int connection, Worker* self) {
  std::unique_ptr<ServerStream> stream =
      options_.streams ? options_.streams(fd) : std::make_unique<PlainStream>(fd);
  if (stream) ServeRequests(stream.get(), connection);
  stream.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
    ::close(fd);
    ++closed_;
    self->done = true;
  }
  changed_.notify_all();
}

void ScriptedServer::ServeRequests(ServerStream* stream, int connection) {
  RequestParser parser(options_.limits);
  std::string pending;  // received, not yet parsed
  char buf[16 << 10];
  while (true) {
    while (!pending.empty() && parser.state() == RequestParser::State::kNeedMore) {
      size_t used = parser.Feed(pending);
      pending.erase(0, used);
      if (parser.TakeContinueRequest() && !WriteAll(stream, "HTTP/1.1 100 Continue\r\n\r\n")) {
        return;
      }
    }
    if (parser.state() == RequestParser::State::kError) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++malformed_;
      }
      std::string reason(parser.error_reason());
      WriteAll(stream, HttpReply(parser.error_status(), reason + "\n", "Connection: close\r\n"));
      return;
    }
    if (parser.state() == RequestParser::State::kNeedMore) {
      int n = stream->Read(buf, sizeof(buf));
      if (n <= 0) return;
      pending.append(buf, static_cast<size_t>(n));
      continue;
    }
    ReceivedRequest request;
    static_cast<Request&>(request) = parser.TakeRequest();
    request.connection = connection;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++request_count_;
      if (options_.record) requests_.push_back(request);
    }
    changed_.notify_all();
    ScriptedReply reply = handler_(request);
    if (!WriteAll(stream, reply.bytes)) return;
    switch (reply.then) {
      case ScriptedReply::Then::kKeepOpen:
        if (!request.keep_alive) return;
        break;
      case ScriptedReply::Then::kClose:
        return;
      case ScriptedReply::Then::kHoldSilent: {
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++held_open_;
        }
        changed_.notify_all();
        while (stream->Read(buf, sizeof(buf)) > 0) {
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          --held_open_;
        }
        changed_.notify_all();
        return;
      }
    }
  }
}

}  // namespace cmq::http
