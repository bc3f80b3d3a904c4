#include "http/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/log.h"
#include "common/tls_context.h"
#include "http/request_parser.h"

namespace cmq::http {
namespace {

constexpr size_t kReadChunk = 64 << 10;
// Pipelined bytes buffered behind a request in flight before reading pauses (the
// kernel's socket buffer holds the rest).
constexpr size_t kMaxBufferedInput = 64 << 10;
// Responses queued but unsent beyond which no further pipelined request is started.
constexpr size_t kMaxQueuedOutput = 256 << 10;
// Bodies up to this size are copied behind their headers (one send); larger ones are
// sent from their own string, without a copy.
constexpr size_t kInlineBody = 16 << 10;
// An output buffer this small is kept across requests to avoid reallocating it.
constexpr size_t kKeptOutputCapacity = 4 << 10;
constexpr int kMaxIov = 64;
constexpr int kAcceptBurst = 64;
constexpr int64_t kAcceptRetryMs = 100;
// After the last response of a closing connection, its unread input is drained for at
// most this long so that closing does not reset the connection before the client read
// the response.
constexpr int64_t kLingerMs = 2000;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

const char* DefaultReason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void AppendNumber(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

std::string FormatPeer(const sockaddr_storage& addr) {
  char ip[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
    port = ntohs(a.sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof(ip));
    port = ntohs(a.sin6_port);
    return "[" + std::string(ip) + "]:" + std::to_string(port);
  }
  return "unknown";
}

}  // namespace

struct Server::Impl {
  // kIdle: between requests (idle timeout). kReceiving: a request has started to
  // arrive (request timeout). kInFlight: with the handler, no timeout. kClosing: the
  // last response is being written (idle timeout). kLingering: response written,
  // write side shut, draining input until EOF (linger timeout). kHandshake: a TLS
  // connection before its handshake completed (request timeout, then closed).
  enum class Phase { kHandshake, kIdle, kReceiving, kInFlight, kClosing, kLingering };

  struct Connection;
  // Connections ordered by deadline. Every member of one list got the same duration
  // when it was appended, so appending at the tail keeps the order and the head is
  // always the next to expire: O(1) per change, one loop timer for all connections.
  struct DeadlineList {
    int64_t duration_ms = 0;
    Connection* head = nullptr;
    Connection* tail = nullptr;
  };

  struct Connection {
    int fd = -1;
    uint32_t slot = 0;
    uint64_t id = 0;       // unique per connection, never reused
    uint64_t serial = 0;   // of the request in flight; responders carry it
    Phase phase = Phase::kIdle;
    RequestParser parser;
    std::string peer;
    std::string in;                 // received, not yet parsed (pipelined)
    std::vector<std::string> out;   // queued output; out[0] is sent from out_offset
    size_t out_offset = 0;
    size_t out_bytes = 0;           // unsent bytes in `out`
    bool out_tail_is_body = false;  // out.back() is a moved body: append nothing to it
    std::function<void()> on_cancel;
    bool keep_alive = true;  // of the request in flight
    bool head = false;       // request in flight is HEAD: no body in the response
    bool close_after_write = false;
    bool read_eof = false;
    bool in_ready = false;
    uint32_t events = 0;
    // TLS (null: plain). OpenSSL may need the other direction to make progress: a
    // read that waits for writability, or a write that waits for readability.
    SSL* ssl = nullptr;
    bool tls_wants_write = false;
    bool tls_wants_read = false;
    // DeadlineList membership.
    DeadlineList* list = nullptr;
    Connection* prev = nullptr;
    Connection* next = nullptr;
    int64_t deadline_ms = 0;

    explicit Connection(ParserLimits limits) : parser(limits) {}
  };

  struct Listener {
    int fd;
    uint16_t port;
    const TlsServerContext* tls;  // null: plain HTTP
  };

  Impl(EventLoop* l, Handler* h, ServerOptions o)
      : loop(l),
        handler(h),
        options(o),
        scratch(new char[kReadChunk]),
        connection_cap(o.max_connections) {
    idle_list.duration_ms = options.idle_timeout_ms;
    request_list.duration_ms = options.request_timeout_ms;
    handshake_list.duration_ms = options.request_timeout_ms;
    linger_list.duration_ms = std::min(kLingerMs, options.request_timeout_ms);
  }

  EventLoop* loop;
  Handler* handler;
  ServerOptions options;
  std::unique_ptr<char[]> scratch;

  std::vector<Listener> listeners;
  uint16_t first_port = 0;  // kept after StopAccepting closed the listeners
  bool stopping = false;
  bool accept_paused = false;  // by EMFILE and friends, until a retry timer
  bool at_connection_limit = false;
  EventLoop::TimerId accept_retry_timer = 0;
  size_t connection_cap;  // min(max_connections, LimitConnections())
  std::string cap_reason = "max_connections";
  LogRateLimit connection_limit_log;
  LogRateLimit accept_error_log;
  LogRateLimit tls_error_log;

  std::vector<std::unique_ptr<Connection>> slots;
  std::vector<uint32_t> free_slots;
  size_t open_connections = 0;
  size_t pending_requests = 0;
  uint64_t next_connection_id = 1;
  uint64_t next_serial = 1;

  DeadlineList idle_list, request_list, linger_list, handshake_list;
  EventLoop::TimerId sweep_timer = 0;
  int64_t sweep_at_ms = 0;

  // Re-entrancy control. Handlers and cancel callbacks may answer any request at any
  // time, from inside another connection's processing. Answers only queue output and
  // mark the connection ready; the outermost entry point (depth 0) then flushes and
  // continues ready connections, so no connection is ever processed or closed while
  // a frame further up the stack is using it.
  int depth = 0;
  std::vector<std::pair<uint32_t, uint64_t>> ready;  // slot, connection id
  std::vector<std::pair<uint32_t, uint64_t>> ready_batch;  // being drained; kept for reuse
  bool close_idle_pending = false;

  class EntryGuard {
   public:
    explicit EntryGuard(Impl* s) : s_(s) { ++s_->depth; }
    ~EntryGuard() {
      if (--s_->depth == 0) s_->DrainReady();
    }
    EntryGuard(const EntryGuard&) = delete;
    EntryGuard& operator=(const EntryGuard&) = delete;

   private:
    Impl* s_;
  };

  // ---- deadlines ---------------------------------------------------------------

  void Unlink(Connection* c) {
    DeadlineList* l = c->list;
    if (l == nullptr) return;
    (c->prev ? c->prev->next : l->head) = c->next;
    (c->next ? c->next->prev : l->tail) = c->prev;
    c->prev = c->next = nullptr;
    c->list = nullptr;
  }

  void Append(DeadlineList* l, Connection* c, int64_t now) {
    Unlink(c);
    c->list = l;
    c->deadline_ms = now + l->duration_ms;
    c->prev = l->tail;
    (l->tail ? l->tail->next : l->head) = c;
    l->tail = c;
    if (sweep_timer == 0 || c->deadline_ms < sweep_at_ms) ArmSweep(c->deadline_ms, now);
  }

  void ArmSweep(int64_t at_ms, int64_t now) {
    if (sweep_timer != 0) loop->Cancel(sweep_timer);
    sweep_at_ms = at_ms;
    sweep_timer = loop->RunAfter(std::max<int64_t>(0, at_ms - now), [this] {
      sweep_timer = 0;
      Sweep();
    });
  }

  void SetPhase(Connection* c, Phase phase) {
    c->phase = phase;
    switch (phase) {
      case Phase::kIdle:
      case Phase::kClosing:
        Append(&idle_list, c, NowMs());
        break;
      case Phase::kReceiving:
        Append(&request_list, c, NowMs());
        break;
      case Phase::kLingering:
        Append(&linger_list, c, NowMs());
        break;
      case Phase::kHandshake:
        Append(&handshake_list, c, NowMs());
        break;
      case Phase::kInFlight:
        Unlink(c);
        break;
    }
  }

  void Sweep() {
    EntryGuard guard(this);
    int64_t now = NowMs();
    while (idle_list.head && idle_list.head->deadline_ms <= now) {
      // Idle keep-alive connection, or a client that stopped reading its response.
      CloseConnection(idle_list.head);
    }
    while (request_list.head && request_list.head->deadline_ms <= now) {
      Connection* c = request_list.head;
      Unlink(c);
      SendError(c, 408, "request not received in time");
      if (Flush(c)) UpdateEvents(c);
    }
    while (linger_list.head && linger_list.head->deadline_ms <= now) {
      CloseConnection(linger_list.head);
    }
    while (handshake_list.head && handshake_list.head->deadline_ms <= now) {
      // A client that stalls its handshake holds only its descriptor, until here.
      CMQ_LOG_DEBUG("http: %s: TLS handshake not completed in time; closing",
                    handshake_list.head->peer.c_str());
      CloseConnection(handshake_list.head);
    }
    int64_t next = INT64_MAX;
    for (DeadlineList* l : {&idle_list, &request_list, &linger_list, &handshake_list}) {
      if (l->head) next = std::min(next, l->head->deadline_ms);
    }
    // Closing and answering above may have armed the timer for a later deadline.
    if (next != INT64_MAX && (sweep_timer == 0 || next < sweep_at_ms)) ArmSweep(next, now);
  }

  // ---- accepting ---------------------------------------------------------------

  void OnAcceptable(int listen_fd, const TlsServerContext* tls) {
    EntryGuard guard(this);
    for (int i = 0; i < kAcceptBurst; ++i) {
      if (open_connections >= connection_cap) {
        at_connection_limit = true;
        UpdateListenerEvents();
        LogRateLimited(connection_limit_log, LogLevel::kWarn,
                       "http: connection limit reached: %zu open, the limit is %zu (%s); new "
                       "connections wait in the listen backlog until one closes",
                       open_connections, connection_cap, cap_reason.c_str());
        return;
      }
      sockaddr_storage addr;
      socklen_t len = sizeof(addr);
      int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        // EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays queued and
        // level-triggered epoll would report it again at once; back off instead.
        LogRateLimited(accept_error_log, LogLevel::kError,
                       "http: accept: %s (%zu connections open); accepting again in %lld ms",
                       std::strerror(errno), open_connections,
                       static_cast<long long>(kAcceptRetryMs));
        PauseAccepting();
        return;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      AddConnection(fd, FormatPeer(addr), tls);
    }
  }

  void PauseAccepting() {
    if (accept_paused) return;
    accept_paused = true;
    UpdateListenerEvents();
    accept_retry_timer = loop->RunAfter(kAcceptRetryMs, [this] {
      accept_retry_timer = 0;
      accept_paused = false;
      UpdateListenerEvents();
    });
  }

  void UpdateListenerEvents() {
    uint32_t ev = (accept_paused || at_connection_limit) ? 0u : uint32_t{EPOLLIN};
    for (const Listener& l : listeners) loop->ModifyFd(l.fd, ev);
  }

  void AddConnection(int fd, std::string peer, const TlsServerContext* tls) {
    SSL* ssl = nullptr;
    if (tls != nullptr) {
      Result<SSL*> session = tls->NewSession(fd);
      if (!session.ok()) {
        LogRateLimited(tls_error_log, LogLevel::kError, "http: %s: no TLS session: %s",
                       peer.c_str(), session.status().detail().c_str());
        close(fd);
        return;
      }
      ssl = *session;
    }
    uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<uint32_t>(slots.size());
      slots.emplace_back();
    }
    auto conn = std::make_unique<Connection>(
        ParserLimits{options.max_header_bytes, options.max_body_bytes});
    Connection* c = conn.get();
    c->fd = fd;
    c->slot = slot;
    c->id = next_connection_id++;
    c->peer = std::move(peer);
    c->events = EPOLLIN;
    c->ssl = ssl;
    if (!loop->AddFd(fd, EPOLLIN, [this, c](uint32_t ev) { OnConnectionEvent(c, ev); })) {
      if (ssl != nullptr) SSL_free(ssl);
      close(fd);
      free_slots.push_back(slot);
      return;
    }
    slots[slot] = std::move(conn);
    ++open_connections;
    SetPhase(c, ssl != nullptr ? Phase::kHandshake : Phase::kIdle);
  }

  // ---- TLS ---------------------------------------------------------------------

  // Advances the server handshake as far as the socket allows.
  void Handshake(Connection* c) {
    ERR_clear_error();
    errno = 0;  // SSL_ERROR_SYSCALL with errno 0: the peer closed
    int rc = SSL_do_handshake(c->ssl);
    c->tls_wants_write = false;
    if (rc == 1) {
      SetPhase(c, Phase::kIdle);
      // Without read-ahead OpenSSL holds no request bytes yet: they wait in the socket,
      // and level-triggered epoll reports them.
      UpdateEvents(c);
      return;
    }
    int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      c->tls_wants_write = err == SSL_ERROR_WANT_WRITE;
      UpdateEvents(c);
      return;
    }
    if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_HTTP_REQUEST) {
      // Plain HTTP on the TLS port: answer in plain HTTP so that the client sees why.
      ERR_clear_error();
      SSL_free(c->ssl);
      c->ssl = nullptr;
      SendError(c, 400, "this port speaks HTTPS (TLS); use an https:// URL");
      if (Flush(c)) UpdateEvents(c);
      return;
    }
    std::string why = TlsHandshakeError(c->ssl, errno != 0 ? strerror(errno) : "connection closed");
    LogRateLimited(tls_error_log, LogLevel::kInfo, "http: %s: TLS handshake failed: %s",
                   c->peer.c_str(), why.c_str());
    CloseConnection(c);
  }

  enum class Io { kData, kEof, kWait, kError };

  // One read from the socket (plain) or one TLS record's data. kData sets *n.
  Io Receive(Connection* c, size_t* n) {
    if (c->ssl == nullptr) {
      while (true) {
        ssize_t r = recv(c->fd, scratch.get(), kReadChunk, 0);
        if (r > 0) {
          *n = static_cast<size_t>(r);
          return Io::kData;
        }
        if (r == 0) return Io::kEof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWait;
        return Io::kError;  // ECONNRESET and friends
      }
    }
    ERR_clear_error();
    errno = 0;  // SSL_ERROR_SYSCALL with errno 0: the peer closed
    int r = SSL_read(c->ssl, scratch.get(), static_cast<int>(kReadChunk));
    if (r > 0) {
      *n = static_cast<size_t>(r);
      return Io::kData;
    }
    switch (SSL_get_error(c->ssl, r)) {
      case SSL_ERROR_WANT_READ:
        return Io::kWait;
      case SSL_ERROR_WANT_WRITE:
        c->tls_wants_write = true;
        return Io::kWait;
      case SSL_ERROR_ZERO_RETURN:
        return Io::kEof;
      case SSL_ERROR_SYSCALL:
        // A TCP close without close_notify: a truncation attack cannot hurt here,
        // because HTTP framing (Content-Length) decides where a request ends.
        if (ERR_peek_error() == 0 && errno == 0) return Io::kEof;
        [[fallthrough]];
      default:
        CMQ_LOG_DEBUG("http: %s: TLS read: %s", c->peer.c_str(),
                      DrainOpenSslErrors(strerror(errno)).c_str());
        return Io::kError;
    }
  }

  // Sends from the first unsent output piece. Returns the bytes sent, 0 when the
  // socket is full, -1 on an error (the connection must close).
  ssize_t Send(Connection* c) {
    if (c->ssl == nullptr) {
      iovec iov[kMaxIov];
      int n_iov = 0;
      for (size_t i = 0; i < c->out.size() && n_iov < kMaxIov; ++i) {
        size_t skip = i == 0 ? c->out_offset : 0;
        if (c->out[i].size() == skip) continue;
        iov[n_iov].iov_base = c->out[i].data() + skip;
        iov[n_iov].iov_len = c->out[i].size() - skip;
        ++n_iov;
      }
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<size_t>(n_iov);
      while (true) {
        ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return -1;  // EPIPE, ECONNRESET
      }
    }
    size_t i = 0;
    size_t skip = c->out_offset;
    while (c->out[i].size() == skip) {
      ++i;
      skip = 0;
    }
    std::string_view piece = std::string_view(c->out[i]).substr(skip);
    ERR_clear_error();
    errno = 0;  // SSL_ERROR_SYSCALL with errno 0: the peer closed
    // OpenSSL takes int lengths; a larger piece goes out over several calls.
    int len = static_cast<int>(std::min<size_t>(piece.size(), 1 << 30));
    int r = SSL_write(c->ssl, piece.data(), len);
    // ConsumeOutput passes over the skipped empty pieces the same way.
    if (r > 0) return r;
    switch (SSL_get_error(c->ssl, r)) {
      case SSL_ERROR_WANT_WRITE:
        return 0;
      case SSL_ERROR_WANT_READ:
        c->tls_wants_read = true;
        return 0;
      default:
        CMQ_LOG_DEBUG("http: %s: TLS write: %s", c->peer.c_str(),
                      DrainOpenSslErrors(strerror(errno)).c_str());
        return -1;
    }
  }

  // ---- connection events -------------------------------------------------------

  void OnConnectionEvent(Connection* c, uint32_t ev) {
    EntryGuard guard(this);
    if (c->phase == Phase::kHandshake) {
      if (ev & (EPOLLERR | EPOLLHUP)) return CloseConnection(c);
      return Handshake(c);
    }
    if (c->tls_wants_read && (ev & EPOLLIN)) {
      c->tls_wants_read = false;
      if (!Flush(c)) return;
    }
    if (c->tls_wants_write && (ev & EPOLLOUT)) {
      c->tls_wants_write = false;
      if (!ReadInput(c)) return;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      if (!(c->events & EPOLLIN)) {
        // Not reading (input backlog): only errors and hang-ups get here.
        if (ev & EPOLLERR) return CloseConnection(c);
        if (!OnEof(c)) return;
      } else if (!ReadInput(c)) {
        return;
      }
    } else if (ev & EPOLLRDHUP) {
      if (!OnEof(c)) return;
    }
    if (ev & EPOLLOUT) {
      if (!Flush(c)) return;
      ContinueInput(c);
      if (!Flush(c)) return;
    }
    UpdateEvents(c);
  }

  // Returns false if the connection was closed.
  bool ReadInput(Connection* c) {
    for (int round = 0;; ++round) {
      size_t n = 0;
      Io io = Receive(c, &n);
      if (io == Io::kData) {
        if (c->phase != Phase::kLingering) OnData(c, std::string_view(scratch.get(), n));
        // Bytes OpenSSL already took from the socket are invisible to epoll: read on
        // until it holds none (at most the rest of one record without read-ahead).
        if (c->ssl != nullptr && SSL_has_pending(c->ssl)) continue;
        bool short_read = c->ssl == nullptr && n < kReadChunk;
        if (round >= 3 || short_read || c->in.size() > kMaxBufferedInput) break;
        continue;
      }
      if (io == Io::kEof) {
        if (!OnEof(c)) return false;
        break;
      }
      if (io == Io::kWait) break;
      CloseConnection(c);
      return false;
    }
    return Flush(c);
  }

  // The peer closed its sending side. Returns false if the connection was closed.
  bool OnEof(Connection* c) {
    c->read_eof = true;
    c->in.clear();
    if (c->phase == Phase::kInFlight || c->phase == Phase::kLingering || c->out_bytes == 0) {
      // Nobody is left to read an answer: drop it (and cancel the handler's work).
      CloseConnection(c);
      return false;
    }
    // A response is still being written: finish it, then close.
    c->close_after_write = true;
    return true;
  }

  void OnData(Connection* c, std::string_view data) {
    if (c->close_after_write) return;  // a final answer is queued; the rest is moot
    if (!c->in.empty() || !CanStartRequest(c)) {
      c->in.append(data);
      return;
    }
    size_t used = Parse(c, data);
    if (used < data.size() && !c->close_after_write) c->in.append(data.substr(used));
  }

  bool CanStartRequest(const Connection* c) const {
    return c->phase != Phase::kInFlight && !c->close_after_write &&
           c->out_bytes < kMaxQueuedOutput;
  }

  // Feeds `data` to the parser and dispatches every request completed by it, until
  // one stays in flight. Returns the number of bytes used. Never closes `c`.
  size_t Parse(Connection* c, std::string_view data) {
    size_t off = 0;
    while (off < data.size() && CanStartRequest(c)) {
      off += c->parser.Feed(data.substr(off));
      switch (c->parser.state()) {
        case RequestParser::State::kNeedMore:
          if (c->phase == Phase::kIdle && c->parser.started()) SetPhase(c, Phase::kReceiving);
          if (c->parser.TakeContinueRequest()) {
            AppendOutput(c, "HTTP/1.1 100 Continue\r\n\r\n");
          }
          break;
        case RequestParser::State::kError:
          SendError(c, c->parser.error_status(), c->parser.error_reason());
          return data.size();
        case RequestParser::State::kComplete:
          Dispatch(c);
          break;
      }
    }
    return off;
  }

  // Parses input left behind while a request was in flight or output was backed up.
  void ContinueInput(Connection* c) {
    if (c->in.empty() || !CanStartRequest(c)) return;
    std::string input = std::move(c->in);
    c->in.clear();
    size_t used = Parse(c, input);
    if (used < input.size() && !c->close_after_write) {
      input.erase(0, used);
      c->in = std::move(input);
    }
    // Otherwise `input` dies here: the buffer is released.
  }

  void Dispatch(Connection* c) {
    Request request = c->parser.TakeRequest();
    request.peer = c->peer;
    request.tls = c->ssl != nullptr;
    c->keep_alive = request.keep_alive;
    c->head = request.method == "HEAD";
    c->serial = next_serial++;
    SetPhase(c, Phase::kInFlight);
    ++pending_requests;
    // Captures fit std::function's inline storage: no allocation per request.
    Impl* self = this;
    uint64_t token = Token(c);
    ++depth;
    handler->OnRequest(
        std::move(request),
        [self, token](Response response) { self->OnResponse(token, std::move(response)); },
        [self, token](std::function<void()> fn) {
          if (Connection* conn = self->FindInFlight(token)) conn->on_cancel = std::move(fn);
        });
    --depth;
  }

  // A request's identity: its serial (40 bits) and slot (24 bits).
  static constexpr int kSlotBits = 24;
  static uint64_t Token(const Connection* c) { return (c->serial << kSlotBits) | c->slot; }

  Connection* FindInFlight(uint64_t token) {
    uint64_t slot = token & ((uint64_t{1} << kSlotBits) - 1);
    if (slot >= slots.size() || !slots[slot]) return nullptr;
    Connection* c = slots[slot].get();
    if (c->phase != Phase::kInFlight || Token(c) != token) return nullptr;
    return c;
  }

  void OnResponse(uint64_t token, Response response) {
    Connection* c = FindInFlight(token);
    if (c == nullptr) return;  // client gone, or answered already
    EntryGuard guard(this);
    c->on_cancel = nullptr;
    --pending_requests;
    bool close = response.close || !c->keep_alive || stopping;
    AppendResponse(c, std::move(response), close);
    SetPhase(c, close ? Phase::kClosing : Phase::kIdle);
    if (close) {
      c->close_after_write = true;
      c->in.clear();
    }
    MarkReady(c);
  }

  void MarkReady(Connection* c) {
    if (c->in_ready) return;
    c->in_ready = true;
    ready.emplace_back(c->slot, c->id);
  }

  Connection* Find(uint32_t slot, uint64_t id) {
    if (slot >= slots.size() || !slots[slot] || slots[slot]->id != id) return nullptr;
    return slots[slot].get();
  }

  void DrainReady() {
    ++depth;
    std::vector<std::pair<uint32_t, uint64_t>>& batch = ready_batch;
    while (!ready.empty() || close_idle_pending) {
      batch.swap(ready);
      for (auto [slot, id] : batch) {
        Connection* c = Find(slot, id);
        if (c == nullptr) continue;
        c->in_ready = false;
        if (!Flush(c)) continue;
        ContinueInput(c);
        if (!Flush(c)) continue;
        UpdateEvents(c);
      }
      batch.clear();
      if (close_idle_pending) {
        close_idle_pending = false;
        CloseIdleConnections();
      }
    }
    --depth;
  }

  // ---- output ------------------------------------------------------------------

  std::string& OutputTail(Connection* c) {
    if (c->out.empty() || c->out_tail_is_body) {
      c->out.emplace_back();
      c->out_tail_is_body = false;
    }
    return c->out.back();
  }

  void AppendOutput(Connection* c, std::string_view bytes) {
    OutputTail(c).append(bytes);
    c->out_bytes += bytes.size();
  }

  void AppendResponse(Connection* c, Response r, bool close) {
    std::string& o = OutputTail(c);
    size_t before = o.size();
    o.append("HTTP/1.1 ");
    AppendNumber(&o, static_cast<uint64_t>(r.status));
    o.push_back(' ');
    o.append(r.reason.empty() ? DefaultReason(r.status) : r.reason);
    o.append("\r\n");
    if (!r.content_type.empty()) {
      o.append("Content-Type: ");
      o.append(r.content_type);
      o.append("\r\n");
    }
    o.append("Content-Length: ");
    AppendNumber(&o, r.body.size());
    o.append(close ? "\r\nConnection: close\r\n" : "\r\nConnection: keep-alive\r\n");
    for (const auto& [name, value] : r.headers) {
      o.append(name);
      o.append(": ");
      o.append(value);
      o.append("\r\n");
    }
    o.append("\r\n");
    size_t body_bytes = c->head ? 0 : r.body.size();
    if (body_bytes <= kInlineBody) {
      o.append(r.body, 0, body_bytes);
      c->out_bytes += o.size() - before;
    } else {
      c->out_bytes += o.size() - before + body_bytes;
      c->out.push_back(std::move(r.body));  // invalidates `o`
      c->out_tail_is_body = true;
    }
  }

  void SendError(Connection* c, int status, std::string_view reason) {
    Response r;
    r.status = status;
    r.reason = DefaultReason(status);
    r.content_type = "text/plain; charset=utf-8";
    r.body.reserve(r.reason.size() + reason.size() + 3);
    r.body.append(r.reason).append(": ").append(reason).push_back('\n');
    c->head = false;
    AppendResponse(c, std::move(r), /*close=*/true);
    c->close_after_write = true;
    c->in.clear();
    SetPhase(c, Phase::kClosing);
  }

  // Sends queued output. Returns false if the connection was closed (write error, or
  // finished closing).
  bool Flush(Connection* c) {
    while (c->out_bytes > 0) {
      ssize_t n = Send(c);
      if (n == 0) break;
      if (n < 0) {
        CloseConnection(c);
        return false;
      }
      ConsumeOutput(c, static_cast<size_t>(n));
    }
    if (c->out_bytes == 0 && c->close_after_write && c->phase != Phase::kLingering) {
      return StartLinger(c);
    }
    return true;
  }

  void ConsumeOutput(Connection* c, size_t n) {
    c->out_bytes -= n;
    while (n > 0) {
      size_t left = c->out.front().size() - c->out_offset;
      if (n < left) {
        c->out_offset += n;
        return;
      }
      n -= left;
      c->out_offset = 0;
      if (c->out.size() == 1) {
        break;
      }
      c->out.erase(c->out.begin());
    }
    if (c->out_bytes == 0) {
      // Keep one small buffer for the next response; give big ones back, so a parked
      // connection costs little.
      c->out.resize(1);
      c->out_offset = 0;
      c->out_tail_is_body = false;
      if (c->out[0].capacity() > kKeptOutputCapacity) {
        std::string().swap(c->out[0]);
      } else {
        c->out[0].clear();
      }
    }
  }

  // All output of a closing connection is sent: half-close and drain the client's
  // remaining input, so that closing does not turn into a reset that could destroy
  // the response before the client reads it.
  bool StartLinger(Connection* c) {
    if (c->ssl != nullptr && !c->read_eof) {
      // close_notify, best effort: the response is complete by its framing, and the
      // socket's write side is shut next whatever this returns.
      ERR_clear_error();
      if (SSL_shutdown(c->ssl) < 0) ERR_clear_error();
    }
    if (c->read_eof || shutdown(c->fd, SHUT_WR) != 0) {
      CloseConnection(c);
      return false;
    }
    c->in.clear();
    SetPhase(c, Phase::kLingering);
    return true;
  }

  void UpdateEvents(Connection* c) {
    bool want_read = !c->read_eof && c->in.size() <= kMaxBufferedInput;
    uint32_t ev = 0;
    if (want_read) ev |= EPOLLIN;
    if (c->out_bytes > 0 || c->tls_wants_write) ev |= EPOLLOUT;
    if (c->tls_wants_read) ev |= EPOLLIN;
    // Not reading behind a request in flight: still learn when the client leaves.
    if (!want_read && !c->read_eof && c->phase == Phase::kInFlight) ev |= EPOLLRDHUP;
    if (ev != c->events) {
      c->events = ev;
      loop->ModifyFd(c->fd, ev);
    }
  }

  // ---- closing -----------------------------------------------------------------

  void CloseConnection(Connection* c) {
    Unlink(c);
    loop->RemoveFd(c->fd);
    if (c->ssl != nullptr) SSL_free(c->ssl);
    close(c->fd);
    std::function<void()> on_cancel = std::move(c->on_cancel);
    if (c->phase == Phase::kInFlight) --pending_requests;
    uint32_t slot = c->slot;
    slots[slot].reset();  // `c` is gone
    free_slots.push_back(slot);
    --open_connections;
    ResumeBelowConnectionCap();
    if (on_cancel) on_cancel();
  }

  void ResumeBelowConnectionCap() {
    if (at_connection_limit && open_connections < connection_cap) {
      at_connection_limit = false;
      UpdateListenerEvents();
    }
  }

  void CloseIdleConnections() {
    for (auto& slot : slots) {
      Connection* c = slot.get();
      if (c == nullptr) continue;
      if (c->phase == Phase::kHandshake) {
        CloseConnection(c);
        continue;
      }
      if (c->phase == Phase::kIdle && !c->parser.started() && c->in.empty()) {
        if (c->out_bytes == 0) {
          CloseConnection(c);
        } else {
          c->close_after_write = true;
        }
      }
    }
  }

  void CloseListeners() {
    for (const Listener& l : listeners) {
      loop->RemoveFd(l.fd);
      close(l.fd);
    }
    listeners.clear();
    if (accept_retry_timer != 0) loop->Cancel(accept_retry_timer);
    accept_retry_timer = 0;
  }

  Status Listen(const std::string& host, uint16_t port, const TlsServerContext* tls) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string port_text = std::to_string(port);
    int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
    if (rc != 0) {
      return Status(ErrorCode::kIoError,
                    "resolve listen address " + host + ": " + gai_strerror(rc));
    }
    std::string error = "no address for " + host;
    int fd = -1;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        error = ErrnoText("socket");
        continue;
      }
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        error = ErrnoText(("bind " + host + ":" + port_text).c_str());
      } else if (listen(fd, SOMAXCONN) != 0) {
        error = ErrnoText("listen");
      } else {
        break;
      }
      close(fd);
      fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return Status(ErrorCode::kIoError, error);
    sockaddr_storage bound;
    socklen_t len = sizeof(bound);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      Status s(ErrorCode::kIoError, ErrnoText("getsockname"));
      close(fd);
      return s;
    }
    uint16_t actual = bound.ss_family == AF_INET6
                          ? ntohs(reinterpret_cast<sockaddr_in6&>(bound).sin6_port)
                          : ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port);
    if (!loop->AddFd(fd, EPOLLIN, [this, fd, tls](uint32_t) { OnAcceptable(fd, tls); })) {
      Status s(ErrorCode::kIoError, ErrnoText("epoll_ctl(listen socket)"));
      close(fd);
      return s;
    }
    listeners.push_back({fd, actual, tls});
    if (first_port == 0) first_port = actual;
    UpdateListenerEvents();
    return Status::Ok();
  }
};

Server::Server(EventLoop* loop, Handler* handler, ServerOptions options)
    : impl_(std::make_unique<Impl>(loop, handler, options)) {}

Server::~Server() {
  Impl& s = *impl_;
  s.CloseListeners();
  if (s.sweep_timer != 0) s.loop->Cancel(s.sweep_timer);
  s.sweep_timer = 0;
  // Cancel callbacks may answer other requests; make those answers no-ops by closing
  // under a raised depth (nothing gets drained) and dropping the ready list.
  ++s.depth;
  for (auto& slot : s.slots) {
    if (slot) s.CloseConnection(slot.get());
  }
  s.ready.clear();
  s.close_idle_pending = false;
  --s.depth;
}

Status Server::Listen(const std::string& host, uint16_t port, const TlsServerContext* tls,
                      uint16_t* bound_port) {
  Status s = impl_->Listen(host, port, tls);
  if (s.ok() && bound_port != nullptr) *bound_port = impl_->listeners.back().port;
  return s;
}

uint16_t Server::port() const {
  return impl_->first_port;
}

void Server::StopAccepting() {
  Impl& s = *impl_;
  Impl::EntryGuard guard(&s);
  s.stopping = true;
  s.CloseListeners();
  s.close_idle_pending = true;
}

void Server::LimitConnections(size_t cap, std::string why) {
  Impl& s = *impl_;
  s.connection_cap = std::min(cap, s.options.max_connections);
  s.cap_reason =
      s.connection_cap < s.options.max_connections
          ? std::move(why) + "; max_connections " + std::to_string(s.options.max_connections)
          : "max_connections";
  s.ResumeBelowConnectionCap();
}

size_t Server::PendingRequests() const { return impl_->pending_requests; }

size_t Server::OpenConnections() const { return impl_->open_connections; }

}  // namespace cmq::http
