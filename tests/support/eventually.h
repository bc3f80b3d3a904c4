// Eventually: waits for a condition another process (cmqd) makes true, by polling it.
// Not a timing assertion: the bound is generous and only stops a hung test.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

namespace cmq::testing {

// True as soon as `condition()` is; false if it is still false after `timeout_ms`.
inline bool Eventually(const std::function<bool()>& condition, int64_t timeout_ms = 60000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace cmq::testing
