#include <cstdio>
#include <utility>

#include "cmq/exceptions.h"
#include "sdk/client_impl.h"

namespace cmq {
namespace {

constexpr char kRequestClient[] = "SDK_CPP_libcmq_0.1";

[[noreturn]] void ThrowInvalid(std::string message) {
  throw CMQClientException(CMQClientException::Kind::kInvalidArgument, std::move(message));
}

CMQClientException::Kind ClientKind(client::ErrorKind kind) {
  switch (kind) {
    case client::ErrorKind::kInvalidArgument: return CMQClientException::Kind::kInvalidArgument;
    case client::ErrorKind::kNetwork: return CMQClientException::Kind::kNetwork;
    case client::ErrorKind::kTimeout: return CMQClientException::Kind::kTimeout;
    case client::ErrorKind::kProtocol: return CMQClientException::Kind::kProtocol;
    case client::ErrorKind::kHttpStatus: return CMQClientException::Kind::kHttpStatus;
    case client::ErrorKind::kBadResponse:
    case client::ErrorKind::kServer: break;
  }
  return CMQClientException::Kind::kBadResponse;
}

const char* SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug: return "DEBUG";
    case LogSeverity::kInfo: return "INFO";
    case LogSeverity::kWarn: return "WARN";
    case LogSeverity::kError: return "ERROR";
  }
  return "?";
}

}  // namespace

void ThrowError(const client::Error& error) {
  if (error.kind == client::ErrorKind::kServer) {
    if (error.code == CMQNoMessageException::kCode) {
      throw CMQNoMessageException(error.message, error.request_id);
    }
    throw CMQServerException(error.code, error.message, error.request_id);
  }
  throw CMQClientException(ClientKind(error.kind), error.message,
                           error.kind == client::ErrorKind::kHttpStatus ? error.code : 0,
                           error.outcome_unknown());
}

CMQClient::Impl::Impl(const std::string& endpoint, const std::string& secret_id,
                      const std::string& secret_key, CMQClientOptions options)
    : options_(std::move(options)) {
  if (secret_id.empty()) ThrowInvalid("secretId is empty");
  if (secret_key.empty()) ThrowInvalid("secretKey is empty");
  if (options_.connectTimeoutMs < 1) ThrowInvalid("connectTimeoutMs must be at least 1");
  if (options_.readTimeoutMs < 1) ThrowInvalid("readTimeoutMs must be at least 1");
  if (options_.connectionPoolSize < 1) ThrowInvalid("connectionPoolSize must be at least 1");
  caller_options_.endpoint = endpoint;
  caller_options_.secret_id = secret_id;
  caller_options_.secret_key = secret_key;
  caller_options_.signature_method = options_.signMethod == SignMethod::kHmacSHA1
                                         ? SignatureMethod::kHmacSHA1
                                         : SignatureMethod::kHmacSHA256;
  caller_options_.http_method = options_.httpMethod == HttpMethod::kGet ? "GET" : "POST";
  caller_options_.connect_timeout_ms = options_.connectTimeoutMs;
  caller_options_.read_timeout_ms = options_.readTimeoutMs;
  caller_options_.request_client = kRequestClient;
  caller_options_.ca_file = options_.caFile;
  caller_options_.tls_server_name = options_.tlsServerName;
  // Validates the endpoint (and loads the CA file) now rather than on the first call.
  client::ClientResult<client::Caller> probe = client::Caller::Create(caller_options_);
  if (!probe.ok()) ThrowInvalid(probe.error().message);
  // One TLS context, CA store loaded once, for every connection of the pool.
  caller_options_.tls = probe->options().tls;
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(Pooled{std::make_unique<client::Caller>(std::move(probe).value()), 0});
}

CMQClient::Impl::Pooled CMQClient::Impl::Borrow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      // Most recently returned first: its connection is the least likely to be stale.
      Pooled pooled = std::move(idle_.back());
      idle_.pop_back();
      return pooled;
    }
  }
  client::ClientResult<client::Caller> caller = client::Caller::Create(caller_options_);
  if (!caller.ok()) ThrowError(caller.error());  // cannot happen: validated at construction
  return Pooled{std::make_unique<client::Caller>(std::move(caller).value()), 0};
}

void CMQClient::Impl::GiveBack(Pooled pooled) {
  uint64_t connects = pooled.caller->connection().connects();
  connections_opened_ += connects - pooled.connects_counted;
  pooled.connects_counted = connects;
  if (!options_.keepAlive) pooled.caller->connection().Close();
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.connectionPoolSize) {
    idle_.push_back(std::move(pooled));
  }
  // Otherwise `pooled` closes its connection when destroyed; parameters outlive the
  // function's locals, so that happens after the lock is released.
}

client::ClientResult<JsonValue> CMQClient::Impl::TryCall(std::string_view action,
                                                         ParamList params,
                                                         int64_t extra_read_timeout_ms) {
  Pooled pooled = Borrow();
  client::ClientResult<JsonValue> result =
      pooled.caller->Call(action, std::move(params), extra_read_timeout_ms);
  GiveBack(std::move(pooled));
  if (options_.logEnabled) {
    if (result.ok()) {
      Log(LogSeverity::kDebug, std::string(action) + " ok");
    } else if (result.error().is_no_message()) {
      Log(LogSeverity::kDebug, std::string(action) + ": no message");
    } else {
      Log(LogSeverity::kWarn, std::string(action) + " failed: " + result.error().ToString());
    }
  }
  return result;
}

JsonValue CMQClient::Impl::Call(std::string_view action, ParamList params,
                                int64_t extra_read_timeout_ms) {
  client::ClientResult<JsonValue> result =
      TryCall(action, std::move(params), extra_read_timeout_ms);
  if (!result.ok()) ThrowError(result.error());
  return std::move(result).value();
}

void CMQClient::Impl::Log(LogSeverity severity, const std::string& line) const {
  if (!options_.logEnabled || severity < options_.logLevel) return;
  if (options_.logCallback) {
    options_.logCallback(severity, line);
  } else {
    std::fprintf(stderr, "[cmq %s] %s\n", SeverityName(severity), line.c_str());
  }
}

int CMQClient::Impl::idle_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  int open = 0;
  for (const Pooled& p : idle_) open += p.caller->connection().is_open() ? 1 : 0;
  return open;
}

CMQClient::CMQClient(const std::string& endpoint, const std::string& secretId,
                     const std::string& secretKey, CMQClientOptions options)
    : impl_(std::make_unique<Impl>(endpoint, secretId, secretKey, std::move(options))) {}

CMQClient::~CMQClient() = default;

const std::string& CMQClient::endpoint() const { return impl_->endpoint(); }
const CMQClientOptions& CMQClient::options() const { return impl_->options(); }
uint64_t CMQClient::connectionsOpened() const { return impl_->connections_opened(); }
int CMQClient::idleConnections() const { return impl_->idle_connections(); }

}  // namespace cmq
