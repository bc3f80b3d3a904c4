// The one OpenSSL set-up of cmq: TLS 1.2 or later, non-blocking-friendly write modes.
//
// TlsClientContext: https:// clients (the pusher, libcmq). Certificates are checked
// against the system CA store, or a CA file instead, and the server's host name or IP
// unless verification is off.
// TlsServerContext: cmqd's HTTPS listeners. A certificate chain and its key, PEM,
// re-read by Reload() (SIGHUP); sessions made after a reload use the new pair.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace cmq {

struct TlsClientOptions {
  bool verify_peer = true;
  // PEM file of the CAs to trust instead of the system store ("" = system store).
  std::string ca_file;
};

class TlsClientContext {
 public:
  // kIoError with OpenSSL's reason when the context or the CA store cannot be set up.
  static Result<std::unique_ptr<TlsClientContext>> Create(const TlsClientOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A client SSL on `fd` (not owned) for `host`: SNI for names, and the host name or
  // IP the certificate must match when verifying. Caller frees with SSL_free.
  Result<SSL*> NewSession(int fd, const std::string& host) const;
  bool verify_peer() const { return verify_peer_; }

 private:
  TlsClientContext(SSL_CTX* ctx, bool verify_peer) : ctx_(ctx), verify_peer_(verify_peer) {}
  SSL_CTX* ctx_;
  bool verify_peer_;
};

class TlsServerContext {
 public:
  // Reads the PEM certificate chain (leaf first) and private key. kIoError
  // naming the file and OpenSSL's reason when either cannot be read or they do not
  // belong together.
  static Result<std::unique_ptr<TlsServerContext>> Load(std::string cert_file,
                                                        std::string key_file);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // Re-reads both files. On an error the pair in use stays and the error says why.
  // Sessions already made keep the pair they started with. Not thread-safe: call on
  // the thread that makes sessions (cmqd's loop).
  Status Reload();
  // A server SSL on `fd` (not owned), in accept state. Caller frees with SSL_free.
  Result<SSL*> NewSession(int fd) const;
  // "subject, valid until DATE" of the certificate in use, for the log.
  std::string Describe() const;
  const std::string& cert_file() const { return cert_file_; }

 private:
  TlsServerContext(std::string cert_file, std::string key_file, SSL_CTX* ctx)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), ctx_(ctx) {}
  std::string cert_file_;
  std::string key_file_;
  SSL_CTX* ctx_;
};

// The OpenSSL error queue (drained) as one line, or `fallback` when empty.
std::string DrainOpenSslErrors(const char* fallback);

// Why a handshake on `ssl` failed: the certificate verification result when that is
// what failed (e.g. "certificate has expired"), else the drained error queue, else
// `fallback`.
std::string TlsHandshakeError(SSL* ssl, const char* fallback);

}  // namespace cmq
