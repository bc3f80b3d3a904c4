// https:// pushes against a local TLS sink with a certificate made at test time.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "delivery/http_sink_for_test.h"
#include "delivery/pusher.h"
#include "delivery/pusher_test_util.h"

namespace cmq::delivery {
namespace {

using testing::HttpSink;
using testing::MakeTask;
using testing::SinkReply;
using testing::SinkRequest;
using testing::SinkResponse;
using testing::SinkStream;

class TlsSinkStream : public SinkStream {
 public:
  explicit TlsSinkStream(SSL* ssl) : ssl_(ssl) {}
  ~TlsSinkStream() override { SSL_free(ssl_); }
  int Read(char* buf, int n) override { return SSL_read(ssl_, buf, n); }
  int Write(const char* buf, int n) override { return SSL_write(ssl_, buf, n); }

 private:
  SSL* ssl_;
};

// An HTTPS sink on `ctx` (not owned).
testing::SinkStreamFactory TlsStreams(SSL_CTX* ctx) {
  return [ctx](int fd) -> std::unique_ptr<SinkStream> {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      return nullptr;
    }
    return std::make_unique<TlsSinkStream>(ssl);
  };
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

SinkReply Ok(const SinkRequest&) { return {SinkResponse(200, "ok"), SinkReply::Then::kKeepOpen}; }

TEST_F(PusherTlsTest, PushesOverTlsWithVerificationOffAndReusesTheConnection) {
  HttpSink sink(Ok, TlsStreams(server_ctx_), "https");
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
  EXPECT_EQ(reqs[0].Header("x-cmq-message-tag"), "t");
  EXPECT_EQ(reqs[0].Header("user-agent"), "Qcloud Notification Service Agent");
  EXPECT_NE(reqs[0].body.find("\"msgId\":\"tls-1\""), std::string::npos);
  EXPECT_EQ(sink.connections_accepted(), 1);
}

TEST_F(PusherTlsTest, UntrustedCertificateFailsWhenVerifying) {
  HttpSink sink(Ok, TlsStreams(server_ctx_), "https");
  MakePusher();  // verify_tls defaults to true
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(sink.request_count(), 0u);
}

TEST_F(PusherTlsTest, TlsServerStatusesAndTimeouts) {
  std::atomic<int> n{0};
  HttpSink sink(
      [&](const SinkRequest&) {
        if (n++ == 0) return SinkReply{SinkResponse(500), SinkReply::Then::kKeepOpen};
        return SinkReply{"", SinkReply::Then::kHoldSilent};
      },
      TlsStreams(server_ctx_), "https");
  PusherOptions options;
  options.verify_tls = false;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(PushAndWait(MakeTask(sink.Url())), false);
  EXPECT_EQ(sink.request_count(), 2u);
}

TEST_F(PusherTlsTest, PlainHttpServerOnAnHttpsEndpointFails) {
  HttpSink plain(Ok);
  PusherOptions options;
  options.verify_tls = false;
  options.timeout_ms = 300;
  MakePusher(options);
  EXPECT_EQ(PushAndWait(MakeTask("https://127.0.0.1:" + std::to_string(plain.port()) + "/")),
            false);
}

}  // namespace
}  // namespace cmq::delivery
