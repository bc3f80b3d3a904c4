#include "torture/torture_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "support/temp_dir.h"

namespace cmq::torture {

int FailureCount() {
  const ::testing::TestResult* result =
      ::testing::UnitTest::GetInstance()->current_test_info()->result();
  int n = 0;
  for (int i = 0; i < result->total_part_count(); ++i) n += result->GetTestPartResult(i).failed();
  return n;
}

void CheckSanitizerReports(const std::string& output, size_t* seen) {
  std::string mine = output.substr(std::min(*seen, output.size()));
  EXPECT_TRUE(mine.find("Sanitizer") == std::string::npos &&
              mine.find("runtime error:") == std::string::npos)
      << "cmqd reported:\n"
      << testing::TailOf(mine);
  *seen = output.size();
}

void ReportModelFailures(Model& model) {
  std::vector<std::string> failures = model.TakeFailures();
  for (size_t i = 0; i < failures.size() && i < 10; ++i) ADD_FAILURE() << failures[i];
  if (failures.size() > 10) ADD_FAILURE() << "... and " << failures.size() - 10 << " more";
}

}  // namespace cmq::torture
