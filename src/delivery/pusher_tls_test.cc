// https:// pushes against a local TLS sink with a certificate made at test time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "delivery/pusher.h"
#include "delivery/pusher_test_util.h"
#include "http/scripted_server.h"

namespace cmq::delivery {
namespace {

using http::HttpReply;
using http::ReceivedRequest;
using http::ScriptedReply;
using http::ScriptedServer;
using testing::MakeTask;

class TlsServerStream : public http::ServerStream {
 public:
  explicit TlsServerStream(SSL* ssl) : ssl_(ssl) {}
  ~TlsServerStream() override { SSL_free(ssl_); }
  int Read(char* buf, int n) override { return SSL_read(ssl_, buf, n); }
  int Write(const char* buf, int n) override { return SSL_write(ssl_, buf, n); }

 private:
  SSL* ssl_;
};

// An HTTPS sink on `ctx` (not owned).
http::ScriptedServerOptions TlsOptions(SSL_CTX* ctx) {
  http::ScriptedServerOptions options;
  options.scheme = "https";
  options.streams = [ctx](int fd) -> std::unique_ptr<http::ServerStream> {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      return nullptr;
    }
    return std::make_unique<TlsServerStream>(ssl);
  };
  return options;
}

// A server context with a fresh self-signed P-256 certificate for "localhost".
SSL_CTX* MakeSelfSignedServerContext() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

class PusherTlsTest : public testing::PusherFixture {
 protected:
  void SetUp() override {
    server_ctx_ = MakeSelfSignedServerContext();
    ASSERT_NE(server_ctx_, nullptr);
  }
  void TearDown() override { SSL_CTX_free(server_ctx_); }
  SSL_CTX* server_ctx_ = nullptr;
};

ScriptedReply Ok(const ReceivedRequest&) {
  return {HttpReply(200, "ok"), ScriptedReply::Then::kKeepOpen};
}

TEST_F(PusherTlsTest, PushesOverTlsWithVerificationOffAndReusesTheConnection) {
  ScriptedServer sink(Ok, TlsOptions(server_ctx_));
  PusherOptions options;
  options.verify_tls = false;
  options.max_outstanding_per_endpoint = 1;
  MakePusher(options);
  broker::PushTask task = MakeTask(sink.Url("/secure?x=1"), "tls-1");
  task.tags = {"t"};
  for (int i = 0; i < 5; ++i) Push(task);
  ASSERT_TRUE(RunUntil([&] { return AllCompleted(); }));
  for (const auto& o : outcomes_) EXPECT_EQ(o, true);
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].target, "/secure?x=1");
  EXPECT_EQ(reqs[0].HeaderOr("x-cmq-message-tag"), "t");
  EXPECT_EQ(reqs[0].HeaderOr("user-agent"), "Qcloud Notification Service Agent");
  EXPECT_NE(reqs[0].body.find("\"msgId\":\"tls-1\""), std::string::npos);
  EXPECT_EQ(sink.connections_accepted(), 1);
}

TEST_F(PusherTlsTest, UntrustedCertificateFailsWhenVerifying) {
  ScriptedServer sink(Ok, TlsOptions(server_ctx_));
  MakePusher();  // verify_tls defaults to true
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(sink.request_count(), 0u);
}

TEST_F(PusherTlsTest, TlsServerStatusesAndTimeouts) {
  std::atomic<int> n{0};
  ScriptedServer sink(
      [&](const ReceivedRequest&) {
        if (n++ == 0) return ScriptedReply{HttpReply(500), ScriptedReply::Then::kKeepOpen};
        return ScriptedReply{"", ScriptedReply::Then::kHoldSilent};
      },
      TlsOptions(server_ctx_));
  PusherOptions options;
  options.verify_tls = false;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(sink.request_count(), 2u);
}

TEST_F(PusherTlsTest, PlainHttpServerOnAnHttpsEndpointFails) {
  ScriptedServer plain(Ok);
  PusherOptions options;
  options.verify_tls = false;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask("https://127.0.0.1:" + std::to_string(plain.port()) + "/")),
            false);
}

}  // namespace
}  // namespace cmq::delivery
