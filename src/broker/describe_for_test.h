// Test-only: a text description of everything a client could observe of a broker, so
// that two brokers (or a broker and a description kept from an older version) can be
// compared with one string. Uses only the public Broker API; also compiled against
// older versions of it (tests/fixtures/make_legacy_log.cc), whose mutating calls
// returned their Status instead of completing through a callback.
#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "env/env.h"

namespace cmq::broker::testing {

// Every queue's counters, every topic's and subscription's message counts; then, an
// hour later on `clock` (visibility timeouts and delays over): every message of every
// queue as received (all of them, in order, with their receipt handles; queues with a
// rewind window rewound first) and every push then due. Receives and moves the clock;
// afterwards the broker's pushes go nowhere. The broker's log must make records
// durable at once (MemRecordLog's default), so that every call completes before it
// returns.
inline std::string DescribeObservable(Broker* b, env::FakeClock* clock, AccountId account) {
  auto rewind = [](auto* broker, AccountId acc, const std::string& name, int64_t start) {
    Status s;
    if constexpr (requires { broker->RewindQueue(acc, name, start).ok(); }) {
      s = broker->RewindQueue(acc, name, start);  // an older version
    } else {
      broker->RewindQueue(acc, name, start, [&s](const Status& done) { s = done; });
    }
    return s;
  };
  std::ostringstream out;
  std::vector<PushTask> pushes;
  b->SetPushSink([&pushes](PushTask t) { pushes.push_back(std::move(t)); });
  auto queues = b->ListQueues(account, "", 0, 1000);
  for (const QueueRef& ref : queues->queues) {
    auto v = b->GetQueue(account, ref.name);
    const QueueCounters& c = v->counters;
    out << "queue " << v->name << " " << v->queue_id << " created " << v->create_time
        << " counters " << c.active << "/" << c.inactive << "/" << c.delayed << "/" << c.rewindable
        << " oldest " << c.min_msg_time << "\n";
  }
  auto topics = b->ListTopics(account, "", 0, 1000);
  for (const TopicRef& ref : topics->topics) {
    out << "topic " << ref.name << " " << ref.topic_id << " messages "
        << b->GetTopic(account, ref.name)->msg_count << "\n";
    auto subs = b->ListSubscriptions(account, ref.name, "", 0, 1000);
    for (const SubscriptionView& s : subs->subscriptions) {
      out << "  subscription " << s.name << " " << s.subscription_id << " messages "
          << b->GetSubscription(account, ref.name, s.name)->msg_count << "\n";
    }
  }
  clock->Advance(3600 * 1000);
  for (int i = 0; i < 1000 && b->NextDeadlineMs() <= clock->NowMs(); ++i) b->Tick();
  for (const QueueRef& ref : queues->queues) {
    // Rewindable messages come back too.
    int64_t rewind_seconds = b->GetQueue(account, ref.name)->attributes.rewind_seconds;
    if (rewind_seconds > 0) {
      Status s = rewind(b, account, ref.name, clock->NowMs() / 1000 - rewind_seconds);
      if (!s.ok()) out << "rewind " << ref.name << " failed: " << s.ToString() << "\n";
    }
    while (true) {
      std::vector<ReceivedMessage> got;
      b->ReceiveMessages(account, ref.name, 16, 0, [&got](Result<std::vector<ReceivedMessage>> r) {
        if (r.ok()) got = std::move(*r);
      });
      if (got.empty()) break;
      for (const ReceivedMessage& m : got) {
        out << "message " << ref.name << " " << m.msg_id << " " << m.body << " dequeued "
            << m.dequeue_count << " enqueued " << m.enqueue_time << " first "
            << m.first_dequeue_time << " handle " << m.receipt_handle << "\n";
      }
    }
  }
  std::vector<std::string> pushed;
  for (const PushTask& t : pushes) {
    std::string tags;
    for (const std::string& tag : t.tags) tags += " tag " + tag;
    pushed.push_back("push " + t.subscription_name + " " + t.msg_id + " " + t.body + " attempt " +
                     std::to_string(t.attempt) + " published " + std::to_string(t.publish_time) +
                     tags + "\n");
  }
  std::sort(pushed.begin(), pushed.end());
  for (const std::string& p : pushed) out << p;
  b->SetPushSink([](PushTask) {});
  return out.str();
}

}  // namespace cmq::broker::testing
