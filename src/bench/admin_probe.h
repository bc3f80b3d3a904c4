// cmq-bench --mode scrape: what the admin listener costs with many queues. Creates
// queues <queue>-1..N with a message each, then GETs --admin-path (/metrics) on the
// admin listener --scrapes times and reports the answers' time and size.
#pragma once

#include "bench/bench_options.h"

namespace cmq::bench {

// Exit status: 0 ok, 1 an answer was not 200 or a GET failed, 2 setup failed.
int RunScrapeProbe(const BenchOptions& options);

}  // namespace cmq::bench
