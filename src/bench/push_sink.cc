#include "bench/push_sink.h"

#include "bench/bench_message.h"

namespace cmq::bench {

bool PushSink::Start(std::string* error) {
  http::ScriptedServerOptions options;
  options.record = false;
  server_ = std::make_unique<http::ScriptedServer>(
      [this](const http::ReceivedRequest& r) {
        int64_t now_ns = SteadyNowNs();
        std::optional<std::string_view> message_id;
        if (const std::string* id = r.Header("x-cmq-message-id")) message_id = *id;
        {
          std::lock_guard<std::mutex> lock(handler_mu_);
          handler_(PushRequest{r.method, r.path, message_id, r.body}, now_ns);
        }
        return http::ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
      },
      options);
  if (server_->listening()) return true;
  *error = "push sink: " + server_->error();
  return false;
}

void PushSink::Stop() {
  if (server_) server_->Stop();
}

}  // namespace cmq::bench
