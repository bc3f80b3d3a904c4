// Admin: the operator's endpoints on the admin listener (docs/architecture.md,
// "Operating cmqd: the admin listener"), without the transport: the server hands it
// each request's method and path and sends back the AdminResponse.
//
//   GET /healthz  200 {"alive":true} while the event loop answers.
//   GET /readyz   200 {"ready":true,"reason":...} when the node can serve requests,
//                 else 503 {"ready":false,"reason":...} saying why.
//   GET /metrics  the Prometheus text format 0.0.4.
//   anything else 404 (405 for a method other than GET) with a JSON body.
//
// Thread: the event loop; the sources are called there, inside Handle.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "admin/metrics_text.h"

namespace cmq::admin {

struct Readiness {
  bool ready = false;
  std::string reason;  // a sentence for the operator: what the node does, or lacks
};

struct AdminSources {
  // Whether the node can serve requests now, and why (not).
  std::function<Readiness()> readiness;
  // Writes every metric family of the node, each once.
  std::function<void(MetricsText&)> metrics;
};

struct AdminResponse {
  int status = 200;
  std::string reason = "OK";
  std::string content_type;
  std::string body;
};

// The Content-Type of /metrics: the Prometheus text exposition format 0.0.4.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

class Admin {
 public:
  explicit Admin(AdminSources sources) : sources_(std::move(sources)) {}

  // `path` is the request target up to '?' (a query is ignored).
  AdminResponse Handle(std::string_view method, std::string_view path) const;

 private:
  AdminSources sources_;
};

}  // namespace cmq::admin
