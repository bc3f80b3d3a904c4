#include "delivery/push_request.h"

#include "common/json.h"

namespace cmq::delivery {
namespace {

// Message ids and tags come from clients; a CR or LF in them must not split headers.
void AppendHeaderValue(std::string* out, std::string_view value) {
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    out->push_back((u < 0x20 && c != '\t') || u == 0x7f ? ' ' : c);
  }
}

}  // namespace

std::string FormatPushBody(const broker::PushTask& task) {
  if (task.format == broker::ContentFormat::kSimplified) return task.body;
  JsonWriter json;
  json.BeginObject()
      .Key("TopicOwner")
      .Uint(task.topic_owner)
      .Field("topicName", task.topic_name)
      .Field("subscriptionName", task.subscription_name)
      .Field("msgId", task.msg_id)
      .Field("msgBody", task.body)
      .Key("publishTime")
      .Int(task.publish_time)
      .EndObject();
  return json.Take();
}

std::string FormatPushRequest(const broker::PushTask& task, const EndpointUrl& url,
                              std::string_view request_id) {
  std::string body = FormatPushBody(task);
  std::string out;
  out.reserve(body.size() + 320 + url.target.size());
  out.append("POST ").append(url.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(url.host_header).append("\r\n");
  out.append("Content-Type: text/plain\r\n");
  out.append("User-Agent: Qcloud Notification Service Agent\r\n");
  out.append("x-cmq-request-id: ").append(request_id).append("\r\n");
  out.append("x-cmq-message-id: ");
  AppendHeaderValue(&out, task.msg_id);
  out.append("\r\n");
  if (!task.tags.empty()) {
    out.append("x-cmq-message-tag: ");
    for (size_t i = 0; i < task.tags.size(); ++i) {
      if (i > 0) out.append(", ");
      AppendHeaderValue(&out, task.tags[i]);
    }
    out.append("\r\n");
  }
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  out.append(body);
  return out;
}

}  // namespace cmq::delivery
