#include "admin/admin.h"

#include <gtest/gtest.h>

#include "common/json.h"

namespace cmq::admin {
namespace {

JsonValue Json(const AdminResponse& r) {
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  Result<JsonValue> parsed = ParseJson(r.body);
  EXPECT_TRUE(parsed.ok()) << r.body;
  return parsed.ok() ? *parsed : JsonValue();
}

std::string Reason(const JsonValue& v) {
  const JsonValue* reason = v.Find("reason");
  return reason != nullptr && reason->is_string() ? reason->as_string() : "";
}

TEST(AdminTest, ReadinessAnswers503WithTheReasonWhenNotReady) {
  Readiness now{true, "serving"};
  Admin admin(AdminSources{[&] { return now; }, nullptr});
  AdminResponse ready = admin.Handle("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(Reason(Json(ready)), "serving");
  now = {false, "shutting down"};
  AdminResponse not_ready = admin.Handle("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  JsonValue body = Json(not_ready);
  EXPECT_EQ(Reason(body), "shutting down");
  ASSERT_NE(body.Find("ready"), nullptr);
  EXPECT_FALSE(body.Find("ready")->as_bool());
  // Alive all the same.
  EXPECT_EQ(admin.Handle("GET", "/healthz").status, 200);
}

TEST(AdminTest, MetricsAreTheSourcesTextInThePrometheusContentType) {
  Admin admin(AdminSources{nullptr, [](MetricsText& text) {
                             text.Single("cmq_x", MetricType::kGauge, "X.", int64_t{1});
                           }});
  AdminResponse r = admin.Handle("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# HELP cmq_x X.\n# TYPE cmq_x gauge\ncmq_x 1\n");
}

TEST(AdminTest, UnknownPathsAre404AndOtherMethods405InJson) {
  Admin admin(AdminSources{});
  AdminResponse missing = admin.Handle("GET", "/metrics/");
  EXPECT_EQ(missing.status, 404);
  JsonValue body = Json(missing);
  ASSERT_NE(body.Find("path"), nullptr);
  EXPECT_EQ(body.Find("path")->as_string(), "/metrics/");
  // An echoed path that is not UTF-8 still makes valid JSON.
  EXPECT_EQ(Json(admin.Handle("GET", "/\xff")).type(), JsonValue::Type::kObject);
  AdminResponse post = admin.Handle("POST", "/metrics");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(Json(post).type(), JsonValue::Type::kObject);
}

}  // namespace
}  // namespace cmq::admin
