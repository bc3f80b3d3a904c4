// The distributed mode's torture (docs/torture.md, "Takeover"): cmqd nodes on one
// PostgreSQL database with short leases; clients send, receive and delete through a
// node that does not own the partition while the driver kills -9 the node that owns
// it at a random moment; another node takes over, the killed one comes back (standing
// by, or claiming the partition again). With Kill::kPostgresPrimary the database is a
// Patroni cluster (support/patroni_cluster.h) and the driver kills its primary
// instead, as if its machine died: the synchronous standby is promoted, the nodes
// follow it, the killed instance comes back as a replica. The checker is the kill -9
// torture's (torture_model.h), with the visibility check across takeovers.
#pragma once

#include <cstdint>

namespace cmq::torture {

// The nodes the clients send their requests to (and the driver its drains and counts).
enum class Route {
  // Only nodes that do not own the partition: they forward every request to the owner.
  // While no such node runs (the owner's only peer was killed and is not back yet),
  // the owner itself.
  kNonOwner,
  // Every node, moving on to the next after a 6000 or no answer.
  kAnyNode,
};

// What each cycle kills.
enum class Kill {
  kOwner,            // the cmqd node that owns the partition (kill -9)
  kPostgresPrimary,  // the PostgreSQL primary of a Patroni cluster, Patroni with it
};

struct TakeoverOptions {
  Route route = Route::kNonOwner;
  Kill kill = Kill::kOwner;
  int segment_size_mb = 0;  // 0: drawn from the seed
};

// Runs `cycles` kill-and-takeover cycles on clusters drawn from `seed` (each lives for
// a few kills, then is drained, checked and stopped); reports failures to the running
// test. Starts the process's PostgreSQL server (support/postgres_server.h), or with
// Kill::kPostgresPrimary a Patroni cluster for the run, so it runs on the main thread.
void RunTakeoverCycles(uint64_t seed, int cycles, const TakeoverOptions& options);

}  // namespace cmq::torture
