// Caller: signs CMQ API calls (docs/cmq-api.md section 2), sends them over one
// keep-alive HttpConnection and turns the JSON envelope (section 3) into a value or an
// Error. The base of libcmq; also what cmq-bench and the black-box tests speak.
//
// Not thread-safe: one Caller per thread (each owns its connection). Movable.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "client/client_error.h"
#include "client/endpoint.h"
#include "client/http_connection.h"
#include "common/form.h"
#include "common/json.h"
#include "common/signing.h"

namespace cmq::client {

struct CallerOptions {
  std::string endpoint;  // http[s]://host[:port][/path]
  std::string secret_id;
  std::string secret_key;
  SignatureMethod signature_method = SignatureMethod::kHmacSHA256;
  std::string http_method = "POST";  // "POST" (form body) or "GET" (query string)
  int64_t connect_timeout_ms = 10000;
  // Per call, from sending to the last response byte; Call() adds its extra timeout.
  int64_t read_timeout_ms = 10000;
  std::string request_client = "cmq-cpp/0.1";  // the RequestClient parameter
  HttpResponseLimits limits;
  // https endpoints: the server's certificate is checked against `ca_file` (PEM), or
  // the system CA store when empty, and must name `tls_server_name`, or the
  // endpoint's host when empty. `tls` is the context made from these (Create makes it
  // when null; callers that share one, like the SDK's pool, pass it on).
  std::string ca_file;
  std::string tls_server_name;
  std::shared_ptr<const TlsClientContext> tls;
};

// A signed request, ready to send. Exposed so that tests, tools and the many-socket
// bench driver can inspect or send it themselves.
struct PreparedRequest {
  HttpRequest http;
  ParamList params;            // everything transmitted, Signature last
  std::string string_to_sign;  // empty if the caller supplied its own Signature
};

class Caller {
 public:
  // Validates the options (endpoint syntax, method; for https, the CA file: kInvalidArgument
  // naming it when it cannot be read). Does not connect.
  static ClientResult<Caller> Create(CallerOptions options);

  // Calls `action` with `params`. Adds the common parameters Action, SecretId, Nonce
  // (random), Timestamp (now), SignatureMethod and RequestClient — except any of them
  // already present in `params`, which are sent as given — then Signature, computed
  // over every parameter as section 2.3 says, unless `params` already holds a
  // Signature (sent unchanged: lets tests send bad ones).
  //
  // The response deadline is read_timeout_ms + extra_read_timeout_ms: a long-poll
  // receive passes its wait (in ms) so the read outlasts the server's wait.
  //
  // Returns the response object when its code is 0. Otherwise an Error: kServer with
  // code, module_code, message, requestId and the whole response for a CMQ error code;
  // kNetwork/kTimeout/kProtocol for transport failures; kHttpStatus for a non-200
  // answer; kBadResponse for a 200 that is not a CMQ envelope.
  ClientResult<JsonValue> Call(std::string_view action, ParamList params,
                               int64_t extra_read_timeout_ms = 0);

  // Builds the signed request Call() would send, with the given Timestamp and Nonce.
  PreparedRequest Prepare(std::string_view action, ParamList params, int64_t timestamp,
                          uint64_t nonce) const;
  // Interprets an HTTP response as a CMQ envelope, as Call() does.
  static ClientResult<JsonValue> ParseResponse(const HttpResponse& response);

  const Endpoint& endpoint() const { return endpoint_; }
  const CallerOptions& options() const { return options_; }
  HttpConnection& connection() { return *connection_; }
  // A fresh random Nonce (1 .. 2^31-1, which every server and SDK accepts).
  uint64_t NextNonce();

 private:
  Caller(CallerOptions options, Endpoint endpoint);

  CallerOptions options_;
  Endpoint endpoint_;
  std::unique_ptr<HttpConnection> connection_;
  std::mt19937_64 rng_;
};

}  // namespace cmq::client
