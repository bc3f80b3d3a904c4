// --mode longpoll: parks many ReceiveMessage calls on an empty queue at once, one
// connection each, driven by one epoll thread with non-blocking sockets (so 10,000 cost
// a few MB here), and checks that the server answers every one with 7000 "no message"
// no later than wait + 1 s. The server's memory while they are parked is measured from
// outside (or from /proc with --server-pid on the same host).
#pragma once

#include "bench/bench_options.h"

namespace cmq::bench {

// Prints the report; returns 0 if every receive got 7000 in time, 1 if not, 2 on a
// setup error (queue not empty, fd limit too low, ...).
int RunLongPollProbe(const BenchOptions& options);

}  // namespace cmq::bench
