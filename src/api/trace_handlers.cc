// TraceMessage, a cmqd extension for operators (docs/cmq-api.md 13.1; the design in
// docs/architecture.md, "Message trace"): the life of one message as the records still
// held tell it. The broker prepares the reading on the loop; the reading itself runs
// off the loop (ApiOptions::run_off_loop), and the answer is written back on it.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "api/action.h"

namespace cmq::api {
namespace {

void WriteTrace(JsonWriter& w, const broker::MessageTrace& t) {
  w.Field("msgId", t.msg_id).Field("complete", t.complete);
  w.Key("events").BeginArray();
  for (const broker::TraceEvent& e : t.events) {
    w.BeginObject().Field("time", e.time_ms).Field("event", e.event);
    for (const broker::TraceField& f : e.fields) {
      if (f.is_number) {
        w.Field(f.name, f.number);
      } else {
        w.Field(f.name, f.text);
      }
    }
    w.EndObject();
  }
  w.EndArray();
}

void TraceMessage(Call& call) {
  Result<std::optional<std::string_view>> topic_given = call.params.OptionalString("topicName");
  if (!topic_given.ok()) return call.reply.Error(topic_given.status());
  broker::TraceSubject subject;
  subject.topic = topic_given->has_value();
  Result<std::string_view> name = subject.topic ? call.params.TopicName() : call.params.QueueName();
  if (!name.ok()) return call.reply.Error(name.status());
  subject.name = std::string(*name);
  Result<std::string_view> msg_id = call.params.RequiredString("msgId");
  if (!msg_id.ok()) return call.reply.Error(msg_id.status());
  if (!call.options->run_off_loop) {
    return call.reply.Error(Status(ErrorCode::kInternal, "TraceMessage has no thread to run on"));
  }
  call.broker->PrepareTrace(
      call.account, subject, *msg_id,
      [reply = call.reply, run = call.options->run_off_loop](
          Result<std::shared_ptr<broker::TraceJob>> job) {
        if (!job.ok()) return reply.Error(job.status());
        // Overwritten by the job; kept only if it never ran.
        auto result = std::make_shared<Result<broker::MessageTrace>>(
            Status(ErrorCode::kInternal, "the trace did not run"));
        bool started = run([job = *job, result] { *result = job->Run(); },
                           [reply, result] {
                             if (!result->ok()) return reply.Error(result->status());
                             reply.Send(Status::Ok(), [&](JsonWriter& w) { WriteTrace(w, **result); });
                           });
        if (!started) reply.Error(Status(ErrorCode::kTraceBusy));
      });
}

constexpr ActionEntry kTraceActions[] = {
    {"TraceMessage", &TraceMessage},
};

}  // namespace

std::span<const ActionEntry> TraceActions() { return kTraceActions; }

}  // namespace cmq::api
