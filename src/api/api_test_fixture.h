// In-process fixture for the api tests: a FakeClock, a MemRecordLog, a real Broker, a
// KeyStore with one key, and helpers that sign requests like the SDKs do and return
// the parsed JSON answer. No sockets, no sleeps.
//
// The same tests run on the PostgreSQL log (tests/conformance/api_on_postgres.cc
// installs it with InstalledTestLog()): answers then come once a real commit is
// done, so the helpers wait for the log to settle (every record appended so far
// durable, its callbacks run) before they return. Tests that need the memory log's
// switches say so with REQUIRE_MEM_LOG().
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/verifier.h"
#include "broker/broker.h"
#include "common/form.h"
#include "common/json.h"
#include "common/signing.h"
#include "env/env.h"
#include "journal/mem_record_log.h"

namespace cmq::api {

inline constexpr char kSecretId[] = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
inline constexpr char kSecretKey[] = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
inline constexpr uint64_t kAccount = 1250000000;
inline constexpr char kHost[] = "cmq.local:8080";
inline constexpr char kPath[] = "/v2/index.php";

// A log for the fixture's broker other than the MemRecordLog.
class TestLog {
 public:
  virtual ~TestLog() = default;
  virtual journal::RecordLog* log() = 0;
  // Runs the log's completions until `done()` holds; false after a time limit.
  virtual bool RunUntil(const std::function<bool()>& done) = 0;
  // Every record appended so far is durable.
  virtual bool Settled() = 0;
};
using TestLogFactory = std::function<std::unique_ptr<TestLog>()>;
// Empty (the default): the fixture uses a MemRecordLog.
inline TestLogFactory& InstalledTestLog() {
  static TestLogFactory factory;
  return factory;
}

// In a test that uses the memory log's switches (log_): skipped on another log.
#define REQUIRE_MEM_LOG() \
  if (!log_) GTEST_SKIP() << "needs the memory log's switches (durability held back, faults)"

// A request whose answer may come later (parked receive, durability).
struct Pending {
  std::shared_ptr<std::vector<std::string>> answers = std::make_shared<std::vector<std::string>>();
  std::function<void()> cancel;

  bool answered() const { return !answers->empty(); }
  // The one answer, parsed. Fails the test if there is none or more than one.
  JsonValue json() const {
    EXPECT_EQ(answers->size(), 1u) << "a request must be answered exactly once";
    if (answers->empty()) return JsonValue::MakeNull();
    Result<JsonValue> parsed = ParseJson(answers->front());
    EXPECT_TRUE(parsed.ok()) << "not JSON: " << answers->front();
    return parsed.ok() ? *parsed : JsonValue::MakeNull();
  }
};

// `name`.<first>, `name`.<first+1>, ... for `values` (indexed parameters, section 4).
inline ParamList Indexed(const std::string& name, int first,
                         const std::vector<std::string>& values) {
  ParamList out;
  for (size_t i = 0; i < values.size(); ++i) {
    out.push_back({name + "." + std::to_string(first + static_cast<int>(i)), values[i]});
  }
  return out;
}

class ApiTest : public ::testing::Test {
 protected:
  static broker::Limits TestLimits() {
    broker::Limits limits;
    limits.min_max_msg_heap_num = 1;  // lets tests fill a queue
    limits.max_queues_per_account = 60;
    return limits;
  }

  ApiTest() { Reset(TestLimits()); }

  // Rebuilds broker and api with `limits` and `push_policy` (empty state).
  void Reset(broker::Limits limits, std::shared_ptr<const PushNetworkPolicy> push_policy = {}) {
    api_.reset();
    broker_.reset();
    log_.reset();
    other_log_.reset();
    journal::RecordLog* log;
    if (InstalledTestLog()) {
      other_log_ = InstalledTestLog()();
      log = other_log_->log();
    } else {
      log_ = std::make_unique<journal::MemRecordLog>();
      log = log_.get();
    }
    broker_ = std::make_unique<broker::Broker>(&clock_, log, limits);
    broker_->FinishRecovery();
    keys_ = std::make_unique<auth::KeyStore>();
    EXPECT_TRUE(keys_->Add({kSecretId, kSecretKey, kAccount, true}).ok());
    ApiOptions options;
    options.limits = limits;
    options.push_policy = std::move(push_policy);
    // Message traces read on the calling thread here (the server uses threads).
    options.run_off_loop = [this](std::function<void()> work, std::function<void()> then) {
      if (off_loop_busy_) return false;
      work();
      then();
      return true;
    };
    api_ = std::make_unique<Api>(broker_.get(), keys_.get(), &clock_, options);
  }

  // Adds Action and the common parameters, then the Signature the SDKs would compute.
  ParamList SignedParams(const std::string& method, const std::string& action, ParamList params,
                         const std::string& key = kSecretKey) const {
    ParamList all;
    if (!action.empty()) all.push_back({"Action", action});
    all.push_back({"SecretId", kSecretId});
    all.push_back({"Nonce", "12345"});
    all.push_back({"Timestamp", std::to_string(clock_.NowMs() / 1000)});
    all.push_back({"SignatureMethod", "HmacSHA256"});
    all.push_back({"RequestClient", "SDK_Python_1.3"});
    for (auto& p : params) all.push_back(std::move(p));
    std::string to_sign = StringToSign(method, kHost, kPath, all);
    all.push_back({"Signature", Sign(to_sign, key, SignatureMethod::kHmacSHA256)});
    return all;
  }

  static ApiRequest Request(const std::string& method, const ParamList& params) {
    ApiRequest r{method, kHost, kPath, "", "", ""};
    (method == "GET" ? r.query : r.body) = EncodeForm(params);
    return r;
  }

  Pending Start(const ApiRequest& request) {
    Pending p;
    p.cancel = api_->Handle(request, [answers = p.answers](std::string json, const AnswerSummary&) {
      answers->push_back(std::move(json));
    });
    return p;
  }

  Pending Start(const std::string& action, ParamList params, const std::string& method = "POST") {
    return Start(Request(method, SignedParams(method, action, std::move(params))));
  }

  // A request that must be answered before Handle returns (on another log: once the
  // log settled).
  JsonValue Call(const ApiRequest& request) {
    Pending p = Start(request);
    Settle([&] { return p.answered(); });
    EXPECT_TRUE(p.answered()) << "no immediate answer";
    return p.json();
  }
  JsonValue Call(const std::string& action, ParamList params = {},
                 const std::string& method = "POST") {
    return Call(Request(method, SignedParams(method, action, std::move(params))));
  }

  // Asserting helpers on answers.
  static int64_t Code(const JsonValue& v) {
    const JsonValue* c = v.Find("code");
    return c != nullptr && c->is_number() ? c->as_int().value_or(-1) : -1;
  }
  static std::string Message(const JsonValue& v) {
    const JsonValue* m = v.Find("message");
    return m != nullptr && m->is_string() ? m->as_string() : "<no message>";
  }
  static std::string Str(const JsonValue& v, std::string_view key) {
    const JsonValue* m = v.Find(key);
    EXPECT_TRUE(m != nullptr && m->is_string()) << key << " is not a string";
    return m != nullptr && m->is_string() ? m->as_string() : "";
  }
  static int64_t Int(const JsonValue& v, std::string_view key) {
    const JsonValue* m = v.Find(key);
    EXPECT_TRUE(m != nullptr && m->is_number() && m->as_int()) << key << " is not an integer";
    return m != nullptr && m->is_number() ? m->as_int().value_or(-1) : -1;
  }
  // Expects `code` and a message starting with "(<module>)".
  static void ExpectError(const JsonValue& v, int code, int module,
                          const std::string& detail = "") {
    EXPECT_EQ(Code(v), code) << Message(v);
    std::string prefix = "(" + std::to_string(module) + ")";
    EXPECT_EQ(Message(v).rfind(prefix, 0), 0u) << Message(v);
    if (!detail.empty()) {
      EXPECT_NE(Message(v).find(detail), std::string::npos) << Message(v);
    }
    EXPECT_FALSE(Str(v, "requestId").empty());
  }
  static void ExpectOk(const JsonValue& v) {
    EXPECT_EQ(Code(v), 0) << Message(v);
    EXPECT_EQ(Message(v), "");
    EXPECT_EQ(Str(v, "codeDesc"), "Success");
    EXPECT_FALSE(Str(v, "requestId").empty());
  }

  // Shorthands.
  void CreateQueue(const std::string& name, ParamList attributes = {}) {
    attributes.push_back({"queueName", name});
    JsonValue v = Call("CreateQueue", std::move(attributes));
    ASSERT_EQ(Code(v), 0) << Message(v);
  }
  std::string SendMessage(const std::string& queue, const std::string& body) {
    JsonValue v = Call("SendMessage", {{"queueName", queue}, {"msgBody", body}});
    EXPECT_EQ(Code(v), 0) << Message(v);
    return Code(v) == 0 ? Str(v, "msgId") : "";
  }
  // Receives one message at once; returns the whole answer.
  JsonValue Receive(const std::string& queue) {
    return Call("ReceiveMessage", {{"queueName", queue}, {"pollingWaitSeconds", "0"}});
  }
  JsonValue Attributes(const std::string& queue) {
    return Call("GetQueueAttributes", {{"queueName", queue}});
  }
  void CreateTopic(const std::string& name, ParamList attributes = {}) {
    attributes.push_back({"topicName", name});
    JsonValue v = Call("CreateTopic", std::move(attributes));
    ASSERT_EQ(Code(v), 0) << Message(v);
  }
  // Subscribe with protocol "queue" when `endpoint` has no "://", else "http".
  void Subscribe(const std::string& topic, const std::string& name, const std::string& endpoint,
                 ParamList extra = {}) {
    extra.push_back({"topicName", topic});
    extra.push_back({"subscriptionName", name});
    extra.push_back({"protocol", endpoint.find("://") == std::string::npos ? "queue" : "http"});
    extra.push_back({"endpoint", endpoint});
    JsonValue v = Call("Subscribe", std::move(extra));
    ASSERT_EQ(Code(v), 0) << Message(v);
  }
  // PublishMessage; returns the whole answer.
  JsonValue Publish(const std::string& topic, const std::string& body, ParamList extra = {}) {
    extra.push_back({"topicName", topic});
    extra.push_back({"msgBody", body});
    return Call("PublishMessage", std::move(extra));
  }
  void AdvanceSeconds(int64_t s) {
    clock_.Advance(s * 1000);
    broker_->Tick();
    Settle();
  }

  // On a log other than the memory log: waits until every record appended so far is
  // durable and `also()` holds, running the log's completions (answers go out). The
  // memory log is durable at once unless a test holds it back.
  void Settle(const std::function<bool()>& also = [] { return true; }) {
    if (!other_log_) return;
    EXPECT_TRUE(other_log_->RunUntil([&] { return other_log_->Settled() && also(); }))
        << "the log did not settle";
  }

  env::FakeClock clock_;
  std::unique_ptr<journal::MemRecordLog> log_;  // null on another log
  std::unique_ptr<TestLog> other_log_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<auth::KeyStore> keys_;
  std::unique_ptr<Api> api_;
  // The trace runner refuses every job (as with too many traces running).
  bool off_loop_busy_ = false;
};

}  // namespace cmq::api
