#include "api/api.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "api/action.h"
#include "api/params.h"
#include "api/response.h"
#include "common/form.h"
#include "common/strings.h"

namespace cmq::api {

struct Api::Impl {
  Impl(broker::Broker* b, const auth::KeyStore* k, env::Clock* c, ApiOptions o)
      : broker(b), keys(k), clock(c), options(std::move(o)) {}

  broker::Broker* broker;
  const auth::KeyStore* keys;
  env::Clock* clock;
  ApiOptions options;
  struct Action {
    ActionEntry entry;
    size_t metrics_slot;
  };
  std::unordered_map<std::string, Action> actions;  // by lower-case name
  uint64_t last_request_id = 0;
  // Shared with every Reply, which may outlive us.
  std::shared_ptr<FailureLog> failure_log = std::make_shared<FailureLog>();
  std::shared_ptr<RequestMetrics> metrics = std::make_shared<RequestMetrics>();

  void AddActions(std::span<const ActionEntry> entries) {
    for (const ActionEntry& e : entries) {
      actions.emplace(AsciiLower(e.name), Action{e, metrics->AddAction(e.name)});
    }
  }

  // Decimal, unique within the process and increasing: the clock in microsecond
  // resolution where that is ahead of the counter, so ids also differ across restarts.
  std::string NextRequestId() {
    uint64_t now_us = static_cast<uint64_t>(std::max<int64_t>(clock->NowMs(), 0)) * 1000;
    last_request_id = std::max(last_request_id + 1, now_us);
    return std::to_string(last_request_id);
  }

  // The value of `name` as received, "" when absent or not readable.
  static std::string Received(const Params& params, std::string_view name) {
    Result<std::optional<std::string_view>> value = params.OptionalString(name);
    return value.ok() && value->has_value() ? std::string(**value) : std::string();
  }

  // `authenticated`: the account the caller has authenticated (Api::HandleAuthenticated);
  // empty: the request's signature says which account it is (Api::Handle).
  std::function<void()> Handle(const ApiRequest& request, std::optional<uint64_t> authenticated,
                               Done done) {
    Envelope envelope{NextRequestId(),
                      std::nullopt,
                      failure_log,
                      {},
                      {},
                      {},
                      metrics,
                      RequestMetrics::kUnknownAction,
                      std::chrono::steady_clock::now()};
    auto answer_error = [&](const Status& status) {
      Answer(envelope, status, nullptr, done);
      return std::function<void()>();
    };

    // The docs forbid mixing sources: GET takes the query, POST the body. An empty
    // POST body falls back to the query (1.1), and a GET without a query takes the body:
    // the Python SDK's retry on a closed keep-alive connection sends its GET that way,
    // signed as a GET (14.21c). Either way one source, so everything read was signed.
    bool is_get = request.method == "GET";
    if (!is_get && request.method != "POST") {
      return answer_error(Status(ErrorCode::kBadMethod, Echo(request.method)));
    }
    std::string_view source = is_get ? request.query : request.body;
    if (source.empty()) source = is_get ? request.body : request.query;
    Result<ParamList> list = DecodeForm(source);
    if (!list.ok()) return answer_error(Status(ErrorCode::kCannotParse, "request"));
    // Before anything reads a value: with one value per name, the value read is the
    // one the signature covers (14.3).
    if (Status repeated = CheckNoRepeatedNames(*list); !repeated.ok()) {
      return answer_error(repeated);
    }

    // Echoed even when the request fails below; it is only an echo, signed or not.
    Params received(&*list);
    if (Result<std::optional<std::string_view>> id = received.OptionalString("clientRequestId");
        id.ok() && id->has_value()) {
      envelope.client_request_id = ParseUint64(**id);
    }
    // For the logs, as received (only echoes, signed or not).
    envelope.action = Received(received, "Action");
    envelope.queue = Received(received, "queueName");
    envelope.topic = Received(received, "topicName");

    // The one point where a request's account is settled: by its signature, or by the
    // caller that authenticated it.
    auth::Verified verified;
    if (authenticated.has_value()) {
      verified.account = *authenticated;
    } else {
      auth::SignedRequest signed_request{request.method, request.host, request.path, &*list,
                                         options.https || request.tls};
      Result<auth::Verified> checked =
          auth::Verify(*keys, signed_request, clock->NowMs() / 1000, options.verify);
      if (!checked.ok()) {
        failure_log->NoteAuthFailure(request.client, Received(received, "SecretId"),
                                     envelope.action, checked.status());
        return answer_error(checked.status());
      }
      verified = std::move(checked).value();
    }
    UseSignedNames(&*list);
    Params params(&*list, std::move(verified.unsigned_params));

    Result<std::optional<std::string_view>> action = params.OptionalString("Action");
    if (!action.ok()) return answer_error(action.status());
    if (!action->has_value() || (*action)->empty()) {
      return answer_error(Status(ErrorCode::kActionMissing));
    }
    auto it = actions.find(AsciiLower(**action));
    if (it == actions.end()) return answer_error(Status(ErrorCode::kUnknownAction, Echo(**action)));
    envelope.action = it->second.entry.name;
    envelope.action_slot = it->second.metrics_slot;

    if (broker == nullptr && it->second.entry.needs_broker) {
      return answer_error(Status(ErrorCode::kNotServing));
    }
    Call call{
        broker, &options, verified.account, params, Reply(std::move(envelope), std::move(done)),
        {},     request.client};
    it->second.entry.handler(call);
    return std::move(call.cancel);
  }
};

Api::Api(broker::Broker* broker, const auth::KeyStore* keys, env::Clock* clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(broker, keys, clock, std::move(options))) {
  if (!impl_->options.push_policy) {
    impl_->options.push_policy = std::make_shared<const PushNetworkPolicy>();
  }
  impl_->AddActions(QueueActions());
  impl_->AddActions(MessageActions());
  impl_->AddActions(TopicActions());
  impl_->AddActions(SubscriptionActions());
  impl_->AddActions(ClusterActions());
  impl_->AddActions(MessageOpsActions());
  impl_->AddActions(TraceActions());
}

Api::~Api() = default;

void Api::SetBroker(broker::Broker* broker) { impl_->broker = broker; }

const RequestMetrics& Api::request_metrics() const { return *impl_->metrics; }

std::function<void()> Api::Handle(const ApiRequest& request, Done done) {
  return impl_->Handle(request, std::nullopt, std::move(done));
}

std::function<void()> Api::HandleAuthenticated(uint64_t account, const ApiRequest& request,
                                               Done done) {
  return impl_->Handle(request, account, std::move(done));
}

}  // namespace cmq::api
