// The quick-start examples (examples/*.cpp) run against a live cmqd and must exit 0:
// each checks that every step behaved as the CMQ quick start says.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/child_process.h"
#include "support/cmqd_process.h"

namespace cmq {
namespace {

using testing::CmqdProcess;
using testing::Program;
using testing::RunOptions;
using testing::RunProgram;
using testing::RunResult;
using testing::TempDir;

// Runs the example at `path` with only the CMQ_* variables pointing at `server` as its
// environment; kills it after `limit_ms`.
RunResult RunExample(const std::string& path, const CmqdProcess& server, int64_t limit_ms) {
  Program program;
  program.argv = {path};
  program.environment = {"CMQ_ENDPOINT=" + server.endpoint(),
                         std::string("CMQ_SECRET_ID=") + CmqdProcess::kSecretId,
                         std::string("CMQ_SECRET_KEY=") + CmqdProcess::kSecretKey};
  program.inherit_environment = false;
  RunOptions options;
  options.merge_stderr = true;
  options.limit_ms = limit_ms;
  return RunProgram(program, options);
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
  RunResult r = RunExample(QUICKSTART_QUEUE_PATH, *server_, 120000);
  EXPECT_EQ(r.exit_status, 0) << r.out;
  EXPECT_NE(r.out.find("every step behaved as expected"), std::string::npos) << r.out;
}
#endif

#ifdef QUICKSTART_TOPIC_PATH
TEST_F(SdkExamplesTest, TopicQuickStart) {
  RunResult r = RunExample(QUICKSTART_TOPIC_PATH, *server_, 180000);
  EXPECT_EQ(r.exit_status, 0) << r.out;
  EXPECT_NE(r.out.find("every step behaved as expected"), std::string::npos) << r.out;
}
#endif

TEST(SdkExamplesSettingsTest, ExamplesRefuseToRunWithoutSettings) {
#ifdef QUICKSTART_QUEUE_PATH
  Program program;
  program.argv = {QUICKSTART_QUEUE_PATH};
  program.inherit_environment = false;
  RunResult r = RunProgram(program);
  EXPECT_EQ(r.exit_status, 2) << r.out << r.err;
#else
  GTEST_SKIP() << "examples not built";
#endif
}

}  // namespace
}  // namespace cmq
