// cmqctl profile set|list|use|delete|show: saved connection settings.
#include <ostream>

#include "command.h"
#include "table.h"

namespace cmqctl {
namespace {

struct LoadedStore {
  std::string path;
  ProfileStore store;
};

LoadedStore Load(const Context& ctx) {
  LoadedStore s;
  s.path = ProfilePath(ctx.io().env);
  std::string error;
  if (!LoadProfiles(s.path, &s.store, &error)) throw CommandError(kExitError, error);
  return s;
}

void Save(const LoadedStore& s) {
  std::string error;
  if (!SaveProfiles(s.path, s.store, &error)) throw CommandError(kExitError, error);
}

const std::string& RequireName(const Context& ctx) {
  const std::string& name = ctx.arg(0);
  if (!IsValidProfileName(name)) {
    ThrowUsage("bad profile name '" + name + "': use letters, digits, '-', '_' or '.'");
  }
  return name;
}

std::string Masked(const std::string& secret) {
  if (secret.empty()) return "";
  return secret.size() <= 4 ? "****" : "****" + secret.substr(secret.size() - 4);
}

int Set(Context& ctx) {
  const std::string& name = RequireName(ctx);
  LoadedStore s = Load(ctx);
  bool is_new = s.store.Find(name) == nullptr;
  Profile& p = s.store.GetOrAdd(name);
  struct Mapping {
    const char* flag;
    const char* key;
  };
  static constexpr Mapping kMappings[] = {{"endpoint", "endpoint"},     {"secret-id", "secret_id"},
                                          {"secret-key", "secret_key"}, {"sign", "sign"},
                                          {"method", "method"},         {"timeout", "timeout"},
                                          {"ca-file", "ca_file"}};
  int changed = 0;
  for (const Mapping& m : kMappings) {
    std::optional<std::string> v = ctx.args().Value(m.flag);
    if (!v) continue;
    std::string value = *v;
    if (std::string(m.key) == "sign") {
      std::optional<std::string> sign = NormalizeSign(value);
      if (!sign) ThrowUsage("--sign: '" + value + "' is not sha1 or sha256");
      value = *sign;
    } else if (std::string(m.key) == "method") {
      std::optional<std::string> method = NormalizeMethod(value);
      if (!method) ThrowUsage("--method: '" + value + "' is not GET or POST");
      value = *method;
    } else if (std::string(m.key) == "timeout") {
      std::optional<int64_t> t = ParseInt64(value);
      if (!t || *t < 1 || *t > 3600) ThrowUsage("--timeout: '" + value + "' is not 1-3600");
    }
    p.Set(m.key, value);
    ++changed;
  }
  if (changed == 0 && !is_new) {
    ThrowUsage(
        "nothing to change: give --endpoint, --secret-id, --secret-key, --sign, "
        "--method, --timeout or --ca-file");
  }
  bool make_current = s.store.current().empty() || ctx.args().Switch("use");
  if (make_current) s.store.set_current(name);
  Save(s);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("profile", name)
        .Set("created", is_new)
        .Set("current", s.store.current() == name)
        .Set("path", s.path);
    ctx.PrintJson(j);
  } else {
    ctx.out() << (is_new ? "created" : "updated") << " profile " << name << " in " << s.path
              << (make_current ? " (now the current profile)" : "") << '\n';
  }
  return kExitOk;
}

int List(Context& ctx) {
  LoadedStore s = Load(ctx);
  auto get = [](const Profile& p, const char* key) {
    const std::string* v = p.Get(key);
    return v != nullptr ? *v : std::string();
  };
  if (ctx.json()) {
    Json list = Json::Array();
    for (const Profile& p : s.store.profiles()) {
      Json j = Json::Object();
      j.Set("name", p.name)
          .Set("current", p.name == s.store.current())
          .Set("endpoint", get(p, "endpoint"))
          .Set("secretId", get(p, "secret_id"))
          .Set("secretKeySet", !get(p, "secret_key").empty())
          .Set("sign", get(p, "sign"))
          .Set("method", get(p, "method"))
          .Set("timeout", get(p, "timeout"))
          .Set("caFile", get(p, "ca_file"));
      list.Push(std::move(j));
    }
    Json doc = Json::Object();
    doc.Set("path", s.path).Set("current", s.store.current()).Set("profiles", std::move(list));
    ctx.PrintJson(doc);
    return kExitOk;
  }
  if (s.store.profiles().empty()) {
    ctx.out() << "no profiles in " << s.path
              << " (create one: cmqctl profile set NAME --endpoint URL --secret-id ID "
                 "--secret-key KEY)\n";
    return kExitOk;
  }
  Table t({"CURRENT", "NAME", "ENDPOINT", "SECRET ID", "SECRET KEY", "SIGN", "METHOD"});
  for (const Profile& p : s.store.profiles()) {
    t.AddRow({p.name == s.store.current() ? "*" : "", p.name, get(p, "endpoint"),
              get(p, "secret_id"), Masked(get(p, "secret_key")), get(p, "sign"), get(p, "method")});
  }
  ctx.out() << t.Render();
  return kExitOk;
}

int Use(Context& ctx) {
  const std::string& name = RequireName(ctx);
  LoadedStore s = Load(ctx);
  if (s.store.Find(name) == nullptr) {
    throw CommandError(kExitError, "no profile named '" + name + "' in " + s.path);
  }
  s.store.set_current(name);
  Save(s);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("current", name);
    ctx.PrintJson(j);
  } else {
    ctx.out() << "now using profile " << name << '\n';
  }
  return kExitOk;
}

int Delete(Context& ctx) {
  const std::string& name = RequireName(ctx);
  LoadedStore s = Load(ctx);
  if (!s.store.Remove(name)) {
    throw CommandError(kExitError, "no profile named '" + name + "' in " + s.path);
  }
  Save(s);
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("deleted", name).Set("current", s.store.current());
    ctx.PrintJson(j);
  } else {
    ctx.out() << "deleted profile " << name << '\n';
  }
  return kExitOk;
}

// The settings a command would use right now, and where each comes from.
int Show(Context& ctx) {
  const ConnectionSettings& st = ctx.settings();
  struct Row {
    const char* key;
    const Setting* setting;
    bool secret;
  };
  const Row rows[] = {{"endpoint", &st.endpoint, false},    {"secret_id", &st.secret_id, false},
                      {"secret_key", &st.secret_key, true}, {"sign", &st.sign, false},
                      {"method", &st.method, false},        {"timeout", &st.timeout, false},
                      {"ca_file", &st.ca_file, false}};
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set("profile", st.profile).Set("path", ProfilePath(ctx.io().env));
    Json settings = Json::Object();
    for (const Row& r : rows) {
      Json v = Json::Object();
      v.Set("value", r.secret ? Masked(r.setting->value) : r.setting->value)
          .Set("source", SourceName(r.setting->source));
      settings.Set(r.key, std::move(v));
    }
    j.Set("settings", std::move(settings));
    ctx.PrintJson(j);
    return kExitOk;
  }
  ctx.out() << "profile: " << (st.profile.empty() ? "(none)" : st.profile) << " ("
            << ProfilePath(ctx.io().env) << ")\n\n";
  Table t({"SETTING", "VALUE", "FROM"});
  for (const Row& r : rows) {
    t.AddRow({r.key, r.secret ? Masked(r.setting->value) : r.setting->value,
              SourceName(r.setting->source)});
  }
  ctx.out() << t.Render();
  return kExitOk;
}

}  // namespace

ResourceDef ProfileResource() {
  ResourceDef r;
  r.name = "profile";
  r.aliases = {"profiles", "config"};
  r.summary = "saved connection settings (~/.config/cmq/profiles)";

  CommandDef set;
  set.verb = "set";
  set.args_usage = "NAME [--endpoint URL] [--secret-id ID] [--secret-key KEY] [flags]";
  set.summary = "create or update a profile (the first one becomes current)";
  set.details =
      "Stores the connection flags given on this line (--endpoint, --secret-id,\n"
      "--secret-key, --sign, --method, --timeout) in the profile file, which is written\n"
      "with mode 0600: $CMQ_PROFILE_FILE, else $XDG_CONFIG_HOME/cmq/profiles, else\n"
      "~/.config/cmq/profiles. A command uses --profile NAME, else $CMQ_PROFILE, else the\n"
      "current profile; its flags and CMQ_* variables override the profile's values.";
  set.flags = {{"use", 0, FlagKind::kSwitch, "", "make it the current profile"}};
  set.examples = {
      "cmqctl profile set local --endpoint http://127.0.0.1:8080 --secret-id AKID... "
      "--secret-key ...",
      "cmqctl profile set prod --endpoint http://cmq.internal:8080 --sign sha1 --use"};
  set.min_args = set.max_args = 1;
  set.run = Set;
  r.commands.push_back(std::move(set));

  CommandDef list;
  list.verb = "list";
  list.args_usage = "";
  list.summary = "list profiles (secret keys masked)";
  list.examples = {"cmqctl profile list"};
  list.run = List;
  r.commands.push_back(std::move(list));

  CommandDef use;
  use.verb = "use";
  use.args_usage = "NAME";
  use.summary = "make a profile the current one";
  use.examples = {"cmqctl profile use prod"};
  use.min_args = use.max_args = 1;
  use.run = Use;
  r.commands.push_back(std::move(use));

  CommandDef del;
  del.verb = "delete";
  del.args_usage = "NAME";
  del.summary = "delete a profile";
  del.examples = {"cmqctl profile delete old"};
  del.min_args = del.max_args = 1;
  del.run = Delete;
  r.commands.push_back(std::move(del));

  CommandDef show;
  show.verb = "show";
  show.args_usage = "";
  show.summary = "show the settings a command would use now, and where each comes from";
  show.examples = {"cmqctl profile show", "CMQ_ENDPOINT=http://other:8080 cmqctl profile show",
                   "cmqctl --profile prod profile show"};
  show.run = Show;
  r.commands.push_back(std::move(show));
  return r;
}

}  // namespace cmqctl
