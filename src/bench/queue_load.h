// Producer/consumer load against one queue (modes produce, consume and both).
#pragma once

#include "bench/bench_options.h"

namespace cmq::bench {

// Runs the load described by `options`, prints the report (text or JSON) to stdout and
// returns the process exit status: 0 ok, 1 verification failed (messages missing), 2
// setup failed or the run was aborted after --max-errors failed calls.
int RunQueueLoad(const BenchOptions& options);

}  // namespace cmq::bench
