// Shared by every cmq-bench mode: connecting, preparing and removing the queue, and
// naming errors in reports.
#pragma once

#include <string>

#include "bench/bench_options.h"
#include "client/caller.h"

namespace cmq::bench {

// A Caller for the options' endpoint and credentials.
client::ClientResult<client::Caller> MakeCaller(const BenchOptions& options);

// With --create-queue: CreateQueue with the given attributes (an existing queue is
// fine). Without: checks the queue exists. Prints what it did to stderr. False (after
// printing why) if the run cannot go on.
bool PrepareQueue(client::Caller* caller, const BenchOptions& options);

// The maxMsgSize to create a queue or topic with: --max-msg-size, else enough for
// --size when that exceeds the server default (64 KiB), else -1 (not sent).
int64_t MaxMsgSizeToRequest(const BenchOptions& options);

// With --delete-queue: DeleteQueue. Prints a warning on failure.
void CleanupQueue(client::Caller* caller, const BenchOptions& options);

// A short key for error tallies: the CMQ code for server errors ("4410"), "http-502",
// "timeout", "network", "protocol", "bad-response".
std::string ErrorKey(const client::Error& error);

}  // namespace cmq::bench
