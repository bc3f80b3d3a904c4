// Api: the CMQ actions. Turns a request (method, host, path, form parameters) into a
// JSON response per docs/cmq-api.md: signature check, case-insensitive Action
// dispatch, parameter parsing and validation in one place (params.h), one handler per
// action grouped by resource, one error table (common/errors.def). Every response is
// HTTP 200 with {code, message, requestId, ...}. The api layer calls the broker's
// service boundary only; it never includes journal internals.
//
// Thread: the event loop (like the broker).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/request_metrics.h"
#include "auth/verifier.h"
#include "broker/broker.h"
#include "common/json.h"
#include "common/push_network_policy.h"
#include "env/env.h"

namespace cmq::api {

// DescribeCluster, a cmqd extension for operators (`cmqctl cluster show`): what the
// node knows of its cluster. The provider calls `answer` once, on the loop thread, with
// the writer of the answer's fields or an error.
using ClusterFields = std::function<void(JsonWriter&)>;
using DescribeClusterFn = std::function<void(std::function<void(Result<ClusterFields>)> answer)>;

// Runs `work` on a thread other than the loop's, then `then` on the loop (message
// trace: a scan of the log must not stall the loop). Returns false, running neither,
// when as many jobs as it allows are running already.
using OffLoopFn = std::function<bool(std::function<void()> work, std::function<void()> then)>;

struct ApiOptions {
  auth::VerifyOptions verify;
  broker::Limits limits;
  bool https = false;  // the listener is behind TLS (affects default-port candidates)
  // Subscribe refuses an http endpoint this policy refuses (4000/10630). Null: the
  // built-in defaults.
  std::shared_ptr<const PushNetworkPolicy> push_policy;
  // Answers DescribeCluster, which needs no broker (a standby answers it too). Null:
  // the action answers with an internal error.
  DescribeClusterFn describe_cluster;
  // Runs TraceMessage's reading. Null: TraceMessage answers an internal error.
  OffLoopFn run_off_loop;
};

struct ApiRequest {
  std::string method;  // as received
  std::string host;    // Host header
  std::string path;    // raw path
  std::string query;   // raw query string
  std::string body;    // raw body
  // Who sent it ("ip:port", "[ipv6]:port"; a forwarded request's original client): for
  // logs, and recorded with each receive (message trace).
  std::string client;
  // Arrived over cmqd's own HTTPS listener: the signed host's default port is 443, as
  // with ApiOptions::https.
  bool tls = false;
};

// What the access log says of an answered request. Valid only during the Done call.
struct AnswerSummary {
  // The action's canonical name; as received when it is unknown or the request failed
  // before it was looked up; "" when there was none.
  std::string_view action;
  std::string_view queue;  // queueName as received ("" when none): only an echo
  std::string_view topic;  // topicName as received ("" when none): only an echo
  int code = 0;            // the CMQ code answered
  std::string_view request_id;
};

class Api {
 public:
  // Not owned; must outlive the Api (or be replaced first, SetBroker).
  Api(broker::Broker* broker, const auth::KeyStore* keys, env::Clock* clock, ApiOptions options);
  ~Api();

  // The broker requests go to from now on. Null: this node is not serving (the
  // distributed mode's standby, or an owner between two lives of its partition);
  // every authenticated request is then answered kNotServing (a retryable 6000).
  void SetBroker(broker::Broker* broker);

  // Handles one request. `done` gets the JSON body, and what the access log says of
  // it, exactly once, possibly before Handle returns; for requests that changed
  // state, only after the change is durable. Returns a function that cancels a parked
  // receive (then `done` is never called), or an empty function when there is nothing
  // to cancel. A failed authentication is logged (warn, rate-limited: FailureLog).
  using Done = std::function<void(std::string json, const AnswerSummary& summary)>;
  std::function<void()> Handle(const ApiRequest& request, Done done);

  // The same as Handle, as `account` (an appId), which the caller has authenticated:
  // the web console, whose session was opened with the account's key pair
  // (docs/architecture.md, "Web console"). No signature is checked and none is needed;
  // SecretId, Signature, Timestamp and Nonce, if sent, are ignored like any unknown
  // parameter. Everything else (actions, parameters, errors, metrics, the access
  // log's summary) is exactly Handle's.
  std::function<void()> HandleAuthenticated(uint64_t account, const ApiRequest& request, Done done);

  // Every answer so far by action and CMQ code, with latencies (/metrics).
  const RequestMetrics& request_metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::api
