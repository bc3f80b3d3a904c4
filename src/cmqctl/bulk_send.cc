#include "bulk_send.h"

#include <fstream>
#include <istream>
#include <memory>

#include "interrupt.h"
#include "line_batcher.h"
#include "progress.h"

namespace cmqctl {

std::optional<LineSource> LineSourceFromFlags(const Context& ctx) {
  std::optional<std::string> file = ctx.args().Value("file");
  bool use_stdin = ctx.args().Switch("stdin");
  if (file && use_stdin) ThrowUsage("give --file or --stdin, not both");
  if (use_stdin) return LineSource{"-"};
  if (file) {
    if (file->empty()) ThrowUsage("--file needs a path (or - for stdin)");
    return LineSource{*file};
  }
  return std::nullopt;
}

int RunBulkSend(Context& ctx, const LineSource& source, const std::string& target_key,
                const std::string& target, const char* verb,
                const std::function<void(const std::vector<std::string>&)>& send_batch) {
  std::unique_ptr<std::ifstream> file;
  std::unique_ptr<LineReader> reader;
  uint64_t total = 0;
  if (source.path == "-") {
    reader = ctx.io().in_fd >= 0 ? FdLineReader(ctx.io().in_fd) : StreamLineReader(ctx.in());
  } else {
    // Count the lines first (a cheap read) so the bar can show a percentage and ETA.
    std::ifstream counter(source.path, std::ios::binary);
    if (!counter) throw CommandError(kExitError, "cannot open " + source.path);
    total = CountMessageLines(counter);
    file = std::make_unique<std::ifstream>(source.path, std::ios::binary);
    if (!*file) throw CommandError(kExitError, "cannot open " + source.path);
    reader = StreamLineReader(*file);
  }

  InstallInterruptHandlers();
  LineBatcher batcher(*reader);
  ProgressBar bar(ctx.err(), ctx.io().err_is_tty, total, ctx.io().terminal_width);
  std::vector<std::string> batch;
  bool interrupted = false;
  try {
    while (batcher.Next(&batch)) {
      if (Interrupted()) {
        interrupted = true;
        break;
      }
      send_batch(batch);
      bar.Advance(batch.size());
    }
  } catch (...) {
    bar.Finish(verb, /*quiet=*/true);
    ctx.err() << "cmqctl: " << verb << " " << bar.done() << " message"
              << (bar.done() == 1 ? "" : "s") << " to " << target << " before this error:\n";
    throw;
  }
  interrupted = interrupted || Interrupted();
  bar.Finish(verb, /*quiet=*/true);
  if (batcher.read_error()) {
    throw CommandError(kExitError, "read error on " + (source.path == "-" ? "stdin" : source.path) +
                                       " after " + std::to_string(bar.done()) + " messages");
  }
  if (ctx.json()) {
    Json j = Json::Object();
    j.Set(target_key, target)
        .Set(verb, bar.done())
        .Set("skippedEmptyLines", batcher.skipped_empty())
        .Set("seconds", bar.elapsed());
    if (interrupted) j.Set("interrupted", true);
    ctx.PrintJson(j);
  } else {
    ctx.out() << RenderSummary(verb, bar.done(), bar.elapsed());
    if (batcher.skipped_empty() > 0) {
      ctx.out() << ", skipped " << batcher.skipped_empty() << " empty line"
                << (batcher.skipped_empty() == 1 ? "" : "s");
    }
    ctx.out() << (interrupted ? " (interrupted)\n" : "\n");
  }
  return interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace cmqctl
