#include "console/console.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/form.h"
#include "common/ip_address.h"
#include "common/json.h"
#include "common/strings.h"
#include "console/assets.h"
#include "console/request_checks.h"
#include "console/signed_call.h"

namespace cmq::console {
namespace {

constexpr std::string_view kCookie = "cmq_session";
constexpr std::string_view kCsrfHeader = "x-csrf-token";
constexpr std::string_view kJson = "application/json; charset=utf-8";

// The pages that need a session, by path, and the asset each is.
constexpr std::pair<std::string_view, std::string_view> kPages[] = {
    {"/console/", "overview.html"},
    {"/console/queue", "queue.html"},
    {"/console/topic", "topic.html"},
    {"/console/trace", "trace.html"},
};
constexpr std::string_view kStatic = "/console/static/";

// Every console answer: never cached (pages show live data, answers hold a token), never
// framed, scripts only from the console itself.
http::Response Base(int status, std::string reason, std::string_view content_type) {
  http::Response r;
  r.status = status;
  r.reason = std::move(reason);
  r.content_type = std::string(content_type);
  r.headers = {{"Cache-Control", "no-store"},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"},
               {"Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                "base-uri 'none'; form-action 'self'"}};
  return r;
}

http::Response JsonAnswer(int status, std::string reason, JsonWriter& w) {
  http::Response r = Base(status, std::move(reason), kJson);
  r.body = w.Take() + "\n";
  return r;
}

// A CMQ answer: the api's JSON as it stands.
http::Response JsonOk(std::string body) {
  http::Response r = Base(200, "OK", kJson);
  r.body = std::move(body);
  return r;
}

http::Response Error(int status, std::string reason, std::string_view error) {
  JsonWriter w;
  w.BeginObject().Field("error", error).EndObject();
  return JsonAnswer(status, std::move(reason), w);
}

http::Response Redirect(std::string_view location) {
  http::Response r = Base(302, "Found", "text/plain; charset=utf-8");
  r.headers.emplace_back("Location", std::string(location));
  return r;
}

http::Response ServeAsset(std::string_view name) {
  const Asset* asset = FindAsset(name);
  if (asset == nullptr) return Error(404, "Not Found", "no such console file");
  http::Response r = Base(200, "OK", AssetContentType(name));
  r.body = std::string(asset->body);
  return r;
}

std::string SessionJson(const Session& s) {
  JsonWriter w;
  w.BeginObject()
      .Field("secretId", s.secret_id)
      .Field("appId", static_cast<int64_t>(s.account))
      .Field("csrfToken", s.csrf_token)
      .EndObject();
  return w.Take() + "\n";
}

}  // namespace

Console::Console(api::Api* api, const auth::KeyStore* keys, env::Clock* clock,
                 ConsoleOptions options)
    : api_(api),
      keys_(keys),
      clock_(clock),
      options_(options),
      sessions_(clock, options.sessions),
      login_limit_(clock, options.login_limit) {}

bool Console::Serves(std::string_view path) {
  return path == "/" || path == "/console" || path.starts_with("/console/");
}

const Session* Console::LiveSession(const http::Request& request) {
  const std::string* cookie = request.Header("cookie");
  if (cookie == nullptr) return nullptr;
  std::string_view id = CookieValue(*cookie, kCookie);
  return id.empty() ? nullptr : sessions_.Use(id);
}

void Console::Login(const http::Request& request, const http::Responder& respond) {
  auto arrived = std::chrono::steady_clock::now();
  // Every login from the console's origin has an access line: who tried, and how it
  // ended (code 0, or the refusal's CMQ code: 4100 wrong pair, 4420 too many failures).
  auto log = [&](const Status& outcome) {
    if (options_.routing == nullptr) return;
    options_.routing->Answered(request.peer, {"ConsoleLogin", "", "", outcome.cmq_code(), ""},
                               arrived);
  };
  if (!FromSameOrigin(request, options_.https)) {
    return respond(Error(403, "Forbidden", "cross-origin request refused"));
  }
  // Counted by address, not by connection: a new port is the same client.
  std::optional<IpEndpoint> endpoint = IpEndpoint::Parse(request.peer);
  std::string address = endpoint ? endpoint->address.ToString() : request.peer;
  if (int64_t wait_ms = login_limit_.RetryAfterMs(address); wait_ms > 0) {
    log(Status(ErrorCode::kQpsThrottling));
    int64_t seconds = (wait_ms + 999) / 1000;
    JsonWriter w;
    w.BeginObject()
        .Field("error", "too many failed logins from this address: try again in " +
                            std::to_string(seconds) + " s")
        .Field("retryAfterSeconds", seconds)
        .EndObject();
    http::Response r = JsonAnswer(429, "Too Many Requests", w);
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
    return respond(std::move(r));
  }
  Result<ParamList> form = DecodeForm(request.body);
  std::string secret_id, secret_key;
  if (form.ok()) {
    for (const auto& [name, value] : *form) {
      if (name == "secretId") secret_id = value;
      if (name == "secretKey") secret_key = value;
    }
  }
  const auth::Credential* credential = keys_->Find(secret_id);
  Status refused;
  if (credential == nullptr) {
    refused = Status(ErrorCode::kSecretIdUnknown);
  } else if (!ConstantTimeEquals(credential->secret_key, secret_key)) {
    refused = Status(ErrorCode::kAuthFailed, "console login: wrong SecretKey");
  } else if (!credential->enabled) {
    refused = Status(ErrorCode::kSecretIdDisabled);
  }
  if (!refused.ok()) {
    failure_log_.NoteAuthFailure(request.peer, secret_id, "ConsoleLogin", refused);
    log(refused);
    login_limit_.NoteFailure(address);
    // One answer for every refusal: it does not say whether the SecretId exists.
    return respond(Error(401, "Unauthorized", "wrong SecretId or SecretKey"));
  }
  log(Status::Ok());
  const Session& session = sessions_.Open(credential->account, credential->secret_id);
  http::Response r = Base(200, "OK", kJson);
  r.body = SessionJson(session);
  r.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" + session.id +
                                           "; Path=/console; HttpOnly; SameSite=Strict" +
                                           (options_.https ? "; Secure" : ""));
  respond(std::move(r));
}

void Console::Handle(const http::Request& request, http::Responder respond,
                     const std::function<void(std::function<void()>)>& set_on_cancel) {
  const std::string& path = request.path;
  bool get = request.method == "GET";
  if (path == "/" || path == "/console") return respond(Redirect("/console/"));
  if (get && path == "/console/login") return respond(ServeAsset("login.html"));
  if (get && path.starts_with(kStatic)) {
    std::string_view name = std::string_view(path).substr(kStatic.size());
    // Only the scripts and the style sheet: a page is served at its own path, after
    // the session check.
    if (name.ends_with(".html")) return respond(Error(404, "Not Found", "no such console file"));
    return respond(ServeAsset(name));
  }
  if (request.method == "POST" && path == "/console/login") return Login(request, respond);

  for (const auto& [page, asset] : kPages) {
    if (path != page) continue;
    if (!get) return respond(Error(405, "Method Not Allowed", "use GET"));
    if (LiveSession(request) == nullptr) return respond(Redirect("/console/login"));
    return respond(ServeAsset(asset));
  }
  bool is_session = path == "/console/session";
  bool is_logout = path == "/console/logout";
  bool is_api = path == "/console/api";
  if (!is_session && !is_logout && !is_api) return respond(Error(404, "Not Found", "not found"));
  if ((is_session && !get) || (!is_session && request.method != "POST")) {
    return respond(Error(405, "Method Not Allowed", is_session ? "use GET" : "use POST"));
  }
  const Session* session = LiveSession(request);
  if (session == nullptr) return respond(Error(401, "Unauthorized", "login required"));
  if (is_session) {
    http::Response r = Base(200, "OK", kJson);
    r.body = SessionJson(*session);
    return respond(std::move(r));
  }
  // Every POST changes state, or may: the token and the origin guard each.
  const std::string* token = request.Header(kCsrfHeader);
  if (token == nullptr || !ConstantTimeEquals(*token, session->csrf_token) ||
      !FromSameOrigin(request, options_.https)) {
    return respond(Error(403, "Forbidden", "missing or wrong CSRF token, or cross-origin request"));
  }
  if (is_logout) {
    sessions_.Close(session->id);
    JsonWriter w;
    w.BeginObject().Field("loggedOut", true).EndObject();
    http::Response r = JsonAnswer(200, "OK", w);
    r.headers.emplace_back("Set-Cookie",
                           std::string(kCookie) +
                               "=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict" +
                               (options_.https ? "; Secure" : ""));
    return respond(std::move(r));
  }
  Call(*session, request, std::move(respond), set_on_cancel);
}

void Console::Call(const Session& session, const http::Request& request, http::Responder respond,
                   const std::function<void(std::function<void()>)>& set_on_cancel) {
  auto arrived = std::chrono::steady_clock::now();
  auto call = std::make_shared<api::ApiRequest>(
      api::ApiRequest{"POST", request.host, request.path, "", request.body, request.peer});
  const auth::Credential* credential = keys_->Find(session.secret_id);
  Result<ParamList> form = DecodeForm(request.body);
  // A form that does not decode runs here: the api answers it as the owner would.
  if (options_.routing != nullptr && credential != nullptr && form.ok()) {
    uint64_t account = session.account;
    std::function<void()> cancel = options_.routing->Forward(
        [&](const std::string& host) {
          return SignedCall(*credential, *form, host, request.peer, clock_->NowMs() / 1000);
        },
        arrived,
        [this, account, call, respond, set_on_cancel, arrived](Result<std::string> body) {
          if (body.ok()) return respond(JsonOk(std::move(body).value()));
          // The other node could not be reached: the api here answers, as the API port
          // does then (a retryable "not serving", or the call, if this node took over
          // meanwhile). The forward is over; a browser leaving from now on cancels that.
          set_on_cancel(nullptr);
          CallHere(account, *call, respond, set_on_cancel, arrived);
        });
    if (cancel) return set_on_cancel(std::move(cancel));
  }
  CallHere(session.account, *call, std::move(respond), set_on_cancel, arrived);
}

void Console::CallHere(uint64_t account, const api::ApiRequest& call, http::Responder respond,
                       const std::function<void(std::function<void()>)>& set_on_cancel,
                       std::chrono::steady_clock::time_point arrived) {
  // The api's answer as it stands: the same handlers, checks and errors as the API port.
  auto answered = [routing = options_.routing, respond, client = call.client, arrived](
                      std::string json, const api::AnswerSummary& summary) {
    if (routing != nullptr) routing->Answered(client, summary, arrived);
    respond(JsonOk(std::move(json)));
  };
  std::function<void()> cancel = api_->HandleAuthenticated(account, call, std::move(answered));
  if (cancel) set_on_cancel(std::move(cancel));
}

}  // namespace cmq::console
