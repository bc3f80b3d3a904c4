#include "server/admin_listener.h"

namespace cmq::server {
namespace {

// A scraper, a few probes and a console user's browser (up to six connections):
// few connections. A console's send or publish carries a message (at most 1 MiB,
// form-encoded up to three times that). The listener and its connections come out of
// the process's reserve of descriptors (kProcessDescriptors, open_file_limit.h); more
// clients wait in the listen backlog.
http::ServerOptions AdminServerOptions() {
  http::ServerOptions options;
  options.max_header_bytes = 16 << 10;
  options.max_body_bytes = 4 << 20;
  options.max_connections = 12;
  return options;
}

}  // namespace

AdminListener::AdminListener(http::EventLoop* loop, admin::AdminSources sources)
    : admin_(std::move(sources)),
      server_(std::make_unique<http::Server>(loop, this, AdminServerOptions())) {}

AdminListener::~AdminListener() = default;

Status AdminListener::Listen(const std::string& host, uint16_t port, const TlsServerContext* tls) {
  return server_->Listen(host, port, tls);
}

void AdminListener::OnRequest(http::Request request, http::Responder respond,
                              std::function<void(std::function<void()>)> set_on_cancel) {
  if (console_ && console::Console::Serves(request.path)) {
    return console_->Handle(request, std::move(respond), set_on_cancel);
  }
  admin::AdminResponse answer = admin_.Handle(request.method, request.path);
  http::Response response;
  response.status = answer.status;
  response.reason = std::move(answer.reason);
  response.content_type = std::move(answer.content_type);
  response.body = std::move(answer.body);
  respond(std::move(response));
}

}  // namespace cmq::server
