// cmqctl sub create|list|show|set|delete|clear-tags.
#include <algorithm>
#include <ostream>

#include "cmq/account.h"
#include "cmq/subscription.h"
#include "cmq/topic.h"
#include "command.h"
#include "render.h"
#include "table.h"
#include "time_format.h"

namespace cmqctl {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

// Short spellings for the retry strategy; anything else goes to the server as given
// (upper-cased), which names the accepted values in its error.
std::string Strategy(const std::string& text) {
  std::string s = Upper(text);
  if (s == "BACKOFF") return "BACKOFF_RETRY";
  if (s == "EXPONENTIAL" || s == "EXPONENTIAL_DECAY") return "EXPONENTIAL_DECAY_RETRY";
  return s;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "-" : out;
}

std::vector<FlagSpec> ChangeableFlags() {
  return {{"tag", 0, FlagKind::kRepeated, "TAG", "filter tag (tag topics; up to 5)"},
          {"binding-key", 0, FlagKind::kRepeated, "KEY",
           "binding key, * = one word, # = any words (routing-key topics; up to 5)"},
          {"strategy", 0, FlagKind::kValue, "backoff|exponential",
           "retry strategy for failed pushes (BACKOFF_RETRY, EXPONENTIAL_DECAY_RETRY)"},
          {"format", 0, FlagKind::kValue, "json|simplified", "push body format (http endpoints)"}};
}

Json SubscriptionJson(const std::string& topic, const std::string& name,
                      const cmq::SubscriptionMeta& m) {
  Json j = Json::Object();
  j.Set("topicName", topic)
      .Set("subscriptionName", name)
      .Set("protocol", m.protocol)
      .Set("endpoint", m.endpoint)
      .Set("notifyStrategy", m.notifyStrategy)
      .Set("notifyContentFormat", m.notifyContentFormat)
      .Set("filterTag", Json::StringArray(m.filterTag))
      .Set("bindingKey", Json::StringArray(m.bindingKey))
      .Set("msgCount", m.msgCount)
      .Set("topicOwner", m.topicOwner)
      .Set("createTime", m.createTime)
      .Set("lastModifyTime", m.lastModifyTime)
      .Set("pushFailures", m.pushFailures)
      .Set("retryBacklog", m.retryBacklog)
      .Set("lastPushError", m.lastPushError)
      .Set("lastPushErrorTime", m.lastPushErrorTime);
  return j;
}

std::string SubscriptionText(const std::string& topic, const std::string& name,
                             const cmq::SubscriptionMeta& m) {
  return RenderKeyValues({{"topicName", topic},
                          {"subscriptionName", name},
                          {"protocol", m.protocol},
                          {"endpoint", m.endpoint},
                          {"notifyStrategy", m.notifyStrategy},
                          {"notifyContentFormat", m.notifyContentFormat},
                          {"filterTag", Join(m.filterTag)},
                          {"bindingKey", Join(m.bindingKey)},
                          {"msgCount", std::to_string(m.msgCount)},
                          {"createTime", FormatUnixTime(m.createTime)},
                          {"lastModifyTime", FormatUnixTime(m.lastModifyTime)},
                          // Why pushes fail, as the serving node saw it since it started.
                          {"pushFailures", std::to_string(m.pushFailures)},
                          {"retryBacklog", std::to_string(m.retryBacklog)},
                          {"lastPushError", m.lastPushError.empty() ? "-" : m.lastPushError},
                          {"lastPushErrorTime", FormatUnixTime(m.lastPushErrorTime)}});
}

int Create(Context& ctx) {
  const std::string& topic = ctx.arg(0);
  const std::string& name = ctx.arg(1);
  std::optional<std::string> queue = ctx.args().Value("queue");
  std::optional<std::string> http = ctx.args().Value("http");
  if (queue.has_value() == http.has_value()) {
    ThrowUsage("give exactly one endpoint: --queue QUEUE or --http URL");
  }
  std::string strategy = ctx.args().Has("strategy") ? Strategy(*ctx.args().Value("strategy")) : "";
  std::string format = ctx.args().Has("format") ? Upper(*ctx.args().Value("format")) : "";
  std::string id = ctx.account().createSubscribe(
      topic, name, queue ? *queue : *http, queue ? "queue" : "http", ctx.args().Values("tag"),
      ctx.args().Values("binding-key"), strategy, format);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("topicName", topic).Set("subscriptionName", name).Set("subscriptionId", id);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "created subscription " << topic << "/" << name << " (" << id << ") -> "
              << (queue ? "queue " + *queue : *http) << '\n';
  }
  return kExitOk;
}

int List(Context& ctx) {
  const std::string& topic_name = ctx.arg(0);
  std::string search = ctx.args().ValueOr("search", "");
  cmq::Topic topic = ctx.account().getTopic(topic_name);
  std::vector<cmq::ResourceSummary> subs = ListAll(
      [&](int offset, int limit) { return topic.listSubscription(search, offset, limit); }, 100);
  if (ctx.json()) {
    Json list = Json::Array();
    for (const auto& s : subs) {
      Json j = Json::Object();
      j.Set("subscriptionName", s.name)
          .Set("subscriptionId", s.id)
          .Set("protocol", s.protocol)
          .Set("endpoint", s.endpoint);
      list.Push(std::move(j));
    }
    Json doc = Json::Object();
    doc.Set("topicName", topic_name)
        .Set("totalCount", static_cast<int64_t>(subs.size()))
        .Set("subscriptions", std::move(list));
    ctx.PrintJson(doc);
    return kExitOk;
  }
  if (subs.empty()) {
    ctx.out() << "no subscriptions on topic " << topic_name << '\n';
    return kExitOk;
  }
  Table t({"NAME", "ID", "PROTOCOL", "ENDPOINT"});
  for (const auto& s : subs) t.AddRow({s.name, s.id, s.protocol, s.endpoint});
  ctx.out() << t.Render();
  return kExitOk;
}

int Show(Context& ctx) {
  const std::string& topic = ctx.arg(0);
  const std::string& name = ctx.arg(1);
  cmq::SubscriptionMeta m = ctx.account().getSubscription(topic, name).getSubscriptionAttributes();
  if (ctx.json()) {
    ctx.PrintJson(SubscriptionJson(topic, name, m));
  } else {
    ctx.out() << SubscriptionText(topic, name, m);
  }
  return kExitOk;
}

int Set(Context& ctx) {
  const std::string& topic = ctx.arg(0);
  const std::string& name = ctx.arg(1);
  cmq::SubscriptionMeta meta;
  if (auto s = ctx.args().Value("strategy")) meta.notifyStrategy = Strategy(*s);
  if (auto f = ctx.args().Value("format")) meta.notifyContentFormat = Upper(*f);
  meta.filterTag = ctx.args().Values("tag");
  meta.bindingKey = ctx.args().Values("binding-key");
  if (meta.notifyStrategy.empty() && meta.notifyContentFormat.empty() && meta.filterTag.empty() &&
      meta.bindingKey.empty()) {
    ThrowUsage(
        "nothing to change: give --tag, --binding-key, --strategy or --format "
        "(clear-tags empties the tags)");
  }
  cmq::Subscription sub = ctx.account().getSubscription(topic, name);
  sub.setSubscriptionAttributes(meta);
  cmq::SubscriptionMeta now = sub.getSubscriptionAttributes();
  if (ctx.json()) {
    ctx.PrintJson(SubscriptionJson(topic, name, now));
  } else {
    ctx.out() << "updated subscription " << topic << "/" << name << "\n\n"
              << SubscriptionText(topic, name, now);
  }
  return kExitOk;
}

int Delete(Context& ctx) {
  const std::string& topic = ctx.arg(0);
  std::vector<std::string> names(ctx.args().positionals().begin() + 1,
                                 ctx.args().positionals().end());
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + topic + "/" + n;
  if (!ctx.Confirm("Delete subscription" + std::string(names.size() > 1 ? "s " : " ") + list +
                       " and its pending deliveries?",
                   "delete subscription " + list)) {
    throw CommandError(kExitError, "not deleted");
  }
  Json deleted = Json::Array();
  for (const std::string& name : names) {
    ctx.account().deleteSubscribe(topic, name);
    deleted.Push(Json(name));
    if (!ctx.json()) ctx.out() << "deleted subscription " << topic << "/" << name << '\n';
  }
  if (ctx.json()) {
    Json doc = Json::Object();
    doc.Set("topicName", topic).Set("deleted", std::move(deleted));
    ctx.PrintJson(doc);
  }
  return kExitOk;
}

int ClearTags(Context& ctx) {
  const std::string& topic = ctx.arg(0);
  const std::string& name = ctx.arg(1);
  ctx.account().getSubscription(topic, name).clearFilterTags();
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("topicName", topic).Set("subscriptionName", name).Set("filterTag", Json::Array());
    ctx.PrintJson(j);
  } else {
    ctx.out() << "cleared the filter tags of " << topic << "/" << name
              << ": it now receives every message of the topic\n";
  }
  return kExitOk;
}

}  // namespace

ResourceDef SubscriptionResource() {
  ResourceDef r;
  r.name = "sub";
  r.aliases = {"subscription", "subscriptions", "subs"};
  r.summary = "subscribe queues and HTTP endpoints to topics; list, show, change, delete";

  CommandDef create;
  create.verb = "create";
  create.args_usage = "TOPIC NAME --queue QUEUE | --http URL [flags]";
  create.summary = "subscribe a queue or an HTTP endpoint to a topic";
  create.details =
      "On a tag topic, --tag limits delivery to messages carrying one of the tags (none:\n"
      "every message). On a routing-key topic at least one --binding-key is required.";
  create.flags = {{"queue", 0, FlagKind::kValue, "QUEUE", "deliver into this queue"},
                  {"http", 0, FlagKind::kValue, "URL", "push to this http:// URL"}};
  for (FlagSpec& f : ChangeableFlags()) create.flags.push_back(std::move(f));
  create.examples = {
      "cmqctl sub create events audit --queue audit-log",
      "cmqctl sub create events eu-signups --queue eu --tag signup --tag eu",
      "cmqctl sub create logs errors --queue errors --binding-key '*.*.error'",
      "cmqctl sub create events hook --http http://10.0.0.5:8000/cmq --format simplified "
      "--strategy backoff"};
  create.min_args = create.max_args = 2;
  create.run = Create;
  r.commands.push_back(std::move(create));

  CommandDef list;
  list.verb = "list";
  list.args_usage = "TOPIC [--search WORD]";
  list.summary = "list a topic's subscriptions (every page)";
  list.flags = {
      {"search", 0, FlagKind::kValue, "WORD", "only subscriptions whose name contains WORD"}};
  list.examples = {"cmqctl sub list events", "cmqctl sub list events --json"};
  list.min_args = list.max_args = 1;
  list.run = List;
  r.commands.push_back(std::move(list));

  CommandDef show;
  show.verb = "show";
  show.args_usage = "TOPIC NAME";
  show.summary = "show a subscription's attributes, pending deliveries and why pushes fail";
  show.details =
      "pushFailures, retryBacklog, lastPushError and lastPushErrorTime are what the\n"
      "serving cmqd saw since it started (failed HTTP push attempts, deliveries waiting\n"
      "for a retry, the latest reason); other CMQ servers leave them 0 and empty.";
  show.examples = {"cmqctl sub show events audit"};
  show.min_args = show.max_args = 2;
  show.run = Show;
  r.commands.push_back(std::move(show));

  CommandDef set;
  set.verb = "set";
  set.args_usage = "TOPIC NAME [flags]";
  set.summary = "change retry strategy, push format, filter tags or binding keys";
  set.details = "--tag and --binding-key replace the whole set; protocol and endpoint are fixed.";
  set.flags = ChangeableFlags();
  set.examples = {"cmqctl sub set events audit --tag signup --tag login",
                  "cmqctl sub set events hook --strategy exponential"};
  set.min_args = set.max_args = 2;
  set.run = Set;
  r.commands.push_back(std::move(set));

  CommandDef del;
  del.verb = "delete";
  del.args_usage = "TOPIC NAME... [--yes]";
  del.summary = "unsubscribe (pending deliveries are dropped)";
  del.flags = {{"yes", 'y', FlagKind::kSwitch, "", "do not ask for confirmation"}};
  del.examples = {"cmqctl sub delete events audit --yes"};
  del.min_args = 2;
  del.max_args = SIZE_MAX;
  del.run = Delete;
  r.commands.push_back(std::move(del));

  CommandDef clear;
  clear.verb = "clear-tags";
  clear.args_usage = "TOPIC NAME";
  clear.summary = "remove every filter tag (the subscription then gets every message)";
  clear.examples = {"cmqctl sub clear-tags events audit"};
  clear.min_args = clear.max_args = 2;
  clear.run = ClearTags;
  r.commands.push_back(std::move(clear));
  return r;
}

}  // namespace cmqctl
