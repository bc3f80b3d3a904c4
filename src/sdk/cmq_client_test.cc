// CMQClient settings, the connection pool, error mapping, logging and the argument
// checks made before any network call.
#include "cmq/cmq_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>

#include "cmq/account.h"
#include "cmq/exceptions.h"
#include "sdk/fake_cmq_server_for_test.h"

namespace cmq {
namespace {

using sdk::testing::FakeCmqServer;
using sdk::testing::FakeRequest;
using sdk::testing::Json;
using sdk::testing::Success;
using Kind = CMQClientException::Kind;

// Runs `call` and returns the kind of the CMQClientException it throws.
std::optional<Kind> ClientErrorKind(const std::function<void()>& call) {
  try {
    call();
  } catch (const CMQClientException& e) {
    return e.kind();
  } catch (...) {
    return std::nullopt;
  }
  return std::nullopt;
}

TEST(CMQClientTest, RejectsBadSettings) {
  auto make = [](std::string endpoint, std::string id, std::string key, CMQClientOptions o) {
    return ClientErrorKind([&] { CMQClient c(endpoint, id, key, o); });
  };
  EXPECT_EQ(make("ftp://h", "id", "key", {}), Kind::kInvalidArgument);
  CMQClientOptions missing_ca;
  missing_ca.caFile = "/nonexistent/ca.pem";
  EXPECT_EQ(make("https://h", "id", "key", missing_ca), Kind::kInvalidArgument);
  EXPECT_EQ(make("http://h", "", "key", {}), Kind::kInvalidArgument);
  EXPECT_EQ(make("http://h", "id", "", {}), Kind::kInvalidArgument);
  CMQClientOptions zero_pool;
  zero_pool.connectionPoolSize = 0;
  EXPECT_EQ(make("http://h", "id", "key", zero_pool), Kind::kInvalidArgument);
  CMQClientOptions zero_timeout;
  zero_timeout.readTimeoutMs = 0;
  EXPECT_EQ(make("http://h", "id", "key", zero_timeout), Kind::kInvalidArgument);
  EXPECT_EQ(ClientErrorKind([] { Account a{std::shared_ptr<CMQClient>()}; }),
            Kind::kInvalidArgument);
  CMQClient ok("http://127.0.0.1:1/v2/index.php", "id", "key");
  EXPECT_EQ(ok.endpoint(), "http://127.0.0.1:1/v2/index.php");
}

TEST(CMQClientTest, GetAndSha1AndPath) {
  FakeCmqServer server(Success(R"("msgId":"1")"));
  CMQClientOptions options;
  options.httpMethod = HttpMethod::kGet;
  options.signMethod = SignMethod::kHmacSHA1;
  auto client = std::make_shared<CMQClient>(server.endpoint() + "/v2/index.php", "AKIDx",
                                            "secret", options);
  Queue(std::string("q"), client).sendMessage("a b");
  FakeRequest r = server.last();
  EXPECT_EQ(r.raw.method, "GET");
  EXPECT_EQ(r.raw.target.rfind("/v2/index.php?", 0), 0u) << r.raw.target;
  EXPECT_EQ(r.Get("SignatureMethod"), "HmacSHA1");
  EXPECT_EQ(r.Get("SecretId"), "AKIDx");
  EXPECT_EQ(r.Get("msgBody"), "a b");
}

TEST(CMQClientTest, KeepAliveReusesOneConnection) {
  FakeCmqServer server(Success(R"("msgId":"1")"));
  auto client = server.Client();
  Queue queue("q", client);
  for (int i = 0; i < 3; ++i) queue.sendMessage("x");
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client->connectionsOpened(), 1u);
  EXPECT_EQ(client->idleConnections(), 1);
}

TEST(CMQClientTest, KeepAliveOffUsesAConnectionPerCall) {
  FakeCmqServer server(Success(R"("msgId":"1")"));
  CMQClientOptions options;
  options.keepAlive = false;
  auto client = server.Client(options);
  Queue queue("q", client);
  for (int i = 0; i < 3; ++i) queue.sendMessage("x");
  EXPECT_TRUE(server.scripted().WaitClosed(2));  // the third may still be closing
  EXPECT_EQ(server.connections(), 3);
  EXPECT_EQ(client->connectionsOpened(), 3u);
  EXPECT_EQ(client->idleConnections(), 0);
}

// A pooled connection the server closed while idle is reopened and the request sent
// again: the caller never notices.
TEST(CMQClientTest, StaleKeepAliveConnectionIsReopened) {
  int calls = 0;
  FakeCmqServer server([&calls](const FakeRequest&) {
    ++calls;
    return http::ScriptedReply{Success(R"("msgId":"1")"), http::ScriptedReply::Then::kClose};
  });
  auto client = server.Client();
  Queue queue("q", client);
  queue.sendMessage("x");
  ASSERT_TRUE(server.scripted().WaitClosed(1));
  EXPECT_EQ(queue.sendMessage("y"), "1");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);  // nothing was sent twice
}

TEST(CMQClientTest, ServerErrorsBecomeServerExceptions) {
  FakeCmqServer server(Json(
      R"({"code":4440,"message":"(10100)queue is not existed, or deleted","requestId":"abc"})"));
  Queue queue("q", server.Client());
  try {
    queue.sendMessage("x");
    FAIL() << "no exception";
  } catch (const CMQNoMessageException&) {
    FAIL() << "not a no-message error";
  } catch (const CMQServerException& e) {
    EXPECT_EQ(e.getCode(), 4440);
    EXPECT_EQ(e.getModuleCode(), 10100);
    EXPECT_EQ(e.getMessage(), "(10100)queue is not existed, or deleted");
    EXPECT_EQ(e.getRequestId(), "abc");
    EXPECT_NE(std::string(e.what()).find("4440"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("abc"), std::string::npos) << e.what();
  }
}

TEST(CMQClientTest, HttpStatusAndGarbageBecomeClientExceptions) {
  FakeCmqServer bad_gateway(
      "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad");
  try {
    Queue("q", bad_gateway.Client()).sendMessage("x");
    FAIL() << "no exception";
  } catch (const CMQClientException& e) {
    EXPECT_EQ(e.kind(), Kind::kHttpStatus);
    EXPECT_EQ(e.httpStatus(), 502);
    EXPECT_TRUE(e.outcomeUnknown());
  }
  FakeCmqServer garbage(Json("not json"));
  EXPECT_EQ(ClientErrorKind([&] { Queue("q", garbage.Client()).sendMessage("x"); }),
            Kind::kBadResponse);
  FakeCmqServer missing_field(Success());
  EXPECT_EQ(ClientErrorKind([&] { Queue("q", missing_field.Client()).sendMessage("x"); }),
            Kind::kBadResponse);
  FakeCmqServer wrong_type(Success(R"("msgId":12)"));
  EXPECT_EQ(ClientErrorKind([&] { Queue("q", wrong_type.Client()).sendMessage("x"); }),
            Kind::kBadResponse);
}

TEST(CMQClientTest, RefusedConnectionIsANetworkErrorWithKnownOutcome) {
  // A port nobody listens on: bind one, note it, close it.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  Queue queue("q", std::make_shared<CMQClient>(
                       "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "id", "key"));
  try {
    queue.sendMessage("x");
    FAIL() << "no exception";
  } catch (const CMQClientException& e) {
    EXPECT_EQ(e.kind(), Kind::kNetwork);
    EXPECT_FALSE(e.outcomeUnknown());
  }
}

TEST(CMQClientTest, LogsToTheCallbackWithoutSecrets) {
  FakeCmqServer server(Json(R"({"code":4000,"message":"(10350)out of range","requestId":"1"})"));
  std::mutex mu;
  std::vector<std::pair<LogSeverity, std::string>> lines;
  CMQClientOptions options;
  options.logEnabled = true;
  options.logLevel = LogSeverity::kDebug;
  options.logCallback = [&](LogSeverity s, const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(s, line);
  };
  Queue queue("q", server.Client(options));
  EXPECT_THROW(queue.sendMessage("secret body"), CMQServerException);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].first, LogSeverity::kWarn);
  EXPECT_NE(lines[0].second.find("SendMessage"), std::string::npos) << lines[0].second;
  EXPECT_NE(lines[0].second.find("4000"), std::string::npos) << lines[0].second;
  for (const auto& [severity, line] : lines) {
    EXPECT_EQ(line.find("unit-secret-key"), std::string::npos);
    EXPECT_EQ(line.find("secret body"), std::string::npos);
  }
}

TEST(CMQClientTest, LoggingOffOrBelowLevelIsSilent) {
  FakeCmqServer server(Success(R"("msgId":"1")"));
  int count = 0;
  CMQClientOptions options;
  options.logCallback = [&](LogSeverity, const std::string&) { ++count; };
  Queue("q", server.Client(options)).sendMessage("x");  // logging off
  options.logEnabled = true;
  options.logLevel = LogSeverity::kInfo;  // success is logged at kDebug
  Queue("q", server.Client(options)).sendMessage("x");
  EXPECT_EQ(count, 0);
}

// Every bad argument is refused before anything is sent.
TEST(ArgumentCheckTest, BadArgumentsNeverReachTheServer) {
  FakeCmqServer server;
  auto client = server.Client();
  Account account(client);
  Queue queue("q", client);
  Topic topic("t", client);
  Subscription sub("t", "s", client);
  std::vector<std::string> seventeen(17, "x");
  std::vector<std::string> six_tags(6, "tag");
  const std::vector<std::pair<const char*, std::function<void()>>> cases = {
      {"empty queue name", [&] { account.createQueue(""); }},
      {"queue name starting with a digit", [&] { account.createQueue("1abc"); }},
      {"queue name with a dot", [&] { account.getQueue("a.b"); }},
      {"queue name of 65 chars", [&] { account.deleteQueue("a" + std::string(64, 'b')); }},
      {"bad topic name", [&] { account.createTopic("-t"); }},
      {"bad filterType", [&] { account.createTopic("t", 65536, 3); }},
      {"bad subscription name", [&] { account.getSubscription("t", "s s"); }},
      {"bad subscription name on delete", [&] { account.deleteSubscribe("t", ""); }},
      {"negative offset", [&] { account.listQueue("", -1); }},
      {"zero limit", [&] { account.listTopic("", 0, 0); }},
      {"empty body", [&] { queue.sendMessage(""); }},
      {"negative delay", [&] { queue.sendMessage("x", -1); }},
      {"empty batch", [&] { queue.batchSendMessage({}); }},
      {"batch of 17", [&] { queue.batchSendMessage(seventeen); }},
      {"empty body in batch", [&] { queue.batchSendMessage({"x", ""}); }},
      {"wait -1", [&] { queue.receiveMessage(-1); }},
      {"wait 31", [&] { queue.receiveMessage(31); }},
      {"numOfMsg 0", [&] { queue.batchReceiveMessage(0); }},
      {"numOfMsg 17", [&] { queue.batchReceiveMessage(17); }},
      {"batch wait 31", [&] { queue.batchReceiveMessage(1, 31); }},
      {"empty handle", [&] { queue.deleteMessage(""); }},
      {"no handles", [&] { queue.batchDeleteMessage({}); }},
      {"17 handles", [&] { queue.batchDeleteMessage(seventeen); }},
      {"empty handle in batch", [&] { queue.batchDeleteMessage({"h", ""}); }},
      {"negative rewind time", [&] { queue.rewindQueue(-5); }},
      {"empty publish", [&] { topic.publishMessage(""); }},
      {"six tags", [&] { topic.publishMessage("x", six_tags); }},
      {"empty tag", [&] { topic.publishMessage("x", {""}); }},
      {"17-char tag", [&] { topic.publishMessage("x", {std::string(17, 'a')}); }},
      {"batch publish of 17", [&] { topic.batchPublishMessage(seventeen); }},
      {"batch publish six tags", [&] { topic.batchPublishMessage({"x"}, six_tags); }},
      {"negative subscription offset", [&] { topic.listSubscription("", -1); }},
      {"subscribe empty endpoint", [&] { account.createSubscribe("t", "s", "", "queue"); }},
      {"subscribe empty protocol", [&] { account.createSubscribe("t", "s", "q", ""); }},
      {"subscribe six tags", [&] { account.createSubscribe("t", "s", "q", "queue", six_tags); }},
      {"subscribe six keys",
       [&] { account.createSubscribe("t", "s", "q", "queue", {}, six_tags); }},
      {"subscribe 65-byte key",
       [&] { account.createSubscribe("t", "s", "q", "queue", {}, {std::string(65, 'k')}); }},
      {"set six tags",
       [&] {
         SubscriptionMeta m;
         m.filterTag = six_tags;
         sub.setSubscriptionAttributes(m);
       }},
      {"null client for queue", [&] { Queue("q", nullptr); }},
  };
  for (const auto& [name, call] : cases) {
    EXPECT_EQ(ClientErrorKind(call), Kind::kInvalidArgument) << name;
  }
  EXPECT_TRUE(server.requests().empty());
  // Limits themselves are fine: 16 bodies, 5 tags of 16 characters (UTF-8 counted as
  // characters), a name of 64, wait 0 and 30.
  std::vector<std::string> five_long_tags(5, "\xe4\xbd\xa0" + std::string(15, 't'));
  EXPECT_EQ(ClientErrorKind([&] { topic.publishMessage("x", five_long_tags); }), Kind::kBadResponse);
  EXPECT_EQ(ClientErrorKind([&] { account.getQueue("a_b-" + std::string(60, 'c')); }),
            std::nullopt);
}

TEST(ExceptionTest, KindNamesAndWhat) {
  CMQClientException e(Kind::kHttpStatus, "Bad Gateway", 502, true);
  EXPECT_STREQ(CMQClientException::kindName(Kind::kTimeout), "timeout");
  EXPECT_NE(std::string(e.what()).find("502"), std::string::npos) << e.what();
  CMQServerException s(4000, "no module code", "r");
  EXPECT_EQ(s.getModuleCode(), 0);
  CMQServerException t(4000, "(abc)x", "r");
  EXPECT_EQ(t.getModuleCode(), 0);
  CMQNoMessageException n("(10200)no message", "r");
  EXPECT_EQ(n.getCode(), 7000);
}

}  // namespace
}  // namespace cmq
