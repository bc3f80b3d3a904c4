// Test-only: stands in for the event loop of a Journal (or a PgRecordLog). The writer's wakeup hook
// signals it, and tests wait here (bounded, never sleeping) for a condition, running
// the journal's completions the way the loop would.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "journal/journal.h"

namespace cmq::journal {

class FakeLoop {
 public:
  // Only turns a hang into a failure; no test waits this long when it passes.
  static constexpr auto kWaitLimit = std::chrono::seconds(20);

  std::function<void()> Hook() {
    return [this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++wakeups_;
      cv_.notify_all();
    };
  }
  // Runs j->RunCompletions() until `done()` holds; false after the time limit. `Log` is
  // a Journal or another log with the same Start/RunCompletions/Stats shape
  // (pglog::PgRecordLog).
  template <class Log>
  bool RunUntil(Log* j, const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      uint64_t seen = wakeups_;
      lock.unlock();
      j->RunCompletions();
      bool ok = done();
      lock.lock();
      if (ok) return true;
      if (!cv_.wait_until(lock, deadline, [&] { return wakeups_ != seen; })) return false;
    }
  }
  // Until every record up to `lsn` is durable or the journal failed.
  template <class Log>
  bool WaitDurable(Log* j, Lsn lsn) {
    return RunUntil(j, [&] { return j->Stats().durable_lsn >= lsn || j->Stats().failed; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;
};

}  // namespace cmq::journal
