// cmqctl topic create|list|show|set|delete|publish.
#include <climits>
#include <ostream>

#include "bulk_send.h"
#include "cmq/account.h"
#include "cmq/topic.h"
#include "command.h"
#include "render.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

const char* FilterName(int filter_type) { return filter_type == 2 ? "routing-key" : "tag"; }

Json TopicJson(const std::string& name, const cmq::TopicMeta& m) {
  Json j = Json::Object();
  j.Set("topicName", name)
      .Set("topicId", m.topicId)
      .Set("filterType", m.filterType)
      .Set("maxMsgSize", m.maxMsgSize.value_or(0))
      .Set("msgRetentionSeconds", m.msgRetentionSeconds)
      .Set("msgCount", m.msgCount)
      .Set("createTime", m.createTime)
      .Set("lastModifyTime", m.lastModifyTime);
  return j;
}

Json SubscriptionSummaryJson(const cmq::ResourceSummary& s) {
  Json j = Json::Object();
  j.Set("subscriptionName", s.name)
      .Set("subscriptionId", s.id)
      .Set("protocol", s.protocol)
      .Set("endpoint", s.endpoint);
  return j;
}

std::vector<cmq::ResourceSummary> AllSubscriptions(const cmq::Topic& topic) {
  return ListAll([&](int offset, int limit) { return topic.listSubscription("", offset, limit); },
                 100);
}

int Create(Context& ctx) {
  const std::string& name = ctx.arg(0);
  int max_size = ctx.IntFlag32("max-msg-size", INT_MIN, INT_MAX).value_or(65536);
  std::string filter = ctx.args().ValueOr("filter", "tag");
  int filter_type;
  if (filter == "tag" || filter == "1") {
    filter_type = 1;
  } else if (filter == "routing-key" || filter == "routing" || filter == "2") {
    filter_type = 2;
  } else {
    ThrowUsage("--filter: '" + filter + "' is not tag or routing-key");
  }
  std::string id = ctx.account().createTopic(name, max_size, filter_type);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("topicName", name).Set("topicId", id).Set("filterType", filter_type);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "created topic " << name << " (" << id << ", " << FilterName(filter_type)
              << " filtering)\n";
  }
  return kExitOk;
}

int List(Context& ctx) {
  std::string search = ctx.args().ValueOr("search", "");
  bool long_form = ctx.args().Switch("long");
  cmq::Account& account = ctx.account();
  std::vector<cmq::ResourceSummary> topics =
      ListAll([&](int offset, int limit) { return account.listTopic(search, offset, limit); }, 50);
  std::vector<cmq::TopicMeta> metas;
  if (long_form) {
    for (const auto& t : topics) metas.push_back(account.getTopic(t.name).getTopicAttributes());
  }
  if (ctx.json()) {
    Json list = Json::Array();
    for (size_t i = 0; i < topics.size(); ++i) {
      if (long_form) {
        list.Push(TopicJson(topics[i].name, metas[i]));
      } else {
        Json t = Json::Object();
        t.Set("topicName", topics[i].name).Set("topicId", topics[i].id);
        list.Push(std::move(t));
      }
    }
    Json doc = Json::Object();
    doc.Set("totalCount", static_cast<int64_t>(topics.size())).Set("topics", std::move(list));
    ctx.PrintJson(doc);
    return kExitOk;
  }
  if (topics.empty()) {
    ctx.out() << (search.empty() ? "no topics\n" : "no topics matching '" + search + "'\n");
    return kExitOk;
  }
  Table t = long_form ? Table({"NAME", "ID", "FILTER", "PENDING", "MAX SIZE", "CREATED"})
                      : Table({"NAME", "ID"});
  for (size_t i = 0; i < topics.size(); ++i) {
    if (long_form) {
      const cmq::TopicMeta& m = metas[i];
      t.AddRow({topics[i].name, topics[i].id, FilterName(m.filterType), std::to_string(m.msgCount),
                std::to_string(m.maxMsgSize.value_or(0)), FormatUnixTime(m.createTime)});
    } else {
      t.AddRow({topics[i].name, topics[i].id});
    }
  }
  ctx.out() << t.Render();
  return kExitOk;
}

int Show(Context& ctx) {
  const std::string& name = ctx.arg(0);
  cmq::Topic topic = ctx.account().getTopic(name);
  cmq::TopicMeta m = topic.getTopicAttributes();
  std::vector<cmq::ResourceSummary> subs = AllSubscriptions(topic);
  if (ctx.json()) {
    Json j = TopicJson(name, m);
    Json list = Json::Array();
    for (const auto& s : subs) list.Push(SubscriptionSummaryJson(s));
    j.Set("subscriptions", std::move(list));
    ctx.PrintJson(j);
    return kExitOk;
  }
  ctx.out() << RenderKeyValues({
      {"topicName", name},
      {"topicId", m.topicId},
      {"filterType", std::to_string(m.filterType) + " (" + FilterName(m.filterType) + ")"},
      {"maxMsgSize", std::to_string(m.maxMsgSize.value_or(0))},
      {"msgRetentionSeconds", SecondsForHumans(m.msgRetentionSeconds)},
      {"msgCount", std::to_string(m.msgCount)},
      {"createTime", FormatUnixTime(m.createTime)},
      {"lastModifyTime", FormatUnixTime(m.lastModifyTime)},
  });
  ctx.out() << "\nSubscriptions (" << subs.size() << "):\n";
  if (!subs.empty()) {
    Table t({"NAME", "ID", "PROTOCOL", "ENDPOINT"});
    for (const auto& s : subs) t.AddRow({s.name, s.id, s.protocol, s.endpoint});
    ctx.out() << t.Render();
  }
  return kExitOk;
}

int Set(Context& ctx) {
  const std::string& name = ctx.arg(0);
  cmq::TopicMeta meta;
  meta.maxMsgSize = ctx.IntFlag32("max-msg-size", INT_MIN, INT_MAX);
  if (!meta.maxMsgSize) ThrowUsage("nothing to change: give --max-msg-size");
  cmq::Topic topic = ctx.account().getTopic(name);
  topic.setTopicAttributes(meta);
  cmq::TopicMeta now = topic.getTopicAttributes();
  if (ctx.json()) {
    ctx.PrintJson(TopicJson(name, now));
  } else {
    ctx.out() << "updated topic " << name << ": maxMsgSize " << now.maxMsgSize.value_or(0) << '\n';
  }
  return kExitOk;
}

int Delete(Context& ctx) {
  const std::vector<std::string>& names = ctx.args().positionals();
  bool force = ctx.args().Switch("force");
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  std::string question = "Delete topic" + std::string(names.size() > 1 ? "s " : " ") + list +
                         (force ? " and all their subscriptions?" : "?");
  if (!ctx.Confirm(question, "delete topic " + list)) {
    throw CommandError(kExitError, "not deleted");
  }
  Json deleted = Json::Array();
  for (const std::string& name : names) {
    cmq::Account& account = ctx.account();
    if (force) {
      for (const auto& s : AllSubscriptions(account.getTopic(name))) {
        account.deleteSubscribe(name, s.name);
        if (!ctx.json()) ctx.out() << "deleted subscription " << name << "/" << s.name << '\n';
      }
    }
    account.deleteTopic(name);
    deleted.Push(Json(name));
    if (!ctx.json()) ctx.out() << "deleted topic " << name << '\n';
  }
  if (ctx.json()) {
    Json doc = Json::Object();
    doc.Set("deleted", std::move(deleted));
    ctx.PrintJson(doc);
  }
  return kExitOk;
}

int Publish(Context& ctx) {
  const std::string& name = ctx.arg(0);
  std::vector<std::string> tags = ctx.args().Values("tag");
  std::optional<std::string> routing_key = ctx.args().Value("routing-key");
  std::optional<LineSource> source = LineSourceFromFlags(ctx);
  bool has_body = ctx.args().positionals().size() > 1;
  if (source && has_body) ThrowUsage("give a BODY or --file/--stdin, not both");
  if (!source && !has_body) ThrowUsage("nothing to publish: give a BODY, --file PATH or --stdin");
  cmq::Topic topic = ctx.account().getTopic(name);
  if (source) {
    return RunBulkSend(ctx, *source, "topicName", name, "published",
                       [&](const std::vector<std::string>& bodies) {
                         topic.batchPublishMessage(bodies, tags, routing_key);
                       });
  }
  std::string id = topic.publishMessage(ctx.arg(1), tags, routing_key);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("topicName", name).Set("msgId", id);
    ctx.PrintJson(j);
  } else {
    ctx.out() << id << '\n';
  }
  return kExitOk;
}

}  // namespace

ResourceDef TopicResource() {
  ResourceDef r;
  r.name = "topic";
  r.aliases = {"topics", "t"};
  r.summary = "create, list, show, change and delete topics; publish messages";

  CommandDef create;
  create.verb = "create";
  create.args_usage = "TOPIC [--filter tag|routing-key] [--max-msg-size BYTES]";
  create.summary = "create a topic";
  create.details =
      "--filter tag (default) delivers by message tags matched against subscriptions'\n"
      "filter tags; routing-key matches a message's routing key against subscriptions'\n"
      "binding keys (* one word, # zero or more words). It cannot change later.";
  create.flags = {
      {"filter", 0, FlagKind::kValue, "tag|routing-key", "how subscriptions select messages"},
      {"max-msg-size", 0, FlagKind::kValue, "BYTES", "largest body (1024-1048576, default 65536)"}};
  create.examples = {"cmqctl topic create events", "cmqctl topic create logs --filter routing-key"};
  create.min_args = create.max_args = 1;
  create.run = Create;
  r.commands.push_back(std::move(create));

  CommandDef list;
  list.verb = "list";
  list.args_usage = "[--search WORD] [-l]";
  list.summary = "list topics (every page)";
  list.flags = {
      {"search", 0, FlagKind::kValue, "WORD", "only topics whose name contains WORD"},
      {"long", 'l', FlagKind::kSwitch, "", "also show filter type, pending messages, size"}};
  list.examples = {"cmqctl topic list", "cmqctl topic list -l --json"};
  list.run = List;
  r.commands.push_back(std::move(list));

  CommandDef show;
  show.verb = "show";
  show.args_usage = "TOPIC";
  show.summary = "show a topic's attributes and its subscriptions";
  show.examples = {"cmqctl topic show events", "cmqctl topic show events --json"};
  show.min_args = show.max_args = 1;
  show.run = Show;
  r.commands.push_back(std::move(show));

  CommandDef set;
  set.verb = "set";
  set.args_usage = "TOPIC --max-msg-size BYTES";
  set.summary = "change a topic's maximum message size (the only changeable attribute)";
  set.flags = {{"max-msg-size", 0, FlagKind::kValue, "BYTES", "largest body (1024-1048576)"}};
  set.examples = {"cmqctl topic set events --max-msg-size 1048576"};
  set.min_args = set.max_args = 1;
  set.run = Set;
  r.commands.push_back(std::move(set));

  CommandDef del;
  del.verb = "delete";
  del.args_usage = "TOPIC... [--force] [--yes]";
  del.summary = "delete topics (with --force, their subscriptions first)";
  del.details = "A topic with subscriptions cannot be deleted unless --force is given.";
  del.flags = {{"force", 0, FlagKind::kSwitch, "", "delete the topic's subscriptions first"},
               {"yes", 'y', FlagKind::kSwitch, "", "do not ask for confirmation"}};
  del.examples = {"cmqctl topic delete events", "cmqctl topic delete events --force --yes"};
  del.min_args = 1;
  del.max_args = SIZE_MAX;
  del.run = Delete;
  r.commands.push_back(std::move(del));

  CommandDef publish;
  publish.verb = "publish";
  publish.args_usage = "TOPIC [BODY] [--tag TAG]... [--routing-key KEY] [--file PATH | --stdin]";
  publish.summary = "publish a message, or one per line of a file or stdin";
  publish.details =
      "Tags (up to 5) select subscriptions on a tag topic; --routing-key (e.g. a.b.c)\n"
      "is required on a routing-key topic. With --file/--stdin every non-empty line is\n"
      "one message, published in batches of 16 sharing the tags and routing key.";
  publish.flags = {
      {"tag", 0, FlagKind::kRepeated, "TAG", "message tag"},
      {"routing-key", 'k', FlagKind::kValue, "KEY", "routing key (dot-separated words)"},
      {"file", 'f', FlagKind::kValue, "PATH", "publish each line of PATH (- for stdin)"},
      {"stdin", 0, FlagKind::kSwitch, "", "publish each line of stdin"}};
  publish.examples = {"cmqctl topic publish events 'user signed up'",
                      "cmqctl topic publish events '{\"id\":1}' --tag signup --tag eu",
                      "cmqctl topic publish logs 'disk full' --routing-key host1.disk.error",
                      "tail -f app.log | cmqctl topic publish logs --stdin --routing-key app.log"};
  publish.min_args = 1;
  publish.max_args = 2;
  publish.run = Publish;
  r.commands.push_back(std::move(publish));
  return r;
}

}  // namespace cmqctl
