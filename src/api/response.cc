#include "api/response.h"

#include <utility>

namespace cmq::api {

std::string RenderResponse(const Envelope& envelope, const Status& status,
                           const FieldWriter& fields) {
  if (!status.ok() && envelope.failure_log) envelope.failure_log->Note(status);
  if (envelope.metrics) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - envelope.arrived;
    envelope.metrics->Record(envelope.action_slot, status.cmq_code(), took.count());
  }
  JsonWriter w;
  w.BeginObject();
  w.Field("code", status.cmq_code());
  w.Field("message", status.WireMessage());
  w.Field("requestId", envelope.request_id);
  if (status.ok()) w.Field("codeDesc", "Success");
  if (envelope.client_request_id) w.Key("clientRequestId").Uint(*envelope.client_request_id);
  if (fields) fields(w);
  w.EndObject();
  return w.Take();
}

void Answer(const Envelope& envelope, const Status& status, const FieldWriter& fields,
            const Api::Done& done) {
  AnswerSummary summary{envelope.action, envelope.queue, envelope.topic, status.cmq_code(),
                        envelope.request_id};
  done(RenderResponse(envelope, status, fields), summary);
}

void WriteMessageIds(JsonWriter& w, const std::vector<std::string>& ids, bool batch) {
  if (!batch) {
    w.Field("msgId", ids.empty() ? std::string() : ids.front());
    return;
  }
  w.Key("msgList").BeginArray();
  for (const std::string& id : ids) w.BeginObject().Field("msgId", id).EndObject();
  w.EndArray();
}

Reply::Reply(Envelope envelope, Done done)
    : target_(std::make_shared<const Target>(Target{std::move(envelope), std::move(done)})) {}

void Reply::Error(const Status& status) const { Send(status); }

void Reply::Send(const Status& status, const FieldWriter& fields) const {
  Answer(target_->envelope, status, fields, target_->done);
}

broker::Done<> Reply::OnStatus() const {
  return [reply = *this](const Status& status) { reply.Send(status); };
}

Reply Reply::UnlessCancelled(std::shared_ptr<const bool> cancelled) const {
  return Reply(std::make_shared<const Target>(
      Target{target_->envelope,
             [done = target_->done, cancelled](std::string json, const AnswerSummary& summary) {
               if (!*cancelled) done(std::move(json), summary);
             }}));
}

}  // namespace cmq::api
