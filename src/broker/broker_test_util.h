// Test fixture for broker tests: a FakeClock, a MemRecordLog and helpers that turn the
// callback API into values. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "env/env.h"
#include "journal/mem_record_log.h"

namespace cmq::broker::testing {

inline constexpr AccountId kAccount = 1251000001;

// What a ReceiveMessages callback delivered (if it ran).
struct Received {
  bool called = false;
  Status status;
  std::vector<ReceivedMessage> messages;
};

inline Limits TestLimits() {
  Limits l;
  l.min_max_msg_heap_num = 1;
  return l;
}

class BrokerFixture : public ::testing::Test {
 protected:
  BrokerFixture() { Reset(TestLimits()); }

  void Reset(Limits limits) {
    limits_ = limits;
    broker_.reset();
    broker_ = std::make_unique<Broker>(&clock_, &log_, limits_);
  }

  QueueView Create(std::string_view name, QueueAttributeUpdate update = {}) {
    auto r = broker_->CreateQueue(kAccount, name, update);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : QueueView{};
  }

  std::vector<std::string> Send(std::string_view queue, std::vector<std::string_view> bodies,
                                int64_t delay = 0) {
    auto r = broker_->SendMessages(kAccount, queue, bodies, delay);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  }
  std::string SendOne(std::string_view queue, std::string_view body, int64_t delay = 0) {
    auto ids = Send(queue, {body}, delay);
    return ids.empty() ? "" : ids[0];
  }

  // Starts a receive; `out` is filled when the callback runs.
  uint64_t StartReceive(std::string_view queue, int n, int wait, Received* out,
                        Broker* broker = nullptr) {
    return (broker ? broker : broker_.get())
        ->ReceiveMessages(kAccount, queue, n, wait, [out](Result<std::vector<ReceivedMessage>> r) {
          out->called = true;
          out->status = r.ok() ? Status::Ok() : r.status();
          if (r.ok()) out->messages = std::move(*r);
        });
  }
  // A receive that must answer at once.
  Received Receive(std::string_view queue, int n = 1, Broker* broker = nullptr) {
    Received out;
    uint64_t id = StartReceive(queue, n, 0, &out, broker);
    EXPECT_EQ(id, 0u);
    EXPECT_TRUE(out.called);
    return out;
  }
  ReceivedMessage ReceiveOne(std::string_view queue) {
    Received r = Receive(queue, 1);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.messages.size(), 1u);
    return r.messages.empty() ? ReceivedMessage{} : r.messages[0];
  }

  Status Delete(std::string_view queue, std::string_view handle, Broker* broker = nullptr) {
    auto r = (broker ? broker : broker_.get())->DeleteMessages(kAccount, queue, {handle});
    if (!r.ok()) return r.status();
    return (*r)[0].status;
  }

  QueueCounters Counters(std::string_view queue) {
    auto v = broker_->GetQueue(kAccount, queue);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->counters : QueueCounters{};
  }

  // Moves the clock and lets the broker process what is due.
  void Advance(int64_t ms) {
    clock_.Advance(ms);
    broker_->Tick();
  }
  int64_t NowS() const { return clock_.NowMs() / 1000; }

  env::FakeClock clock_{1700000000000};
  journal::MemRecordLog log_;
  Limits limits_;
  std::unique_ptr<Broker> broker_;
};

inline void ExpectCounters(const QueueCounters& c, int64_t active, int64_t inactive,
                           int64_t delayed, int64_t rewindable) {
  EXPECT_EQ(c.active, active);
  EXPECT_EQ(c.inactive, inactive);
  EXPECT_EQ(c.delayed, delayed);
  EXPECT_EQ(c.rewindable, rewindable);
}

}  // namespace cmq::broker::testing
