// What a client sees of a server-side failure, and what the operator's log gets.
#include "api/response.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "common/log.h"

namespace cmq::api {
namespace {

constexpr char kDetail[] =
    "fdatasync /var/lib/cmqd/journal/0000000007.seg: Input/output error (errno 5)";

std::string Message(const std::string& json) {
  Result<JsonValue> parsed = ParseJson(json);
  EXPECT_TRUE(parsed.ok()) << json;
  const JsonValue* m = parsed.ok() ? parsed->Find("message") : nullptr;
  return m != nullptr && m->is_string() ? m->as_string() : "<no message>";
}

TEST(RenderResponseTest, ServerFailuresShowClientsTheFixedTextOnly) {
  int checked = 0;
  for (int i = 0; i < kErrorCodeCount; ++i) {
    const ErrorInfo& info = GetErrorInfo(static_cast<ErrorCode>(i));
    if (info.code != 6000) continue;
    ++checked;
    std::string json =
        RenderResponse({"1", std::nullopt, nullptr, {}, {}, {}}, Status(static_cast<ErrorCode>(i), kDetail));
    EXPECT_EQ(json.find("/var/lib"), std::string::npos) << info.name << ": " << json;
    EXPECT_EQ(json.find("Input/output"), std::string::npos) << info.name << ": " << json;
    EXPECT_EQ(Message(json),
              std::string("(").append(std::to_string(info.module_code)).append(")").append(info.text))
        << info.name;
  }
  EXPECT_GE(checked, 8);
}

TEST(RenderResponseTest, StorageFailureAndFdExhaustionHaveTheirOwnTexts) {
  Envelope envelope{"1", std::nullopt, nullptr, {}, {}, {}};
  EXPECT_EQ(Message(RenderResponse(envelope, Status(ErrorCode::kStorageFailed, kDetail))),
            "(10050)server internal error: storage failed, the server stopped accepting "
            "writes after a disk error");
  EXPECT_EQ(Message(RenderResponse(envelope, Status(ErrorCode::kTooManyOpenFiles, kDetail))),
            "(10050)server internal error: too many open files");
  EXPECT_EQ(Message(RenderResponse(envelope, Status(ErrorCode::kDiskFull, kDetail))),
            "(10090)send message failed: disk full");
}

TEST(RenderResponseTest, ParameterNamesStillReachTheClient) {
  std::string json = RenderResponse({"1", std::nullopt, nullptr, {}, {}, {}},
                                    Status(ErrorCode::kLackedParameter, "queueName"));
  EXPECT_EQ(Message(json), "(10390)lacked of required parameter queueName");
}

TEST(RenderResponseTest, TheDetailHiddenFromTheClientIsLogged) {
  LogCapture capture;
  Envelope envelope{"1", std::nullopt, std::make_shared<FailureLog>(), {}, {}, {}};
  RenderResponse(envelope, Status(ErrorCode::kStorageFailed, kDetail));
  // Client errors and refusals during shutdown are not the operator's problem.
  RenderResponse(envelope, Status(ErrorCode::kLackedParameter, "queueName"));
  RenderResponse(envelope, Status(ErrorCode::kShuttingDown));
  ASSERT_EQ(capture.Lines().size(), 1u);
  EXPECT_EQ(capture.Count("ERROR request failed: kStorageFailed"), 1u);
  EXPECT_EQ(capture.Count(kDetail), 1u);
}

}  // namespace
}  // namespace cmq::api
