// Test-only helpers for Pusher tests: a loop driver and task builders.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/pusher.h"
#include "http/event_loop.h"

namespace cmq::delivery::testing {

inline broker::PushTask MakeTask(std::string endpoint, std::string msg_id = "msg-1") {
  broker::PushTask t;
  t.delivery_id = 1;
  t.endpoint = std::move(endpoint);
  t.format = broker::ContentFormat::kJson;
  t.topic_owner = 1300000001;
  t.topic_name = "orders";
  t.subscription_name = "hook";
  t.msg_id = std::move(msg_id);
  t.body = "hello";
  t.publish_time = 1700000000;
  return t;
}

class PusherFixture : public ::testing::Test {
 protected:
  // Like cmqd: a write to a socket the peer closed must be an error, not a signal
  // (OpenSSL writes with plain write(), in the pusher and in the TLS sink).
  PusherFixture() { signal(SIGPIPE, SIG_IGN); }

  // Runs the loop until `pred` holds or 10 s pass; returns whether it held.
  bool RunUntil(const std::function<bool()>& pred) {
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool held = false;
    std::function<void()> check = [&] {
      held = pred();
      if (held || std::chrono::steady_clock::now() > limit) {
        loop_.Stop();
        return;
      }
      loop_.RunAfter(1, check);
    };
    loop_.RunAfter(0, check);
    loop_.Run();
    return held;
  }

  // The test sinks listen on 127.0.0.1, which the default policy refuses: unless the
  // test brings its own policy, this one allows IPv4 loopback.
  static std::shared_ptr<const PushNetworkPolicy> LoopbackAllowed() {
    PushNetworkPolicy::Lists lists;
    lists.allow.push_back(*IpNetwork::Parse("127.0.0.0/8"));
    return std::make_shared<const PushNetworkPolicy>(lists);
  }

  Pusher* MakePusher(PusherOptions options = {}) {
    if (!options.policy) options.policy = LoopbackAllowed();
    pusher_ = std::make_unique<Pusher>(&loop_, env::PosixEnv(), std::move(options));
    return pusher_.get();
  }

  // Pushes and returns the index of the outcome slot filled by `done`.
  size_t Push(const broker::PushTask& task) {
    size_t i = outcomes_.size();
    outcomes_.emplace_back();
    errors_.emplace_back();
    pusher_->Push(task, [this, i](bool ok, std::string_view error) {
      EXPECT_FALSE(outcomes_[i].has_value()) << "done called twice";
      EXPECT_EQ(ok, error.empty()) << error;
      outcomes_[i] = ok;
      errors_[i] = error;
    });
    return i;
  }

  size_t Completed() const {
    size_t n = 0;
    for (const auto& o : outcomes_) n += o.has_value() ? 1 : 0;
    return n;
  }
  bool AllCompleted() const { return Completed() == outcomes_.size(); }
  // Pushes `task` and waits for its outcome.
  std::optional<bool> PushAndWait(const broker::PushTask& task) {
    size_t i = Push(task);
    EXPECT_FALSE(outcomes_[i].has_value()) << "done ran inside Push";
    RunUntil([&] { return outcomes_[i].has_value(); });
    return outcomes_[i];
  }

  http::EventLoop loop_;
  std::unique_ptr<Pusher> pusher_;
  std::vector<std::optional<bool>> outcomes_;
  std::vector<std::string> errors_;  // of failed outcomes
};

}  // namespace cmq::delivery::testing
