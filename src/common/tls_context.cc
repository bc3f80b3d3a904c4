#include "common/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/ip_address.h"

namespace cmq {
namespace {

// What every context of cmq shares: TLS 1.2 at least, and writes that may resume with
// the same bytes at a later address after WANT_WRITE (non-blocking sockets).
SSL_CTX* NewContext(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) return nullptr;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

// OpenSSL's own errors about a missing file are terse ("system library"); say it plainly.
Status CheckReadable(const std::string& path, const char* what) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) {
    return Status(ErrorCode::kIoError,
                  std::string("cannot read the ") + what + " " + path + ": " + strerror(errno));
  }
  fclose(f);
  return Status::Ok();
}

Result<SSL_CTX*> LoadServerContext(const std::string& cert_file, const std::string& key_file) {
  CMQ_RETURN_IF_ERROR(CheckReadable(cert_file, "certificate file (tls_cert_file)"));
  CMQ_RETURN_IF_ERROR(CheckReadable(key_file, "key file (tls_key_file)"));
  ERR_clear_error();
  SSL_CTX* ctx = NewContext(TLS_server_method());
  if (ctx == nullptr) return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_CTX_new failed"));
  // No session tickets: cmq's clients do not resume sessions, and a ticket arriving
  // on an idle keep-alive connection would look like unsolicited bytes to them.
  SSL_CTX_set_num_tickets(ctx, 0);
  std::string why;
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    why = "no PEM certificate chain in " + cert_file + ": " + DrainOpenSslErrors("unreadable");
  } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1 &&
             ERR_GET_REASON(ERR_peek_error()) != X509_R_KEY_VALUES_MISMATCH) {
    why = "no PEM private key in " + key_file + ": " + DrainOpenSslErrors("unreadable");
  } else if (SSL_CTX_check_private_key(ctx) != 1) {
    why = "the key in " + key_file + " does not belong to the certificate in " + cert_file + ": " +
          DrainOpenSslErrors("mismatch");
  }
  if (!why.empty()) {
    SSL_CTX_free(ctx);
    return Status(ErrorCode::kIoError, why);
  }
  return ctx;
}

}  // namespace

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

std::string TlsHandshakeError(SSL* ssl, const char* fallback) {
  long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    ERR_clear_error();
    return std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
  }
  return DrainOpenSslErrors(fallback);
}

Result<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const TlsClientOptions& options) {
  SSL_CTX* ctx = NewContext(TLS_client_method());
  if (ctx == nullptr) return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_CTX_new failed"));
  if (options.verify_peer) {
    bool loaded = options.ca_file.empty()
                      ? SSL_CTX_set_default_verify_paths(ctx) == 1
                      : SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      std::string why = options.ca_file.empty()
                            ? DrainOpenSslErrors("cannot load the system CA store")
                            : "cannot load the CA file " + options.ca_file + ": " +
                                  DrainOpenSslErrors("no PEM certificates");
      SSL_CTX_free(ctx);
      return Status(ErrorCode::kIoError, why);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(ctx, options.verify_peer));
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

Result<std::unique_ptr<TlsServerContext>> TlsServerContext::Load(std::string cert_file,
                                                                 std::string key_file) {
  Result<SSL_CTX*> ctx = LoadServerContext(cert_file, key_file);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<TlsServerContext>(
      new TlsServerContext(std::move(cert_file), std::move(key_file), *ctx));
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

Status TlsServerContext::Reload() {
  Result<SSL_CTX*> ctx = LoadServerContext(cert_file_, key_file_);
  if (!ctx.ok()) return ctx.status();
  // Sessions made from the old context hold a reference to it: freeing is safe.
  SSL_CTX_free(ctx_);
  ctx_ = *ctx;
  return Status::Ok();
}

Result<SSL*> TlsServerContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_new failed"));
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return Status(ErrorCode::kIoError, DrainOpenSslErrors("SSL_set_fd failed"));
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

std::string TlsServerContext::Describe() const {
  X509* cert = SSL_CTX_get0_certificate(ctx_);
  if (cert == nullptr) return "no certificate";
  std::string out;
  char name[256];
  X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
  out = name;
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio != nullptr) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      out += ", valid until ";
      out.append(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) out += " (EXPIRED)";
  return out;
}

}  // namespace cmq
