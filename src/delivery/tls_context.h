// TlsClientContext: the OpenSSL client configuration for https:// endpoints (TLS 1.2
// or later; certificates checked against the system CA store and the endpoint's host
// name or IP unless verification is off).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace cmq::delivery {

class TlsClientContext {
 public:
  // kIoError with OpenSSL's reason when the context or the CA store cannot be set up.
  static Result<std::unique_ptr<TlsClientContext>> Create(bool verify_peer);
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

// The OpenSSL error queue (drained) as one line, or `fallback` when empty.
std::string DrainOpenSslErrors(const char* fallback);

}  // namespace cmq::delivery
