#include "http/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace cmq::http {
namespace {

using std::chrono::steady_clock;
constexpr auto kWait = std::chrono::seconds(10);

// Runs the loop on its own thread; the destructor stops and joins it.
class LoopThread {
 public:
  LoopThread() : thread_([this] { loop_.Run(); }) {}
  ~LoopThread() {
    loop_.Stop();
    thread_.join();
  }
  EventLoop& loop() { return loop_; }

 private:
  EventLoop loop_;
  std::thread thread_;
};

TEST(EventLoopTest, PostRunsOnLoopThreadInOrder) {
  LoopThread t;
  std::vector<int> seen;  // loop thread only
  std::atomic<bool> all_in_loop{true};
  std::promise<void> done;
  for (int i = 0; i < 1000; ++i) {
    t.loop().Post([&, i] {
      if (!t.loop().InLoopThread()) all_in_loop = false;
      seen.push_back(i);
    });
  }
  t.loop().Post([&] { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(all_in_loop);
  EXPECT_FALSE(t.loop().InLoopThread());
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[i], i);
}

TEST(EventLoopTest, PostFromManyThreads) {
  LoopThread t;
  std::atomic<int> count{0};
  std::promise<void> done;
  constexpr int kThreads = 4, kEach = 500;
  std::vector<std::thread> posters;
  for (int i = 0; i < kThreads; ++i) {
    posters.emplace_back([&] {
      for (int j = 0; j < kEach; ++j) {
        t.loop().Post([&] {
          if (++count == kThreads * kEach) done.set_value();
        });
      }
    });
  }
  for (auto& p : posters) p.join();
  ASSERT_EQ(done.get_future().wait_for(kWait), std::future_status::ready);
}

TEST(EventLoopTest, StopFromAnotherThreadAndRunAgain) {
  EventLoop loop;
  for (int round = 0; round < 2; ++round) {
    auto finished = std::async(std::launch::async, [&] { loop.Run(); });
    loop.Stop();
    ASSERT_EQ(finished.wait_for(kWait), std::future_status::ready);
  }
  // Stop before Run: Run returns after one iteration.
  loop.Stop();
  loop.Run();
}

TEST(EventLoopTest, TimersFireInDeadlineOrderAndNeverEarly) {
  EventLoop loop;
  std::vector<int> order;
  auto start = steady_clock::now();
  std::vector<std::chrono::milliseconds> fired_after(4);
  auto record = [&](int i) {
    fired_after[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
        steady_clock::now() - start);
    order.push_back(i);
  };
  loop.RunAfter(30, [&] { record(3); loop.Stop(); });
  loop.RunAfter(10, [&] { record(1); });
  loop.RunAfter(0, [&] { record(0); });
  loop.RunAfter(20, [&] { record(2); });
  loop.Run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_GE(fired_after[1].count(), 10);
  EXPECT_GE(fired_after[2].count(), 20);
  EXPECT_GE(fired_after[3].count(), 30);
}

TEST(EventLoopTest, EqualDeadlinesFireInCreationOrder) {
  EventLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) loop.RunAfter(5, [&, i] { order.push_back(i); });
  loop.RunAfter(5, [&] { loop.Stop(); });
  loop.Run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(EventLoopTest, CancelledTimerNeverRuns) {
  EventLoop loop;
  bool ran = false;
  EventLoop::TimerId victim = loop.RunAfter(20, [&] { ran = true; });
  EventLoop::TimerId other = loop.RunAfter(1, [&] { loop.Cancel(victim); });
  loop.RunAfter(40, [&] { loop.Stop(); });
  loop.Cancel(12345);  // unknown ids are ignored
  loop.Run();
  EXPECT_FALSE(ran);
  loop.Cancel(other);  // already fired: no effect
}

TEST(EventLoopTest, ManyCancelledTimersDoNotAccumulate) {
  EventLoop loop;
  int fired = 0;
  for (int i = 0; i < 10000; ++i) {
    EventLoop::TimerId id = loop.RunAfter(1000000, [&] { ++fired; });
    loop.Cancel(id);
  }
  loop.RunAfter(0, [&] { ++fired; loop.Stop(); });
  loop.Run();
  EXPECT_EQ(fired, 1);
}

TEST(EventLoopTest, ZeroDelayTimerChainDoesNotStarveOtherWork) {
  EventLoop loop;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    loop.RunAfter(0, tick);
  };
  loop.RunAfter(0, tick);
  std::thread stopper([&] { loop.Post([&] { loop.Stop(); }); });
  loop.Run();
  stopper.join();
  EXPECT_GE(ticks, 1);
}

TEST(EventLoopTest, FdCallbacksAndRemoveFromInsideCallback) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EventLoop loop;
  std::string got;
  loop.AddFd(fds[0], EPOLLIN, [&](uint32_t events) {
    EXPECT_TRUE(events & EPOLLIN);
    char buf[16];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    ASSERT_GT(n, 0);
    got.append(buf, static_cast<size_t>(n));
    if (got.size() >= 3) {
      loop.RemoveFd(fds[0]);  // destroys this callback's registration safely
      loop.Stop();
    }
  });
  std::thread writer([&] {
    for (char c : std::string("abc")) ASSERT_EQ(write(fds[1], &c, 1), 1);
  });
  loop.Run();
  writer.join();
  EXPECT_EQ(got, "abc");
  // Removed: more data does not reach the old callback.
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  loop.RunAfter(5, [&] { loop.Stop(); });
  loop.Run();
  EXPECT_EQ(got, "abc");
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, ModifyFdSwitchesInterest) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EventLoop loop;
  int writable = 0;
  loop.AddFd(fds[1], 0, [&](uint32_t events) {
    if (events & EPOLLOUT) ++writable;
    loop.ModifyFd(fds[1], 0);
    loop.RunAfter(5, [&] { loop.Stop(); });
  });
  loop.RunAfter(1, [&] { loop.ModifyFd(fds[1], EPOLLOUT); });
  loop.Run();
  EXPECT_EQ(writable, 1);
  EXPECT_FALSE(loop.AddFd(-1, EPOLLIN, [](uint32_t) {}));
  loop.RemoveFd(fds[1]);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace cmq::http
