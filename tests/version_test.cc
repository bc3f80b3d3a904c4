// Black-box: every program the project builds for users answers --version with
// "<program> <version> (<git describe or commit>, <build type>)": the project version
// from CMake, the revision it was built from ("unknown" outside a git checkout) and
// CMAKE_BUILD_TYPE.
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
  EXPECT_EQ(r.out, name + " " CMQ_VERSION " (" CMQ_GIT_COMMIT ", " CMQ_BUILD_TYPE ")\n");
  EXPECT_EQ(r.out, name + " " CMQ_VERSION_DESCRIPTION "\n");
}

TEST(VersionTest, EveryProgramPrintsItsVersionRevisionAndBuildType) {
  EXPECT_NE(std::string(CMQ_GIT_COMMIT), "");
  EXPECT_NE(std::string(CMQ_BUILD_TYPE), "");
  ExpectVersion(CMQD_PATH, "cmqd");
  ExpectVersion(CMQ_BENCH_PATH, "cmq-bench");
#ifdef CMQCTL_PATH
  ExpectVersion(CMQCTL_PATH, "cmqctl");
#endif
}

}  // namespace
}  // namespace cmq::testing
