#include "api/response.h"

#include <utility>

namespace cmq::api {

std::string RenderResponse(const Envelope& envelope, const Status& status,
                           const FieldWriter& fields) {
  if (!status.ok() && envelope.failure_log) envelope.failure_log->Note(status);
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

FieldWriter MessageIdFields(std::vector<std::string> ids, bool batch) {
  return [ids = std::move(ids), batch](JsonWriter& w) {
    if (!batch) {
      w.Field("msgId", ids.empty() ? std::string() : ids.front());
      return;
    }
    w.Key("msgList").BeginArray();
    for (const std::string& id : ids) w.BeginObject().Field("msgId", id).EndObject();
    w.EndArray();
  };
}

Reply::Reply(Envelope envelope, Done done)
    : target_(std::make_shared<const Target>(Target{std::move(envelope), std::move(done)})) {}

void Reply::Error(const Status& status) const { Send(status); }

void Reply::Send(const Status& status, const FieldWriter& fields) const {
  target_->done(RenderResponse(target_->envelope, status, fields));
}

std::function<void(const Status&)> Reply::AnswerWhenDurable(std::shared_ptr<const Target> target,
                                                            Status status, FieldWriter fields) {
  return [target = std::move(target), status = std::move(status),
          fields = std::move(fields)](const Status& durable) {
    if (!durable.ok()) {
      target->done(RenderResponse(target->envelope, durable));
    } else {
      target->done(RenderResponse(target->envelope, status, fields));
    }
  };
}

void Reply::SendWhenDurable(broker::Broker* broker, Status status, FieldWriter fields) const {
  broker->WhenDurable(AnswerWhenDurable(target_, std::move(status), std::move(fields)));
}

void Reply::SendWhenDurableUpTo(broker::Broker* broker, uint64_t lsn, Status status,
                                FieldWriter fields) const {
  broker->WhenDurableUpTo(lsn, AnswerWhenDurable(target_, std::move(status), std::move(fields)));
}

Reply Reply::UnlessCancelled(std::shared_ptr<const bool> cancelled) const {
  return Reply(std::make_shared<const Target>(
      Target{target_->envelope, [done = target_->done, cancelled](std::string json) {
               if (!*cancelled) done(std::move(json));
             }}));
}

}  // namespace cmq::api
