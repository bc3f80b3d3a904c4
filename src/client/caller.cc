#include "client/caller.h"

#include <algorithm>
#include <ctime>

#include "common/strings.h"

namespace cmq::client {
namespace {

std::string Snippet(std::string_view body) {
  constexpr size_t kMax = 200;
  std::string out(body.substr(0, kMax));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (body.size() > kMax) out += "...";
  return out;
}

// "(10100)queue is not existed" -> 10100; 0 if the message has no such prefix.
int ModuleCode(std::string_view message) {
  if (message.size() < 3 || message.front() != '(') return 0;
  size_t close = message.find(')');
  if (close == std::string_view::npos) return 0;
  std::optional<int64_t> v = ParseInt64(message.substr(1, close - 1));
  if (!v || *v < 0 || *v > 1000000000) return 0;
  return static_cast<int>(*v);
}

}  // namespace

Caller::Caller(CallerOptions options, Endpoint endpoint)
    : options_(std::move(options)), endpoint_(std::move(endpoint)), rng_(RandomUint64()) {
  HttpConnectionOptions http_options;
  http_options.connect_timeout_ms = options_.connect_timeout_ms;
  http_options.limits = options_.limits;
  http_options.tls = options_.tls;
  http_options.tls_server_name = options_.tls_server_name;
  connection_ = std::make_unique<HttpConnection>(endpoint_.host, endpoint_.port,
                                                 endpoint_.authority, http_options);
}

ClientResult<Caller> Caller::Create(CallerOptions options) {
  ClientResult<Endpoint> endpoint = ParseEndpoint(options.endpoint);
  if (!endpoint.ok()) return endpoint.take_error();
  if (options.http_method != "POST" && options.http_method != "GET") {
    return MakeError(ErrorKind::kInvalidArgument,
                     "http method must be POST or GET, not \"" + options.http_method + "\"");
  }
  if (options.connect_timeout_ms <= 0 || options.read_timeout_ms <= 0) {
    return MakeError(ErrorKind::kInvalidArgument, "timeouts must be positive");
  }
  if (endpoint->tls && !options.tls) {
    TlsClientOptions tls_options;
    tls_options.ca_file = options.ca_file;
    Result<std::unique_ptr<TlsClientContext>> tls = TlsClientContext::Create(tls_options);
    if (!tls.ok()) return MakeError(ErrorKind::kInvalidArgument, tls.status().detail());
    options.tls = std::move(tls).value();
  }
  return Caller(std::move(options), std::move(endpoint).value());
}

uint64_t Caller::NextNonce() { return NonceFrom(rng_()); }

PreparedRequest Caller::Prepare(std::string_view action, ParamList params, int64_t timestamp,
                                uint64_t nonce) const {
  AddParamIfAbsent(&params, "Action", std::string(action));
  AddParamIfAbsent(&params, "RequestClient", options_.request_client);
  PreparedRequest out;
  out.string_to_sign =
      SignParams(options_.http_method, endpoint_.authority, endpoint_.path,
                 {options_.secret_id, options_.secret_key, options_.signature_method},
                 {timestamp, nonce}, &params);
  out.http.method = options_.http_method;
  out.http.headers.emplace_back("User-Agent", options_.request_client);
  if (options_.http_method == "GET") {
    out.http.target = endpoint_.path + "?" + EncodeForm(params);
  } else {
    out.http.target = endpoint_.path;
    out.http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    out.http.body = EncodeForm(params);
  }
  out.params = std::move(params);
  return out;
}

ClientResult<JsonValue> Caller::ParseResponse(const HttpResponse& response) {
  if (response.status != 200) {
    Error e = MakeError(ErrorKind::kHttpStatus,
                        response.reason + (response.body.empty() ? "" : ": ") +
                            Snippet(response.body));
    e.code = response.status;
    e.request_sent = true;
    return e;
  }
  Result<JsonValue> parsed = ParseJson(response.body);
  auto bad = [&](std::string why) {
    Error e = MakeError(ErrorKind::kBadResponse, why + ": " + Snippet(response.body));
    e.request_sent = true;
    return e;
  };
  if (!parsed.ok()) return bad("response is not JSON (" + parsed.status().detail() + ")");
  JsonValue& json = parsed.value();
  if (!json.is_object()) return bad("response is not a JSON object");
  const JsonValue* code = json.Find("code");
  std::optional<int64_t> code_value = code && code->is_number() ? code->as_int() : std::nullopt;
  if (!code_value || *code_value < INT32_MIN || *code_value > INT32_MAX) {
    return bad("response has no integer \"code\"");
  }
  if (*code_value == 0) return std::move(json);

  Error e;
  e.kind = ErrorKind::kServer;
  e.request_sent = true;
  e.code = static_cast<int>(*code_value);
  if (const JsonValue* m = json.Find("message"); m && m->is_string()) e.message = m->as_string();
  if (const JsonValue* r = json.Find("requestId")) {
    if (r->is_string()) e.request_id = r->as_string();
    if (r->is_number()) e.request_id = r->number_text();
  }
  e.module_code = ModuleCode(e.message);
  e.response = std::move(json);
  return e;
}

ClientResult<JsonValue> Caller::Call(std::string_view action, ParamList params,
                                     int64_t extra_read_timeout_ms) {
  PreparedRequest request =
      Prepare(action, std::move(params), static_cast<int64_t>(std::time(nullptr)), NextNonce());
  ClientResult<HttpResponse> response = connection_->RoundTrip(
      request.http, options_.read_timeout_ms + std::max<int64_t>(0, extra_read_timeout_ms));
  if (!response.ok()) return response.take_error();
  return ParseResponse(response.value());
}

}  // namespace cmq::client
