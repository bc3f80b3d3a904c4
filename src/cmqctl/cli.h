// The command line as a whole: finds the command, parses its flags, prints help and
// turns every failure into a message and an exit code (exit_codes.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "command.h"

namespace cmqctl {

// Runs one command line (`args` without the program name). Never throws: SDK and
// cmqctl errors are printed on io.err (as JSON with --json) and mapped to exit codes.
int RunCli(const std::vector<std::string>& args, const CliIo& io);

// The help texts, as --help prints them.
std::string TopHelp();
std::string ResourceHelp(const ResourceDef& resource);
std::string CommandHelp(const ResourceDef& resource, const CommandDef& command);
// Help lines for flags: "  -n, --number N   text", aligned.
std::string FlagsHelp(const std::vector<FlagSpec>& flags);

std::vector<ResourceDef> AllResources();
// The resource named `name` (or one of its aliases) in `all`, or null.
const ResourceDef* FindResource(const std::vector<ResourceDef>& all, std::string_view name);
// The command `verb` of `resource`, also by its usual synonyms (ls, rm, get, ...), or null.
const CommandDef* FindCommand(const ResourceDef& resource, std::string_view verb);

}  // namespace cmqctl
