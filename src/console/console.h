// Console: the web console on the admin listener (docs/architecture.md, "Web console").
// It answers every path the admin listener gives it (Console::Serves):
//
//   GET  /, /console        302 to /console/
//   GET  /console/login     the login page (no session needed)
//   GET  /console/static/F  the embedded style sheet and scripts (no session needed)
//   GET  /console/, /console/queue, /console/topic, /console/trace
//                           the pages; without a live session 302 to /console/login
//   POST /console/login     form secretId, secretKey: 200 {"secretId","appId",
//                           "csrfToken"} and the session cookie; 401 if the pair is wrong;
//                           429 {"error","retryAfterSeconds"} with Retry-After after too
//                           many failed logins from the client's address (login_limit.h)
//   GET  /console/session   200 {"secretId","appId","csrfToken"} of the live session
//   POST /console/logout    ends the session, clears the cookie
//   POST /console/api       a form with Action and its parameters, answered by the
//                           api's own handlers (api::Api::HandleAuthenticated) as the
//                           session's account: the CMQ answer as the API port gives it;
//                           when another node runs calls now (CallRouting), its answer
//                           to the call signed with the session's key pair
//
// Without a live session, /console/session, /console/logout and /console/api answer
// 401; a POST other than the login needs the session's CSRF token in X-CSRF-Token
// and, from a browser, the same origin (request_checks.h), else 403. Errors are JSON
// {"error": "..."}.
//
// Thread: the event loop (like the api).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "api/api.h"
#include "api/failure_log.h"
#include "auth/verifier.h"
#include "console/call_routing.h"
#include "console/login_limit.h"
#include "console/session_store.h"
#include "env/env.h"
#include "http/server.h"

namespace cmq::console {

struct ConsoleOptions {
  SessionOptions sessions;
  // The admin listener speaks TLS: cookies get Secure, origins are https://.
  bool https = false;
  // Where CMQ calls run, and the access log; not owned, outlives the Console. Null:
  // every call runs here, unlogged.
  CallRouting* routing = nullptr;
  // Failed logins per client address (the defaults: 10 in 5 minutes).
  LoginLimitOptions login_limit = {};
};

class Console {
 public:
  // Not owned; they outlive the Console.
  Console(api::Api* api, const auth::KeyStore* keys, env::Clock* clock, ConsoleOptions options);

  // Whether `path` is the console's: "/", "/console" and everything under "/console/".
  static bool Serves(std::string_view path);

  // Answers through `respond` exactly once, now or later (an api answer waits for its
  // record to be durable); `set_on_cancel` as for http::Handler.
  void Handle(const http::Request& request, http::Responder respond,
              const std::function<void(std::function<void()>)>& set_on_cancel);

  size_t sessions() const { return sessions_.size(); }

 private:
  void Login(const http::Request& request, const http::Responder& respond);
  const Session* LiveSession(const http::Request& request);
  // POST /console/api of a live session whose token and origin were checked.
  void Call(const Session& session, const http::Request& request, http::Responder respond,
            const std::function<void(std::function<void()>)>& set_on_cancel);
  // Runs the call on this node's api.
  void CallHere(uint64_t account, const api::ApiRequest& call, http::Responder respond,
                const std::function<void(std::function<void()>)>& set_on_cancel,
                std::chrono::steady_clock::time_point arrived);

  api::Api* api_;
  const auth::KeyStore* keys_;
  env::Clock* clock_;
  ConsoleOptions options_;
  SessionStore sessions_;
  LoginLimit login_limit_;
  api::FailureLog failure_log_;
};

}  // namespace cmq::console
