// Test fixture for broker tests: a FakeClock, a MemRecordLog and helpers that turn the
// callback API into values. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
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

// What a broker completion gets: Result<T> for a Done<T>, Status for a Done<>.
template <typename Callback>
struct OutcomeOf;
template <typename T>
struct OutcomeOf<std::function<void(Result<T>)>> {
  using type = Result<T>;
};
template <>
struct OutcomeOf<std::function<void(const Status&)>> {
  using type = Status;
};

// A mutating Broker call (its last parameter the completion), taking the call's other
// parameters as they are declared (so braced lists work). `call(args...)` returns what
// the completion got, making the log durable first (`make_durable`) if the completion
// waits for that; `call.Start(args...)` returns a slot the completion fills whenever
// it runs.
template <typename Method, typename Indices>
class BrokerCall;
template <typename... P, size_t... I>
class BrokerCall<void (Broker::*)(P...), std::index_sequence<I...>> {
  using Params = std::tuple<P...>;

 public:
  using Outcome = typename OutcomeOf<std::tuple_element_t<sizeof...(P) - 1, Params>>::type;
  using Slot = std::shared_ptr<std::optional<Outcome>>;

  BrokerCall(Broker* broker, void (Broker::*method)(P...), std::function<void()> make_durable)
      : broker_(broker), method_(method), make_durable_(std::move(make_durable)) {}

  Slot Start(std::tuple_element_t<I, Params>... args) const {
    auto slot = std::make_shared<std::optional<Outcome>>();
    (broker_->*method_)(args..., [slot](Outcome outcome) { slot->emplace(std::move(outcome)); });
    return slot;
  }

  Outcome operator()(std::tuple_element_t<I, Params>... args) const {
    Slot slot = Start(args...);
    if (!slot->has_value()) make_durable_();
    if (!slot->has_value()) {
      ADD_FAILURE() << "the call did not complete once its log was durable";
      return Outcome(Status(ErrorCode::kInternal, "no completion"));
    }
    return std::move(**slot);
  }

 private:
  Broker* broker_;
  void (Broker::*method_)(P...);
  std::function<void()> make_durable_;
};

// `method` of `broker` as a BrokerCall: CallOn(b, &Broker::SendMessages, log)(kAccount,
// "q", {"body"}, 0) is the Result its completion got. `make_durable` makes the
// broker's log durable (running its completions); for a MemRecordLog pass the log.
template <typename... P>
auto CallOn(Broker* broker, void (Broker::*method)(P...), std::function<void()> make_durable) {
  return BrokerCall<void (Broker::*)(P...), std::make_index_sequence<sizeof...(P) - 1>>(
      broker, method, std::move(make_durable));
}
template <typename... P>
auto CallOn(Broker* broker, void (Broker::*method)(P...), journal::MemRecordLog* log) {
  return CallOn(broker, method, [log] { log->MakeDurable(); });
}

class BrokerFixture : public ::testing::Test {
 protected:
  BrokerFixture() { Reset(TestLimits()); }

  void Reset(Limits limits, BrokerOptions options = {}) {
    limits_ = limits;
    broker_.reset();
    broker_ = std::make_unique<Broker>(&clock_, &log_, limits_, options);
  }

  // CallOn for broker_ (or `broker`, whose log must then be durable) on log_.
  template <typename... P>
  auto Call(void (Broker::*method)(P...), Broker* broker = nullptr) {
    return CallOn(broker != nullptr ? broker : broker_.get(), method, &log_);
  }

  QueueView Create(std::string_view name, QueueAttributeUpdate update = {}) {
    auto r = Call(&Broker::CreateQueue)(kAccount, name, update);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : QueueView{};
  }

  std::vector<std::string> Send(std::string_view queue, std::vector<std::string_view> bodies,
                                int64_t delay = 0) {
    auto r = Call(&Broker::SendMessages)(kAccount, queue, bodies, delay);
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
  // A receive that must be served at once (answered once log_ is made durable, if
  // it waits for that; the logs of other brokers must be durable).
  Received Receive(std::string_view queue, int n = 1, Broker* broker = nullptr) {
    Received out;
    uint64_t id = StartReceive(queue, n, 0, &out, broker);
    EXPECT_EQ(id, 0u);
    if (!out.called) log_.MakeDurable();
    EXPECT_TRUE(out.called);
    return out;
  }
  // A receive of one message that must be answered once log_ is durable up to `lsn`,
  // and not before.
  Received ReceiveOnceDurableUpTo(std::string_view queue, journal::Lsn lsn) {
    Received out;
    EXPECT_EQ(StartReceive(queue, 1, 0, &out), 0u);
    log_.MakeDurableUpTo(lsn - 1);
    EXPECT_FALSE(out.called) << "answered before record " << lsn << " was durable";
    log_.MakeDurableUpTo(lsn);
    EXPECT_TRUE(out.called) << "not answered once record " << lsn << " was durable";
    if (!out.called) log_.MakeDurable();  // nothing may call back into `out` later
    return out;
  }
  ReceivedMessage ReceiveOne(std::string_view queue) {
    Received r = Receive(queue, 1);
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.messages.size(), 1u);
    return r.messages.empty() ? ReceivedMessage{} : r.messages[0];
  }

  Status Delete(std::string_view queue, std::string_view handle, Broker* broker = nullptr) {
    auto r = Call(&Broker::DeleteMessages, broker)(kAccount, queue, {handle});
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

// Attributes of a queue whose messages go to `dlq` after one receive (visibility 1 s).
inline QueueAttributeUpdate DeadLetteringAfterOneReceive(const std::string& dlq) {
  QueueAttributeUpdate u;
  DeadLetterPolicy p;
  p.queue_name = dlq;
  p.max_receive_count = 1;
  u.dead_letter_policy = p;
  u.visibility_timeout = 1;
  return u;
}

inline void ExpectCounters(const QueueCounters& c, int64_t active, int64_t inactive,
                           int64_t delayed, int64_t rewindable) {
  EXPECT_EQ(c.active, active);
  EXPECT_EQ(c.inactive, inactive);
  EXPECT_EQ(c.delayed, delayed);
  EXPECT_EQ(c.rewindable, rewindable);
}

}  // namespace cmq::broker::testing
