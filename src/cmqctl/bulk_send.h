// Sending a file or stdin line by line (msg send --file/--stdin, topic publish
// --file/--stdin): batches of 16, a progress bar with rate on a terminal, a summary at
// the end, and a clean stop on Ctrl-C between batches.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "command.h"

namespace cmqctl {

// Where the lines come from, from --file PATH (or "-") / --stdin. nullopt when neither
// flag is given; throws a usage error for both, or a file that cannot be opened.
struct LineSource {
  std::string path;  // "-" for stdin
};
std::optional<LineSource> LineSourceFromFlags(const Context& ctx);

// Sends every line of `source` through `send_batch` (one call per batch of up to 16
// bodies; it throws on failure). `target` names the queue/topic in messages, `verb`
// is "sent" or "published". Prints the summary (JSON with --json: {"<target_key>":
// target, "sent": N, "skippedEmptyLines": K, "seconds": S}) and returns the exit code.
// On a failure the count sent so far is printed to stderr before the error propagates.
int RunBulkSend(Context& ctx, const LineSource& source, const std::string& target_key,
                const std::string& target, const char* verb,
                const std::function<void(const std::vector<std::string>&)>& send_batch);

}  // namespace cmqctl
