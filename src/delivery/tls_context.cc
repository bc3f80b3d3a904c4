#include "delivery/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/ip_address.h"

namespace cmq::delivery {

std::string DrainOpenSslErrors(const char* fallback) {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? fallback : out;
}

Result<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(bool verify_peer) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_CTX_new failed"));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Writes resume with the same buffer at a later address after EAGAIN.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (verify_peer) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      std::string why = DrainOpenSslErrors("cannot load the system CA store");
      SSL_CTX_free(ctx);
      return Status(ErrorCode::kIoError, why);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(ctx, verify_peer));
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

Result<SSL*> TlsClientContext::NewSession(int fd, const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_new failed"));
  // An address host (in any form the endpoint's parser reads) is checked against the
  // certificate's IP entries and sends no SNI.
  std::optional<IpAddress> ip = IpAddress::ParseHost(host);
  bool ok = SSL_set_fd(ssl, fd) == 1;
  if (ok && !ip) ok = SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (ok && verify_peer_) {
    if (ip) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip->ToString().c_str()) == 1;
    } else {
      ok = SSL_set1_host(ssl, host.c_str()) == 1;
    }
  }
  if (!ok) {
    SSL_free(ssl);
    return Status(ErrorCode::kIoError, DrainOpenSslErrors("cannot set up the TLS session"));
  }
  SSL_set_connect_state(ssl);
  return ssl;
}

}  // namespace cmq::delivery
