// AdminListener: the admin listener (`admin_listen`), an HTTP server of its own on the
// daemon's event loop that answers the web console's paths (console::Console::Serves)
// with the console, once one is set, and every other request with admin::Admin. It
// never serves the CMQ API's port, and the API listener never serves it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "admin/admin.h"
#include "common/status.h"
#include "console/console.h"
#include "http/event_loop.h"
#include "http/server.h"

namespace cmq::server {

class AdminListener : public http::Handler {
 public:
  // `loop` is not owned. Loop thread (or before the loop runs), like http::Server.
  AdminListener(http::EventLoop* loop, admin::AdminSources sources);
  ~AdminListener() override;

  // Binds and listens; port 0 picks a free port (port()). With `tls` (not owned,
  // outlives this) it speaks HTTPS. Nothing is answered before the loop runs.
  Status Listen(const std::string& host, uint16_t port, const TlsServerContext* tls = nullptr);
  uint16_t port() const { return server_->port(); }
  size_t OpenConnections() const { return server_->OpenConnections(); }
  // The web console, from now on (it needs the api, made after the listener is bound).
  // Before the loop runs.
  void SetConsole(std::unique_ptr<console::Console> console) { console_ = std::move(console); }

  void OnRequest(http::Request request, http::Responder respond,
                 std::function<void(std::function<void()>)> set_on_cancel) override;

 private:
  admin::Admin admin_;
  std::unique_ptr<console::Console> console_;  // null: no console (404 like any path)
  std::unique_ptr<http::Server> server_;
};

}  // namespace cmq::server
