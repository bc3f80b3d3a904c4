#include "api/api.h"

#include <algorithm>
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
namespace {

// Request text echoed in an error message (method, action name) is cut to this many
// bytes, so a hostile request cannot make the answer large.
constexpr size_t kMaxEchoedBytes = 64;

std::string Echo(std::string_view text) {
  return std::string(text.substr(0, std::min(text.size(), kMaxEchoedBytes)));
}

}  // namespace

struct Api::Impl {
  broker::Broker* broker;
  const auth::KeyStore* keys;
  env::Clock* clock;
  ApiOptions options;
  std::unordered_map<std::string, ActionHandler> actions;  // lower-case name
  uint64_t last_request_id = 0;

  void AddActions(std::span<const ActionEntry> entries) {
    for (const ActionEntry& e : entries) actions.emplace(AsciiLower(e.name), e.handler);
  }

  // Decimal, unique within the process and increasing: the clock in microsecond
  // resolution where that is ahead of the counter, so ids also differ across restarts.
  std::string NextRequestId() {
    uint64_t now_us = static_cast<uint64_t>(std::max<int64_t>(clock->NowMs(), 0)) * 1000;
    last_request_id = std::max(last_request_id + 1, now_us);
    return std::to_string(last_request_id);
  }

  std::function<void()> Handle(const ApiRequest& request, Done done) {
    Envelope envelope{NextRequestId(), std::nullopt};
    auto answer_error = [&](const Status& status) {
      done(RenderResponse(envelope, status));
      return std::function<void()>();
    };

    // The docs forbid mixing sources: GET takes the query, POST the body. An empty
    // POST body falls back to the query (1.1).
    bool is_get = request.method == "GET";
    if (!is_get && request.method != "POST") {
      return answer_error(Status(ErrorCode::kBadMethod, Echo(request.method)));
    }
    std::string_view source = is_get || request.body.empty() ? request.query : request.body;
    Result<ParamList> list = DecodeForm(source);
    if (!list.ok()) return answer_error(Status(ErrorCode::kCannotParse, "request"));
    Params params(&*list);

    if (const std::string* id = params.Find("clientRequestId")) {
      envelope.client_request_id = ParseUint64(*id);
    }

    auth::SignedRequest signed_request{request.method, request.host, request.path, &*list,
                                       options.https};
    Result<uint64_t> account =
        auth::Verify(*keys, signed_request, clock->NowMs() / 1000, options.verify);
    if (!account.ok()) return answer_error(account.status());

    const std::string* action = params.Find("Action");
    if (action == nullptr || action->empty())
      return answer_error(Status(ErrorCode::kActionMissing));
    auto it = actions.find(AsciiLower(*action));
    if (it == actions.end()) return answer_error(Status(ErrorCode::kUnknownAction, Echo(*action)));

    Call call{broker, &options, *account, params, Reply(std::move(envelope), std::move(done)), {}};
    it->second(call);
    return std::move(call.cancel);
  }
};

Api::Api(broker::Broker* broker, const auth::KeyStore* keys, env::Clock* clock, ApiOptions options)
    : impl_(std::make_unique<Impl>(Impl{broker, keys, clock, std::move(options), {}, 0})) {
  if (!impl_->options.push_policy) {
    impl_->options.push_policy = std::make_shared<const PushNetworkPolicy>();
  }
  impl_->AddActions(QueueActions());
  impl_->AddActions(MessageActions());
  impl_->AddActions(TopicActions());
  impl_->AddActions(SubscriptionActions());
}

Api::~Api() = default;

std::function<void()> Api::Handle(const ApiRequest& request, Done done) {
  return impl_->Handle(request, std::move(done));
}

}  // namespace cmq::api
