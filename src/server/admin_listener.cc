#include "server/admin_listener.h"

namespace cmq::server {
namespace {

// A scraper and a few probes: small requests, few connections. The listener and its
// connections come out of the process's reserve of descriptors (kProcessDescriptors,
// open_file_limit.h); more clients wait in the listen backlog.
http::ServerOptions AdminServerOptions() {
  http::ServerOptions options;
  options.max_header_bytes = 16 << 10;
  options.max_body_bytes = 16 << 10;
  options.max_connections = 8;
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
  admin::AdminResponse answer = admin_.Handle(request.method, request.path);
  http::Response response;
  response.status = answer.status;
  response.reason = std::move(answer.reason);
  response.content_type = std::move(answer.content_type);
  response.body = std::move(answer.body);
  respond(std::move(response));
}

}  // namespace cmq::server
