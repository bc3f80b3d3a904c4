// Daemon: wires the layers into a running cmqd. Owns the event loop, journal, broker,
// key store, api and HTTP server; runs everything on the calling thread except the
// journal writer.
#pragma once

#include <memory>

#include "common/status.h"
#include "server/config.h"

namespace cmq::server {

class Daemon {
 public:
  explicit Daemon(Config config);
  ~Daemon();

  // Opens the data directory (exclusive lock), loads or creates credentials, recovers
  // the journal into the broker and starts listening. Errors are fatal for startup.
  Status Start();
  // Runs the event loop until SIGTERM/SIGINT (or RequestStop), then shuts down
  // gracefully: stop accepting, let in-flight requests finish (bounded by
  // shutdown_grace_ms), sync and close the journal. Returns the journal's final status.
  Status Run();
  // Thread-safe: begins the graceful shutdown.
  void RequestStop();
  uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::server
