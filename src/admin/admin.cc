#include "admin/admin.h"

#include "common/json.h"

namespace cmq::admin {
namespace {

constexpr std::string_view kJson = "application/json; charset=utf-8";

AdminResponse Json(int status, std::string reason, JsonWriter& w) {
  return AdminResponse{status, std::move(reason), std::string(kJson), w.Take() + "\n"};
}

AdminResponse NotFound(std::string_view path) {
  JsonWriter w;
  w.BeginObject().Field("error", "not found").Field("path", path);
  w.Key("endpoints").BeginArray().String("/console/").String("/metrics").String("/healthz");
  w.String("/readyz");
  w.EndArray().EndObject();
  return Json(404, "Not Found", w);
}

}  // namespace

AdminResponse Admin::Handle(std::string_view method, std::string_view path) const {
  if (path != "/healthz" && path != "/readyz" && path != "/metrics") return NotFound(path);
  if (method != "GET") {
    JsonWriter w;
    w.BeginObject().Field("error", "method not allowed: use GET").EndObject();
    return Json(405, "Method Not Allowed", w);
  }
  if (path == "/healthz") {
    JsonWriter w;
    w.BeginObject().Field("alive", true).EndObject();
    return Json(200, "OK", w);
  }
  if (path == "/readyz") {
    Readiness readiness = sources_.readiness ? sources_.readiness() : Readiness{true, "ready"};
    JsonWriter w;
    w.BeginObject().Field("ready", readiness.ready).Field("reason", readiness.reason).EndObject();
    return readiness.ready ? Json(200, "OK", w) : Json(503, "Service Unavailable", w);
  }
  MetricsText text;
  if (sources_.metrics) sources_.metrics(text);
  return AdminResponse{200, "OK", std::string(kMetricsContentType), text.Take()};
}

}  // namespace cmq::admin
