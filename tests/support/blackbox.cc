#include "support/blackbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "common/signing.h"

namespace cmq::testing {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const JsonValue& NullValue() {
  static const JsonValue null;
  return null;
}

}  // namespace

// ---------------------------------------------------------------- TestServer

TestServer::TestServer(std::vector<std::string> extra_args)
    : process_(std::make_unique<CmqdProcess>(dir_.path(), std::move(extra_args))) {}

bool TestServer::Start() { return process_->Start(); }

std::string TestServer::authority() const { return "127.0.0.1:" + std::to_string(port()); }

CallerOptions TestServer::Options(std::string_view path) const {
  CallerOptions o;
  o.endpoint = process_->endpoint() + std::string(path.empty() ? "/" : path);
  o.secret_id = CmqdProcess::kSecretId;
  o.secret_key = CmqdProcess::kSecretKey;
  o.request_client = "cmq-blackbox-test";
  return o;
}

Caller TestServer::NewCaller(std::string_view path) const { return NewCaller(Options(path)); }

Caller TestServer::NewCaller(const CallerOptions& options) const {
  ClientResult<Caller> c = Caller::Create(options);
  if (!c.ok()) {
    // Options come from the test itself; a bad one is a test bug, not a server bug.
    fprintf(stderr, "bad caller options: %s\n", c.error().ToString().c_str());
    abort();
  }
  return std::move(c).value();
}

// ------------------------------------------------------------- RawConnection

RawConnection::~RawConnection() { Close(); }

bool RawConnection::Connect(uint16_t port) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Close();
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return true;
}

bool RawConnection::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawConnection::Readable(int64_t timeout_ms) {
  if (!pending_.empty()) return true;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(timeout_ms)) > 0;
}

ClientResult<HttpResponse> RawConnection::ReadResponse(int64_t timeout_ms) {
  HttpResponseParser parser;
  int64_t deadline = SteadyMs() + timeout_ms;
  std::string data = std::move(pending_);
  pending_.clear();
  char buf[65536];
  while (true) {
    if (!data.empty()) {
      HttpResponseParser::State s = parser.Feed(data);
      data.clear();
      if (s == HttpResponseParser::State::kError) {
        return client::MakeError(client::ErrorKind::kProtocol, parser.error());
      }
      if (s == HttpResponseParser::State::kDone) {
        pending_ = std::string(parser.remainder());
        return std::move(parser.response());
      }
    }
    int64_t left = deadline - SteadyMs();
    if (left <= 0) return client::MakeError(client::ErrorKind::kTimeout, "no response in time");
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return client::MakeError(client::ErrorKind::kNetwork, "recv failed");
    if (n == 0) {
      if (parser.FeedEof() == HttpResponseParser::State::kDone) {
        return std::move(parser.response());
      }
      return client::MakeError(client::ErrorKind::kNetwork, "connection closed by the server");
    }
    data.assign(buf, static_cast<size_t>(n));
  }
}

bool RawConnection::WaitClosed(int64_t timeout_ms) {
  int64_t deadline = SteadyMs() + timeout_ms;
  char buf[65536];
  while (true) {
    int64_t left = deadline - SteadyMs();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r <= 0) continue;
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset counts as closed
  }
}

void RawConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  pending_.clear();
}

// ------------------------------------------------------------------- signing

ParamList SignParams(const Caller& caller, std::string_view method, std::string_view path,
                     ParamList params) {
  const CallerOptions& o = caller.options();
  std::string to_sign = StringToSign(method, caller.endpoint().authority, path, params);
  params.emplace_back("Signature", Sign(to_sign, o.secret_key, o.signature_method));
  return params;
}

ParamList WithCommon(const Caller& caller, std::string_view action, ParamList params) {
  const CallerOptions& o = caller.options();
  static std::atomic<uint64_t> nonce{1000};
  ParamList out = {
      {"Action", std::string(action)},
      {"SecretId", o.secret_id},
      {"Nonce", std::to_string(nonce++)},
      {"Timestamp", std::to_string(NowSeconds())},
      {"SignatureMethod",
       o.signature_method == SignatureMethod::kHmacSHA256 ? "HmacSHA256" : "HmacSHA1"},
  };
  out.insert(out.end(), params.begin(), params.end());
  return out;
}

std::string RawSignedPost(const Caller& caller, std::string_view action, ParamList params,
                          const std::vector<std::string>& headers) {
  const std::string& path = caller.endpoint().path;
  std::string body =
      EncodeForm(SignParams(caller, "POST", path, WithCommon(caller, action, std::move(params))));
  std::string out = "POST " + path + " HTTP/1.1\r\nHost: " + caller.endpoint().authority + "\r\n";
  for (const std::string& h : headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return out;
}

ClientResult<JsonValue> ParseEnvelope(const HttpResponse& response) {
  return Caller::ParseResponse(response);
}

ClientResult<JsonValue> SendRaw(Caller& caller, const std::string& method,
                                const std::string& target, const std::string& body) {
  client::HttpRequest http;
  http.method = method;
  http.target = target;
  if (!body.empty()) http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  http.body = body;
  ClientResult<HttpResponse> resp = caller.connection().RoundTrip(http, 10000);
  if (!resp.ok()) return resp.take_error();
  EXPECT_EQ(resp->status, 200) << "API errors are HTTP 200 (docs/cmq-api.md 1.4)";
  return ParseEnvelope(*resp);
}

// ------------------------------------------------------------ gtest checks

::testing::AssertionResult IsServerError(const ClientResult<JsonValue>& r, int code,
                                         int module_code) {
  if (r.ok()) {
    return ::testing::AssertionFailure()
           << "expected error " << code << "/" << module_code << ", got success";
  }
  const client::Error& e = r.error();
  if (!e.is_server()) {
    return ::testing::AssertionFailure()
           << "expected error " << code << "/" << module_code << ", got " << e.ToString();
  }
  std::string prefix = "(" + std::to_string(module_code) + ")";
  if (e.code != code || e.message.rfind(prefix, 0) != 0) {
    return ::testing::AssertionFailure()
           << "expected error " << code << "/" << module_code << ", got " << e.code << " message \""
           << e.message << "\"";
  }
  const JsonValue* rid = e.response.Find("requestId");
  if (rid == nullptr || !rid->is_string()) {
    return ::testing::AssertionFailure() << "error response without string requestId";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsSuccess(const ClientResult<JsonValue>& r) {
  if (!r.ok()) return ::testing::AssertionFailure() << r.error().ToString();
  const JsonValue& v = r.value();
  const JsonValue* code = v.Find("code");
  if (code == nullptr || !code->is_number() || code->as_int() != 0) {
    return ::testing::AssertionFailure() << "code is not the number 0";
  }
  const JsonValue* message = v.Find("message");
  if (message == nullptr || !message->is_string() || !message->as_string().empty()) {
    return ::testing::AssertionFailure() << "message is not \"\"";
  }
  const JsonValue* desc = v.Find("codeDesc");
  if (desc == nullptr || !desc->is_string() || desc->as_string() != "Success") {
    return ::testing::AssertionFailure() << "codeDesc is not \"Success\"";
  }
  const JsonValue* rid = v.Find("requestId");
  if (rid == nullptr || !rid->is_string() || rid->as_string().empty()) {
    return ::testing::AssertionFailure() << "requestId is not a non-empty string";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HasInt(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return ::testing::AssertionFailure() << "missing member " << key;
  if (!v->is_number() || !v->as_int()) {
    return ::testing::AssertionFailure() << "member " << key << " is not an integer number";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HasString(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return ::testing::AssertionFailure() << "missing member " << key;
  if (!v->is_string())
    return ::testing::AssertionFailure() << "member " << key << " is not a string";
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult HasArray(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return ::testing::AssertionFailure() << "missing member " << key;
  if (!v->is_array())
    return ::testing::AssertionFailure() << "member " << key << " is not an array";
  return ::testing::AssertionSuccess();
}

int64_t IntField(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr || !v->is_number() || !v->as_int()) return -1;
  return *v->as_int();
}

std::string StrField(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

const std::vector<JsonValue>& ArrayField(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  return v != nullptr && v->is_array() ? v->items() : NullValue().items();
}

std::string UniqueName(std::string_view prefix) {
  // Fixed width, so that no name is a prefix of another (ListQueue searchWord tests).
  static std::atomic<int> counter{0};
  char number[16];
  snprintf(number, sizeof(number), "%05d", ++counter);
  return std::string(prefix) + "-" + number;
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

// ---------------------------------------------------------- SharedServerTest

std::unique_ptr<TestServer> SharedServerTest::server_;

void SharedServerTest::SetUpTestSuite() {
  if (server_ && server_->process().running()) return;
  // The suites' push endpoints are sinks on 127.0.0.1, which cmqd refuses by default.
  server_ = std::make_unique<TestServer>(std::vector<std::string>{
      "--min-max-msg-heap-num", "1", "--push-allow-networks", "127.0.0.0/8"});
  if (!server_->Start()) {
    fprintf(stderr, "cmqd did not start:\n%s\n", server_->process().output().c_str());
  }
}

void SharedServerTest::TearDownTestSuite() { server_.reset(); }

void SharedServerTest::SetUp() {
  ASSERT_TRUE(server_ && server_->process().running())
      << "cmqd is not running: " << (server_ ? server_->process().output() : "");
  caller_ = std::make_unique<Caller>(server_->NewCaller());
}

void SharedServerTest::TearDown() {
  Caller probe = server_->NewCaller();
  ClientResult<JsonValue> r = probe.Call("ListQueue", {{"limit", "1"}});
  if (r.ok() || r.error().is_server()) return;
  std::string out = server_->process().output();
  if (out.size() > 4000) out = "..." + out.substr(out.size() - 4000);
  ADD_FAILURE() << "cmqd stopped answering (" << r.error().ToString() << "); its output:\n" << out;
  server_.reset();
  SetUpTestSuite();
}

JsonValue SharedServerTest::Ok(std::string_view action, ParamList params,
                               int64_t extra_timeout_ms) {
  ClientResult<JsonValue> r = caller_->Call(action, std::move(params), extra_timeout_ms);
  EXPECT_TRUE(IsSuccess(r)) << action;
  return r.ok() ? std::move(r).value() : JsonValue();
}

std::string SharedServerTest::CreateQueue(const std::string& name, ParamList attributes) {
  attributes.emplace_back("queueName", name);
  return StrField(Ok("CreateQueue", std::move(attributes)), "queueId");
}

std::string SharedServerTest::Send(const std::string& queue, const std::string& body,
                                   ParamList extra) {
  extra.emplace_back("queueName", queue);
  extra.emplace_back("msgBody", body);
  return StrField(Ok("SendMessage", std::move(extra)), "msgId");
}

ClientResult<JsonValue> SharedServerTest::Receive(const std::string& queue, int wait) {
  return caller_->Call("ReceiveMessage",
                       {{"queueName", queue}, {"pollingWaitSeconds", std::to_string(wait)}},
                       wait * 1000LL + 5000);
}

JsonValue SharedServerTest::Attributes(const std::string& queue) {
  return Ok("GetQueueAttributes", {{"queueName", queue}});
}

}  // namespace cmq::testing
