// CMQClient::Impl: the pool of signed keep-alive Callers behind every SDK call, the
// mapping of client::Error to the SDK's exceptions, and the SDK's logging.
//
// Thread-safe: the pool is guarded by `mu_`, which is held only to take or return a
// Caller (never during I/O); a borrowed Caller is used by one thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/caller.h"
#include "client/client_error.h"
#include "cmq/cmq_client.h"
#include "common/form.h"
#include "common/json.h"

namespace cmq {

class CMQClient::Impl {
 public:
  // Throws CMQClientException(kInvalidArgument) for bad settings.
  Impl(const std::string& endpoint, const std::string& secret_id,
       const std::string& secret_key, CMQClientOptions options);

  // Sends one action on a pooled connection. `extra_read_timeout_ms` lengthens the
  // response deadline (a long poll passes its wait). Returns the success envelope or
  // the error, without throwing.
  client::ClientResult<JsonValue> TryCall(std::string_view action, ParamList params,
                                          int64_t extra_read_timeout_ms = 0);
  // TryCall, throwing the matching exception on error.
  JsonValue Call(std::string_view action, ParamList params, int64_t extra_read_timeout_ms = 0);

  void Log(LogSeverity severity, const std::string& line) const;

  const std::string& endpoint() const { return caller_options_.endpoint; }
  const CMQClientOptions& options() const { return options_; }
  uint64_t connections_opened() const { return connections_opened_.load(); }
  int idle_connections() const;

 private:
  struct Pooled {
    std::unique_ptr<client::Caller> caller;
    uint64_t connects_counted = 0;  // caller's connects() already added to the total
  };
  Pooled Borrow();
  void GiveBack(Pooled pooled);

  CMQClientOptions options_;
  client::CallerOptions caller_options_;
  std::atomic<uint64_t> connections_opened_{0};
  mutable std::mutex mu_;
  std::vector<Pooled> idle_;  // guarded by mu_
};

// Throws the SDK exception for `error`: CMQNoMessageException for 7000, another
// CMQServerException for other CMQ codes, CMQClientException for the rest.
[[noreturn]] void ThrowError(const client::Error& error);

}  // namespace cmq
