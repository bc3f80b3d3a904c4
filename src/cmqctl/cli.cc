#include "cli.h"

#include <algorithm>
#include <climits>
#include <iostream>
#include <span>

#include "cmq/exceptions.h"
#include "cmq_version.h"
#include "completion.h"

namespace cmqctl {
namespace {

constexpr char kVersion[] = CMQ_VERSION_DESCRIPTION;

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;  // suggest only close matches
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

// --help or -h before any "--".
bool WantsHelp(std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

const char* ClientKindName(cmq::CMQClientException::Kind kind) {
  switch (kind) {
    case cmq::CMQClientException::Kind::kInvalidArgument:
      return "usage";
    case cmq::CMQClientException::Kind::kNetwork:
      return "network";
    case cmq::CMQClientException::Kind::kTimeout:
      return "timeout";
    case cmq::CMQClientException::Kind::kProtocol:
      return "protocol";
    case cmq::CMQClientException::Kind::kHttpStatus:
      return "http";
    case cmq::CMQClientException::Kind::kBadResponse:
      return "bad-response";
  }
  return "client";
}

// Prints the error as the user asked (JSON or text) on stderr.
void ReportError(const CliIo& io, bool json, Json error, const std::string& text,
                 const std::string& hint) {
  if (json) {
    Json doc = Json::Object();
    doc.Set("error", std::move(error));
    *io.err << doc.Dump() << '\n';
  } else {
    *io.err << "cmqctl: " << text << '\n';
    if (!hint.empty()) *io.err << hint << '\n';
  }
  io.err->flush();
}

std::string ServerHint(int code) {
  switch (code) {
    case 4100:
      return "hint: check the secret id and key (--secret-id/--secret-key, CMQ_SECRET_ID/"
             "CMQ_SECRET_KEY or the profile) and --sign";
    default:
      return "";
  }
}

int RunCommand(const ResourceDef& resource, const CommandDef& command,
               std::span<const std::string> rest, const ParsedArgs& globals, const CliIo& io) {
  std::string path = resource.name + " " + command.verb;
  bool json = globals.Switch("json");
  std::string help_hint = "run 'cmqctl " + path + " --help' for usage";
  auto usage = [&](const std::string& message) {
    Json e = Json::Object();
    e.Set("type", "usage").Set("message", message);
    ReportError(io, json, e, message, help_hint);
    return kExitUsage;
  };

  std::vector<FlagSpec> flags = command.flags;
  for (const FlagSpec& g : GlobalFlags()) flags.push_back(g);
  ParsedArgs args = globals;  // flags later on the line win over earlier ones
  std::string error;
  if (!ParseArgs(rest, flags, ParseOptions{}, &args, &error)) return usage(error);
  json = args.Switch("json");
  size_t n = args.positionals().size();
  if (n < command.min_args) {
    return usage("missing argument" + std::string(command.min_args - n > 1 ? "s" : "") +
                 ": usage: cmqctl " + path + " " + command.args_usage);
  }
  if (n > command.max_args) {
    return usage("unexpected argument '" + args.positionals()[command.max_args] +
                 "': usage: cmqctl " + path + " " + command.args_usage);
  }

  Context ctx(io, std::move(args), path);
  try {
    return command.run(ctx);
  } catch (const CommandError& e) {
    if (e.exit_code() == kExitUsage) return usage(e.what());
    Json j = Json::Object();
    j.Set("type", e.exit_code() == kExitInterrupted ? "interrupted" : "local")
        .Set("message", e.what());
    ReportError(io, json, j, e.what(), "");
    return e.exit_code();
  } catch (const cmq::CMQNoMessageException& e) {
    Json j = Json::Object();
    j.Set("type", "no-message").Set("code", e.getCode()).Set("message", e.getMessage());
    ReportError(io, json, j, "no message", "");
    return kExitNoMessage;
  } catch (const cmq::CMQServerException& e) {
    Json j = Json::Object();
    j.Set("type", "server")
        .Set("code", e.getCode())
        .Set("moduleCode", e.getModuleCode())
        .Set("message", e.getMessage())
        .Set("requestId", e.getRequestId());
    ReportError(io, json, j,
                "server error " + std::to_string(e.getCode()) + ": " + e.getMessage() +
                    " (requestId " + e.getRequestId() + ")",
                ServerHint(e.getCode()));
    return kExitError;
  } catch (const cmq::CMQClientException& e) {
    if (e.kind() == cmq::CMQClientException::Kind::kInvalidArgument) {
      return usage(e.getMessage());
    }
    Json j = Json::Object();
    j.Set("type", ClientKindName(e.kind())).Set("message", e.getMessage());
    if (e.httpStatus() != 0) j.Set("httpStatus", e.httpStatus());
    j.Set("outcomeUnknown", e.outcomeUnknown());
    std::string text = std::string(ClientKindName(e.kind())) + " error: " + e.getMessage();
    if (e.outcomeUnknown()) text += " (the request may have been applied)";
    ReportError(io, json, j, text, "");
    return kExitNetwork;
  } catch (const std::exception& e) {
    Json j = Json::Object();
    j.Set("type", "internal").Set("message", e.what());
    ReportError(io, json, j, std::string("unexpected error: ") + e.what(), "");
    return kExitError;
  }
}

}  // namespace

const ResourceDef* FindResource(const std::vector<ResourceDef>& all, std::string_view name) {
  for (const ResourceDef& r : all) {
    if (r.name == name) return &r;
    for (const std::string& alias : r.aliases) {
      if (alias == name) return &r;
    }
  }
  return nullptr;
}

const CommandDef* FindCommand(const ResourceDef& resource, std::string_view verb) {
  for (const CommandDef& c : resource.commands) {
    if (c.verb == verb) return &c;
  }
  // Common synonyms, so `queue ls` and `topic rm` work as people type them.
  static const std::pair<const char*, const char*> kSynonyms[] = {
      {"ls", "list"}, {"rm", "delete"}, {"get", "show"}, {"describe", "show"}, {"new", "create"}};
  for (const auto& [from, to] : kSynonyms) {
    if (verb == from) return FindCommand(resource, to);
  }
  return nullptr;
}

std::vector<ResourceDef> AllResources() {
  return {QueueResource(),        MessageResource(), TopicResource(),
          SubscriptionResource(), WatchResource(),   ClusterResource(),
          ProfileResource()};
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"endpoint", 0, FlagKind::kValue, "URL",
       "server, e.g. http://127.0.0.1:8080 (env CMQ_ENDPOINT)"},
      {"secret-id", 0, FlagKind::kValue, "ID", "secret id (env CMQ_SECRET_ID)"},
      {"secret-key", 0, FlagKind::kValue, "KEY", "secret key (env CMQ_SECRET_KEY)"},
      {"profile", 0, FlagKind::kValue, "NAME", "use this saved profile (env CMQ_PROFILE)"},
      {"json", 0, FlagKind::kSwitch, "", "print JSON (streaming commands: one object per line)"},
      {"timeout", 0, FlagKind::kValue, "SECONDS",
       "per-request timeout, long polls add their wait (default 10)"},
      {"sign", 0, FlagKind::kValue, "sha1|sha256", "signature method (default sha256)"},
      {"method", 0, FlagKind::kValue, "GET|POST", "HTTP method (default POST)"},
      {"ca-file", 0, FlagKind::kValue, "FILE",
       "https:// endpoints: trust the CAs in this PEM file instead of the system's "
       "(env CMQ_CA_FILE)"},
      {"verbose", 'v', FlagKind::kSwitch, "", "log settings and every request on stderr"},
      {"help", 'h', FlagKind::kSwitch, "", "show help"},
  };
  return kFlags;
}

std::string FlagsHelp(const std::vector<FlagSpec>& flags) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t width = 0;
  for (const FlagSpec& f : flags) {
    std::string left = f.short_name != 0 ? std::string("-") + f.short_name + ", " : "    ";
    left += "--" + f.name;
    if (f.kind != FlagKind::kSwitch) left += " " + f.value_name;
    std::string help = f.help;
    if (f.kind == FlagKind::kRepeated) help += " (repeatable)";
    width = std::max(width, left.size());
    lines.emplace_back(std::move(left), std::move(help));
  }
  std::string out;
  for (const auto& [left, help] : lines) out += "  " + Pad(left, width) + "  " + help + "\n";
  return out;
}

std::string TopHelp() {
  std::string out =
      "cmqctl - command-line tool for CMQ message queues and topics (cmqd, Tencent CMQ)\n"
      "\n"
      "Usage:\n"
      "  cmqctl [global flags] <resource> <verb> [arguments] [flags]\n"
      "\n"
      "Resources:\n";
  for (const ResourceDef& r : AllResources()) {
    out += "  " + Pad(r.name, 9) + r.summary + "\n";
  }
  out +=
      "\n"
      "Global flags (accepted anywhere on the line):\n" +
      FlagsHelp(GlobalFlags()) +
      "\n"
      "Settings come from flags, then the environment (CMQ_ENDPOINT, CMQ_SECRET_ID,\n"
      "CMQ_SECRET_KEY, CMQ_PROFILE), then the profile file ($CMQ_PROFILE_FILE or\n"
      "~/.config/cmq/profiles, see 'cmqctl profile --help').\n"
      "\n"
      "Output: aligned tables for people; --json prints one JSON document per command\n"
      "(consume and watch print one JSON object per line). Times are ISO-8601 UTC in\n"
      "tables and Unix seconds in JSON.\n"
      "\n"
      "Exit codes:\n"
      "  0    success\n"
      "  1    server error (its code, message and requestId are printed) or local failure\n"
      "  2    usage error (unknown command or flag, bad argument)\n"
      "  3    network error or timeout (no answer from the server)\n"
      "  4    no message (msg receive found the queue empty)\n"
      "  130  interrupted (Ctrl-C)\n"
      "\n"
      "Examples:\n"
      "  export CMQ_ENDPOINT=http://127.0.0.1:8080 CMQ_SECRET_ID=AKID... CMQ_SECRET_KEY=...\n"
      "  cmqctl queue create orders --visibility-timeout 60\n"
      "  cmqctl msg send orders 'hello'\n"
      "  cmqctl msg receive orders --wait 10 --delete\n"
      "  seq 1000 | cmqctl msg send orders --stdin\n"
      "  cmqctl watch queue orders\n"
      "\n"
      "Run 'cmqctl <resource> --help' or 'cmqctl <resource> <verb> --help' for more.\n";
  return out;
}

std::string ResourceHelp(const ResourceDef& resource) {
  std::string out = "cmqctl " + resource.name + " - " + resource.summary + "\n\nUsage:\n";
  size_t width = 0;
  for (const CommandDef& c : resource.commands) {
    width = std::max(width, resource.name.size() + c.verb.size() + c.args_usage.size() + 2);
  }
  for (const CommandDef& c : resource.commands) {
    out += "  cmqctl " + Pad(resource.name + " " + c.verb + " " + c.args_usage, width) + "  " +
           c.summary + "\n";
  }
  if (!resource.aliases.empty()) {
    out += "\nAliases: ";
    for (size_t i = 0; i < resource.aliases.size(); ++i) {
      out += (i > 0 ? ", " : "") + resource.aliases[i];
    }
    out += "\n";
  }
  out += "\nRun 'cmqctl " + resource.name + " <verb> --help' for the flags of each verb.\n";
  return out;
}

std::string CommandHelp(const ResourceDef& resource, const CommandDef& command) {
  std::string out = "cmqctl " + resource.name + " " + command.verb + " - " + command.summary +
                    "\n\nUsage:\n  cmqctl " + resource.name + " " + command.verb + " " +
                    command.args_usage + "\n";
  if (!command.details.empty()) out += "\n" + command.details + "\n";
  if (!command.flags.empty()) out += "\nFlags:\n" + FlagsHelp(command.flags);
  if (!command.examples.empty()) {
    out += "\nExamples:\n";
    for (const std::string& e : command.examples) out += "  " + e + "\n";
  }
  out +=
      "\nGlobal flags: --endpoint --secret-id --secret-key --profile --json --timeout --sign\n"
      "--method -v (see 'cmqctl --help').\n";
  return out;
}

int RunCli(const std::vector<std::string>& argv, const CliIo& io) {
  // `cmqctl __complete WORD...`: for the shell's completion (completion.h), not in help.
  if (!argv.empty() && argv[0] == "__complete") {
    for (const std::string& c : CompletionCandidates({argv.begin() + 1, argv.end()})) {
      *io.out << c << '\n';
    }
    return kExitOk;
  }
  std::vector<ResourceDef> resources = AllResources();
  std::span<const std::string> args(argv);
  ParsedArgs globals;
  std::string error;
  auto usage = [&](const std::string& message) {
    if (globals.Switch("json")) {
      Json doc = Json::Object();
      Json e = Json::Object();
      e.Set("type", "usage").Set("message", message);
      doc.Set("error", e);
      *io.err << doc.Dump() << '\n';
    } else {
      *io.err << "cmqctl: " << message << "\nrun 'cmqctl --help' for usage\n";
    }
    return kExitUsage;
  };

  std::vector<FlagSpec> leading = GlobalFlags();
  leading.push_back({"version", 0, FlagKind::kSwitch, "", ""});
  std::optional<size_t> used =
      ParseArgs(args, leading, ParseOptions{.stop_at_positional = true}, &globals, &error);
  if (!used) return usage(error);
  args = args.subspan(*used);
  if (globals.Switch("version")) {
    *io.out << "cmqctl " << kVersion << '\n';
    return kExitOk;
  }
  if (args.empty()) {
    if (globals.Switch("help")) {
      *io.out << TopHelp();
      return kExitOk;
    }
    *io.err << TopHelp();
    return kExitUsage;
  }

  // `cmqctl help [resource [verb]]` is the same as --help.
  bool help = globals.Switch("help");
  if (args[0] == "help") {
    help = true;
    args = args.subspan(1);
    if (args.empty()) {
      *io.out << TopHelp();
      return kExitOk;
    }
  }
  if (args[0] == "version") {
    *io.out << "cmqctl " << kVersion << '\n';
    return kExitOk;
  }

  const ResourceDef* resource = FindResource(resources, args[0]);
  if (resource == nullptr) {
    std::vector<std::string> names;
    for (const ResourceDef& r : resources) names.push_back(r.name);
    return usage("unknown command '" + args[0] + "'" + Suggest(args[0], names));
  }
  args = args.subspan(1);
  // Global flags may also stand between the resource and the verb.
  used = ParseArgs(args, leading, ParseOptions{.stop_at_positional = true}, &globals, &error);
  if (!used) return usage(error);
  args = args.subspan(*used);
  help = help || globals.Switch("help");
  if (args.empty()) {
    if (help) {
      *io.out << ResourceHelp(*resource);
      return kExitOk;
    }
    *io.err << ResourceHelp(*resource);
    return kExitUsage;
  }
  const CommandDef* command = FindCommand(*resource, args[0]);
  if (command == nullptr) {
    std::vector<std::string> verbs;
    for (const CommandDef& c : resource->commands) verbs.push_back(c.verb);
    return usage("unknown verb '" + args[0] + "' for " + resource->name + Suggest(args[0], verbs) +
                 "; verbs: " + [&] {
                   std::string list;
                   for (const std::string& v : verbs) list += (list.empty() ? "" : ", ") + v;
                   return list;
                 }());
  }
  args = args.subspan(1);
  if (help || WantsHelp(args)) {
    *io.out << CommandHelp(*resource, *command);
    return kExitOk;
  }
  return RunCommand(*resource, *command, args, globals, io);
}

}  // namespace cmqctl
