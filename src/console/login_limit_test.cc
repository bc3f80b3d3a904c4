#include "console/login_limit.h"

#include <gtest/gtest.h>

#include "env/env.h"

namespace cmq::console {
namespace {

constexpr int64_t kMinute = 60 * 1000;

class LoginLimitTest : public ::testing::Test {
 protected:
  env::FakeClock clock_;
  LoginLimit limit_{&clock_, {.max_failures = 3, .window_ms = 5 * kMinute, .max_addresses = 2}};
};

TEST_F(LoginLimitTest, TheFailuresOfOneAddressInAWindowCloseItUntilTheWindowHasPassed) {
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0);
  limit_.NoteFailure("10.0.0.1");
  clock_.Advance(kMinute);
  limit_.NoteFailure("10.0.0.1");
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0);
  clock_.Advance(kMinute);
  limit_.NoteFailure("10.0.0.1");
  // Three within five minutes of the first: closed until five minutes after it.
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 3 * kMinute);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.2"), 0);  // others are not
  clock_.Advance(3 * kMinute - 1);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 1);
  clock_.Advance(1);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0);
  EXPECT_EQ(limit_.tracked(), 0u);
  // A new window starts afresh.
  limit_.NoteFailure("10.0.0.1");
  limit_.NoteFailure("10.0.0.1");
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0);
}

TEST_F(LoginLimitTest, FailuresSpreadOverTimeNeverCloseAnAddress) {
  for (int i = 0; i < 10; ++i) {
    limit_.NoteFailure("10.0.0.1");
    limit_.NoteFailure("10.0.0.1");
    EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0) << i;
    clock_.Advance(5 * kMinute);
  }
}

TEST_F(LoginLimitTest, AtTheCapTheUntrackedShareOneWindow) {
  limit_.NoteFailure("10.0.0.1");
  clock_.Advance(kMinute);
  limit_.NoteFailure("10.0.0.2");
  EXPECT_EQ(limit_.tracked(), 2u);
  // Full: the failures of further addresses count together.
  limit_.NoteFailure("10.0.0.3");
  limit_.NoteFailure("10.0.0.4");
  EXPECT_EQ(limit_.tracked(), 2u);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.5"), 0);
  limit_.NoteFailure("10.0.0.5");
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.6"), 5 * kMinute);  // no failure of its own
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.1"), 0);            // tracked: its own count
  // The oldest window passes: room for a new address, whose failures are its own; the
  // shared window still closes the others until it passes.
  clock_.Advance(4 * kMinute);
  EXPECT_EQ(limit_.tracked(), 2u);
  limit_.NoteFailure("10.0.0.7");
  EXPECT_EQ(limit_.tracked(), 2u);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.7"), 0);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.6"), kMinute);
  clock_.Advance(kMinute);
  EXPECT_EQ(limit_.RetryAfterMs("10.0.0.6"), 0);
}

}  // namespace
}  // namespace cmq::console
