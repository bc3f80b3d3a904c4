#include "sdk/message_trace.h"

#include <utility>

#include "sdk/response_reader.h"
#include "sdk/validate.h"

namespace cmq::sdk {

ParamList TraceParams(const char* name_key, const std::string& name, const std::string& msg_id) {
  if (msg_id.empty()) ThrowInvalidArgument("traceMessage: empty msgId");
  return {{name_key, name}, {"msgId", msg_id}};
}

MessageTrace ReadMessageTrace(const JsonValue& response) {
  ResponseReader r("TraceMessage", response);
  MessageTrace t;
  t.msgId = r.String("msgId");
  t.complete = r.Bool("complete");
  for (const JsonValue& item : r.Array("events")) {
    ResponseReader e = r.Element(item);
    MessageTraceEvent event;
    event.time = e.Int("time");
    event.event = e.String("event");
    for (const auto& [key, value] : item.members()) {
      if (key == "time" || key == "event") continue;
      if (value.is_string()) {
        event.fields.push_back({key, value.as_string(), false});
      } else if (value.is_number()) {
        event.fields.push_back({key, value.number_text(), true});
      } else {
        e.Fail(key, "is neither a string nor a number");
      }
    }
    t.events.push_back(std::move(event));
  }
  return t;
}

}  // namespace cmq::sdk
