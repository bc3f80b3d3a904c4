// Black-box: every program the project builds for users answers --version with the
// project version from CMake and the git commit it was built from.
#include <gtest/gtest.h>

#include <string>

#include "cmq_version.h"
#include "support/child_process.h"

namespace cmq::testing {
namespace {

void ExpectVersion(const std::string& path, const std::string& name) {
  Program program;
  program.argv = {path, "--version"};
  RunResult r = RunProgram(program);
  EXPECT_EQ(r.exit_status, 0) << r.err;
  EXPECT_EQ(r.out, name + " " CMQ_VERSION_DESCRIPTION "\n");
  EXPECT_EQ(r.out.rfind(name + " " CMQ_VERSION, 0), 0u) << r.out;
  if (std::string(CMQ_GIT_COMMIT).empty()) return;
  EXPECT_NE(r.out.find("git " CMQ_GIT_COMMIT), std::string::npos) << r.out;
}

TEST(VersionTest, EveryProgramPrintsItsVersion) {
  ExpectVersion(CMQD_PATH, "cmqd");
  ExpectVersion(CMQ_BENCH_PATH, "cmq-bench");
#ifdef CMQCTL_PATH
  ExpectVersion(CMQCTL_PATH, "cmqctl");
#endif
}

}  // namespace
}  // namespace cmq::testing
