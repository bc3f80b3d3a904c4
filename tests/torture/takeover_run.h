// The distributed mode's torture (docs/torture.md, "Takeover"): cmqd nodes on one
// PostgreSQL database with short leases; clients send, receive and delete through the
// nodes while the driver kills -9 the node that owns the partition at a random moment;
// another node takes over, the killed one comes back (standing by, or claiming the
// partition again). The checker is the kill -9 torture's (torture_model.h), with the
// visibility check across takeovers.
#pragma once

#include <cstdint>

namespace cmq::torture {

// The nodes the clients send their requests to.
enum class Route {
  kAnyNode,   // every node, moving on to the next after a 6000 or no answer
  kNonOwner,  // only nodes that do not own the partition (they forward to the owner)
};

struct TakeoverOptions {
  Route route = Route::kAnyNode;
  int segment_size_mb = 0;  // 0: drawn from the seed
};

// Runs `cycles` kill-and-takeover cycles on clusters drawn from `seed` (each lives for
// a few kills, then is drained, checked and stopped); reports failures to the running
// test. Starts the process's PostgreSQL server (support/postgres_server.h), so it runs
// on the main thread.
void RunTakeoverCycles(uint64_t seed, int cycles, const TakeoverOptions& options);

}  // namespace cmq::torture
