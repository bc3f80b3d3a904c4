// Black-box: cmqd's native TLS (README "HTTPS"; docs/architecture.md "TLS"). HTTPS and
// HTTP side by side on one cmqd, signed requests of both the SDK transport and the
// official SDKs' GET style over HTTPS, certificates a client must refuse (another CA,
// another name, expired), plain HTTP sent to the TLS port, a client that stalls its
// handshake, SIGHUP reloading the certificate, and start-up errors. Certificates are
// made by the test (support/test_certificates.h), never checked in.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "client/http_connection.h"
#include "common/tls_context.h"
#include "support/blackbox.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "support/test_certificates.h"

namespace cmq::testing {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  TempDir certs_;
  TestCa ca_{certs_.path(), "test-ca"};
  TestCa::Issued server_cert_ = ca_.Issue("server");

  static std::vector<std::string> TlsArgs(const TestCa::Issued& cert,
                                          std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"--tls-listen", "127.0.0.1:0",    "--tls-cert-file",
                                     cert.cert_file, "--tls-key-file", cert.key_file};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // Options for a Caller of `server`'s HTTPS listener that trusts `ca_file`.
  static CallerOptions HttpsOptions(TestServer& server, const std::string& ca_file) {
    CallerOptions o = server.Options();
    o.endpoint = "https://127.0.0.1:" + std::to_string(server.process().tls_port()) + "/";
    o.ca_file = ca_file;
    return o;
  }

  static ClientResult<JsonValue> ListQueues(const CallerOptions& options) {
    ClientResult<Caller> caller = Caller::Create(options);
    if (!caller.ok()) return caller.take_error();
    return caller->Call("ListQueue", {});
  }
};

TEST_F(TlsTest, SignedRequestsOverHttpsBesidePlainHttp) {
  TestServer server(TlsArgs(server_cert_));
  ASSERT_TRUE(server.Start()) << server.process().output();
  ASSERT_NE(server.process().tls_port(), 0) << server.process().output();
  Caller https = server.NewCaller(HttpsOptions(server, ca_.ca_file()));
  Caller http = server.NewCaller();
  std::string q = UniqueName("tls");

  ASSERT_TRUE(IsSuccess(https.Call("CreateQueue", {{"queueName", q}})));
  ASSERT_TRUE(IsSuccess(http.Call("SendMessage", {{"queueName", q}, {"msgBody", "over http"}})));
  ASSERT_TRUE(IsSuccess(https.Call("SendMessage", {{"queueName", q}, {"msgBody", "over https"}})));

  // The official SDKs' GET style, signed by hand, on the TLS connection.
  ParamList get =
      SignParams(https, "GET", "/",
                 WithCommon(https, "BatchReceiveMessage",
                            {{"queueName", q}, {"numOfMsg", "16"}, {"pollingWaitSeconds", "0"}}));
  ClientResult<JsonValue> received = SendRaw(https, "GET", "/?" + EncodeForm(get), "");
  ASSERT_TRUE(IsSuccess(received));
  ASSERT_TRUE(HasArray(*received, "msgInfoList"));
  std::vector<std::string> bodies;
  for (const JsonValue& m : ArrayField(*received, "msgInfoList")) {
    bodies.push_back(StrField(m, "msgBody"));
    ASSERT_TRUE(IsSuccess(https.Call(
        "DeleteMessage", {{"queueName", q}, {"receiptHandle", StrField(m, "receiptHandle")}})));
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"over http", "over https"}));
  EXPECT_TRUE(IsServerError(
      http.Call("ReceiveMessage", {{"queueName", q}, {"pollingWaitSeconds", "0"}}), 7000, 10200));
  // One kept-alive TLS connection served every call.
  EXPECT_EQ(https.connection().connects(), 1u);
}

TEST_F(TlsTest, CertificatesTheClientMustRefuseFailClearly) {
  TestServer server(TlsArgs(server_cert_));
  ASSERT_TRUE(server.Start()) << server.process().output();

  TestCa other(certs_.path(), "other-ca");
  ClientResult<JsonValue> wrong_ca = ListQueues(HttpsOptions(server, other.ca_file()));
  ASSERT_FALSE(wrong_ca.ok());
  EXPECT_EQ(wrong_ca.error().kind, client::ErrorKind::kNetwork);
  EXPECT_NE(wrong_ca.error().message.find("certificate verification failed"), std::string::npos)
      << wrong_ca.error().message;
  EXPECT_FALSE(wrong_ca.error().request_sent);

  CallerOptions wrong_name = HttpsOptions(server, ca_.ca_file());
  wrong_name.tls_server_name = "cmq.example";
  ClientResult<JsonValue> mismatch = ListQueues(wrong_name);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("hostname mismatch"), std::string::npos)
      << mismatch.error().message;

  // The name the certificate does carry, with the connection made to the address.
  CallerOptions by_name = HttpsOptions(server, ca_.ca_file());
  by_name.tls_server_name = "localhost";
  EXPECT_TRUE(IsSuccess(ListQueues(by_name)));
  EXPECT_TRUE(server.process().running());
}

TEST_F(TlsTest, AnExpiredCertificateIsRefusedAndLogged) {
  TestCa::Issued expired = ca_.Issue("expired", -7200, -3600);
  TestServer server(TlsArgs(expired));
  ASSERT_TRUE(server.Start()) << server.process().output();
  EXPECT_NE(server.process().output().find("EXPIRED"), std::string::npos)
      << server.process().output();
  ClientResult<JsonValue> r = ListQueues(HttpsOptions(server, ca_.ca_file()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("certificate has expired"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(server.process().running());
}

TEST_F(TlsTest, PlainHttpToTheTlsPortIsAnswered400) {
  TestServer server(TlsArgs(server_cert_));
  ASSERT_TRUE(server.Start()) << server.process().output();
  Caller http = server.NewCaller();
  RawConnection raw;
  ASSERT_TRUE(raw.Connect(server.process().tls_port()));
  ASSERT_TRUE(raw.Send(RawSignedPost(http, "ListQueue", {})));
  ClientResult<HttpResponse> answer = raw.ReadResponse();
  ASSERT_TRUE(answer.ok()) << answer.error().ToString();
  EXPECT_EQ(answer->status, 400);
  EXPECT_NE(answer->body.find("https://"), std::string::npos) << answer->body;
  EXPECT_TRUE(raw.WaitClosed());
  EXPECT_TRUE(IsSuccess(ListQueues(HttpsOptions(server, ca_.ca_file()))));
}

TEST_F(TlsTest, AStalledHandshakeBlocksNobodyAndTimesOut) {
  TestServer server(TlsArgs(server_cert_, {"--request-timeout-seconds", "1"}));
  ASSERT_TRUE(server.Start()) << server.process().output();
  RawConnection silent;
  RawConnection partial;
  ASSERT_TRUE(silent.Connect(server.process().tls_port()));
  ASSERT_TRUE(partial.Connect(server.process().tls_port()));
  // The first bytes of a TLS record header, and nothing more.
  ASSERT_TRUE(partial.Send(std::string("\x16\x03\x01", 3)));
  Caller https = server.NewCaller(HttpsOptions(server, ca_.ca_file()));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsSuccess(https.Call("ListQueue", {})));
  // Then the handshake timeout (request_timeout_seconds) closes both.
  EXPECT_TRUE(silent.WaitClosed(60000));
  EXPECT_TRUE(partial.WaitClosed(60000));
  EXPECT_TRUE(IsSuccess(https.Call("ListQueue", {})));
}

TEST_F(TlsTest, SighupReloadsTheCertificateAndKeepsItWhenTheNewOneIsBad) {
  TestServer server(TlsArgs(server_cert_));
  ASSERT_TRUE(server.Start()) << server.process().output();
  ASSERT_TRUE(IsSuccess(ListQueues(HttpsOptions(server, ca_.ca_file()))));

  // A certificate of another CA under the same file names.
  TempDir next_dir;
  TestCa next_ca(next_dir.path(), "next-ca");
  TestCa::Issued next = next_ca.Issue("server");
  ASSERT_EQ(std::rename(next.cert_file.c_str(), server_cert_.cert_file.c_str()), 0);
  ASSERT_EQ(std::rename(next.key_file.c_str(), server_cert_.key_file.c_str()), 0);
  server.process().Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return server.process().output().find("TLS certificate reloaded") != std::string::npos;
  })) << server.process().output();
  EXPECT_TRUE(IsSuccess(ListQueues(HttpsOptions(server, next_ca.ca_file()))));
  EXPECT_FALSE(ListQueues(HttpsOptions(server, ca_.ca_file())).ok());

  // A broken file: the pair in use stays, and the log says why.
  std::ofstream(server_cert_.cert_file, std::ios::trunc) << "not a certificate\n";
  server.process().Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return server.process().output().find("keeping the TLS certificate in use") !=
           std::string::npos;
  })) << server.process().output();
  EXPECT_TRUE(IsSuccess(ListQueues(HttpsOptions(server, next_ca.ca_file()))));
}

TEST_F(TlsTest, TheAdminListenerSpeaksHttpsWithAdminTls) {
  TestServer server(TlsArgs(server_cert_, {"--admin-tls", "true"}));
  ASSERT_TRUE(server.Start()) << server.process().output();
  ASSERT_NE(server.process().admin_port(), 0) << server.process().output();
  TlsClientOptions trust;
  trust.ca_file = ca_.ca_file();
  Result<std::unique_ptr<TlsClientContext>> tls = TlsClientContext::Create(trust);
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  client::HttpConnectionOptions options;
  options.tls = std::move(tls).value();
  client::HttpConnection admin("127.0.0.1", server.process().admin_port(),
                               "127.0.0.1:" + std::to_string(server.process().admin_port()),
                               options);
  client::HttpRequest healthz;
  healthz.method = "GET";
  healthz.target = "/healthz";
  ClientResult<HttpResponse> r = admin.RoundTrip(healthz, 20000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);

  // The web console on it: a browser's login from the https:// origin is taken, and
  // the session cookie is Secure.
  const std::string origin = "https://127.0.0.1:" + std::to_string(server.process().admin_port());
  client::HttpRequest login;
  login.target = "/console/login";
  login.headers = {{"Origin", origin},
                   {"Sec-Fetch-Site", "same-origin"},
                   {"Content-Type", "application/x-www-form-urlencoded"}};
  login.body = std::string("secretId=") + CmqdProcess::kSecretId +
               "&secretKey=" + CmqdProcess::kSecretKey;
  r = admin.RoundTrip(login, 20000);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  const std::string* cookie = r->Header("set-cookie");
  ASSERT_NE(cookie, nullptr);
  EXPECT_NE(cookie->find("; Secure"), std::string::npos) << *cookie;
}

TEST_F(TlsTest, UnusableCertificateFilesStopTheStart) {
  TestCa::Issued other = ca_.Issue("other");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  } cases[] = {
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert-file", certs_.path() + "/missing.pem",
        "--tls-key-file", server_cert_.key_file},
       "missing.pem"},
      {TlsArgs({server_cert_.cert_file, other.key_file}), "does not belong to the certificate"},
      {TlsArgs({server_cert_.key_file, server_cert_.key_file}), "no PEM certificate chain"},
      {{"--tls-listen", "127.0.0.1:0"}, "tls_listen needs tls_cert_file and tls_key_file"},
  };
  for (const Case& c : cases) {
    TestServer server(c.args);
    EXPECT_FALSE(server.Start());
    EXPECT_NE(server.process().output().find(c.says), std::string::npos)
        << server.process().output();
  }
}

}  // namespace
}  // namespace cmq::testing
