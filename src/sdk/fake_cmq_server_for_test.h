// Test-only: a CMQ-speaking scripted HTTP server for the SDK's unit tests. Each request
// body is decoded into its parameters and handed to the test's responder, which
// returns the raw HTTP bytes to send (usually Json(...) of an envelope).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/scripted_http_server_for_test.h"
#include "cmq/cmq_client.h"
#include "common/form.h"

namespace cmq::sdk::testing {

struct FakeRequest {
  client::testing::ReceivedRequest raw;
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
inline std::string Json(std::string_view body) { return client::testing::OkResponse(body); }
// A success envelope with extra members, e.g. Success(R"("msgId":"7")").
inline std::string Success(std::string_view members = "") {
  std::string body = R"({"code":0,"message":"","codeDesc":"Success","requestId":"r1")";
  if (!members.empty()) body += "," + std::string(members);
  return Json(body + "}");
}

class FakeCmqServer {
 public:
  using Responder = std::function<client::testing::ScriptedReply(const FakeRequest&)>;

  // Replies with `reply` to every request.
  explicit FakeCmqServer(std::string reply = Success())
      : FakeCmqServer([reply](const FakeRequest&) {
          return client::testing::ScriptedReply{reply};
        }) {}
  explicit FakeCmqServer(Responder responder)
      : responder_(std::move(responder)),
        server_([this](const client::testing::ReceivedRequest& raw) { return Handle(raw); }) {}

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<FakeRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  FakeRequest last() {
    std::vector<FakeRequest> all = requests();
    return all.empty() ? FakeRequest{} : all.back();
  }
  int connections() { return server_.connections(); }
  client::testing::ScriptedHttpServer& scripted() { return server_; }

  // A client for this server with a short read timeout.
  std::shared_ptr<CMQClient> Client(CMQClientOptions options = {}) {
    return std::make_shared<CMQClient>(endpoint(), "AKIDunit", "unit-secret-key",
                                       std::move(options));
  }

 private:
  client::testing::ScriptedReply Handle(const client::testing::ReceivedRequest& raw) {
    FakeRequest request;
    request.raw = raw;
    std::string_view form = raw.body;
    if (raw.method == "GET") {
      size_t q = raw.target.find('?');
      form = q == std::string::npos ? std::string_view() : std::string_view(raw.target).substr(q + 1);
    }
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
  client::testing::ScriptedHttpServer server_;  // last: its thread stops first
};

}  // namespace cmq::sdk::testing
