// The admin listener of a cmqd under test (docs/architecture.md, "Operating cmqd: the
// admin listener"): requests to it, and samples read out of a /metrics answer.
#pragma once

#include <string>
#include <vector>

#include "support/blackbox.h"

namespace cmq::testing {

// One request on a fresh connection to the admin listener, with `headers` ("Name:
// value" each) and, if not empty, `body` as a form.
ClientResult<HttpResponse> AdminRequest(CmqdProcess& cmqd, const std::string& method,
                                        const std::string& path,
                                        const std::vector<std::string>& headers = {},
                                        const std::string& body = "");
ClientResult<HttpResponse> AdminGet(CmqdProcess& cmqd, const std::string& path);

// The value of the one sample of `family` whose labels contain every one of `labels`
// (each `name="value"`); -1 if there is none, -2 if there are several.
double SampleValue(const std::string& text, const std::string& family,
                   const std::vector<std::string>& labels);
// The value of the sample `name` without labels; -1 if there is none.
double UnlabelledValue(const std::string& text, const std::string& name);

}  // namespace cmq::testing
