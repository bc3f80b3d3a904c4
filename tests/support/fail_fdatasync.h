// A cmqd whose fdatasync fails on demand: the launcher (CmqdProcess::set_launcher)
// that preloads tests/support/preload/fail_fdatasync.cc into it. Every fdatasync fails
// with EIO while the file `flag` exists. For blackbox_tests, which are built with the
// library's path.
#pragma once

#include <string>
#include <vector>

namespace cmq::testing {

std::vector<std::string> FailFdatasyncLauncher(const std::string& flag);

// The same library, so that posix_fallocate fails with ENOSPC (a full disk) while the
// file `flag` exists.
std::vector<std::string> FailFallocateLauncher(const std::string& flag);

}  // namespace cmq::testing
