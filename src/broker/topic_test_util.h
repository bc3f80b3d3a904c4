// Test fixture for topic tests: BrokerFixture plus helpers for topics, subscriptions,
// publishing, a recording push sink and recovery into a second broker. Tests only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/broker_test_util.h"

namespace cmq::broker::testing {

struct SubscriptionArgs {
  Protocol protocol = Protocol::kQueue;
  std::string endpoint;
  NotifyStrategy strategy = NotifyStrategy::kExponentialDecayRetry;
  std::vector<std::string> filter_tags;
  std::vector<std::string> binding_keys;
};

class TopicFixture : public BrokerFixture {
 protected:
  TopicFixture() { Reset(TopicTestLimits()); }

  static Limits TopicTestLimits() {
    Limits l = TestLimits();
    l.topics.publish_qps_per_topic = 0;  // throttling has its own test
    return l;
  }

  void ResetTopics(Limits limits) {
    Reset(limits);
    tasks_.clear();
  }

  TopicView CreateTopic(std::string_view name, FilterType filter = FilterType::kTag,
                        int max_msg_size = 65536) {
    auto r = Call(&Broker::CreateTopic)(kAccount, name, TopicAttributes{max_msg_size, filter});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TopicView{};
  }

  static SubscriptionSpec Spec(std::string_view name, const SubscriptionArgs& a) {
    SubscriptionSpec s;
    s.name = std::string(name);
    s.protocol = a.protocol;
    s.endpoint = a.endpoint;
    s.notify_strategy = a.strategy;
    s.filter_tags = a.filter_tags;
    s.binding_keys = a.binding_keys;
    return s;
  }

  SubscriptionView Subscribe(std::string_view topic, std::string_view name,
                             const SubscriptionArgs& a) {
    auto r = Call(&Broker::Subscribe)(kAccount, topic, Spec(name, a));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : SubscriptionView{};
  }
  SubscriptionView SubscribeQueue(std::string_view topic, std::string_view name,
                                  std::string_view queue, std::vector<std::string> tags = {},
                                  std::vector<std::string> keys = {}) {
    return Subscribe(
        topic, name,
        {Protocol::kQueue, std::string(queue), NotifyStrategy::kExponentialDecayRetry, tags, keys});
  }
  SubscriptionView SubscribeHttp(std::string_view topic, std::string_view name,
                                 NotifyStrategy strategy = NotifyStrategy::kExponentialDecayRetry) {
    return Subscribe(
        topic, name,
        {Protocol::kHttp, "http://push.example/" + std::string(name), strategy, {}, {}});
  }

  Result<std::vector<std::string>> Publish(std::string_view topic,
                                           std::vector<std::string_view> bodies,
                                           std::vector<std::string> tags = {},
                                           std::optional<std::string_view> routing_key = {},
                                           Broker* broker = nullptr) {
    return Call(&Broker::PublishMessages, broker)(kAccount, topic, bodies, tags, routing_key);
  }
  std::string PublishOne(std::string_view topic, std::string_view body,
                         std::vector<std::string> tags = {},
                         std::optional<std::string_view> routing_key = {}) {
    auto r = Publish(topic, {body}, tags, routing_key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && !r->empty() ? (*r)[0] : "";
  }

  int64_t TopicCount(std::string_view topic, Broker* broker = nullptr) {
    auto v = (broker ? broker : broker_.get())->GetTopic(kAccount, topic);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->msg_count : -1;
  }
  int64_t SubscriptionCount(std::string_view topic, std::string_view name,
                            Broker* broker = nullptr) {
    auto v = (broker ? broker : broker_.get())->GetSubscription(kAccount, topic, name);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->msg_count : -1;
  }
  int64_t Active(std::string_view queue) { return Counters(queue).active; }

  // Every PushTask the broker hands out is appended to tasks_.
  void InstallSink(Broker* broker = nullptr) {
    (broker ? broker : broker_.get())->SetPushSink([this](PushTask t) {
      tasks_.push_back(std::move(t));
    });
  }
  std::vector<PushTask> TakeTasks() {
    std::vector<PushTask> out = std::move(tasks_);
    tasks_.clear();
    return out;
  }

  // A second broker built from a copy of the log, as a restart would be.
  std::unique_ptr<Broker> Recover() {
    replica_log_ = log_.Clone();
    auto b = std::make_unique<Broker>(&clock_, replica_log_.get(), limits_);
    for (const auto& r : replica_log_->Records()) {
      Status s = b->Replay(r.type, r.payload, r.location);
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    b->FinishRecovery();
    return b;
  }

  std::vector<PushTask> tasks_;
  std::unique_ptr<journal::MemRecordLog> replica_log_;
};

}  // namespace cmq::broker::testing
