// When a torture cycle's kill comes: after a number of acknowledged operations, or
// right after the log created or removed a segment (a segment file of the journal, a
// segment table in PostgreSQL), while the clients' requests are in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "torture/torture_workload.h"

namespace cmq::torture {

enum class Trigger { kAcked, kSegmentRemoved, kSegmentCreated };

const char* TriggerName(Trigger t);

// Waits up to `wait_ms` for the log to create (or remove, as the trigger says) a
// segment; returns its name, or "" if none came.
using SegmentWatch = std::function<std::string(int64_t wait_ms)>;

// Waits for `target` acknowledged operations (kAcked), or for a segment change seen by
// `watch` once at least ten operations were acknowledged (or, if none comes, for four
// times `target`); a client thread's failure ends the wait at once. Fails the test if
// nothing is acknowledged for 300 s. Returns the moment, for the log.
std::string WaitForKillMoment(Trigger trigger, int64_t target, const Workload& workload,
                              const SegmentWatch& watch);

}  // namespace cmq::torture
