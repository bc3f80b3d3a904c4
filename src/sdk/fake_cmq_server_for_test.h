// Test-only: a CMQ-speaking scripted HTTP server for the SDK's unit tests, on top of
// http::ScriptedServer. Each request's form (body, or query for GET) is decoded into
// its parameters and handed to the test's responder, which returns the raw HTTP bytes
// to send (usually Json(...) of an envelope).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cmq/cmq_client.h"
#include "common/form.h"
#include "http/scripted_server.h"

namespace cmq::sdk::testing {

struct FakeRequest {
  http::ReceivedRequest raw;
  ParamList params;  // decoded from the body (POST) or the query (GET)
  std::string Get(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return "<absent>";
  }
  bool Has(std::string_view name) const { return Get(name) != "<absent>"; }
};

// An HTTP 200 with this JSON body.
inline std::string Json(std::string_view body) {
  return http::HttpReply(200, body, "Content-Type: application/json\r\n");
}
// A success envelope with extra members, e.g. Success(R"("msgId":"7")").
inline std::string Success(std::string_view members = "") {
  std::string body = R"({"code":0,"message":"","codeDesc":"Success","requestId":"r1")";
  if (!members.empty()) body += "," + std::string(members);
  return Json(body + "}");
}

class FakeCmqServer {
 public:
  using Responder = std::function<http::ScriptedReply(const FakeRequest&)>;

  // Replies with `reply` to every request.
  explicit FakeCmqServer(std::string reply = Success())
      : FakeCmqServer([reply](const FakeRequest&) { return http::ScriptedReply{reply}; }) {}
  explicit FakeCmqServer(Responder responder)
      : responder_(std::move(responder)),
        server_([this](const http::ReceivedRequest& raw) { return Handle(raw); }) {}

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<FakeRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  FakeRequest last() {
    std::vector<FakeRequest> all = requests();
    return all.empty() ? FakeRequest{} : all.back();
  }
  int connections() { return server_.connections_accepted(); }
  http::ScriptedServer& scripted() { return server_; }

  // A client for this server with a short read timeout.
  std::shared_ptr<CMQClient> Client(CMQClientOptions options = {}) {
    return std::make_shared<CMQClient>(endpoint(), "AKIDunit", "unit-secret-key",
                                       std::move(options));
  }

 private:
  http::ScriptedReply Handle(const http::ReceivedRequest& raw) {
    FakeRequest request;
    request.raw = raw;
    std::string_view form = raw.method == "GET" ? raw.query : raw.body;
    Result<ParamList> params = DecodeForm(form);
    if (params.ok()) request.params = std::move(params).value();
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    return responder_(request);
  }

  Responder responder_;
  std::mutex mu_;
  std::vector<FakeRequest> requests_;
  http::ScriptedServer server_;  // last: its threads stop first
};

}  // namespace cmq::sdk::testing
