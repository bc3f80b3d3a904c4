// cmqd's descriptor budget. Every client connection holds a file descriptor, and so
// do the journal (every segment kept, every spare), push connections, name
// resolution and the process itself (stdio, epoll, eventfd, signalfd, listeners, the
// lock file, directory syncs), all under one RLIMIT_NOFILE. Client connections get
// only what the others leave, so that a roll into a new segment never fails because
// clients took the last descriptors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace cmq::server {

// Descriptors kept for the process itself, whatever the load.
inline constexpr uint64_t kProcessDescriptors = 32;
// Journal files a burst may add (rolls, spares for headroom) before the connection
// cap is fitted again.
inline constexpr uint64_t kJournalGrowthDescriptors = 16;
// Push connections are not bounded in total (a pool per endpoint), so they get a
// share of the limit: a sixteenth, at least this many.
inline constexpr uint64_t kMinPushDescriptors = 64;
// Fewest client connections cmqd runs with: below this a start fails, and a growing
// journal never pushes the cap lower (clients must be able to delete, so that
// segments can be reclaimed again).
inline constexpr size_t kMinClientConnections = 16;

struct OpenFileLimit {
  uint64_t soft = 0;  // in force
  uint64_t hard = 0;
  uint64_t soft_before = 0;  // when the process started
  std::string raise_error;   // why the soft limit could not be raised ("" if it was)
};

// Raises the soft RLIMIT_NOFILE to the hard limit. An error only if the limits cannot
// be read; a refused raise leaves `soft` at `soft_before` and says why.
Result<OpenFileLimit> RaiseOpenFileLimit();

// Descriptors kept from client connections under `limit` while the journal has
// `journal_files` files open (segments kept plus spares).
uint64_t ReservedDescriptors(uint64_t limit, uint64_t journal_files);

// The most client connections under `limit` with `journal_files` open:
// min(max_connections, limit - ReservedDescriptors()), but never fewer than
// kMinClientConnections unless max_connections is.
size_t ConnectionCap(uint64_t limit, uint64_t journal_files, size_t max_connections);

// OK if `limit` leaves kMinClientConnections after ReservedDescriptors(), else an
// error telling the operator what to raise.
Status CheckOpenFileLimit(uint64_t limit, uint64_t journal_files);

// The start-up log line: the limit in force (and why it could not be raised, if so),
// the descriptors kept back and the resulting connection cap.
std::string DescribeConnectionBudget(const OpenFileLimit& limit, uint64_t journal_files,
                                     size_t max_connections);

}  // namespace cmq::server
