#include "delivery/push_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cmq::delivery {

PushConnection::PushConnection(http::EventLoop* loop, const TlsClientContext* tls, std::string host,
                               HttpResponseLimits limits, HttpBodyMode body_mode)
    : loop_(loop), tls_(tls), host_(std::move(host)), parser_(limits, body_mode) {}

PushConnection::~PushConnection() {
  if (watching_) loop_->RemoveFd(fd_);
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

Status PushConnection::Connect(const SocketAddress& address) {
  peer_ = FormatAddress(address);
  fd_ = socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status(ErrorCode::kIoError, std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int rc;
  do {
    rc = connect(fd_, address.get(), address.length);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EINPROGRESS) {
    return Status(ErrorCode::kIoError, "connect to " + peer_ + ": " + strerror(errno));
  }
  phase_ = Phase::kConnecting;
  Watch(EPOLLOUT);
  if (!watching_) return Status(ErrorCode::kIoError, "cannot watch the socket to " + peer_);
  return Status::Ok();
}

void PushConnection::Send(std::string request, Done done) {
  out_ = std::move(request);
  out_off_ = 0;
  done_ = std::move(done);
  parser_.Reset();
  ++requests_;
  if (phase_ == Phase::kParked) {
    on_close_ = nullptr;
    phase_ = Phase::kWriting;
    // Written from the loop, not here: the caller must not see `done` run inside Send.
    Watch(EPOLLOUT);
  }
}

void PushConnection::Park(std::function<void()> on_close) {
  on_close_ = std::move(on_close);
}

void PushConnection::Watch(uint32_t events) {
  if (!watching_) {
    watching_ = loop_->AddFd(fd_, events, [this](uint32_t ev) { OnEvents(ev); });
    watched_ = events;
  } else if (events != watched_) {
    loop_->ModifyFd(fd_, events);
    watched_ = events;
  }
}

void PushConnection::OnEvents(uint32_t events) {
  switch (phase_) {
    case Phase::kConnecting: {
      int err = 0;
      socklen_t len = sizeof(err);
      if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0 && (events & EPOLLOUT)) {
        OnConnected();
        return;
      }
      Fail(PushResult::Kind::kConnectFailed,
           "connect to " + peer_ + ": " + (err != 0 ? strerror(err) : "connection closed"));
      return;
    }
    case Phase::kHandshaking:
      Handshake();
      return;
    case Phase::kWriting:
      WriteSome();
      return;
    case Phase::kReading:
      ReadSome();
      return;
    case Phase::kParked:
      CheckParked();
      return;
    case Phase::kBroken:
      return;
  }
}

void PushConnection::OnConnected() {
  if (tls_ != nullptr) {
    auto ssl = tls_->NewSession(fd_, host_);
    if (!ssl.ok()) {
      Fail(PushResult::Kind::kConnectFailed, ssl.status().detail());
      return;
    }
    ssl_ = *ssl;
    phase_ = Phase::kHandshaking;
    Handshake();
    return;
  }
  phase_ = Phase::kWriting;
  WriteSome();
}

void PushConnection::Handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    phase_ = Phase::kWriting;
    WriteSome();
    return;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ) {
    Watch(EPOLLIN);
    return;
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    Watch(EPOLLOUT);
    return;
  }
  const char* fallback = err != SSL_ERROR_SYSCALL ? "handshake failed"
                         : errno != 0             ? strerror(errno)
                                                  : "connection closed";
  std::string why = TlsHandshakeError(ssl_, fallback);
  Fail(PushResult::Kind::kConnectFailed, "TLS handshake with " + peer_ + " (" + host_ + "): " + why);
}

void PushConnection::WriteSome() {
  if (!done_) {  // connected before any request was given: wait quietly
    phase_ = Phase::kParked;
    Watch(EPOLLIN | EPOLLRDHUP);
    return;
  }
  while (out_off_ < out_.size()) {
    bool again = false;
    std::string error;
    ssize_t n = Write(out_.data() + out_off_, out_.size() - out_off_, &again, &error);
    if (n > 0) {
      out_off_ += static_cast<size_t>(n);
      continue;
    }
    if (again) {
      Watch(tls_wants_write_ || ssl_ == nullptr ? EPOLLOUT : EPOLLIN);
      return;
    }
    Fail(reused() ? PushResult::Kind::kStale : PushResult::Kind::kFailed,
         "write to " + peer_ + ": " + error);
    return;
  }
  out_.clear();
  out_.shrink_to_fit();
  phase_ = Phase::kReading;
  Watch(EPOLLIN | EPOLLRDHUP);
  // TLS may already hold response records read while writing; epoll would not say.
  ReadSome();
}

void PushConnection::ReadSome() {
  char buf[16 << 10];
  while (true) {
    bool again = false;
    std::string error;
    ssize_t n = Read(buf, sizeof(buf), &again, &error);
    if (n > 0) {
      HttpResponseParser::State s = parser_.Feed(std::string_view(buf, static_cast<size_t>(n)));
      if (s == HttpResponseParser::State::kDone) {
        PushResult r;
        r.kind = PushResult::Kind::kResponse;
        r.status = parser_.response().status;
        r.reusable = parser_.reusable();
        r.response = std::move(parser_.response());
        Finish(std::move(r));
        return;
      }
      if (s == HttpResponseParser::State::kError) {
        Fail(PushResult::Kind::kFailed, "bad response from " + peer_ + ": " + parser_.error());
        return;
      }
      continue;
    }
    if (again) {
      Watch(tls_wants_write_ ? (EPOLLIN | EPOLLOUT) : (EPOLLIN | EPOLLRDHUP));
      return;
    }
    bool stale = reused() && !parser_.started();
    if (n == 0) {
      if (stale) {
        Fail(PushResult::Kind::kStale, "kept-alive connection to " + peer_ + " was closed");
        return;
      }
      if (parser_.FeedEof() == HttpResponseParser::State::kDone) {
        PushResult r;
        r.kind = PushResult::Kind::kResponse;
        r.status = parser_.response().status;
        r.response = std::move(parser_.response());
        Finish(std::move(r));
        return;
      }
      Fail(PushResult::Kind::kFailed, "response from " + peer_ + ": " + parser_.error());
      return;
    }
    Fail(stale ? PushResult::Kind::kStale : PushResult::Kind::kFailed,
         "read from " + peer_ + ": " + error);
    return;
  }
}

void PushConnection::CheckParked() {
  char c;
  bool again = false;
  std::string error;
  // Anything but "nothing yet" (TLS session tickets are consumed inside Read) means
  // the connection cannot carry a request any more.
  if (Read(&c, 1, &again, &error) < 0 && again && !tls_wants_write_) return;
  phase_ = Phase::kBroken;
  if (watching_) {
    loop_->RemoveFd(fd_);
    watching_ = false;
  }
  if (on_close_) {
    std::function<void()> cb = std::move(on_close_);
    cb();
  }
}

void PushConnection::Fail(PushResult::Kind kind, std::string error) {
  PushResult r;
  r.kind = kind;
  r.error = std::move(error);
  Finish(std::move(r));
}

void PushConnection::Finish(PushResult result) {
  if (result.kind == PushResult::Kind::kResponse && result.reusable) {
    phase_ = Phase::kParked;
    Watch(EPOLLIN | EPOLLRDHUP);
  } else {
    phase_ = Phase::kBroken;
    if (watching_) {
      loop_->RemoveFd(fd_);
      watching_ = false;
    }
  }
  Done done = std::move(done_);
  done_ = nullptr;
  if (done) done(std::move(result));  // may destroy *this
}

ssize_t PushConnection::Read(char* buf, size_t n, bool* again, std::string* error) {
  tls_wants_write_ = false;
  if (ssl_ == nullptr) {
    while (true) {
      ssize_t r = recv(fd_, buf, n, 0);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *again = true;
      } else {
        *error = strerror(errno);
      }
      return -1;
    }
  }
  ERR_clear_error();
  errno = 0;
  int r = SSL_read(ssl_, buf, static_cast<int>(n));
  if (r > 0) return r;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      *again = true;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      *again = true;
      tls_wants_write_ = true;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      // EOF without close_notify: many servers just close; the framing decides.
      if (ERR_peek_error() == 0 && (errno == 0 || r == 0)) return 0;
      *error = DrainOpenSslErrors(strerror(errno));
      return -1;
    default:
      *error = DrainOpenSslErrors("TLS error");
      return -1;
  }
}

ssize_t PushConnection::Write(const char* buf, size_t n, bool* again, std::string* error) {
  tls_wants_write_ = false;
  if (ssl_ == nullptr) {
    while (true) {
      ssize_t r = send(fd_, buf, n, MSG_NOSIGNAL);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        *again = true;
      } else {
        *error = strerror(errno);
      }
      return -1;
    }
  }
  ERR_clear_error();
  errno = 0;
  int r = SSL_write(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
  if (r > 0) return r;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      *again = true;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      *again = true;
      tls_wants_write_ = true;
      return -1;
    default:
      *error = DrainOpenSslErrors(errno != 0 ? strerror(errno) : "TLS write failed");
      return -1;
  }
}

}  // namespace cmq::delivery
