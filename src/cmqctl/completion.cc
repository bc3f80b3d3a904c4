#include "completion.h"

#include <string_view>

#include "cli.h"

namespace cmqctl {
namespace {

// The flag `word` names ("--name", "--name=value", "-n", "-nVALUE"), or null.
const FlagSpec* FindFlag(std::string_view word, const std::vector<FlagSpec>& flags) {
  for (const FlagSpec& f : flags) {
    if (word.starts_with("--")) {
      std::string_view name = word.substr(2, word.find('=') - 2);
      if (name == f.name) return &f;
    } else if (word.size() >= 2 && f.short_name != 0 && word[1] == f.short_name) {
      return &f;
    }
  }
  return nullptr;
}

// True when `word` names a flag whose value is the next word.
bool ValueFollows(std::string_view word, const FlagSpec* flag) {
  if (flag == nullptr || flag->kind == FlagKind::kSwitch) return false;
  if (word.starts_with("--")) return word.find('=') == std::string_view::npos;
  return word.size() == 2;  // "-n VALUE", not "-nVALUE"
}

// "sha1|sha256" -> {"sha1", "sha256"}; a placeholder such as "SECONDS" gives none.
std::vector<std::string> ListedValues(const std::string& value_name) {
  if (value_name.find('|') == std::string::npos) return {};
  std::vector<std::string> values;
  size_t start = 0;
  while (true) {
    size_t bar = value_name.find('|', start);
    values.push_back(value_name.substr(start, bar - start));
    if (bar == std::string::npos) return values;
    start = bar + 1;
  }
}

}  // namespace

std::vector<std::string> CompletionCandidates(const std::vector<std::string>& words) {
  const std::string typed = words.empty() ? "" : words.back();
  std::vector<ResourceDef> resources = AllResources();
  const ResourceDef* resource = nullptr;
  const CommandDef* command = nullptr;
  const FlagSpec* value_due = nullptr;  // the flag whose value the next word is
  bool flags_ended = false;             // after "--"
  std::vector<FlagSpec> flags = GlobalFlags();

  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const std::string& word = words[i];
    if (value_due != nullptr) {
      value_due = nullptr;
      continue;
    }
    if (!flags_ended && word == "--") {
      flags_ended = true;
    } else if (!flags_ended && word.size() > 1 && word[0] == '-') {
      const FlagSpec* flag = FindFlag(word, flags);
      if (ValueFollows(word, flag)) value_due = flag;
    } else if (resource == nullptr) {
      if (word == "help") continue;  // `cmqctl help queue create`
      resource = FindResource(resources, word);
      if (resource == nullptr) return {};
    } else if (command == nullptr) {
      command = FindCommand(*resource, word);
      if (command == nullptr) return {};
      flags.insert(flags.begin(), command->flags.begin(), command->flags.end());
    }
    // Further words are the command's arguments.
  }

  std::vector<std::string> all;
  if (value_due != nullptr) {
    all = ListedValues(value_due->value_name);
  } else if (!flags_ended && typed.starts_with("-")) {
    for (const FlagSpec& f : flags) all.push_back("--" + f.name);
    if (resource == nullptr) all.push_back("--version");
  } else if (resource == nullptr) {
    for (const ResourceDef& r : resources) all.push_back(r.name);
    all.push_back("help");
    all.push_back("version");
  } else if (command == nullptr) {
    for (const CommandDef& c : resource->commands) all.push_back(c.verb);
  }
  std::vector<std::string> matching;
  for (std::string& candidate : all) {
    if (candidate.starts_with(typed)) matching.push_back(std::move(candidate));
  }
  return matching;
}

}  // namespace cmqctl
