// Daemon: wires the layers into a running cmqd. Owns the event loop, the storage (the
// journal and its broker, or in the distributed mode a PostgresPartition that owns
// each life of the partition's log and broker), key store, api and HTTP server; runs
// everything on the calling thread except the log writers and the lease keeper.
#pragma once

#include <memory>

#include "common/status.h"
#include "server/config.h"

namespace cmq::server {

class Daemon {
 public:
  explicit Daemon(Config config);
  ~Daemon();

  // Binds the listener (so a taken port fails before anything is created), opens the
  // data directory (exclusive lock), settles the default key pair (credentials.h),
  // recovers the journal into the broker and prints the listening line. Errors are
  // fatal for startup; their detail is a complete sentence for the operator (what
  // could not be done and why, StartupError), printed by main as it is.
  Status Start();
  // Runs the event loop until SIGTERM/SIGINT (or RequestStop), then shuts down
  // gracefully: stop accepting, let in-flight requests finish (bounded by
  // shutdown_grace_ms), sync and close the journal (distributed mode: commit, close the
  // log and hand the lease over). Returns the log's final status.
  Status Run();
  // Thread-safe: begins the graceful shutdown.
  void RequestStop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::server
