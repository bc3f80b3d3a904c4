#include "client/http_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

namespace cmq::client {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Waits for `events` on `fd` until `deadline_ms`. Returns the revents, 0 on timeout,
// -1 on a poll error (errno set).
int WaitFor(int fd, short events, int64_t deadline_ms) {
  while (true) {
    int64_t left = deadline_ms - NowMs();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 1 << 30)));
    if (n > 0) return p.revents;
    if (n == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

bool IsClosedErrno(int err) { return err == ECONNRESET || err == EPIPE || err == ECONNABORTED; }

}  // namespace

// The outcome of sending one request on the current socket.
struct HttpConnection::Attempt {
  bool sent_any = false;
  // The peer closed (EOF, reset, broken pipe) before the first response byte: the one
  // case in which a request on a reused connection is re-sent.
  bool closed_before_response = false;
  std::optional<Error> error;
};

HttpConnection::HttpConnection(std::string host, uint16_t port, std::string host_header,
                               HttpConnectionOptions options)
    : host_(std::move(host)),
      port_(port),
      host_header_(std::move(host_header)),
      options_(options),
      parser_(options.limits) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  // No close_notify: HTTP framing, not the TLS close, tells the server where requests end.
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ssize_t HttpConnection::TlsResult(int r, short* wait) {
  if (r > 0) return r;
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
      *wait = POLLIN;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      *wait = POLLOUT;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        if (errno == 0) return 0;  // closed without close_notify
        return -1;                 // errno says why
      }
      [[fallthrough]];
    default:
      tls_error_ = DrainOpenSslErrors("TLS failure");
      errno = EPROTO;
      return -1;
  }
}

ssize_t HttpConnection::WriteSome(const iovec* iov, int n_iov, short* wait) {
  *wait = POLLOUT;
  if (ssl_ == nullptr) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(n_iov);
    return ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
  }
  ERR_clear_error();
  errno = 0;
  int len = static_cast<int>(std::min<size_t>(iov[0].iov_len, 1 << 30));
  return TlsResult(SSL_write(ssl_, iov[0].iov_base, len), wait);
}

ssize_t HttpConnection::ReadSome(char* buf, size_t len, short* wait) {
  *wait = POLLIN;
  if (ssl_ == nullptr) return ::recv(fd_, buf, len, 0);
  ERR_clear_error();
  errno = 0;
  return TlsResult(SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, 1 << 30))), wait);
}

ClientResult<bool> HttpConnection::Handshake(int64_t deadline_ms) {
  std::string where = host_ + ":" + std::to_string(port_);
  const std::string& name = options_.tls_server_name.empty() ? host_ : options_.tls_server_name;
  Result<SSL*> session = options_.tls->NewSession(fd_, name);
  if (!session.ok()) {
    return MakeError(ErrorKind::kNetwork, "TLS with " + where + ": " + session.status().detail());
  }
  ssl_ = *session;
  while (true) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(ssl_);
    if (r == 1) return true;
    short wait = 0;
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      wait = err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
      int ev = WaitFor(fd_, wait, deadline_ms);
      if (ev == 0) {
        return MakeError(ErrorKind::kTimeout, "TLS handshake with " + where + " timed out after " +
                                                  std::to_string(options_.connect_timeout_ms) +
                                                  " ms");
      }
      if (ev > 0) continue;
    }
    std::string why =
        TlsHandshakeError(ssl_, errno != 0 ? strerror(errno) : "the server closed the connection");
    return MakeError(ErrorKind::kNetwork, "TLS handshake with " + where + " failed: " + why);
  }
}

ClientResult<bool> HttpConnection::Connect() {
  Close();
  std::string where = host_ + ":" + std::to_string(port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addrs = nullptr;
  std::string port = std::to_string(port_);
  int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &addrs);
  if (rc != 0) {
    return MakeError(ErrorKind::kNetwork, "cannot resolve " + host_ + ": " + gai_strerror(rc));
  }
  int64_t deadline = NowMs() + options_.connect_timeout_ms;
  Error last = MakeError(ErrorKind::kNetwork, "no address for " + where);
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = MakeError(ErrorKind::kNetwork, "socket: " + std::string(strerror(errno)));
      continue;
    }
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS || err == EINTR) {
        int ev = WaitFor(fd, POLLOUT, deadline);
        if (ev == 0) {
          ::close(fd);
          last = MakeError(ErrorKind::kTimeout, "connect to " + where + " timed out after " +
                                                    std::to_string(options_.connect_timeout_ms) +
                                                    " ms");
          break;  // the deadline is shared by all addresses
        }
        socklen_t len = sizeof(err);
        if (ev < 0) {
          err = errno;
        } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
          err = errno;
        }
      }
    }
    if (err != 0) {
      ::close(fd);
      last = MakeError(ErrorKind::kNetwork, "connect to " + where + ": " + strerror(err));
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::freeaddrinfo(addrs);
    fd_ = fd;
    if (options_.tls) {
      ClientResult<bool> secured = Handshake(deadline);
      if (!secured.ok()) {
        Close();
        return secured;
      }
    }
    ++connects_;
    return true;
  }
  ::freeaddrinfo(addrs);
  return last;
}

bool HttpConnection::IdleSocketUsable() {
  pollfd p{fd_, POLLIN, 0};
  int n = ::poll(&p, 1, 0);
  if (n == 0) return true;  // nothing to read: still open as far as we can tell
  return false;             // EOF, error or unsolicited bytes: do not reuse
}

void HttpConnection::Exchange(const std::string& head, const std::string& body,
                              int64_t deadline_ms, Attempt* attempt) {
  std::string where = host_ + ":" + std::to_string(port_);
  // Send head and body with as few syscalls as the kernel allows.
  size_t total = head.size() + body.size();
  size_t done = 0;
  while (done < total) {
    iovec iov[2];
    int n_iov = 0;
    if (done < head.size()) {
      iov[n_iov++] = {const_cast<char*>(head.data()) + done, head.size() - done};
      if (!body.empty()) iov[n_iov++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      size_t off = done - head.size();
      iov[n_iov++] = {const_cast<char*>(body.data()) + off, body.size() - off};
    }
    short wait = 0;
    ssize_t n = WriteSome(iov, n_iov, &wait);
    if (n > 0) {
      done += static_cast<size_t>(n);
      attempt->sent_any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int ev = WaitFor(fd_, wait, deadline_ms);
      if (ev == 0) {
        attempt->error = MakeError(ErrorKind::kTimeout, "timed out sending request to " + where);
        attempt->error->request_sent = attempt->sent_any;
        return;
      }
      if (ev > 0 && !(ev & (POLLERR | POLLHUP))) continue;
      // The socket failed while we waited: take its pending error.
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      errno = err != 0 ? err : EPIPE;
    }
    int err = n < 0 ? errno : EPIPE;
    // The peer closed or reset the connection before we could read any answer: on a
    // reused connection this is the stale keep-alive case that RoundTrip retries.
    attempt->closed_before_response = IsClosedErrno(err);
    attempt->error =
        MakeError(ErrorKind::kNetwork, "sending request to " + where + ": " +
                                           (err == EPROTO ? tls_error_ : strerror(err)));
    attempt->error->request_sent = attempt->sent_any;
    return;
  }

  char buf[64 << 10];
  while (true) {
    short wait = 0;
    ssize_t n = ReadSome(buf, sizeof(buf), &wait);
    if (n > 0) {
      HttpResponseParser::State s = parser_.Feed(std::string_view(buf, static_cast<size_t>(n)));
      if (s == HttpResponseParser::State::kDone) return;
      if (s == HttpResponseParser::State::kError) {
        attempt->error = MakeError(ErrorKind::kProtocol,
                                   "bad response from " + where + ": " + parser_.error());
        attempt->error->request_sent = true;
        return;
      }
      continue;
    }
    if (n == 0) {
      bool started = parser_.started();
      HttpResponseParser::State s = parser_.FeedEof();
      if (s == HttpResponseParser::State::kDone) return;
      attempt->closed_before_response = !started;
      attempt->error = MakeError(
          ErrorKind::kNetwork,
          started ? "connection to " + where + " closed in the middle of the response"
                  : "connection to " + where + " closed before any response byte");
      attempt->error->request_sent = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int ev = WaitFor(fd_, wait, deadline_ms);
      if (ev == 0) {
        attempt->error = MakeError(ErrorKind::kTimeout, "no complete response from " + where +
                                                            " before the deadline");
        attempt->error->request_sent = true;
        return;
      }
      if (ev < 0) {
        attempt->error = MakeError(ErrorKind::kNetwork, "poll: " + std::string(strerror(errno)));
        attempt->error->request_sent = true;
        return;
      }
      continue;  // readable, or an error/hangup that the next recv reports
    }
    int err = errno;
    attempt->closed_before_response = IsClosedErrno(err) && !parser_.started();
    attempt->error =
        MakeError(ErrorKind::kNetwork, "receiving response from " + where + ": " +
                                           (err == EPROTO ? tls_error_ : strerror(err)));
    attempt->error->request_sent = true;
    return;
  }
}

std::string FormatRequestHead(const HttpRequest& request, std::string_view host_header) {
  std::string head;
  head.reserve(256 + request.target.size());
  head.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  head.append("Host: ").append(host_header).append("\r\n");
  for (const auto& [name, value] : request.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || request.method == "POST") {
    head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  head.append("Connection: keep-alive\r\n\r\n");
  return head;
}

ClientResult<HttpResponse> HttpConnection::RoundTrip(const HttpRequest& request,
                                                     int64_t timeout_ms) {
  std::string head = FormatRequestHead(request, host_header_);
  bool reused = fd_ >= 0;
  if (reused && !IdleSocketUsable()) {
    Close();
    reused = false;
  }
  int64_t deadline = NowMs() + timeout_ms;
  // Set once a retry follows an attempt that wrote bytes: the server may have applied
  // that attempt before the connection broke, so whatever the retry ends in, its
  // outcome is unknown (it never "certainly had no effect").
  bool earlier_attempt_sent = false;
  auto fail = [&earlier_attempt_sent](Error e) {
    e.request_sent = e.request_sent || earlier_attempt_sent;
    return e;
  };
  for (int round = 0;; ++round) {
    if (fd_ < 0) {
      ClientResult<bool> connected = Connect();
      if (!connected.ok()) return fail(connected.take_error());
    }
    Attempt attempt;
    parser_.Reset();
    if (request.method == "HEAD") parser_.set_no_body();
    Exchange(head, request.body, deadline, &attempt);
    if (!attempt.error) {
      bool reusable = parser_.reusable();
      HttpResponse response = std::move(parser_.response());
      if (!reusable) Close();
      return response;
    }
    Close();
    if (round == 0 && reused && attempt.closed_before_response) {
      // The stale keep-alive case: the server closed the idle connection as we reused
      // it. Retried once; if the server had in fact applied the request before closing,
      // the retry duplicates it (at-least-once, like any retry after a lost answer).
      earlier_attempt_sent = attempt.sent_any;
      ++retries_;
      continue;
    }
    return fail(*std::move(attempt.error));
  }
}

}  // namespace cmq::client
