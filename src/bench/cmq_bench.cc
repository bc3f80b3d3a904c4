// cmq-bench: a load generator speaking the CMQ API over keep-alive HTTP with signed
// requests. See --help.
#include <csignal>
#include <cstdio>
#include <cstring>

#include "bench/admin_probe.h"
#include "bench/bench_options.h"
#include "bench/longpoll_probe.h"
#include "bench/queue_load.h"
#include "bench/topic_load.h"
#include "cmq_version.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::puts("cmq-bench " CMQ_VERSION_DESCRIPTION);
    return 0;
  }
  bool help = false;
  std::string error;
  std::optional<cmq::bench::BenchOptions> options =
      cmq::bench::ParseBenchOptions(argc, argv, &help, &error);
  if (help) {
    std::fputs(cmq::bench::HelpText().c_str(), stdout);
    return 0;
  }
  if (!options) {
    std::fprintf(stderr, "cmq-bench: %s\n", error.c_str());
    return 2;
  }
  if (options->mode == cmq::bench::Mode::kScrape) return cmq::bench::RunScrapeProbe(*options);
  if (options->mode == cmq::bench::Mode::kLongPoll) return cmq::bench::RunLongPollProbe(*options);
  if (cmq::bench::IsTopicMode(options->mode)) return cmq::bench::RunTopicLoad(*options);
  return cmq::bench::RunQueueLoad(*options);
}
