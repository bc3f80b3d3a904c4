// SessionStore: the web console's logged-in sessions (docs/architecture.md, "Web
// console"). A session is opened by a login with an account's key pair and is then
// named by a 128-bit random id (the cookie) and guarded by a second 128-bit random
// token (CSRF: the pages send it in a header on every state-changing request).
//
// Sessions live in memory only: a restart ends them all (log in again). A session not
// used for `idle_timeout_ms` is over; at most `max_sessions` exist, and opening one
// more ends the one idle longest. Thread: the event loop (not thread-safe).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "env/env.h"

namespace cmq::console {

struct Session {
  std::string id;          // 32 hex digits: the cookie's value
  std::string csrf_token;  // 32 hex digits: the X-CSRF-Token header's value
  uint64_t account = 0;    // appId of the account whose key pair opened it
  std::string secret_id;   // the SecretId it was opened with (shown, logged)
  int64_t last_used_ms = 0;
};

struct SessionOptions {
  int64_t idle_timeout_ms = 30 * 60 * 1000;
  size_t max_sessions = 1000;
};

class SessionStore {
 public:
  // `clock` is not owned.
  SessionStore(env::Clock* clock, SessionOptions options) : clock_(clock), options_(options) {}

  // A new session with fresh random id and token. The reference is valid until the
  // next call that changes the store.
  const Session& Open(uint64_t account, std::string secret_id);
  // The live session named `id`, marked used now; null when there is none (never
  // opened, closed, or idle too long: then it is ended here).
  const Session* Use(std::string_view id);
  // Ends the session named `id`, if any.
  void Close(std::string_view id);
  size_t size() const { return sessions_.size(); }

 private:
  bool Expired(const Session& s, int64_t now_ms) const {
    return now_ms - s.last_used_ms >= options_.idle_timeout_ms;
  }
  void EndExpiredAndOldest(int64_t now_ms);

  env::Clock* clock_;
  SessionOptions options_;
  std::unordered_map<std::string, Session> sessions_;  // by id
};

}  // namespace cmq::console
