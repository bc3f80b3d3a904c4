#include "bench/bench_setup.h"

#include <algorithm>
#include <cstdio>

namespace cmq::bench {

client::ClientResult<client::Caller> MakeCaller(const BenchOptions& options) {
  client::CallerOptions o;
  o.endpoint = options.endpoint;
  o.secret_id = options.secret_id;
  o.secret_key = options.secret_key;
  o.signature_method = options.signature_method;
  o.http_method = options.http_method;
  o.connect_timeout_ms = options.timeout_ms;
  o.read_timeout_ms = options.timeout_ms;
  o.request_client = "cmq-bench/0.1";
  return client::Caller::Create(std::move(o));
}

bool PrepareQueue(client::Caller* caller, const BenchOptions& options) {
  if (!options.create_queue) {
    client::ClientResult<JsonValue> r =
        caller->Call("GetQueueAttributes", {{"queueName", options.queue}});
    if (!r.ok()) {
      std::fprintf(stderr, "cmq-bench: queue %s: %s%s\n", options.queue.c_str(),
                   r.error().ToString().c_str(),
                   r.error().code == 4440 ? " (use --create-queue)" : "");
      return false;
    }
    return true;
  }
  ParamList params = {{"queueName", options.queue}};
  auto add = [&params](const char* name, int64_t v) {
    if (v >= 0) params.emplace_back(name, std::to_string(v));
  };
  add("maxMsgHeapNum", options.max_msg_heap_num);
  add("visibilityTimeout", options.visibility_timeout);
  add("maxMsgSize", MaxMsgSizeToRequest(options));
  add("msgRetentionSeconds", options.msg_retention_seconds);
  client::ClientResult<JsonValue> r = caller->Call("CreateQueue", std::move(params));
  if (r.ok()) {
    std::fprintf(stderr, "cmq-bench: created queue %s\n", options.queue.c_str());
    return true;
  }
  if (r.error().code == 4460) {
    std::fprintf(stderr, "cmq-bench: queue %s exists, using it as it is\n",
                 options.queue.c_str());
    return true;
  }
  std::fprintf(stderr, "cmq-bench: CreateQueue %s: %s\n", options.queue.c_str(),
               r.error().ToString().c_str());
  return false;
}

int64_t MaxMsgSizeToRequest(const BenchOptions& options) {
  if (options.max_msg_size >= 0 || options.size <= 65536) return options.max_msg_size;
  return std::max<int64_t>(1024, static_cast<int64_t>(options.size));
}

void CleanupQueue(client::Caller* caller, const BenchOptions& options) {
  if (!options.delete_queue) return;
  client::ClientResult<JsonValue> r = caller->Call("DeleteQueue", {{"queueName", options.queue}});
  if (!r.ok()) {
    std::fprintf(stderr, "cmq-bench: warning: DeleteQueue %s: %s\n", options.queue.c_str(),
                 r.error().ToString().c_str());
  } else {
    std::fprintf(stderr, "cmq-bench: deleted queue %s\n", options.queue.c_str());
  }
}

std::string ErrorKey(const client::Error& error) {
  switch (error.kind) {
    case client::ErrorKind::kServer: return std::to_string(error.code);
    case client::ErrorKind::kHttpStatus: return "http-" + std::to_string(error.code);
    case client::ErrorKind::kTimeout: return "timeout";
    case client::ErrorKind::kNetwork: return "network";
    case client::ErrorKind::kProtocol: return "protocol";
    case client::ErrorKind::kBadResponse: return "bad-response";
    case client::ErrorKind::kInvalidArgument: return "invalid-argument";
  }
  return "other";
}

}  // namespace cmq::bench
