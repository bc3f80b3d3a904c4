// CMQClient: the connection to one CMQ endpoint with one key pair, shared by the
// Account, Queue, Topic and Subscription objects made from it.
//
// Thread-safety: a CMQClient is safe to use from many threads at once. It keeps a
// small pool of keep-alive connections guarded by a mutex; each call borrows one
// connection for its whole duration (so a long poll never blocks other calls), and
// gives it back afterwards. When every pooled connection is busy, a call opens an
// extra one, which is closed after the call if the pool is already full. Account,
// Queue, Topic and Subscription are small immutable handles (a name and a
// shared_ptr<CMQClient>): copy them freely and use them from any thread.
//
// Connections: a kept-alive connection that the server closed while idle (a restart,
// an idle timeout) is reopened transparently and the request sent again, which is safe
// because the server never saw it. A request that timed out or whose answer was cut
// short is never re-sent: the call throws CMQClientException with outcomeUnknown().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace cmq {

enum class SignMethod { kHmacSHA1, kHmacSHA256 };
enum class HttpMethod { kPost, kGet };
enum class LogSeverity { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct CMQClientOptions {
  // Logging of the SDK's own activity (each call at kDebug, failures at kWarn).
  // Off by default. Secrets and message bodies are never logged.
  bool logEnabled = false;
  LogSeverity logLevel = LogSeverity::kInfo;  // lines below this level are dropped
  // Receives each line; when empty, lines go to stderr. Called from the thread that
  // made the call, possibly from several threads at once.
  std::function<void(LogSeverity, const std::string&)> logCallback;

  int connectTimeoutMs = 10000;
  // Time allowed for an answer, from sending the request to its last byte. A long-poll
  // receive adds its wait to this (the official SDKs do the same: 10 s + wait).
  int readTimeoutMs = 10000;
  // Off: a new connection per call.
  bool keepAlive = true;
  // HmacSHA256 is what the official C++ SDK sends by default.
  SignMethod signMethod = SignMethod::kHmacSHA256;
  // POST sends a form body; GET puts every parameter into the URL.
  HttpMethod httpMethod = HttpMethod::kPost;
  // Idle keep-alive connections kept for reuse (>= 1). More calls than this may run
  // at once; the extra connections are closed after their call.
  int connectionPoolSize = 8;
  // https:// endpoints (TLS 1.2 or later): the server's certificate must chain to a CA
  // in caFile (PEM), or in the system CA store when empty, and name tlsServerName, or
  // the endpoint's host when empty (e.g. connect to an address, check the name).
  std::string caFile;
  std::string tlsServerName;
};

class CMQClient {
 public:
  // `endpoint` is "http://host[:port][/path]" or "https://..." (the path defaults to
  // "/"; the classic one is "/v2/index.php"). Does not connect. Throws
  // CMQClientException(kInvalidArgument) for a malformed endpoint, an unreadable
  // caFile, an empty secretId or secretKey, or options out of range (timeouts or pool
  // size < 1). A certificate that fails verification is a kNetwork error of the call.
  CMQClient(const std::string& endpoint, const std::string& secretId,
            const std::string& secretKey, CMQClientOptions options = {});
  ~CMQClient();
  CMQClient(const CMQClient&) = delete;
  CMQClient& operator=(const CMQClient&) = delete;

  const std::string& endpoint() const;
  const CMQClientOptions& options() const;

  // Connections opened so far and idle connections in the pool (for tests and tools).
  uint64_t connectionsOpened() const;
  int idleConnections() const;

 private:
  class Impl;  // the connection pool; defined in the library
  friend class Account;
  friend class Queue;
  friend class Topic;
  friend class Subscription;
  Impl& impl() const { return *impl_; }

  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq
