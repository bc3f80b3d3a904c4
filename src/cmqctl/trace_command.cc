// cmqctl msg trace: what happened to one message (TraceMessage, a cmqd extension), as a
// timeline for people or the server's document with --json.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "cmq/account.h"
#include "cmq/message_trace.h"
#include "cmq/queue.h"
#include "cmq/topic.h"
#include "command.h"
#include "message_ops.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

// ISO-8601 UTC with milliseconds: events of one second apart still read in order.
std::string FormatMs(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  std::string s = FormatUnixTime(unix_ms / 1000);  // "...:SSZ"
  std::string ms = std::to_string(unix_ms % 1000);
  return s.substr(0, s.size() - 1) + "." + std::string(3 - ms.size(), '0') + ms + "Z";
}

Json TraceJson(const cmq::MessageTrace& t) {
  Json events = Json::Array();
  for (const cmq::MessageTraceEvent& e : t.events) {
    Json j = Json::Object();
    j.Set("time", e.time).Set("event", e.event);
    for (const cmq::MessageTraceField& f : e.fields) {
      if (f.number) {
        j.Set(f.name, static_cast<int64_t>(std::stoll(f.value)));
      } else {
        j.Set(f.name, f.value);
      }
    }
    events.Push(std::move(j));
  }
  Json doc = Json::Object();
  doc.Set("msgId", t.msgId).Set("complete", t.complete).Set("events", std::move(events));
  return doc;
}

std::string Details(const cmq::MessageTraceEvent& e) {
  std::string out;
  for (const cmq::MessageTraceField& f : e.fields) {
    if (f.value.empty()) continue;
    std::string value = f.value;
    if (f.number && f.name.size() > 4 && f.name.ends_with("Time")) {
      value = FormatMs(std::stoll(f.value));
    }
    out += (out.empty() ? "" : " ") + f.name + "=" + value;
  }
  return out;
}

int Trace(Context& ctx) {
  const std::string& id = ctx.arg(0);
  std::optional<std::string> queue = ctx.args().Value("queue");
  std::optional<std::string> topic = ctx.args().Value("topic");
  if (queue.has_value() == topic.has_value()) ThrowUsage("give exactly one of --queue and --topic");
  cmq::MessageTrace t = queue ? ctx.account().getQueue(*queue).traceMessage(id)
                              : ctx.account().getTopic(*topic).traceMessage(id);
  if (ctx.json()) {
    ctx.PrintJson(TraceJson(t));
    return kExitOk;
  }
  ctx.out() << "message " << t.msgId << ": "
            << (t.complete ? "its whole life so far"
                           : "incomplete, the journal no longer holds all of its records")
            << '\n';
  if (t.events.empty()) {
    ctx.out() << "nothing known of it in "
              << (queue ? "queue " + *queue : "topic " + *topic) << '\n';
    return kExitOk;
  }
  Table table({"TIME", "EVENT", "DETAILS"});
  for (const cmq::MessageTraceEvent& e : t.events) {
    table.AddRow({FormatMs(e.time), e.event, Details(e)});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

}  // namespace

void AddTraceCommand(ResourceDef* resource) {
  CommandDef trace;
  trace.verb = "trace";
  trace.args_usage = "MSGID (--queue QUEUE | --topic TOPIC)";
  trace.summary = "show what happened to a message: sent, received by whom, deleted, pushed";
  trace.details =
      "Reads what the server's journal still holds of the message: its send or publish,\n"
      "each receive with the client's address, delete, dead-letter move, move task,\n"
      "purge, rewind and expiry; for a topic message each delivery and push attempt.\n"
      "'incomplete' means older records were reclaimed. With --json the server's\n"
      "document is printed as is (times in Unix milliseconds).";
  trace.flags = {{"queue", 0, FlagKind::kValue, "QUEUE", "the message was sent to QUEUE"},
                 {"topic", 0, FlagKind::kValue, "TOPIC", "the message was published to TOPIC"}};
  trace.examples = {"cmqctl msg trace 4242 --queue orders",
                    "cmqctl msg trace 4242 --topic news --json"};
  trace.min_args = trace.max_args = 1;
  trace.run = Trace;
  resource->commands.push_back(std::move(trace));
}

}  // namespace cmqctl
