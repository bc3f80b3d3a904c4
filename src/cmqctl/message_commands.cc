// cmqctl msg send|receive|peek|delete (consume and drain are in consume_commands.cc).
#include <climits>
#include <ostream>

#include "bulk_send.h"
#include "cmq/account.h"
#include "cmq/exceptions.h"
#include "cmq/queue.h"
#include "command.h"
#include "message_ops.h"
#include "render.h"
#include "table.h"

namespace cmqctl {
namespace {

int Send(Context& ctx) {
  const std::string& name = ctx.arg(0);
  int delay = ctx.IntFlag32("delay", 0, INT_MAX).value_or(0);
  std::optional<LineSource> source = LineSourceFromFlags(ctx);
  bool has_body = ctx.args().positionals().size() > 1;
  if (source && has_body) ThrowUsage("give a BODY or --file/--stdin, not both");
  if (!source && !has_body) ThrowUsage("nothing to send: give a BODY, --file PATH or --stdin");
  cmq::Queue queue = ctx.account().getQueue(name);
  if (source) {
    return RunBulkSend(
        ctx, *source, "queueName", name, "sent",
        [&](const std::vector<std::string>& bodies) { queue.batchSendMessage(bodies, delay); });
  }
  std::string id = queue.sendMessage(ctx.arg(1), delay);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("queueName", name).Set("msgId", id);
    ctx.PrintJson(j);
  } else {
    ctx.out() << id << '\n';
  }
  return kExitOk;
}

int Receive(Context& ctx) {
  const std::string& name = ctx.arg(0);
  int n = ctx.IntFlag32("number", 1, 16).value_or(1);
  std::optional<int> wait = ctx.IntFlag32("wait", 0, 30);
  bool del = ctx.args().Switch("delete");
  cmq::Queue queue = ctx.account().getQueue(name);
  std::vector<cmq::Message> messages;
  try {
    if (n == 1) {
      messages.push_back(queue.receiveMessage(wait));
    } else {
      messages = queue.batchReceiveMessage(n, wait);
    }
  } catch (const cmq::CMQNoMessageException&) {
    if (ctx.json()) {
      ctx.PrintJson(Json::Array());
    } else {
      ctx.err() << "no message in queue " << name << '\n';
    }
    return kExitNoMessage;
  }
  // Print first, then delete: a message whose output failed is not lost.
  if (ctx.json()) {
    Json list = Json::Array();
    for (const cmq::Message& m : messages) list.Push(MessageJson(m));
    ctx.PrintJson(list);
  } else {
    for (size_t i = 0; i < messages.size(); ++i) {
      if (i > 0) ctx.out() << '\n';
      ctx.out() << MessageText(messages[i]);
    }
    ctx.out().flush();
  }
  if (del) {
    std::vector<std::string> handles;
    for (const cmq::Message& m : messages) handles.push_back(m.receiptHandle);
    DeleteHandles(queue, handles);
    if (!ctx.json()) {
      ctx.err() << "deleted " << handles.size() << " message" << (handles.size() == 1 ? "" : "s")
                << '\n';
    }
  }
  return kExitOk;
}

int Peek(Context& ctx) {
  const std::string& name = ctx.arg(0);
  int n = ctx.IntFlag32("number", 1, 32).value_or(16);
  std::string state = ctx.args().Value("state").value_or("");
  std::vector<cmq::PeekedMessage> messages = ctx.account().getQueue(name).peekMessage(n, state);
  // Like msg receive: none is exit code 4, with [] for scripts.
  if (ctx.json()) {
    Json list = Json::Array();
    for (const cmq::PeekedMessage& m : messages) list.Push(MessageJson(m));
    ctx.PrintJson(list);
    return messages.empty() ? kExitNoMessage : kExitOk;
  }
  if (messages.empty()) {
    ctx.err() << "no message in queue " << name << (state.empty() ? "" : " in state " + state)
              << '\n';
    return kExitNoMessage;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) ctx.out() << '\n';
    ctx.out() << MessageText(messages[i]);
  }
  return kExitOk;
}

int Delete(Context& ctx) {
  const std::string& name = ctx.arg(0);
  std::vector<std::string> handles(ctx.args().positionals().begin() + 1,
                                   ctx.args().positionals().end());
  cmq::Queue queue = ctx.account().getQueue(name);
  std::vector<cmq::CMQBatchDeleteException::Failure> failures =
      DeleteHandles(queue, handles, false);
  size_t deleted = handles.size() - failures.size();
  if (ctx.json()) {
    Json failed = Json::Array();
    for (const auto& f : failures) {
      Json e = Json::Object();
      e.Set("receiptHandle", f.receiptHandle).Set("code", f.code).Set("message", f.message);
      failed.Push(std::move(e));
    }
    Json j = Json::Object();
    j.Set("queueName", name).Set("deleted", static_cast<int64_t>(deleted)).Set("failed", failed);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "deleted " << deleted << " of " << handles.size() << " message"
              << (handles.size() == 1 ? "" : "s") << '\n';
    if (!failures.empty()) {
      Table t({"RECEIPT HANDLE", "CODE", "MESSAGE"});
      for (const auto& f : failures) t.AddRow({f.receiptHandle, std::to_string(f.code), f.message});
      ctx.err() << t.Render();
    }
  }
  return failures.empty() ? kExitOk : kExitError;
}

}  // namespace

ResourceDef MessageResource() {
  ResourceDef r;
  r.name = "msg";
  r.aliases = {"message", "messages"};
  r.summary = "send, receive, peek, delete, consume, drain and trace messages";

  CommandDef send;
  send.verb = "send";
  send.args_usage = "QUEUE [BODY] [--file PATH | --stdin] [--delay SECONDS]";
  send.summary = "send a message, or one message per line of a file or stdin";
  send.details =
      "With --file or --stdin every non-empty line is one message, sent in batches of 16\n"
      "(at most 1 MiB each). A progress bar with the rate shows on a terminal; a summary\n"
      "is printed at the end. Ctrl-C stops after the batch in flight.";
  send.flags = {{"delay", 0, FlagKind::kValue, "SECONDS", "make the messages receivable later"},
                {"file", 'f', FlagKind::kValue, "PATH", "send each line of PATH (- for stdin)"},
                {"stdin", 0, FlagKind::kSwitch, "", "send each line of stdin"}};
  send.examples = {
      "cmqctl msg send orders 'hello world'", "cmqctl msg send orders '{\"id\":42}' --delay 5",
      "cmqctl msg send orders --file orders.txt", "seq 1 10000 | cmqctl msg send orders --stdin"};
  send.min_args = 1;
  send.max_args = 2;
  send.run = Send;
  r.commands.push_back(std::move(send));

  CommandDef receive;
  receive.verb = "receive";
  receive.args_usage = "QUEUE [-n N] [--wait SECONDS] [--delete]";
  receive.summary = "receive up to N messages (exit code 4 when there is none)";
  receive.details =
      "Received messages stay invisible for the queue's visibilityTimeout; delete them\n"
      "with 'cmqctl msg delete QUEUE HANDLE' or pass --delete. Without --wait the queue's\n"
      "pollingWaitSeconds applies.";
  receive.flags = {
      {"number", 'n', FlagKind::kValue, "N", "messages to receive at most (1-16, default 1)"},
      {"wait", 'w', FlagKind::kValue, "SECONDS", "long-poll up to SECONDS (0-30)"},
      {"delete", 'd', FlagKind::kSwitch, "", "delete the messages after printing them"}};
  receive.examples = {"cmqctl msg receive orders", "cmqctl msg receive orders -n 16 --wait 10",
                      "cmqctl msg receive orders --delete --json | jq -r '.[].msgBody'"};
  receive.min_args = receive.max_args = 1;
  receive.run = Receive;
  r.commands.push_back(std::move(receive));

  CommandDef peek;
  peek.verb = "peek";
  peek.args_usage = "QUEUE [-n N] [--state STATE]";
  peek.summary = "show messages, oldest first, without receiving them (exit code 4 if none)";
  peek.details =
      "Nothing changes: no receive is counted, no receipt handle is made, the messages\n"
      "stay where they are. STATE is active, delayed or inactive (received, not yet\n"
      "visible again); without it every undeleted message shows. A cmqd extension.";
  peek.flags = {
      {"number", 'n', FlagKind::kValue, "N", "messages to show at most (1-32, default 16)"},
      {"state", 0, FlagKind::kValue, "STATE", "only messages in STATE"}};
  peek.examples = {"cmqctl msg peek orders", "cmqctl msg peek orders --state inactive -n 32",
                   "cmqctl msg peek orders-dlq --json | jq -r '.[].msgBody'"};
  peek.min_args = peek.max_args = 1;
  peek.run = Peek;
  r.commands.push_back(std::move(peek));

  CommandDef del;
  del.verb = "delete";
  del.args_usage = "QUEUE HANDLE...";
  del.summary = "delete received messages by receipt handle";
  del.details = "Exit code 1 if any handle was invalid or expired; the others are deleted.";
  del.examples = {"cmqctl msg delete orders 3a5f...", "cmqctl msg delete orders H1 H2 H3"};
  del.min_args = 2;
  del.max_args = SIZE_MAX;
  del.run = Delete;
  r.commands.push_back(std::move(del));

  AddConsumeCommands(&r);
  AddTraceCommand(&r);
  return r;
}

}  // namespace cmqctl
