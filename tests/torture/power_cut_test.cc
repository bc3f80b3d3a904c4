// The power-cut library and its revert on their own: power_cut_writer (a small program
// making the calls src/env/posix_env.cc makes) runs with the library loaded, kills
// itself with SIGKILL, and the revert must leave exactly what the durability rules
// promise: synced bytes and entries stay, the rest goes (or, cut by pages, each page
// is either old or new).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/cmqd_process.h"
#include "torture/power_cut_revert.h"

namespace cmq::torture {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class PowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() + "/data";
    undo_ = dir_.path() + "/undo";
    fs::create_directory(root_);
    auto env = PreparePowerCut(POWER_CUT_LIBRARY, root_, undo_);
    ASSERT_TRUE(env.ok()) << env.status().ToString();
    env_ = *env;
  }

  // Starts power_cut_writer with the library loaded; its stdout goes to `out_fd`
  // when that is not -1. The entries replace same-named variables for the child only.
  pid_t Spawn(const std::vector<std::string>& commands, int out_fd = -1) {
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    for (const std::string& entry : env_) {
      std::string name = entry.substr(0, entry.find('='));
      const char* old = getenv(name.c_str());
      saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      setenv(name.c_str(), entry.c_str() + name.size() + 1, 1);
    }
    std::vector<std::string> args = {POWER_CUT_WRITER, root_};
    args.insert(args.end(), commands.begin(), commands.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (out_fd >= 0) posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    pid_t pid = -1;
    int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    for (const auto& [name, value] : saved) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
    EXPECT_EQ(err, 0) << "posix_spawn " << POWER_CUT_WRITER;
    return err == 0 ? pid : -1;
  }

  // Runs the commands; the writer must end by killing itself (every command ran).
  void RunWriter(const std::vector<std::string>& commands) {
    pid_t pid = Spawn(commands);
    ASSERT_GT(pid, 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "power_cut_writer failed, status " << status;
  }

  void Cut(CutMode mode = CutMode::kEverything, uint64_t seed = 1) {
    PowerCutReport report;
    Status s = SimulatePowerCut(root_, undo_, mode, seed, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Durable content made by this process (the library is not loaded here).
  void Put(const std::string& name, const std::string& content) {
    std::ofstream(root_ + "/" + name, std::ios::binary) << content;
  }

  std::string Read(const std::string& name) {
    std::ifstream in(root_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  bool Exists(const std::string& name) { return fs::exists(root_ + "/" + name); }

  static std::string Pages(int n, char c) { return std::string(4096 * n, c); }

  TempDir dir_;
  std::string root_, undo_;
  std::vector<std::string> env_;
};

TEST_F(PowerCutTest, SyncedWritesStayUnsyncedWritesGo) {
  Put("a", Pages(3, 'a'));
  RunWriter({"pwrite:a:0:4096:b", "datasync:a", "pwrite:a:4096:100:c", "append:a:5000:d"});
  EXPECT_EQ(Read("a").size(), 3 * 4096 + 5000u);
  Cut();
  EXPECT_EQ(Read("a"), Pages(1, 'b') + Pages(2, 'a'));
}

TEST_F(PowerCutTest, FsyncCountsLikeFdatasync) {
  Put("a", Pages(2, 'a'));
  RunWriter({"pwrite:a:0:8192:b", "fsync:a", "pwrite:a:0:10:c"});
  Cut();
  EXPECT_EQ(Read("a"), Pages(2, 'b'));
}

TEST_F(PowerCutTest, CutByPagesLeavesEachPageOldOrNew) {
  int old_pages = 0, new_pages = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Put("p", Pages(16, 'o'));
    RunWriter({"pwrite:p:0:65536:n", "pwrite:q:0:4096:q", "datasync:q", "syncdir:."});
    Cut(CutMode::kSomePages, seed);
    std::string content = Read("p");
    ASSERT_EQ(content.size(), 65536u);
    for (int page = 0; page < 16; ++page) {
      std::string got = content.substr(page * 4096, 4096);
      if (got == Pages(1, 'o')) {
        ++old_pages;
      } else {
        ASSERT_EQ(got, Pages(1, 'n')) << "page " << page << " seed " << seed;
        ++new_pages;
      }
    }
    EXPECT_EQ(Read("q"), Pages(1, 'q')) << "a synced file is never cut";
  }
  EXPECT_GT(old_pages, 0);
  EXPECT_GT(new_pages, 0);
}

TEST_F(PowerCutTest, EntryChangesNeedTheirDirectorySynced) {
  Put("gone", "g");
  Put("target", "T");
  RunWriter({
      "pwrite:kept:0:10:k",
      "datasync:kept",
      "syncdir:.",  // durable file and entry
      "pwrite:made:0:10:m",
      "datasync:made",  // data synced, entry not
      "unlink:gone",    // comes back, with its bytes
      "pwrite:tmp:0:5:t",
      "datasync:tmp",
      "rename:tmp:target",
      "mkdir:sub",
      "pwrite:sub/f:0:3:s",
      "datasync:sub/f",
      "syncdir:sub",
  });
  EXPECT_FALSE(Exists("gone"));
  Cut();
  EXPECT_EQ(Read("kept"), std::string(10, 'k'));
  EXPECT_FALSE(Exists("made"));
  EXPECT_EQ(Read("gone"), "g");
  EXPECT_EQ(Read("target"), "T");
  EXPECT_FALSE(Exists("tmp"));
  EXPECT_FALSE(Exists("sub"));
}

TEST_F(PowerCutTest, EntryChangesBeforeADirectorySyncStay) {
  Put("dead", "d");
  RunWriter({"unlink:dead", "pwrite:born:0:4:b", "datasync:born", "mkdir:sub", "syncdir:."});
  // The kept link of the removed file was dropped once its removal was durable.
  EXPECT_TRUE(fs::is_empty(undo_ + "/links"));
  Cut();
  EXPECT_FALSE(Exists("dead"));
  EXPECT_EQ(Read("born"), "bbbb");
  EXPECT_TRUE(fs::is_directory(root_ + "/sub"));
}

TEST_F(PowerCutTest, SizeChangesAndEveryWriteCallAreTakenBack) {
  Put("shrunk", Pages(3, 's'));
  Put("grown", Pages(1, 'g'));
  Put("pf", Pages(1, 'p'));
  Put("dio", Pages(2, 'o'));
  Put("vec", Pages(2, 'v'));
  Put("synced", Pages(1, 'y'));
  RunWriter({
      "truncate:shrunk:100",
      "fallocate:grown:0:65536",
      "posix_fallocate:pf:0:1048576",
      "direct:dio:4096:4096:D",
      "pwritev:vec:1000:3000:w",
      "truncate:synced:10",
      "datasync:synced",
  });
  Cut();
  EXPECT_EQ(Read("shrunk"), Pages(3, 's'));
  EXPECT_EQ(Read("grown"), Pages(1, 'g'));
  EXPECT_EQ(Read("pf"), Pages(1, 'p'));
  EXPECT_EQ(Read("dio"), Pages(2, 'o'));
  EXPECT_EQ(Read("vec"), Pages(2, 'v'));
  EXPECT_EQ(Read("synced"), std::string(10, 'y'));
}

TEST_F(PowerCutTest, ChangesOfEarlierProcessesAreTakenBackUntilSynced) {
  Put("f", Pages(2, 'f'));
  Put("h", Pages(1, 'h'));
  RunWriter({"pwrite:f:0:4096:1", "pwrite:h:0:4096:1"});
  RunWriter({"pwrite:f:4096:4096:2", "datasync:h"});
  Cut();
  EXPECT_EQ(Read("f"), Pages(2, 'f')) << "both processes' unsynced pages";
  EXPECT_EQ(Read("h"), Pages(1, '1')) << "synced by the second process";
}

// The way cmqd relies on it: whatever fdatasync acknowledged survives any cut.
TEST_F(PowerCutTest, AcknowledgedLinesSurviveKillAndCut) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    fs::remove(root_ + "/log");
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t pid = Spawn({"acked:log"}, pipe_fds[1]);
    close(pipe_fds[1]);
    ASSERT_GT(pid, 0);
    FILE* out = fdopen(pipe_fds[0], "r");
    long last = -1;
    char line[64];
    while (last < 60 + 40 * static_cast<long>(seed) && fgets(line, sizeof(line), out)) {
      last = std::strtol(line, nullptr, 10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    fclose(out);
    ASSERT_GE(last, 60);
    Cut(CutMode::kSomePages, seed);
    std::ifstream in(root_ + "/log");
    std::string text;
    for (long i = 0; i <= last; ++i) {
      ASSERT_TRUE(std::getline(in, text)) << "acknowledged line " << i << " lost";
      ASSERT_EQ(text, "line " + std::to_string(i) + " " + std::string(i % 5000, 'x'));
    }
  }
}

}  // namespace
}  // namespace cmq::torture
