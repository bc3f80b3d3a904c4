// cmqctl msg consume (continuous) and msg drain (receive and delete until empty).
#include <algorithm>
#include <climits>
#include <ostream>

#include "cmq/account.h"
#include "cmq/exceptions.h"
#include "cmq/queue.h"
#include "command.h"
#include "exec_hook.h"
#include "interrupt.h"
#include "message_ops.h"
#include "progress.h"
#include "render.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

// Receives up to `n` messages; an empty vector when none arrived within the wait.
std::vector<cmq::Message> ReceiveSome(const cmq::Queue& queue, int n, std::optional<int> wait,
                                      const uint64_t* counter) {
  ExitOnInterrupt exit_now("messages", counter);
  try {
    if (n == 1) return {queue.receiveMessage(wait)};
    return queue.batchReceiveMessage(n, wait);
  } catch (const cmq::CMQNoMessageException&) {
    return {};
  }
}

void ReportDeleteFailures(Context& ctx,
                          const std::vector<cmq::CMQBatchDeleteException::Failure>& failures) {
  for (const auto& f : failures) {
    ctx.err() << "cmqctl: could not delete a message (" << f.code << " " << f.message
              << "): it will be received again\n";
  }
}

int Consume(Context& ctx) {
  const std::string& name = ctx.arg(0);
  bool del = ctx.args().Switch("delete");
  bool raw = ctx.args().Switch("raw");
  bool until_empty = ctx.args().Switch("until-empty");
  std::optional<std::string> exec = ctx.args().Value("exec");
  uint64_t max = static_cast<uint64_t>(ctx.IntFlag("max", 1, INT64_MAX).value_or(0));
  int wait = ctx.IntFlag32("wait", 0, 30).value_or(until_empty ? 0 : 10);
  int batch = ctx.IntFlag32("batch", 1, 16).value_or(exec ? 1 : 16);
  if (raw && ctx.json()) ThrowUsage("--raw and --json exclude each other");
  if (exec && exec->empty()) ThrowUsage("--exec needs a command");

  cmq::Queue queue = ctx.account().getQueue(name);
  InstallInterruptHandlers();
  // Data goes to stdout; when that is a file or pipe, the terminal gets a live counter.
  bool show_progress = !ctx.io().out_is_tty && ctx.io().err_is_tty && !exec;
  ProgressBar bar(ctx.err(), show_progress, 0, ctx.io().terminal_width);
  uint64_t count = 0;
  uint64_t deleted = 0;
  uint64_t failed_hooks = 0;
  bool reached = false;  // the server answered at least once: later outages are retried
  int backoff_s = 1;
  bool stopped_by_output = false;

  while (!Interrupted() && (max == 0 || count < max)) {
    int n = static_cast<int>(std::min<uint64_t>(batch, max == 0 ? batch : max - count));
    std::vector<cmq::Message> messages;
    try {
      messages = ReceiveSome(queue, n, wait, &count);
      reached = true;
      backoff_s = 1;
    } catch (const cmq::CMQClientException& e) {
      bool transient = e.kind() == cmq::CMQClientException::Kind::kNetwork ||
                       e.kind() == cmq::CMQClientException::Kind::kTimeout;
      if (!reached || !transient) throw;
      ctx.err() << "cmqctl: " << e.getMessage() << "; retrying in " << backoff_s << "s\n";
      if (!SleepUnlessInterrupted(backoff_s)) break;
      backoff_s = std::min(backoff_s * 2, 30);
      continue;
    }
    if (messages.empty()) {
      if (until_empty) break;
      continue;
    }
    std::vector<std::string> to_delete;
    for (const cmq::Message& m : messages) {
      if (Interrupted()) break;  // the rest become receivable again after visibility
      bool ok = true;
      int exit_code = 0;
      if (exec) {
        ctx.out().flush();
        std::string error;
        exit_code = RunExecHook(*exec, name, m, &error);
        if (exit_code < 0) throw CommandError(kExitError, "--exec: " + error);
        ok = exit_code == 0;
        if (!ok) {
          ++failed_hooks;
          ctx.err() << "cmqctl: message " << m.msgId << ": command exited with " << exit_code
                    << (del ? "; not deleted (receivable again after the visibility timeout)" : "")
                    << '\n';
        }
      }
      if (ctx.json()) {
        Json j = MessageJson(m);
        if (exec) j.Set("exitCode", exit_code);
        if (del) j.Set("deleted", ok);
        ctx.PrintJsonLine(j);
      } else if (raw) {
        ctx.out() << m.msgBody << '\n' << std::flush;
      } else if (!exec) {
        ctx.out() << FormatUnixTime(m.enqueueTime) << "  " << m.msgId << "  #" << m.dequeueCount
                  << "  " << EscapeForDisplay(m.msgBody) << '\n'
                  << std::flush;
      }
      if (!ctx.out()) {  // stdout closed (e.g. `| head`): this message was not delivered
        stopped_by_output = true;
        break;
      }
      if (del && ok) to_delete.push_back(m.receiptHandle);
      ++count;
      bar.Advance(1);
    }
    if (!to_delete.empty()) {
      auto failures = DeleteHandles(queue, to_delete, /*throw_on_failure=*/false);
      deleted += to_delete.size() - failures.size();
      ReportDeleteFailures(ctx, failures);
    }
    if (stopped_by_output) break;
  }
  bool interrupted = Interrupted();
  bar.Finish("consumed", /*quiet=*/true);
  if (!ctx.json() && !stopped_by_output) {
    ctx.err() << "consumed " << count << " message" << (count == 1 ? "" : "s");
    if (del) ctx.err() << ", deleted " << deleted;
    if (failed_hooks > 0) ctx.err() << ", " << failed_hooks << " failed --exec";
    ctx.err() << " in " << FormatDuration(bar.elapsed()) << (interrupted ? " (interrupted)" : "")
              << '\n';
  }
  return interrupted ? kExitInterrupted : kExitOk;
}

int Drain(Context& ctx) {
  const std::string& name = ctx.arg(0);
  uint64_t max = static_cast<uint64_t>(ctx.IntFlag("max", 1, INT64_MAX).value_or(0));
  int wait = ctx.IntFlag32("wait", 0, 30).value_or(0);
  cmq::Queue queue = ctx.account().getQueue(name);
  cmq::QueueMeta meta = queue.getQueueAttributes();
  if (!ctx.Confirm("Delete every receivable message of queue " + name + " (" +
                       std::to_string(meta.activeMsgNum) + " now)?",
                   "drain queue " + name)) {
    throw CommandError(kExitError, "not drained");
  }
  uint64_t total = static_cast<uint64_t>(meta.activeMsgNum);
  if (max > 0) total = std::min(total, max);
  InstallInterruptHandlers();
  ProgressBar bar(ctx.err(), ctx.io().err_is_tty, total, ctx.io().terminal_width);
  uint64_t drained = 0;
  uint64_t failed = 0;
  while (!Interrupted() && (max == 0 || drained < max)) {
    int n = static_cast<int>(std::min<uint64_t>(16, max == 0 ? 16 : max - drained));
    std::vector<cmq::Message> messages = ReceiveSome(queue, n, wait, &drained);
    if (messages.empty()) break;
    std::vector<std::string> handles;
    for (const cmq::Message& m : messages) handles.push_back(m.receiptHandle);
    auto failures = DeleteHandles(queue, handles, /*throw_on_failure=*/false);
    failed += failures.size();
    drained += handles.size() - failures.size();
    bar.Advance(handles.size() - failures.size());
  }
  bool interrupted = Interrupted();
  bar.Finish("drained", /*quiet=*/true);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("queueName", name).Set("drained", drained).Set("seconds", bar.elapsed());
    if (failed > 0) j.Set("deleteFailures", failed);
    if (interrupted) j.Set("interrupted", true);
    ctx.PrintJson(j);
  } else {
    ctx.out() << RenderSummary("drained", drained, bar.elapsed())
              << (interrupted ? " (interrupted)" : "") << '\n';
    if (failed > 0) ctx.err() << "cmqctl: " << failed << " messages could not be deleted\n";
  }
  return interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace

void AddConsumeCommands(ResourceDef* r) {
  CommandDef consume;
  consume.verb = "consume";
  consume.args_usage = "QUEUE [--delete] [--max N] [--exec CMD] [flags]";
  consume.summary = "receive messages continuously until Ctrl-C (or --max/--until-empty)";
  consume.details =
      "Prints one line per message (time, msgId, receive count, body), only the body\n"
      "with --raw, or one JSON object per line with --json. With --exec the command\n"
      "runs once per message through /bin/sh with the body on stdin and CMQ_QUEUE,\n"
      "CMQ_MSG_ID, CMQ_RECEIPT_HANDLE, CMQ_DEQUEUE_COUNT, CMQ_ENQUEUE_TIME set; with\n"
      "--delete a message is deleted only after it was printed or its command exited 0,\n"
      "so nothing is lost: the others are received again after the visibility timeout.\n"
      "Ctrl-C stops after the message in hand. Connection failures after the first\n"
      "successful receive are retried with backoff.";
  consume.flags = {
      {"delete", 'd', FlagKind::kSwitch, "", "delete each message once handled"},
      {"max", 0, FlagKind::kValue, "N", "stop after N messages"},
      {"exec", 'e', FlagKind::kValue, "CMD", "run CMD per message (body on stdin)"},
      {"wait", 'w', FlagKind::kValue, "SECONDS", "long-poll wait per receive (0-30, default 10)"},
      {"batch", 'b', FlagKind::kValue, "N",
       "messages per receive (1-16; default 16, 1 with --exec)"},
      {"until-empty", 0, FlagKind::kSwitch, "",
       "stop when a receive finds nothing (wait default 0)"},
      {"raw", 0, FlagKind::kSwitch, "", "print only message bodies, one per line"},
  };
  consume.examples = {"cmqctl msg consume orders",
                      "cmqctl msg consume orders --delete --max 100 --json",
                      "cmqctl msg consume orders --delete --exec 'jq .id >> ids.txt'",
                      "cmqctl msg consume orders --raw --delete --until-empty > backup.txt"};
  consume.min_args = consume.max_args = 1;
  consume.run = Consume;
  r->commands.push_back(std::move(consume));

  CommandDef drain;
  drain.verb = "drain";
  drain.args_usage = "QUEUE [--max N] [--wait SECONDS] [--yes]";
  drain.summary = "delete every receivable message (progress bar with rate)";
  drain.details =
      "Receives and deletes in batches of 16 until a receive finds nothing. Delayed and\n"
      "in-flight messages are left alone. Asks for confirmation on a terminal.";
  drain.flags = {
      {"max", 0, FlagKind::kValue, "N", "stop after N messages"},
      {"wait", 'w', FlagKind::kValue, "SECONDS", "long-poll wait per receive (default 0)"},
      {"yes", 'y', FlagKind::kSwitch, "", "do not ask for confirmation"}};
  drain.examples = {"cmqctl msg drain orders", "cmqctl msg drain orders --yes --json"};
  drain.min_args = drain.max_args = 1;
  drain.run = Drain;
  r->commands.push_back(std::move(drain));
}

}  // namespace cmqctl
