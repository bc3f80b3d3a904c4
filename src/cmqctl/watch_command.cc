// cmqctl watch queue|topic NAME: live counters, redrawn in place on a terminal.
#include <chrono>
#include <cmath>
#include <ctime>
#include <ostream>

#include "cmq/account.h"
#include "cmq/queue.h"
#include "cmq/subscription.h"
#include "cmq/topic.h"
#include "command.h"
#include "interrupt.h"
#include "render.h"
#include "watch_view.h"

namespace cmqctl {
namespace {

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

QueueSample SampleQueue(const cmq::Queue& queue) {
  cmq::QueueMeta m = queue.getQueueAttributes();
  QueueSample s;
  s.unix_time = static_cast<int64_t>(std::time(nullptr));
  s.seconds = MonotonicSeconds();
  s.active = m.activeMsgNum;
  s.inactive = m.inactiveMsgNum;
  s.delayed = m.delayMsgNum;
  s.rewindable = m.rewindMsgNum;
  s.min_msg_time = m.minMsgTime;
  s.sent = m.msgSentTotal;
  s.received = m.msgReceivedTotal;
  s.deleted = m.msgDeletedTotal;
  return s;
}

TopicSample SampleTopic(cmq::Account& account, const std::string& name) {
  cmq::Topic topic = account.getTopic(name);
  TopicSample s;
  s.pending = topic.getTopicAttributes().msgCount;
  std::vector<cmq::ResourceSummary> subs = ListAll(
      [&](int offset, int limit) { return topic.listSubscription("", offset, limit); }, 100);
  for (const cmq::ResourceSummary& sub : subs) {
    SubscriptionSample ss{sub.name, sub.protocol, sub.endpoint, 0};
    ss.pending = account.getSubscription(name, sub.name).getSubscriptionAttributes().msgCount;
    s.subscriptions.push_back(std::move(ss));
  }
  s.unix_time = static_cast<int64_t>(std::time(nullptr));
  s.seconds = MonotonicSeconds();
  return s;
}

// Draws `lines` over the previous screen of `*drawn` lines: cursor up, overwrite each
// line, erase what the old screen had below.
void Redraw(std::ostream& out, const std::vector<std::string>& lines, size_t* drawn) {
  if (*drawn > 0) out << "\x1b[" << *drawn << "F";
  for (const std::string& line : lines) out << line << "\x1b[K\n";
  for (size_t i = lines.size(); i < *drawn; ++i) out << "\x1b[K\n";
  if (*drawn > lines.size()) out << "\x1b[" << (*drawn - lines.size()) << "F";
  out << std::flush;
  *drawn = lines.size();
}

// The loop shared by both watches. `sample` takes one sample and prints it.
int WatchLoop(Context& ctx, const std::function<void(size_t index)>& sample) {
  double interval = 1;
  if (auto v = ctx.args().Value("interval")) {
    char* end = nullptr;
    interval = std::strtod(v->c_str(), &end);
    if (end == v->c_str() || *end != '\0' || !std::isfinite(interval) || interval < 0.1 ||
        interval > 3600) {
      ThrowUsage("--interval: '" + *v + "' is not a number of seconds in [0.1, 3600]");
    }
  }
  uint64_t count = static_cast<uint64_t>(ctx.IntFlag("count", 1, INT64_MAX).value_or(0));
  InstallInterruptHandlers();
  uint64_t samples = 0;
  double next = MonotonicSeconds();
  while (!Interrupted()) {
    {
      ExitOnInterrupt exit_now("samples", &samples);
      sample(samples);
    }
    ++samples;
    if (!ctx.out()) return kExitOk;  // stdout closed
    if (count > 0 && samples >= count) return kExitOk;
    // Keep a steady cadence: the time a sample took counts against the interval.
    next += interval;
    double now = MonotonicSeconds();
    if (next < now) next = now;
    if (!SleepUnlessInterrupted(next - now)) break;
  }
  return kExitInterrupted;
}

double IntervalOf(const Context& ctx) {
  return std::strtod(ctx.args().ValueOr("interval", "1").c_str(), nullptr);
}

int WatchQueue(Context& ctx) {
  const std::string name = ctx.arg(0);
  cmq::Queue queue = ctx.account().getQueue(name);
  bool screen = ctx.io().out_is_tty && !ctx.json();
  std::optional<QueueSample> prev;
  size_t drawn = 0;
  return WatchLoop(ctx, [&](size_t) {
    QueueSample cur = SampleQueue(queue);
    const QueueSample* p = prev ? &*prev : nullptr;
    if (ctx.json()) {
      ctx.PrintJsonLine(QueueSampleJson(name, p, cur));
    } else if (screen) {
      Redraw(ctx.out(), QueueScreen(name, IntervalOf(ctx), p, cur), &drawn);
    } else {
      ctx.out() << QueueLine(name, p, cur) << '\n' << std::flush;
    }
    prev = cur;
  });
}

int WatchTopic(Context& ctx) {
  const std::string name = ctx.arg(0);
  cmq::Account& account = ctx.account();
  bool screen = ctx.io().out_is_tty && !ctx.json();
  std::optional<TopicSample> prev;
  size_t drawn = 0;
  return WatchLoop(ctx, [&](size_t) {
    TopicSample cur = SampleTopic(account, name);
    const TopicSample* p = prev ? &*prev : nullptr;
    if (ctx.json()) {
      ctx.PrintJsonLine(TopicSampleJson(name, p, cur));
    } else if (screen) {
      Redraw(ctx.out(), TopicScreen(name, IntervalOf(ctx), p, cur), &drawn);
    } else {
      ctx.out() << TopicLine(name, p, cur) << '\n' << std::flush;
    }
    prev = std::move(cur);
  });
}

std::vector<FlagSpec> WatchFlags() {
  return {{"interval", 'i', FlagKind::kValue, "SECONDS", "time between samples (default 1)"},
          {"count", 'c', FlagKind::kValue, "N", "stop after N samples"}};
}

}  // namespace

ResourceDef WatchResource() {
  ResourceDef r;
  r.name = "watch";
  r.summary = "live counters of a queue or topic, refreshed in place";

  CommandDef queue;
  queue.verb = "queue";
  queue.args_usage = "QUEUE [--interval SECONDS] [--count N]";
  queue.summary = "watch a queue's counts and messages sent, received and deleted per second";
  queue.details =
      "On a terminal the view is redrawn in place; otherwise one line is printed per\n"
      "sample (one JSON object per line with --json). Ctrl-C stops (exit code 130).";
  queue.flags = WatchFlags();
  queue.examples = {"cmqctl watch queue orders", "cmqctl watch queue orders --interval 5",
                    "cmqctl watch queue orders --json --count 60 > orders.jsonl"};
  queue.min_args = queue.max_args = 1;
  queue.run = WatchQueue;
  r.commands.push_back(std::move(queue));

  CommandDef topic;
  topic.verb = "topic";
  topic.args_usage = "TOPIC [--interval SECONDS] [--count N]";
  topic.summary = "watch a topic's pending messages and each subscription's backlog";
  topic.details = queue.details;
  topic.flags = WatchFlags();
  topic.examples = {"cmqctl watch topic events", "cmqctl watch topic events --count 10 --json"};
  topic.min_args = topic.max_args = 1;
  topic.run = WatchTopic;
  r.commands.push_back(std::move(topic));
  return r;
}

}  // namespace cmqctl
