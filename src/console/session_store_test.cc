#include "console/session_store.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace cmq::console {
namespace {

TEST(SessionStoreTest, OpenGivesRandomIdAndTokenThatNameTheSession) {
  env::FakeClock clock;
  SessionStore store(&clock, {});
  const Session& a = store.Open(7, "AKIDa");
  std::string id = a.id, token = a.csrf_token;
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(token.size(), 32u);
  EXPECT_NE(id, token);
  const Session& b = store.Open(7, "AKIDa");
  EXPECT_NE(b.id, id);
  EXPECT_NE(b.csrf_token, token);
  const Session* found = store.Use(id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->account, 7u);
  EXPECT_EQ(found->secret_id, "AKIDa");
  EXPECT_EQ(found->csrf_token, token);
  EXPECT_EQ(store.Use("0123456789abcdef0123456789abcdef"), nullptr);
  EXPECT_EQ(store.Use(""), nullptr);
}

TEST(SessionStoreTest, IdleSessionEndsAndUseKeepsItAlive) {
  env::FakeClock clock;
  SessionStore store(&clock, {.idle_timeout_ms = 1000, .max_sessions = 10});
  std::string id = store.Open(1, "k").id;
  clock.Advance(999);
  ASSERT_NE(store.Use(id), nullptr);  // used: idle time starts again
  clock.Advance(999);
  ASSERT_NE(store.Use(id), nullptr);
  clock.Advance(1000);
  EXPECT_EQ(store.Use(id), nullptr);
  EXPECT_EQ(store.size(), 0u);
}

TEST(SessionStoreTest, CloseEndsTheSession) {
  env::FakeClock clock;
  SessionStore store(&clock, {});
  std::string id = store.Open(1, "k").id;
  std::string other = store.Open(1, "k").id;
  store.Close(id);
  EXPECT_EQ(store.Use(id), nullptr);
  EXPECT_NE(store.Use(other), nullptr);
  store.Close("no such session");
  EXPECT_EQ(store.size(), 1u);
}

TEST(SessionStoreTest, AtTheCapTheSessionIdleLongestEnds) {
  env::FakeClock clock;
  SessionStore store(&clock, {.idle_timeout_ms = 1000000, .max_sessions = 3});
  std::string first = store.Open(1, "k").id;
  clock.Advance(1);
  std::string second = store.Open(1, "k").id;
  clock.Advance(1);
  std::string third = store.Open(1, "k").id;
  clock.Advance(1);
  ASSERT_NE(store.Use(first), nullptr);  // now `second` is idle longest
  clock.Advance(1);
  std::string fourth = store.Open(1, "k").id;
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.Use(second), nullptr);
  EXPECT_NE(store.Use(first), nullptr);
  EXPECT_NE(store.Use(third), nullptr);
  EXPECT_NE(store.Use(fourth), nullptr);
}

}  // namespace
}  // namespace cmq::console
