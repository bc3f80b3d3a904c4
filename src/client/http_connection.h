// A blocking HTTP/1.1 client connection to one host:port, kept alive across requests.
//
// One request at a time: RoundTrip() writes the request and reads the whole response
// before returning. The TCP connection is opened on first use and kept open while the
// server allows (no "Connection: close", HTTP/1.1 framing intact); a response that says
// "Connection: close" is read completely and the socket closed afterwards.
//
// Stale keep-alive connections: a server may close an idle connection at any time. If
// a request was sent on a reused connection and the connection turned out closed (EOF,
// reset, broken pipe) before any byte of the response arrived, the request is sent
// once more on a new connection. This can only repeat a request the server never
// started answering; a request that timed out, or whose response was cut short, is
// never re-sent (the caller gets the error and decides).
//
// Sockets are non-blocking underneath and every wait is a poll() bounded by the
// connect timeout or the request's response timeout, so no call blocks longer than
// asked (name resolution excepted: getaddrinfo() has no timeout).
//
// Not thread-safe: use one HttpConnection per thread.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/client_error.h"
#include "common/http_response_parser.h"
#include "common/tls_context.h"

namespace cmq::client {

struct HttpRequest {
  std::string method = "POST";
  std::string target = "/";  // path and query, sent as is
  // Extra headers. Host, Content-Length and Connection are written by the connection.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The request line and headers (through the blank line) that HttpConnection sends for
// `request`: the extra headers, then Host, Content-Length (when there is a body, and
// always for POST) and "Connection: keep-alive". The body follows as is.
std::string FormatRequestHead(const HttpRequest& request, std::string_view host_header);

struct HttpConnectionOptions {
  int64_t connect_timeout_ms = 10000;  // TCP connect and, for TLS, the handshake
  HttpResponseLimits limits;
  // Set: speak HTTPS. The server's certificate must name `tls_server_name`, or the
  // host connected to when that is empty (also sent as SNI when it is a name).
  std::shared_ptr<const TlsClientContext> tls;
  std::string tls_server_name;
};

class HttpConnection {
 public:
  // `host` is a name or an IP literal (IPv6 without brackets); `host_header` is the
  // value sent in the Host header.
  HttpConnection(std::string host, uint16_t port, std::string host_header,
                 HttpConnectionOptions options = {});
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends `request` and returns the complete response, whatever its HTTP status.
  // `timeout_ms` bounds the time from the start of sending to the last response byte
  // (connecting has its own timeout). Errors: kNetwork (resolve, connect, send or
  // receive failed, or the server closed the connection; a failed TLS handshake, with
  // the reason such as "certificate verification failed: certificate has expired"),
  // kTimeout, kProtocol (not HTTP/1.x, or over the parser limits). After any error
  // the connection is closed.
  ClientResult<HttpResponse> RoundTrip(const HttpRequest& request, int64_t timeout_ms);

  // Closes the connection if open; the next RoundTrip opens a new one.
  void Close();
  bool is_open() const { return fd_ >= 0; }

  // TCP connections opened so far.
  uint64_t connects() const { return connects_; }
  // Requests sent a second time because a reused connection was found closed.
  uint64_t retries() const { return retries_; }

 private:
  struct Attempt;
  ClientResult<bool> Connect();
  ClientResult<bool> Handshake(int64_t deadline_ms);
  // One write (of iov[0] only with TLS) or read, as the socket calls report it: bytes
  // (> 0), 0 for the peer's close (reads), or -1 with errno set; on EAGAIN `*wait` is
  // the poll event to wait for, on EPROTO tls_error_ says what TLS failed.
  ssize_t WriteSome(const iovec* iov, int n_iov, short* wait);
  ssize_t ReadSome(char* buf, size_t len, short* wait);
  ssize_t TlsResult(int r, short* wait);
  // True if the idle kept-alive socket has neither been closed by the peer nor
  // received unsolicited bytes.
  bool IdleSocketUsable();
  void Exchange(const std::string& head, const std::string& body, int64_t deadline_ms,
                Attempt* attempt);

  std::string host_;
  uint16_t port_;
  std::string host_header_;
  HttpConnectionOptions options_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;  // with options_.tls, once connected
  std::string tls_error_;
  uint64_t connects_ = 0;
  uint64_t retries_ = 0;
  HttpResponseParser parser_;
};

}  // namespace cmq::client
