// Publisher load against one topic, with the fan-out received either from queue
// subscriptions (--mode publish: consumers on <topic>-q1..N) or from HTTP subscriptions
// pushing to a sink inside cmq-bench (--mode push). Every published message must reach
// every subscription; missing ones are reported per subscription.
#pragma once

#include "bench/bench_options.h"

namespace cmq::bench {

// Runs the load described by `options` (mode publish or push), prints the report (text
// or JSON) to stdout and returns the process exit status: 0 ok, 1 verification failed
// (a subscription is missing messages), 2 setup failed or the run was aborted after
// --max-errors failed calls.
int RunTopicLoad(const BenchOptions& options);

}  // namespace cmq::bench
