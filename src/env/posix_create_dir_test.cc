// PosixEnv::CreateDir makes the directories it creates durable: it fsyncs the parent
// of each. A power cut cannot be staged on a real file system here, so this test
// watches the fsync calls themselves: this binary defines fsync(), which the linker
// binds PosixEnv's calls to, notes the directory and passes the call on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "env/env.h"

namespace {

std::mutex synced_mu;
std::vector<std::string> synced_paths;

}  // namespace

extern "C" int fsync(int fd) {
  char link[64];
  char target[PATH_MAX];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n > 0) {
    std::lock_guard<std::mutex> lock(synced_mu);
    synced_paths.emplace_back(target, static_cast<size_t>(n));
  }
  return static_cast<int>(syscall(SYS_fsync, fd));
}

namespace cmq::env {
namespace {

TEST(PosixCreateDirTest, FsyncsTheParentOfEveryDirectoryItCreates) {
  char tmpl[] = "/tmp/cmq_mkdir_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = std::filesystem::canonical(tmpl).string();
  {
    std::lock_guard<std::mutex> lock(synced_mu);
    synced_paths.clear();
  }
  ASSERT_TRUE(PosixEnv()->CreateDir(root + "/data/journal/x").ok());
  std::vector<std::string> got;
  {
    std::lock_guard<std::mutex> lock(synced_mu);
    got = synced_paths;
  }
  for (const std::string& dir : {root, root + "/data", root + "/data/journal"}) {
    EXPECT_NE(std::find(got.begin(), got.end(), dir), got.end()) << dir << " was not fsynced";
  }
  // An existing directory: its parent is synced again (a crash may have followed its
  // creation by an earlier run), nothing else.
  {
    std::lock_guard<std::mutex> lock(synced_mu);
    synced_paths.clear();
  }
  ASSERT_TRUE(PosixEnv()->CreateDir(root + "/data/journal/x").ok());
  {
    std::lock_guard<std::mutex> lock(synced_mu);
    EXPECT_EQ(synced_paths, std::vector<std::string>{root + "/data/journal"});
  }
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace cmq::env
