// The pieces every cmqctl command is made of: its definition (name, flags, help,
// examples, runner), the context it runs in (streams, terminal facts, resolved
// connection settings, the libcmq Account) and the error it raises for bad input.
//
// Error handling: libcmq reports failures by throwing (CMQServerException,
// CMQClientException). cmqctl follows the SDK it is built on: a command throws
// CommandError for its own failures and lets SDK exceptions fly; RunCli (cli.h) is the
// one place that catches them, prints them and picks the exit code (exit_codes.h).
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "args.h"
#include "exit_codes.h"
#include "json_out.h"
#include "profile.h"

namespace cmq {
class Account;
}  // namespace cmq

namespace cmqctl {

// A failure of cmqctl itself, with the exit code to end with.
class CommandError : public std::runtime_error {
 public:
  CommandError(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

[[noreturn]] inline void ThrowUsage(const std::string& message) {
  throw CommandError(kExitUsage, message);
}

// The process around a command line: streams and what they are connected to. Tests
// substitute string streams and an environment of their own.
struct CliIo {
  std::istream* in = nullptr;
  // The descriptor behind `in` when it is the process's stdin (read directly so that
  // a pipe's lines are sent as they come); -1 otherwise.
  int in_fd = -1;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool in_is_tty = false;
  bool out_is_tty = false;
  bool err_is_tty = false;
  size_t terminal_width = 80;
  EnvLookup env;
};

class Context {
 public:
  Context(const CliIo& io, ParsedArgs args, std::string command_path);
  ~Context();

  std::istream& in() const { return *io_.in; }
  std::ostream& out() const { return *io_.out; }
  std::ostream& err() const { return *io_.err; }
  const CliIo& io() const { return io_; }
  const ParsedArgs& args() const { return args_; }
  // "queue create": for messages such as "see cmqctl queue create --help".
  const std::string& command_path() const { return command_path_; }
  bool json() const { return args_.Switch("json"); }
  bool verbose() const { return args_.Switch("verbose"); }

  // The positional argument `i` (the caller declared how many exist).
  const std::string& arg(size_t i) const { return args_.positionals().at(i); }
  // An integer flag in [min, max], or nullopt when absent. Throws CommandError (usage)
  // when malformed.
  std::optional<int64_t> IntFlag(const std::string& name, int64_t min, int64_t max) const;
  std::optional<int> IntFlag32(const std::string& name, int min, int max) const;

  // The settings resolved from flags, environment and profile. Throws CommandError
  // (usage) for a missing profile or a malformed value.
  const ConnectionSettings& settings();
  // The SDK account for the resolved settings, made on first use. Throws CommandError
  // (usage) when the endpoint or a key is missing.
  cmq::Account& account();

  // Prints a --json document (pretty, one per command) on stdout.
  void PrintJson(const Json& doc) const;
  // Prints one JSON line (streaming commands: consume, watch) and flushes.
  void PrintJsonLine(const Json& doc) const;

  // Asks "question [y/N]" on a terminal; without one, requires --yes (else throws a
  // usage error naming `what`). True when confirmed.
  bool Confirm(const std::string& question, const std::string& what) const;

 private:
  CliIo io_;
  ParsedArgs args_;
  std::string command_path_;
  std::optional<ConnectionSettings> settings_;
  std::unique_ptr<cmq::Account> account_;
};

struct CommandDef {
  std::string verb;
  std::string args_usage;  // e.g. "QUEUE [BODY]"
  std::string summary;     // one line
  std::string details;     // optional paragraphs for --help
  std::vector<FlagSpec> flags;
  std::vector<std::string> examples;
  size_t min_args = 0;
  size_t max_args = 0;  // SIZE_MAX = any number
  std::function<int(Context&)> run;
};

struct ResourceDef {
  std::string name;
  std::vector<std::string> aliases;
  std::string summary;
  std::vector<CommandDef> commands;
};

// The resources, one file each.
ResourceDef QueueResource();
ResourceDef MessageResource();
ResourceDef TopicResource();
ResourceDef SubscriptionResource();
ResourceDef WatchResource();
ResourceDef ProfileResource();
ResourceDef ClusterResource();

// Flags every command accepts (connection, output).
const std::vector<FlagSpec>& GlobalFlags();

}  // namespace cmqctl
