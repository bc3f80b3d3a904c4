// What happened to one message (a cmqd extension, TraceMessage: docs/cmq-api.md 13.1),
// as Queue::traceMessage and Topic::traceMessage return it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cmq {

// One field of an event: "clientAddress" = "10.0.0.7:51234", "dequeueCount" = "2"
// (a number, as decimal text). Fields ending in "Time" are Unix milliseconds.
struct MessageTraceField {
  std::string name;
  std::string value;
  bool number = false;
};

struct MessageTraceEvent {
  int64_t time = 0;   // Unix milliseconds
  std::string event;  // "sent", "received", "deleted", "deadLettered", "pushed", ...
  std::vector<MessageTraceField> fields;  // in the server's order

  // The field's value, or "" when the event has none of that name.
  std::string field(const std::string& name) const {
    for (const MessageTraceField& f : fields) {
      if (f.name == name) return f.value;
    }
    return "";
  }
};

struct MessageTrace {
  std::string msgId;
  // False when the journal no longer holds the record that created the message (or
  // records were reclaimed while the trace read): the events are then only the part
  // of its life still known.
  bool complete = false;
  std::vector<MessageTraceEvent> events;  // oldest first
};

}  // namespace cmq
