#include "support/fail_fdatasync.h"

#include <cstdlib>

namespace cmq::testing {

namespace {

// cmqd with the library preloaded and `variable` naming `flag`.
std::vector<std::string> Launcher(const std::string& variable, const std::string& flag) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  // The library comes first in the load order; ASan must not insist on being first.
  return {"/usr/bin/env", std::string("LD_PRELOAD=") + FAIL_FDATASYNC_LIB, variable + "=" + flag,
          "ASAN_OPTIONS=" + std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
              "verify_asan_link_order=0"};
}

}  // namespace

std::vector<std::string> FailFdatasyncLauncher(const std::string& flag) {
  return Launcher("CMQ_FAIL_FDATASYNC_WHILE_EXISTS", flag);
}

std::vector<std::string> FailFallocateLauncher(const std::string& flag) {
  return Launcher("CMQ_FAIL_FALLOCATE_WHILE_EXISTS", flag);
}

}  // namespace cmq::testing
