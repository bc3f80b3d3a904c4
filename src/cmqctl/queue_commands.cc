// cmqctl queue create|list|show|set|delete|purge|redrive|rewind.
#include <climits>
#include <ctime>
#include <ostream>

#include "cmq/account.h"
#include "cmq/queue.h"
#include "command.h"
#include "interrupt.h"
#include "progress.h"
#include "render.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

// The settable attributes, as flags; shared by create and set.
std::vector<FlagSpec> AttributeFlags() {
  return {
      {"visibility-timeout", 0, FlagKind::kValue, "SECONDS",
       "how long a received message stays invisible (1-43200, default 30)"},
      {"polling-wait", 0, FlagKind::kValue, "SECONDS",
       "default long-poll wait of receives (0-30, default 0)"},
      {"max-msg-size", 0, FlagKind::kValue, "BYTES",
       "largest message body (1024-1048576, default 65536)"},
      {"retention", 0, FlagKind::kValue, "SECONDS",
       "message lifetime (60-1296000, default 345600 = 4 days)"},
      {"rewind-seconds", 0, FlagKind::kValue, "SECONDS",
       "keep deleted messages this long for rewind (0 = off, <= retention)"},
      {"max-msg-heap-num", 0, FlagKind::kValue, "N", "messages held at most"},
      {"dead-letter-queue", 0, FlagKind::kValue, "QUEUE",
       "move messages here after --max-receive-count receives or --max-time-to-live"},
      {"max-receive-count", 0, FlagKind::kValue, "N", "receives before a message is dead (1-1000)"},
      {"max-time-to-live", 0, FlagKind::kValue, "SECONDS",
       "age at which an undeleted message is dead (300-43200)"},
      {"dead-letter-policy", 0, FlagKind::kValue, "JSON", "the raw deadLetterPolicy JSON text"},
  };
}

// Builds the attributes the flags ask for; `any` tells whether there was one.
cmq::QueueMeta MetaFromFlags(Context& ctx, bool* any) {
  cmq::QueueMeta meta;
  meta.visibilityTimeout = ctx.IntFlag32("visibility-timeout", INT_MIN, INT_MAX);
  meta.pollingWaitSeconds = ctx.IntFlag32("polling-wait", INT_MIN, INT_MAX);
  meta.maxMsgSize = ctx.IntFlag32("max-msg-size", INT_MIN, INT_MAX);
  meta.msgRetentionSeconds = ctx.IntFlag32("retention", INT_MIN, INT_MAX);
  meta.rewindSeconds = ctx.IntFlag32("rewind-seconds", INT_MIN, INT_MAX);
  meta.maxMsgHeapNum = ctx.IntFlag32("max-msg-heap-num", INT_MIN, INT_MAX);

  std::optional<std::string> dlq = ctx.args().Value("dead-letter-queue");
  std::optional<int> count = ctx.IntFlag32("max-receive-count", INT_MIN, INT_MAX);
  std::optional<int> ttl = ctx.IntFlag32("max-time-to-live", INT_MIN, INT_MAX);
  std::optional<std::string> raw = ctx.args().Value("dead-letter-policy");
  if (raw && (dlq || count || ttl)) {
    ThrowUsage(
        "--dead-letter-policy replaces --dead-letter-queue/--max-receive-count/"
        "--max-time-to-live: give one or the other");
  }
  if (raw) {
    meta.deadLetterPolicy = *raw;
  } else if (dlq || count || ttl) {
    if (!dlq) ThrowUsage("--max-receive-count/--max-time-to-live need --dead-letter-queue");
    if (count.has_value() == ttl.has_value()) {
      ThrowUsage(
          "--dead-letter-queue needs exactly one of --max-receive-count (dead after N "
          "receives) and --max-time-to-live (dead after SECONDS)");
    }
    Json policy = Json::Object();
    policy.Set("deadLetterQueue", *dlq);
    if (count) {
      policy.Set("policy", 0).Set("maxReceiveCount", *count);
    } else {
      policy.Set("policy", 1).Set("maxTimeToLive", *ttl);
    }
    meta.deadLetterPolicy = policy.Dump();
  }
  *any = meta.visibilityTimeout || meta.pollingWaitSeconds || meta.maxMsgSize ||
         meta.msgRetentionSeconds || meta.rewindSeconds || meta.maxMsgHeapNum ||
         meta.deadLetterPolicy;
  return meta;
}

// The queue's id from the list (GetQueueAttributes does not return it); "" if unseen.
std::string FindQueueId(cmq::Account& account, const std::string& name) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<cmq::ResourceSummary> all =
      ListAll([&](int offset, int limit) { return account.listQueue(name, offset, limit); }, 50);
  for (const cmq::ResourceSummary& item : all) {
    if (lower(item.name) == lower(name)) return item.id;
  }
  return "";
}

Json AttributesJson(const std::string& name, const std::string& id, const cmq::QueueMeta& m) {
  Json j = Json::Object();
  j.Set("queueName", name);
  if (!id.empty()) j.Set("queueId", id);
  j.Set("maxMsgHeapNum", m.maxMsgHeapNum.value_or(0))
      .Set("pollingWaitSeconds", m.pollingWaitSeconds.value_or(0))
      .Set("visibilityTimeout", m.visibilityTimeout.value_or(0))
      .Set("maxMsgSize", m.maxMsgSize.value_or(0))
      .Set("msgRetentionSeconds", m.msgRetentionSeconds.value_or(0))
      .Set("rewindSeconds", m.rewindSeconds.value_or(0));
  if (m.deadLetterPolicy) j.Set("deadLetterPolicy", *m.deadLetterPolicy);
  j.Set("createTime", m.createTime)
      .Set("lastModifyTime", m.lastModifyTime)
      .Set("activeMsgNum", m.activeMsgNum)
      .Set("inactiveMsgNum", m.inactiveMsgNum)
      .Set("delayMsgNum", m.delayMsgNum)
      .Set("rewindMsgNum", m.rewindMsgNum)
      .Set("minMsgTime", m.minMsgTime);
  return j;
}

std::string AttributesText(const std::string& name, const std::string& id,
                           const cmq::QueueMeta& m) {
  int64_t rewind = m.rewindSeconds.value_or(0);
  std::vector<std::pair<std::string, std::string>> kv = {
      {"queueName", name},
      {"queueId", id.empty() ? "-" : id},
      {"createTime", FormatUnixTime(m.createTime)},
      {"lastModifyTime", FormatUnixTime(m.lastModifyTime)},
      {"visibilityTimeout", SecondsForHumans(m.visibilityTimeout.value_or(0))},
      {"pollingWaitSeconds", SecondsForHumans(m.pollingWaitSeconds.value_or(0))},
      {"maxMsgSize", std::to_string(m.maxMsgSize.value_or(0))},
      {"msgRetentionSeconds", SecondsForHumans(m.msgRetentionSeconds.value_or(0))},
      {"rewindSeconds", rewind == 0 ? "0 (rewind off)" : SecondsForHumans(rewind)},
      {"maxMsgHeapNum", std::to_string(m.maxMsgHeapNum.value_or(0))},
      {"deadLetterPolicy", m.deadLetterPolicy.value_or("-")},
  };
  std::string out = RenderKeyValues(kv);
  std::string oldest = FormatUnixTime(m.minMsgTime);
  if (m.minMsgTime > 0) {
    int64_t age = static_cast<int64_t>(std::time(nullptr)) - m.minMsgTime;
    if (age >= 0) oldest += " (" + FormatDuration(static_cast<double>(age)) + " ago)";
  }
  out += "\nCounters:\n";
  out += RenderKeyValues({{"  active", std::to_string(m.activeMsgNum)},
                          {"  inactive", std::to_string(m.inactiveMsgNum)},
                          {"  delayed", std::to_string(m.delayMsgNum)},
                          {"  rewindable", std::to_string(m.rewindMsgNum)},
                          {"  oldest message", oldest}});
  return out;
}

int Create(Context& ctx) {
  const std::string& name = ctx.arg(0);
  bool any = false;
  cmq::QueueMeta meta = MetaFromFlags(ctx, &any);
  std::string id = ctx.account().createQueue(name, meta);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("queueName", name).Set("queueId", id);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "created queue " << name << " (" << id << ")\n";
  }
  return kExitOk;
}

int List(Context& ctx) {
  std::string search = ctx.args().ValueOr("search", "");
  bool long_form = ctx.args().Switch("long");
  cmq::Account& account = ctx.account();
  int64_t total = 0;
  std::vector<cmq::ResourceSummary> queues = ListAll(
      [&](int offset, int limit) { return account.listQueue(search, offset, limit); }, 50, &total);
  std::vector<cmq::QueueMeta> metas;
  if (long_form) {
    for (const cmq::ResourceSummary& q : queues) {
      metas.push_back(account.getQueue(q.name).getQueueAttributes());
    }
  }
  if (ctx.json()) {
    Json list = Json::Array();
    for (size_t i = 0; i < queues.size(); ++i) {
      if (long_form) {
        list.Push(AttributesJson(queues[i].name, queues[i].id, metas[i]));
      } else {
        Json q = Json::Object();
        q.Set("queueName", queues[i].name).Set("queueId", queues[i].id);
        list.Push(std::move(q));
      }
    }
    Json doc = Json::Object();
    doc.Set("totalCount", static_cast<int64_t>(queues.size())).Set("queues", std::move(list));
    ctx.PrintJson(doc);
    return kExitOk;
  }
  if (queues.empty()) {
    ctx.out() << (search.empty() ? "no queues\n" : "no queues matching '" + search + "'\n");
    return kExitOk;
  }
  Table t = long_form ? Table({"NAME", "ID", "ACTIVE", "INACTIVE", "DELAYED", "REWINDABLE",
                               "VISIBILITY", "RETENTION"})
                      : Table({"NAME", "ID"});
  for (size_t i = 0; i < queues.size(); ++i) {
    if (long_form) {
      const cmq::QueueMeta& m = metas[i];
      t.AddRow({queues[i].name, queues[i].id, std::to_string(m.activeMsgNum),
                std::to_string(m.inactiveMsgNum), std::to_string(m.delayMsgNum),
                std::to_string(m.rewindMsgNum), std::to_string(m.visibilityTimeout.value_or(0)),
                std::to_string(m.msgRetentionSeconds.value_or(0))});
    } else {
      t.AddRow({queues[i].name, queues[i].id});
    }
  }
  ctx.out() << t.Render();
  return kExitOk;
}

int Show(Context& ctx) {
  const std::string& name = ctx.arg(0);
  cmq::Account& account = ctx.account();
  cmq::QueueMeta meta = account.getQueue(name).getQueueAttributes();
  std::string id = FindQueueId(account, name);
  if (ctx.json()) {
    ctx.PrintJson(AttributesJson(name, id, meta));
  } else {
    ctx.out() << AttributesText(name, id, meta);
  }
  return kExitOk;
}

int Set(Context& ctx) {
  const std::string& name = ctx.arg(0);
  bool any = false;
  cmq::QueueMeta meta = MetaFromFlags(ctx, &any);
  if (!any) ThrowUsage("nothing to change: give at least one attribute flag");
  cmq::Account& account = ctx.account();
  cmq::Queue queue = account.getQueue(name);
  queue.setQueueAttributes(meta);
  cmq::QueueMeta now = queue.getQueueAttributes();
  std::string id = FindQueueId(account, name);
  if (ctx.json()) {
    ctx.PrintJson(AttributesJson(name, id, now));
  } else {
    ctx.out() << "updated queue " << name << "\n\n" << AttributesText(name, id, now);
  }
  return kExitOk;
}

int Delete(Context& ctx) {
  const std::vector<std::string>& names = ctx.args().positionals();
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  if (!ctx.Confirm("Delete queue" + std::string(names.size() > 1 ? "s " : " ") + list +
                       " and all their messages?",
                   "delete queue " + list)) {
    throw CommandError(kExitError, "not deleted");
  }
  Json deleted = Json::Array();
  for (const std::string& name : names) {
    ctx.account().deleteQueue(name);
    deleted.Push(Json(name));
    if (!ctx.json()) ctx.out() << "deleted queue " << name << "\n";
  }
  if (ctx.json()) {
    Json doc = Json::Object();
    doc.Set("deleted", std::move(deleted));
    ctx.PrintJson(doc);
  }
  return kExitOk;
}

int Purge(Context& ctx) {
  const std::string& name = ctx.arg(0);
  if (!ctx.Confirm("Delete every message of queue " + name + "?", "purge queue " + name)) {
    throw CommandError(kExitError, "not purged");
  }
  int64_t purged = ctx.account().getQueue(name).purgeQueue();
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("queueName", name).Set("purgedMsgNum", purged);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "purged queue " << name << ": " << purged << " messages deleted\n";
  }
  return kExitOk;
}

Json MoveTaskJson(const cmq::MessageMoveTask& t) {
  Json j = Json::Object();
  j.Set("taskHandle", t.taskHandle)
      .Set("sourceQueueName", t.sourceQueueName)
      .Set("destinationQueueName", t.destinationQueueName)
      .Set("status", t.status)
      .Set("failureReason", t.failureReason)
      .Set("movedMsgNum", t.movedMsgNum)
      .Set("toMoveMsgNum", t.toMoveMsgNum)
      .Set("startedTime", t.startedTime);
  return j;
}

// The task `handle` of `queue`, as the server reports it now.
cmq::MessageMoveTask FindMoveTask(const cmq::Queue& queue, const std::string& handle) {
  for (const cmq::MessageMoveTask& t : queue.listMessageMoveTasks()) {
    if (t.taskHandle == handle) return t;
  }
  throw CommandError(kExitError, "move task " + handle + " is no longer listed by the server");
}

int ListMoveTasks(Context& ctx, const cmq::Queue& queue) {
  if (ctx.args().Has("to") || ctx.args().Switch("wait")) {
    ThrowUsage("--list shows the tasks; it starts none, so --to and --wait do not go with it");
  }
  std::vector<cmq::MessageMoveTask> tasks = queue.listMessageMoveTasks();
  if (ctx.json()) {
    Json list = Json::Array();
    for (const cmq::MessageMoveTask& t : tasks) list.Push(MoveTaskJson(t));
    ctx.PrintJson(list);
    return kExitOk;
  }
  Table table({"TASK", "STATUS", "MOVED", "TO MOVE", "TO", "STARTED", "FAILURE"});
  for (const cmq::MessageMoveTask& t : tasks) {
    table.AddRow({t.taskHandle, t.status, std::to_string(t.movedMsgNum),
                  std::to_string(t.toMoveMsgNum), t.destinationQueueName,
                  FormatUnixTime(t.startedTime), t.failureReason});
  }
  ctx.out() << table.Render();
  return kExitOk;
}

// Follows `task` with a progress bar until it ends. False when Ctrl-C stopped the wait
// (the task goes on in cmqd).
bool WaitForMoveTask(Context& ctx, const cmq::Queue& queue, cmq::MessageMoveTask* task) {
  InstallInterruptHandlers();
  ProgressBar bar(ctx.err(), ctx.io().err_is_tty, static_cast<uint64_t>(task->toMoveMsgNum),
                  ctx.io().terminal_width);
  while (task->status == "RUNNING") {
    if (!SleepUnlessInterrupted(0.2)) {
      bar.Finish("moved", /*quiet=*/true);
      ctx.err() << "stopped waiting; " << task->taskHandle << " goes on in cmqd (cmqctl queue "
                << "redrive " << queue.getQueueName() << " --list)\n";
      return false;
    }
    *task = FindMoveTask(queue, task->taskHandle);
    if (static_cast<uint64_t>(task->movedMsgNum) > bar.done()) {
      bar.Advance(static_cast<uint64_t>(task->movedMsgNum) - bar.done());
    }
  }
  bar.Finish("moved", ctx.json());
  return true;
}

int Redrive(Context& ctx) {
  const std::string& name = ctx.arg(0);
  cmq::Queue queue = ctx.account().getQueue(name);
  if (ctx.args().Switch("list")) return ListMoveTasks(ctx, queue);
  cmq::MessageMoveTask task = queue.startMessageMoveTask(ctx.args().ValueOr("to", ""));
  if (ctx.args().Switch("wait") && !WaitForMoveTask(ctx, queue, &task)) return kExitInterrupted;
  if (ctx.json()) {
    ctx.PrintJson(MoveTaskJson(task));
  } else if (task.status == "RUNNING") {
    ctx.out() << "started " << task.taskHandle << ": moving " << task.toMoveMsgNum
              << " messages from " << name << " to " << task.destinationQueueName
              << " (cmqctl queue redrive " << name << " --list shows progress)\n";
  } else {
    ctx.out() << task.taskHandle << " " << task.status << ": moved " << task.movedMsgNum
              << " messages from " << name << " to " << task.destinationQueueName
              << (task.failureReason.empty() ? "" : " (" + task.failureReason + ")") << "\n";
  }
  return task.status == "FAILED" ? kExitError : kExitOk;
}

int Rewind(Context& ctx) {
  const std::string& name = ctx.arg(0);
  std::optional<std::string> to = ctx.args().Value("to");
  std::optional<int64_t> ago = ctx.IntFlag("seconds-ago", 0, 1296000);
  if (to.has_value() == ago.has_value()) {
    ThrowUsage("give exactly one of --to TIME and --seconds-ago N");
  }
  int64_t start;
  if (to) {
    std::optional<int64_t> t = ParseTimestamp(*to);
    if (!t) {
      ThrowUsage("--to: '" + *to +
                 "' is not a time like 2026-11-24T10:00:00Z (or +hh:mm offset, or Unix seconds)");
    }
    start = *t;
  } else {
    start = static_cast<int64_t>(std::time(nullptr)) - *ago;
  }
  ctx.account().getQueue(name).rewindQueue(start);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("queueName", name).Set("startConsumeTime", start);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "rewound queue " << name << " to " << FormatUnixTime(start)
              << ": messages enqueued since then are receivable again\n";
  }
  return kExitOk;
}

}  // namespace

ResourceDef QueueResource() {
  ResourceDef r;
  r.name = "queue";
  r.aliases = {"queues", "q"};
  r.summary = "create, list, show, change, delete, purge, redrive and rewind queues";

  CommandDef create;
  create.verb = "create";
  create.args_usage = "QUEUE [flags]";
  create.summary = "create a queue";
  create.details =
      "Attributes not given get the server's defaults. A dead-letter queue must exist\n"
      "first; messages move there after too many receives (--max-receive-count) or\n"
      "when too old (--max-time-to-live).";
  create.flags = AttributeFlags();
  create.examples = {
      "cmqctl queue create orders",
      "cmqctl queue create orders --visibility-timeout 60 --rewind-seconds 3600",
      "cmqctl queue create orders-dlq && cmqctl queue create orders --dead-letter-queue "
      "orders-dlq --max-receive-count 5"};
  create.min_args = create.max_args = 1;
  create.run = Create;
  r.commands.push_back(std::move(create));

  CommandDef list;
  list.verb = "list";
  list.args_usage = "[flags]";
  list.summary = "list queues (every page)";
  list.flags = {{"search", 0, FlagKind::kValue, "WORD", "only queues whose name contains WORD"},
                {"long", 'l', FlagKind::kSwitch, "", "also show counters and main attributes"}};
  list.examples = {"cmqctl queue list", "cmqctl queue list --search order -l",
                   "cmqctl queue list --json"};
  list.run = List;
  r.commands.push_back(std::move(list));

  CommandDef show;
  show.verb = "show";
  show.args_usage = "QUEUE";
  show.summary = "show a queue's attributes and message counters";
  show.examples = {"cmqctl queue show orders", "cmqctl queue show orders --json"};
  show.min_args = show.max_args = 1;
  show.run = Show;
  r.commands.push_back(std::move(show));

  CommandDef set;
  set.verb = "set";
  set.args_usage = "QUEUE [flags]";
  set.summary = "change queue attributes (only those given)";
  set.flags = AttributeFlags();
  set.examples = {"cmqctl queue set orders --polling-wait 10",
                  "cmqctl queue set orders --rewind-seconds 0",
                  "cmqctl queue set orders --dead-letter-queue orders-dlq --max-time-to-live 3600"};
  set.min_args = set.max_args = 1;
  set.run = Set;
  r.commands.push_back(std::move(set));

  CommandDef del;
  del.verb = "delete";
  del.args_usage = "QUEUE... [--yes]";
  del.summary = "delete queues and all their messages";
  del.details = "Asks for confirmation on a terminal; scripts pass --yes.";
  del.flags = {{"yes", 'y', FlagKind::kSwitch, "", "do not ask for confirmation"}};
  del.examples = {"cmqctl queue delete orders", "cmqctl queue delete a b c --yes"};
  del.min_args = 1;
  del.max_args = SIZE_MAX;
  del.run = Delete;
  r.commands.push_back(std::move(del));

  CommandDef purge;
  purge.verb = "purge";
  purge.args_usage = "QUEUE [--yes]";
  purge.summary = "delete every message of a queue, keeping the queue";
  purge.details =
      "Delayed, active and received (inactive) messages alike; consumers' receipt handles\n"
      "stop working. With rewindSeconds > 0 the messages stay rewindable, as after a\n"
      "delete. Asks for confirmation on a terminal; scripts pass --yes.";
  purge.flags = {{"yes", 'y', FlagKind::kSwitch, "", "do not ask for confirmation"}};
  purge.examples = {"cmqctl queue purge orders", "cmqctl queue purge orders --yes --json"};
  purge.min_args = purge.max_args = 1;
  purge.run = Purge;
  r.commands.push_back(std::move(purge));

  CommandDef redrive;
  redrive.verb = "redrive";
  redrive.args_usage = "DLQ [--to QUEUE] [--wait] | DLQ --list";
  redrive.summary = "move a dead-letter queue's messages back to their queue";
  redrive.details =
      "Starts a message move task in cmqd: the receivable messages DLQ holds now go back\n"
      "to the queue whose dead-letter queue DLQ is (--to names another; needed when\n"
      "several queues share DLQ), as fresh messages with their msgId and body. The\n"
      "server moves them in batches, each journaled, and resumes after a restart.\n"
      "--wait follows it with a progress bar; --list shows the queue's tasks.";
  redrive.flags = {
      {"to", 0, FlagKind::kValue, "QUEUE", "move the messages to QUEUE instead"},
      {"wait", 'w', FlagKind::kSwitch, "", "wait until the task ends, showing progress"},
      {"list", 'l', FlagKind::kSwitch, "", "list the move tasks of DLQ instead"}};
  redrive.examples = {"cmqctl queue redrive orders-dlq --wait",
                      "cmqctl queue redrive orders-dlq --to orders-retry",
                      "cmqctl queue redrive orders-dlq --list --json"};
  redrive.min_args = redrive.max_args = 1;
  redrive.run = Redrive;
  r.commands.push_back(std::move(redrive));

  CommandDef rewind;
  rewind.verb = "rewind";
  rewind.args_usage = "QUEUE --to TIME | --seconds-ago N";
  rewind.summary = "make deleted messages enqueued since a time receivable again";
  rewind.details =
      "Needs rewindSeconds > 0 on the queue; the time must lie within the last\n"
      "rewindSeconds. TIME is ISO-8601 (2026-11-24T10:00:00Z or with +hh:mm) or Unix seconds.";
  rewind.flags = {{"to", 0, FlagKind::kValue, "TIME", "rewind to this time"},
                  {"seconds-ago", 0, FlagKind::kValue, "N", "rewind to N seconds ago"}};
  rewind.examples = {"cmqctl queue rewind orders --to 2026-11-24T10:00:00Z",
                     "cmqctl queue rewind orders --seconds-ago 600"};
  rewind.min_args = rewind.max_args = 1;
  rewind.run = Rewind;
  r.commands.push_back(std::move(rewind));
  return r;
}

}  // namespace cmqctl
