// LoginLimit: a bound on failed console logins per client address (docs/architecture.md,
// "Web console"): after `max_failures` failed logins from one address within a window
// that starts at the first of them, every login from that address is refused until the
// window has passed (then it starts afresh). A successful login changes no count: it
// does not lift a limit, neither its own address's nor another's. Counted per address
// without the port, so one client cannot escape by opening new connections.
//
// Memory is bounded: at most `max_addresses` addresses are tracked, each from its first
// failure until its window passed. At the cap, the failures of addresses not tracked
// count together in one shared window, so a guess spread over more addresses than the
// cap is still limited, and while that shared window is over the limit logins from every
// untracked address are refused (an address with no failure of its own included): the
// console errs on the side of refusing.
//
// Deterministic: time comes from the injected clock. Thread: the event loop (not
// thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "env/env.h"

namespace cmq::console {

struct LoginLimitOptions {
  int max_failures = 10;
  int64_t window_ms = 5 * 60 * 1000;
  size_t max_addresses = 10000;
};

class LoginLimit {
 public:
  // `clock` is not owned.
  LoginLimit(env::Clock* clock, LoginLimitOptions options) : clock_(clock), options_(options) {}

  // 0 when a login from `address` may be tried now; otherwise how long, in
  // milliseconds, until it may.
  int64_t RetryAfterMs(std::string_view address);
  // A login from `address` failed.
  void NoteFailure(std::string_view address);
  // Addresses tracked now (the shared window of the untracked not counted).
  size_t tracked() const { return by_address_.size(); }

 private:
  struct Window {
    std::string address;
    int64_t start_ms = 0;
    int failures = 0;
  };
  // Forgets the windows that have passed (the oldest are first in `windows_`).
  void DropPassed(int64_t now_ms);
  // The window counting `address`'s failures now: its own, the shared one at the cap,
  // or null when none counts any.
  Window* Counting(std::string_view address);

  env::Clock* clock_;
  LoginLimitOptions options_;
  std::list<Window> windows_;  // by start, oldest first
  std::unordered_map<std::string_view, std::list<Window>::iterator> by_address_;
  Window untracked_;  // at the cap: the failures of every address not tracked
};

}  // namespace cmq::console
