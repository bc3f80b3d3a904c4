// What every torture run checks and reports the same way, whichever cmqd it runs:
// the failures the model found, and sanitizer reports in what cmqd printed.
#pragma once

#include <cstddef>
#include <string>

#include "torture/torture_model.h"

namespace cmq::torture {

// Failed assertions of the running test so far (from any thread).
int FailureCount();

// A sanitizer report in `output` past `*seen` is a failure: cmqd may have died of it
// before the kill, which would then pass for the kill. Moves `*seen` to the end.
void CheckSanitizerReports(const std::string& output, size_t* seen);

// Reports the model's failures found since the last call (the first ten, then a count).
void ReportModelFailures(Model& model);

}  // namespace cmq::torture
