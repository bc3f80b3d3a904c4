#include "support/fail_fdatasync.h"

#include <cstdlib>

namespace cmq::testing {

std::vector<std::string> FailFdatasyncLauncher(const std::string& flag) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  // The library comes first in the load order; ASan must not insist on being first.
  return {"/usr/bin/env", std::string("LD_PRELOAD=") + FAIL_FDATASYNC_LIB,
          "CMQ_FAIL_FDATASYNC_WHILE_EXISTS=" + flag,
          "ASAN_OPTIONS=" + std::string(asan ? asan : "") + (asan && *asan ? ":" : "") +
              "verify_asan_link_order=0"};
}

}  // namespace cmq::testing
