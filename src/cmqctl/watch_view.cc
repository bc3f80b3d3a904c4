#include "watch_view.h"

#include <cstdio>
#include <optional>

#include "render.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

std::string Rate(int64_t delta, double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", seconds > 0 ? static_cast<double>(delta) / seconds : 0.0);
  return buf;
}

// Splits a rendered table into lines without their '\n'.
void AppendLines(const std::string& text, std::vector<std::string>* lines) {
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines->push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
}

std::string Header(const char* kind, const std::string& name, double interval, int64_t now) {
  char every[32];
  std::snprintf(every, sizeof(every), "%g", interval);
  return std::string("Every ") + every + "s: " + kind + " " + name + "    " + FormatUnixTime(now) +
         "    (Ctrl-C to stop)";
}

// The traffic totals, whose rates are the point.
struct Traffic {
  const char* label;
  int64_t QueueSample::*field;
};
constexpr Traffic kTraffic[] = {{"sent", &QueueSample::sent},
                                {"received", &QueueSample::received},
                                {"deleted", &QueueSample::deleted}};

// Seconds between the samples (QueueSample or TopicSample); 0 for the first.
template <typename Sample>
double Interval(const Sample* prev, const Sample& cur) {
  return prev != nullptr ? cur.seconds - prev->seconds : 0;
}

// How much a traffic total grew between the samples (0 for the first); nullopt when it
// went down: the server restarted and its totals began again, so there is no rate.
std::optional<int64_t> TrafficDelta(const QueueSample* prev, const QueueSample& cur,
                                    int64_t QueueSample::*f) {
  int64_t d = prev != nullptr ? cur.*f - prev->*f : 0;
  if (d < 0) return std::nullopt;
  return d;
}

}  // namespace

std::string SignedDelta(int64_t delta) {
  return delta > 0 ? std::string("+").append(std::to_string(delta)) : std::to_string(delta);
}

std::vector<std::string> QueueScreen(const std::string& name, double interval,
                                     const QueueSample* prev, const QueueSample& cur) {
  double dt = Interval(prev, cur);
  auto delta = [&](int64_t QueueSample::*field) {
    return prev != nullptr ? cur.*field - prev->*field : 0;
  };
  Table t({"COUNTER", "VALUE", "CHANGE", "PER SEC"});
  t.SetRightAligned(2, true);
  t.SetRightAligned(3, true);
  struct Row {
    const char* label;
    int64_t QueueSample::*field;
  };
  static constexpr Row kRows[] = {{"active", &QueueSample::active},
                                  {"inactive", &QueueSample::inactive},
                                  {"delayed", &QueueSample::delayed},
                                  {"rewindable", &QueueSample::rewindable}};
  for (const Row& row : kRows) {
    int64_t d = delta(row.field);
    t.AddRow({row.label, std::to_string(cur.*row.field), SignedDelta(d), Rate(d, dt)});
  }
  int64_t held = cur.active + cur.inactive + cur.delayed;
  int64_t held_delta = prev != nullptr ? held - (prev->active + prev->inactive + prev->delayed) : 0;
  t.AddRow({"held", std::to_string(held), SignedDelta(held_delta), Rate(held_delta, dt)});
  for (const Traffic& row : kTraffic) {
    std::optional<int64_t> d = TrafficDelta(prev, cur, row.field);
    t.AddRow({row.label, std::to_string(cur.*row.field), d ? SignedDelta(*d) : "reset",
              d ? Rate(*d, dt) : "-"});
  }

  std::vector<std::string> lines = {Header("queue", name, interval, cur.unix_time), ""};
  AppendLines(t.Render(), &lines);
  std::string oldest = "oldest message: " + FormatUnixTime(cur.min_msg_time);
  if (cur.min_msg_time > 0 && cur.unix_time >= cur.min_msg_time) {
    oldest +=
        " (" + FormatDuration(static_cast<double>(cur.unix_time - cur.min_msg_time)) + " ago)";
  }
  lines.push_back("");
  lines.push_back(oldest);
  return lines;
}

namespace {

// " sent/s=3.0 received/s=1.5 deleted/s=1.5" ("-" after a server restart).
std::string RatesText(const QueueSample* prev, const QueueSample& cur) {
  std::string out;
  for (const Traffic& row : kTraffic) {
    std::optional<int64_t> d = TrafficDelta(prev, cur, row.field);
    out += std::string(" ") + row.label + "/s=" + (d ? Rate(*d, Interval(prev, cur)) : "-");
  }
  return out;
}

}  // namespace

std::string QueueLine(const std::string& name, const QueueSample* prev, const QueueSample& cur) {
  auto field = [&](const char* label, int64_t QueueSample::*f) {
    int64_t d = prev != nullptr ? cur.*f - prev->*f : 0;
    return std::string(label) + "=" + std::to_string(cur.*f) + " (" + SignedDelta(d) + ")";
  };
  return FormatUnixTime(cur.unix_time) + " " + name + " " + field("active", &QueueSample::active) +
         " " + field("inactive", &QueueSample::inactive) + " " +
         field("delayed", &QueueSample::delayed) + " " +
         field("rewindable", &QueueSample::rewindable) + RatesText(prev, cur);
}

Json QueueSampleJson(const std::string& name, const QueueSample* prev, const QueueSample& cur) {
  auto d = [&](int64_t QueueSample::*f) { return prev != nullptr ? cur.*f - prev->*f : 0; };
  Json delta = Json::Object();
  delta.Set("activeMsgNum", d(&QueueSample::active))
      .Set("inactiveMsgNum", d(&QueueSample::inactive))
      .Set("delayMsgNum", d(&QueueSample::delayed))
      .Set("rewindMsgNum", d(&QueueSample::rewindable));
  Json j = Json::Object();
  j.Set("time", cur.unix_time)
      .Set("queueName", name)
      .Set("activeMsgNum", cur.active)
      .Set("inactiveMsgNum", cur.inactive)
      .Set("delayMsgNum", cur.delayed)
      .Set("rewindMsgNum", cur.rewindable)
      .Set("minMsgTime", cur.min_msg_time)
      .Set("intervalSeconds", Interval(prev, cur))
      .Set("delta", std::move(delta));
  // Per second (0 for the first sample); null when a total went down (the server
  // restarted).
  double dt = Interval(prev, cur);
  Json rates = Json::Object();
  for (const Traffic& row : kTraffic) {
    std::optional<int64_t> d = TrafficDelta(prev, cur, row.field);
    rates.Set(row.label, !d ? Json() : Json(dt > 0 ? static_cast<double>(*d) / dt : 0.0));
  }
  j.Set("msgSentTotal", cur.sent)
      .Set("msgReceivedTotal", cur.received)
      .Set("msgDeletedTotal", cur.deleted)
      .Set("ratesPerSecond", std::move(rates));
  return j;
}

namespace {

// The previous pending count of a subscription, matched by name; 0 when it is new.
int64_t PrevPending(const TopicSample* prev, const std::string& name) {
  if (prev == nullptr) return -1;
  for (const SubscriptionSample& s : prev->subscriptions) {
    if (s.name == name) return s.pending;
  }
  return -1;
}

int64_t SubDelta(const TopicSample* prev, const SubscriptionSample& s) {
  int64_t p = PrevPending(prev, s.name);
  return p < 0 ? 0 : s.pending - p;
}

}  // namespace

std::vector<std::string> TopicScreen(const std::string& name, double interval,
                                     const TopicSample* prev, const TopicSample& cur) {
  double dt = Interval(prev, cur);
  int64_t d = prev != nullptr ? cur.pending - prev->pending : 0;
  std::vector<std::string> lines = {Header("topic", name, interval, cur.unix_time), ""};
  lines.push_back("pending messages: " + std::to_string(cur.pending) + " (" + SignedDelta(d) +
                  ", " + Rate(d, dt) + "/s)");
  lines.push_back("");
  if (cur.subscriptions.empty()) {
    lines.push_back("no subscriptions");
    return lines;
  }
  Table t({"SUBSCRIPTION", "PROTOCOL", "ENDPOINT", "PENDING", "CHANGE", "PER SEC"});
  t.SetRightAligned(4, true);
  t.SetRightAligned(5, true);
  for (const SubscriptionSample& s : cur.subscriptions) {
    int64_t sd = SubDelta(prev, s);
    t.AddRow({s.name, s.protocol, Truncate(s.endpoint, 40), std::to_string(s.pending),
              SignedDelta(sd), Rate(sd, dt)});
  }
  AppendLines(t.Render(), &lines);
  return lines;
}

std::string TopicLine(const std::string& name, const TopicSample* prev, const TopicSample& cur) {
  int64_t d = prev != nullptr ? cur.pending - prev->pending : 0;
  std::string line = FormatUnixTime(cur.unix_time) + " " + name +
                     " msgCount=" + std::to_string(cur.pending) + " (" + SignedDelta(d) + ")";
  for (const SubscriptionSample& s : cur.subscriptions) {
    line += " " + s.name + "=" + std::to_string(s.pending) + " (" + SignedDelta(SubDelta(prev, s)) +
            ")";
  }
  return line;
}

Json TopicSampleJson(const std::string& name, const TopicSample* prev, const TopicSample& cur) {
  Json subs = Json::Array();
  for (const SubscriptionSample& s : cur.subscriptions) {
    Json j = Json::Object();
    j.Set("subscriptionName", s.name)
        .Set("protocol", s.protocol)
        .Set("endpoint", s.endpoint)
        .Set("msgCount", s.pending);
    Json sub_delta = Json::Object();
    sub_delta.Set("msgCount", SubDelta(prev, s));
    j.Set("delta", std::move(sub_delta));
    subs.Push(std::move(j));
  }
  Json delta = Json::Object();
  delta.Set("msgCount", prev != nullptr ? cur.pending - prev->pending : 0);
  Json j = Json::Object();
  j.Set("time", cur.unix_time)
      .Set("topicName", name)
      .Set("msgCount", cur.pending)
      .Set("intervalSeconds", Interval(prev, cur))
      .Set("delta", std::move(delta))
      .Set("subscriptions", std::move(subs));
  return j;
}

}  // namespace cmqctl
