// The quick-start examples (examples/*.cpp) run against a live cmqd and must exit 0:
// each checks that every step behaved as the CMQ quick start says.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/cmqd_process.h"

namespace cmq {
namespace {

using testing::CmqdProcess;
using testing::TempDir;

struct Outcome {
  int exit_code = -1;  // -1: killed after the time limit
  std::string output;
};

// Runs `path` with the CMQ_* variables pointing at `server`; output goes to a file in
// `dir`. Kills it after `limit`.
Outcome RunExample(const std::string& path, const CmqdProcess& server, const std::string& dir,
                   std::chrono::seconds limit) {
  std::string log = dir + "/example.log";
  std::vector<std::string> env = {"CMQ_ENDPOINT=" + server.endpoint(),
                                  std::string("CMQ_SECRET_ID=") + CmqdProcess::kSecretId,
                                  std::string("CMQ_SECRET_KEY=") + CmqdProcess::kSecretKey};
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string program = path;
    char* argv[] = {program.data(), nullptr};
    execve(argv[0], argv, envp.data());
    _exit(127);
  }
  Outcome outcome;
  auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (true) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    // Polling for the child's exit; not a timing assertion.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  outcome.output = ss.str();
  return outcome;
}

class SdkExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CmqdProcess>(dir_.path());
    ASSERT_TRUE(server_->Start()) << server_->output();
  }
  TempDir dir_;
  std::unique_ptr<CmqdProcess> server_;
};

#ifdef QUICKSTART_QUEUE_PATH
TEST_F(SdkExamplesTest, QueueQuickStart) {
  Outcome o = RunExample(QUICKSTART_QUEUE_PATH, *server_, dir_.path(), std::chrono::seconds(120));
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("every step behaved as expected"), std::string::npos) << o.output;
}
#endif

#ifdef QUICKSTART_TOPIC_PATH
TEST_F(SdkExamplesTest, TopicQuickStart) {
  Outcome o = RunExample(QUICKSTART_TOPIC_PATH, *server_, dir_.path(), std::chrono::seconds(180));
  EXPECT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("every step behaved as expected"), std::string::npos) << o.output;
}
#endif

TEST(SdkExamplesSettingsTest, ExamplesRefuseToRunWithoutSettings) {
#ifdef QUICKSTART_QUEUE_PATH
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    dup2(fd, 2);
    char* argv[] = {const_cast<char*>(QUICKSTART_QUEUE_PATH), nullptr};
    char* envp[] = {nullptr};
    execve(argv[0], argv, envp);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
#else
  GTEST_SKIP() << "examples not built";
#endif
}

}  // namespace
}  // namespace cmq
