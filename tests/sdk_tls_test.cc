// libcmq over HTTPS against the real cmqd (README "HTTPS"): the SDK's calls on an
// https:// endpoint with a CA file, one kept-alive TLS connection reused, and a
// certificate the SDK must refuse surfacing as a CMQClientException that says why.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cmq/cmq.h"
#include "support/cmqd_process.h"
#include "support/test_certificates.h"

namespace cmq {
namespace {

using testing::CmqdProcess;
using testing::TempDir;
using testing::TestCa;

TEST(SdkTlsTest, SendReceiveDeleteOverHttps) {
  TempDir dir;
  TestCa ca(dir.path(), "sdk-ca");
  TestCa::Issued cert = ca.Issue("server");
  CmqdProcess server(dir.path(), {"--tls-listen", "127.0.0.1:0", "--tls-cert-file", cert.cert_file,
                                  "--tls-key-file", cert.key_file});
  ASSERT_TRUE(server.Start()) << server.output();
  std::string endpoint = "https://127.0.0.1:" + std::to_string(server.tls_port()) + "/";
  CMQClientOptions options;
  options.caFile = ca.ca_file();
  auto client = std::make_shared<CMQClient>(endpoint, CmqdProcess::kSecretId,
                                            CmqdProcess::kSecretKey, options);
  Account account(client);
  account.createQueue("tls-orders");
  Queue queue = account.getQueue("tls-orders");
  std::string id = queue.sendMessage("over https");
  Message m = queue.receiveMessage(5);
  EXPECT_EQ(m.msgId, id);
  EXPECT_EQ(m.msgBody, "over https");
  queue.deleteMessage(m.receiptHandle);
  EXPECT_EQ(queue.getQueueAttributes().activeMsgNum, 0);
  EXPECT_EQ(client->connectionsOpened(), 1u);

  TestCa other(dir.path(), "other-ca");
  CMQClientOptions wrong;
  wrong.caFile = other.ca_file();
  Account refused(std::make_shared<CMQClient>(endpoint, CmqdProcess::kSecretId,
                                              CmqdProcess::kSecretKey, wrong));
  try {
    refused.listQueue();
    ADD_FAILURE() << "a certificate of an untrusted CA was accepted";
  } catch (const CMQClientException& e) {
    EXPECT_EQ(e.kind(), CMQClientException::Kind::kNetwork);
    EXPECT_NE(std::string(e.what()).find("certificate verification failed"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cmq
