#include "support/http_sink.h"

#include <chrono>

namespace cmq::testing {
namespace {

http::ScriptedServerOptions Unrecorded() {
  http::ScriptedServerOptions options;
  options.record = false;  // the sink keeps requests itself, with their answers
  return options;
}

}  // namespace

HttpSink::HttpSink() : server_([this](const SinkRequest& r) { return Reply(r); }, Unrecorded()) {}

void HttpSink::Script(const std::string& path, Answer then, int failures) {
  std::lock_guard<std::mutex> lock(mu_);
  PathState& state = paths_[path];
  state.then = then;
  state.failures = failures;
}

http::ScriptedReply HttpSink::Reply(const SinkRequest& request) {
  Answer answer;
  {
    std::lock_guard<std::mutex> lock(mu_);
    PathState& state = paths_[request.path];
    answer =
        static_cast<int>(state.requests.size()) < state.failures ? Answer::kError500 : state.then;
    state.requests.push_back(request);
  }
  changed_.notify_all();
  switch (answer) {
    case Answer::kOk:
      return {http::HttpReply(200, "ok", "Content-Type: text/plain\r\n")};
    case Answer::kError500:
      return {http::HttpReply(500, "error", "Content-Type: text/plain\r\n")};
    case Answer::kNever:
      break;
  }
  return {"", http::ScriptedReply::Then::kHoldSilent};
}

std::vector<SinkRequest> HttpSink::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = paths_.find(path);
  return it == paths_.end() ? std::vector<SinkRequest>() : it->second.requests;
}

bool HttpSink::WaitForRequests(const std::string& path, size_t n, int64_t timeout_ms) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto it = paths_.find(path);
    return it != paths_.end() && it->second.requests.size() >= n;
  });
}

}  // namespace cmq::testing
