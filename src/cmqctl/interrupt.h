// Ctrl-C handling for the long-running commands (consume, watch, bulk send, drain).
//
// SIGINT and SIGTERM set a flag that the loops check between steps, so a message being
// handled is finished (printed, its command run, deleted) before cmqctl stops. A
// blocking long-poll receive cannot be cut short through libcmq, so while one is in
// progress (an ExitOnInterrupt scope) the handler ends the process at once with 130:
// nothing is lost, because a message a cut receive may have taken becomes receivable
// again after its visibility timeout.
#pragma once

#include <cstdint>

namespace cmqctl {

// Installs the handlers (idempotent) and clears the flag.
void InstallInterruptHandlers();
bool Interrupted();
// Sleeps up to `seconds`, returning early (false) when interrupted.
bool SleepUnlessInterrupted(double seconds);

// While alive, an interrupt exits the process immediately with 130 after writing
// "cmqctl: interrupted (<count> <what>)" to stderr, where count is the value of
// *counter at that moment. Scopes do not nest.
class ExitOnInterrupt {
 public:
  // `what` must be a string literal ("messages"); `counter` may be null.
  ExitOnInterrupt(const char* what, const uint64_t* counter);
  ~ExitOnInterrupt();
  ExitOnInterrupt(const ExitOnInterrupt&) = delete;
  ExitOnInterrupt& operator=(const ExitOnInterrupt&) = delete;
};

}  // namespace cmqctl
