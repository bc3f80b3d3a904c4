// Command-line flags: the spec of a command's flags and the parser that matches argv
// against it. No global state; pure functions, so the parsing rules are unit-tested.
//
// Rules (the usual GNU ones): `--name value`, `--name=value`, `-n value`, `-nvalue`;
// switches take no value (`--yes`; `--yes=true|false` is accepted too); a repeated
// flag keeps every value in order (`--tag a --tag b`); `--` ends the flags; a lone `-`
// is a positional. A value-taking flag always consumes the next word, even one
// starting with `-`, so `--delay -5` reaches range checking instead of failing oddly.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cmqctl {

enum class FlagKind {
  kSwitch,    // present or not
  kValue,     // one value; given twice, the last one wins
  kRepeated,  // any number of values, kept in order
};

struct FlagSpec {
  std::string name;     // long name without dashes: "visibility-timeout"
  char short_name = 0;  // 'n' for -n; 0 = none
  FlagKind kind = FlagKind::kValue;
  std::string value_name;  // shown in help: "SECONDS"
  std::string help;
};

// Flags and positionals of one command line, after parsing.
class ParsedArgs {
 public:
  bool Has(std::string_view name) const;
  // The last value of a flag (a switch gives "true"/"false"); nullopt when absent.
  std::optional<std::string> Value(std::string_view name) const;
  std::string ValueOr(std::string_view name, std::string fallback) const;
  // Every value of a flag, in order.
  std::vector<std::string> Values(std::string_view name) const;
  // A switch's state: false when absent, or when given as --name=false.
  bool Switch(std::string_view name) const;
  // The flag's value as an integer in [min, max]. nullopt with *error empty when the
  // flag is absent; nullopt with *error set ("--delay: ...") when it is malformed.
  std::optional<int64_t> Int(std::string_view name, int64_t min, int64_t max,
                             std::string* error) const;

  const std::vector<std::string>& positionals() const { return positionals_; }

  void Add(const std::string& name, std::string value) {
    values_[name].push_back(std::move(value));
  }
  void AddPositional(std::string value) { positionals_.push_back(std::move(value)); }
  // Names of the flags that were given.
  std::vector<std::string> FlagNames() const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::vector<std::string> positionals_;
};

struct ParseOptions {
  // Stop at the first positional and leave it (and the rest) unparsed: used for the
  // global flags that come before the resource word.
  bool stop_at_positional = false;
};

// Parses `args` against `flags`. Returns how many words were consumed (all of them
// unless stop_at_positional), or nullopt with a user-facing message in *error for an
// unknown flag, a missing value or a value given to a switch.
std::optional<size_t> ParseArgs(std::span<const std::string> args,
                                const std::vector<FlagSpec>& flags, ParseOptions options,
                                ParsedArgs* out, std::string* error);

// Parses a whole decimal integer (optional leading '-'), nothing else; nullopt on
// anything malformed or out of int64 range.
std::optional<int64_t> ParseInt64(std::string_view text);

}  // namespace cmqctl
