#include "delivery/host_resolver.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <chrono>
#include <optional>

namespace cmq::delivery {
namespace {

class HostResolverTest : public ::testing::Test {
 protected:
  // Runs the loop until `done` or 10 s pass.
  bool RunUntil(const bool& done) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::function<void()> check = [&] {
      if (done || std::chrono::steady_clock::now() > limit) {
        loop_.Stop();
        return;
      }
      loop_.RunAfter(1, check);
    };
    loop_.RunAfter(0, check);
    loop_.Run();
    return done;
  }

  http::EventLoop loop_;
};

TEST_F(HostResolverTest, LiteralsAndLocalhostAnswerAtOnce) {
  HostResolver resolver(&loop_, env::PosixEnv());
  std::optional<Result<std::vector<SocketAddress>>> got;
  resolver.Resolve("10.1.2.3", 8080, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok());
  ASSERT_EQ((*got)->size(), 1u);
  EXPECT_EQ(FormatAddress((*got)->front()), "10.1.2.3:8080");

  got.reset();
  resolver.Resolve("::1", 9, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ(FormatAddress((*got)->front()), "[::1]:9");

  got.reset();
  resolver.Resolve("localhost", 80, [&](auto r) { got = std::move(r); });
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ(FormatAddress((*got)->front()), "127.0.0.1:80");
}

TEST_F(HostResolverTest, UnknownNamesFailThroughTheThreadAndConcurrentLookupsShareIt) {
  HostResolver resolver(&loop_, env::PosixEnv());
  int answers = 0;
  std::string error;
  // RFC 6761: names under .invalid never resolve.
  for (int i = 0; i < 3; ++i) {
    resolver.Resolve("no-such-host.invalid", 80, [&](Result<std::vector<SocketAddress>> r) {
      EXPECT_FALSE(r.ok());
      error = r.status().detail();
      ++answers;
    });
  }
  EXPECT_EQ(answers, 0);  // not inside Resolve: the lookup runs on the thread
  bool all = false;
  std::function<void()> poll = [&] {
    all = answers == 3;
    if (!all) loop_.RunAfter(1, poll);
  };
  poll();
  ASSERT_TRUE(RunUntil(all));
  EXPECT_NE(error.find("no-such-host.invalid"), std::string::npos) << error;
  // Cached now: answered at once.
  resolver.Resolve("no-such-host.invalid", 80, [&](auto r) {
    EXPECT_FALSE(r.ok());
    ++answers;
  });
  EXPECT_EQ(answers, 4);
}

TEST_F(HostResolverTest, DestroyedWithALookupInFlight) {
  bool called = false;
  {
    HostResolver resolver(&loop_, env::PosixEnv());
    resolver.Resolve("another.invalid", 80, [&](auto) { called = true; });
  }
  // Whatever the thread posted is dropped.
  bool tick = false;
  loop_.RunAfter(0, [&] { tick = true; });  // after the posted tasks
  RunUntil(tick);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace cmq::delivery
