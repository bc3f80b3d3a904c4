// Shell completion of cmqctl command lines, from the command table itself (resources,
// verbs and flags of AllResources() and GlobalFlags()), so that it never lists a
// command that does not exist or misses one that does. The bash side is
// packaging/completion/cmqctl, which runs `cmqctl __complete WORD...`.
#pragma once

#include <string>
#include <vector>

namespace cmqctl {

// The candidates for the last of `words`, the words after the program name up to and
// including the one being typed (empty when a new word starts): resources, then the
// verbs of the resource, flags (the command's and the global ones) for a word starting
// with '-', and the listed values of a flag whose value is due ("sha1|sha256"). Only
// candidates that start with the typed word, in table order; none where cmqctl has
// nothing to offer (a queue name, a file), or after a word it does not know.
std::vector<std::string> CompletionCandidates(const std::vector<std::string>& words);

}  // namespace cmqctl
