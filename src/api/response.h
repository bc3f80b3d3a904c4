// The response envelope (docs/cmq-api.md 3): every answer is one flat JSON object
//   {"code":N,"message":"...","requestId":"...",["codeDesc":"Success",]
//    ["clientRequestId":N,] <action fields>}
// and Reply, the handle through which a handler answers exactly once (now, or from the
// broker's completion callback once the change is durable).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/api.h"
#include "api/failure_log.h"
#include "api/request_metrics.h"
#include "broker/types.h"
#include "common/json.h"
#include "common/status.h"

namespace cmq::api {

// What every response of one request repeats, and what its access log line says.
struct Envelope {
  std::string request_id;
  std::optional<uint64_t> client_request_id;  // echoed only when the request had a valid one
  // Takes the detail of a server-side failure the client is not shown (none: not logged).
  std::shared_ptr<FailureLog> failure_log;
  // For AnswerSummary (api.h).
  std::string action;
  std::string queue;
  std::string topic;
  // Counts the answer under the request's action (none: not counted).
  std::shared_ptr<RequestMetrics> metrics = nullptr;
  size_t action_slot = RequestMetrics::kUnknownAction;
  std::chrono::steady_clock::time_point arrived = {};
};

// Writes the action-specific fields into the open top-level object.
using FieldWriter = std::function<void(JsonWriter&)>;

// The complete JSON text for `status` (OK or an error) followed by `fields` (may be
// empty). Invalid UTF-8 in echoed request text (an unknown action name, a receipt
// handle) is replaced by JsonWriter, so the result is always valid JSON. A server-side
// failure's detail is not in the text (errors.def): it goes to the envelope's
// failure_log. The answer is counted in the envelope's metrics.
std::string RenderResponse(const Envelope& envelope, const Status& status,
                           const FieldWriter& fields = nullptr);
// Answers with RenderResponse's text and the summary of the same answer.
void Answer(const Envelope& envelope, const Status& status, const FieldWriter& fields,
            const Api::Done& done);

// The fields of a (Batch)SendMessage / (Batch)PublishMessage answer: "msgId" of the
// one message, or for a batch "msgList":[{"msgId":...}] in input order.
void WriteMessageIds(JsonWriter& w, const std::vector<std::string>& ids, bool batch);

// Copyable handle that answers one request. Thread: the event loop. The caller of
// every method guarantees that one request is answered exactly once.
class Reply {
 public:
  using Done = Api::Done;
  Reply(Envelope envelope, Done done);

  void Error(const Status& status) const;
  // Answers with `status` (OK or an error such as a BatchDelete partial failure)
  // plus `fields`, now.
  void Send(const Status& status, const FieldWriter& fields = nullptr) const;
  // Completions for a broker call (which runs them once the change is durable) that
  // answer this request: with the Status the call completes with (OK or its error);
  // or with the error, or OK plus what `write(w, value)` writes.
  broker::Done<> OnStatus() const;
  template <typename T, typename Write>
  broker::Done<T> OnResult(Write write) const {
    return [reply = *this, write = std::move(write)](Result<T> result) {
      if (!result.ok()) return reply.Error(result.status());
      reply.Send(Status::Ok(), [&](JsonWriter& w) { write(w, *result); });
    };
  }
  // A Reply for the same request that drops its answer once `*cancelled` is true (the
  // client of a parked receive went away).
  Reply UnlessCancelled(std::shared_ptr<const bool> cancelled) const;

 private:
  struct Target {
    Envelope envelope;
    Done done;
  };
  explicit Reply(std::shared_ptr<const Target> target) : target_(std::move(target)) {}
  std::shared_ptr<const Target> target_;
};

}  // namespace cmq::api
