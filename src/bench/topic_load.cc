#include "bench/topic_load.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_message.h"
#include "bench/bench_setup.h"
#include "bench/latency_histogram.h"
#include "bench/load_parts.h"
#include "bench/push_sink.h"
#include "bench/report_format.h"
#include "bench/seq_tracker.h"
#include "bench/topic_setup.h"
#include "common/json.h"
#include "common/strings.h"

namespace cmq::bench {
namespace {

using client::Caller;
using client::ClientResult;

constexpr int64_t kNsPerSec = 1000000000;
// HTTP subscription i pushes to <sink>/sub/<i>.
constexpr std::string_view kSinkPathPrefix = "/sub/";
// A consumer serving several queues polls them without waiting (a long poll on one
// would delay the others); after a round in which all were empty it pauses this long.
constexpr auto kIdleRoundPause = std::chrono::milliseconds(5);
// How often the main thread of mode push checks whether the run is complete.
constexpr auto kPushWatchInterval = std::chrono::milliseconds(20);

// One subscription whose deliveries are verified: a subscription queue (mode publish)
// or an HTTP subscription (mode push). Counters are updated by any receiving thread.
struct Target {
  explicit Target(std::string n) : name(std::move(n)) {}
  const std::string name;   // queue name (publish) or subscription name (push)
  SeqTracker seen;
  std::atomic<uint64_t> deliveries{0};  // this run's messages, duplicates included
  std::atomic<uint64_t> unique{0};
  std::atomic<uint64_t> duplicates{0};
};

struct ConsumerResult {
  RoleStats stats;
  LatencyHistogram latency;
};

class TopicLoad {
 public:
  explicit TopicLoad(const BenchOptions& options)
      : opt_(options),
        run_id_(static_cast<uint32_t>(RandomUint64())),
        push_(options.mode == Mode::kPush),
        budget_(options.max_errors) {}

  int Run();

 private:
  // The topic, the subscription queues or the sink, and the subscriptions. False after
  // printing why.
  bool Setup(Caller* admin);
  void Cleanup(Caller* admin);
  void Consumer(int index, ConsumerResult* out);
  // Runs on a sink connection thread, one call at a time.
  void OnPush(const PushRequest& request, int64_t now_ns);
  // Tallies one body delivered to `target`.
  void OnDelivered(Target* target, std::string_view body, int64_t now_ns, RoleStats* stats,
                   LatencyHistogram* latency);
  void NoteDelivery(int64_t now_ns);
  // Whether receiving can stop: aborted, or the producers are done and either every
  // subscription has every message or nothing arrived for --drain-timeout.
  bool Finished() const;
  void Report(const std::vector<ProducerResult>& producers,
              const std::vector<ConsumerResult>& consumers, int64_t end_ns, int* exit_code);

  const BenchOptions& opt_;
  const uint32_t run_id_;
  const bool push_;
  ErrorBudget budget_;
  int filter_type_ = 1;
  std::optional<ProducerGroup> producers_;
  // Fixed before any receiver starts: receivers index it without a lock.
  std::vector<std::unique_ptr<Target>> targets_;
  std::vector<std::string> http_subscribed_;
  std::unique_ptr<PushSink> sink_;
  // Touched only by OnPush until sink_->Stop().
  RoleStats sink_stats_;
  LatencyHistogram sink_latency_;
  uint64_t sink_without_message_id_ = 0;
  int64_t start_ns_ = 0;
  std::atomic<int64_t> last_delivery_ns_{0};
};

bool TopicLoad::Setup(Caller* admin) {
  std::optional<int> filter_type = PrepareTopic(admin, opt_);
  if (!filter_type) return false;
  filter_type_ = *filter_type;
  if (!push_) {
    for (int i = 1; i <= opt_.queue_subscriptions; ++i) {
      BenchOptions q = SubscriptionQueueOptions(opt_, i);
      if (!PrepareQueue(admin, q)) return false;
      if (opt_.create_topic &&
          !SubscribeTo(admin, opt_, filter_type_, {q.queue, "queue", q.queue, "", false})) {
        return false;
      }
      targets_.push_back(std::make_unique<Target>(q.queue));
    }
  } else {
    for (int i = 1; i <= opt_.http_subscriptions; ++i) {
      targets_.push_back(std::make_unique<Target>(HttpSubscriptionName(opt_, i)));
    }
    sink_ = std::make_unique<PushSink>(
        [this](const PushRequest& request, int64_t now_ns) { OnPush(request, now_ns); });
    std::string error;
    if (!sink_->Start(&error)) {
      std::fprintf(stderr, "cmq-bench: %s\n", error.c_str());
      return false;
    }
    for (int i = 1; i <= opt_.http_subscriptions; ++i) {
      const std::string& name = targets_[i - 1]->name;
      std::string url = sink_->Url(std::string(kSinkPathPrefix) + std::to_string(i));
      // A leftover of that name points at the sink of an earlier run: replace it.
      if (!SubscribeTo(admin, opt_, filter_type_, {name, "http", url, opt_.push_format, true})) {
        return false;
      }
      http_subscribed_.push_back(name);
    }
  }
  producers_.emplace(opt_, run_id_, opt_.producers, "PublishMessage", "BatchPublishMessage",
                     PublishTarget(opt_, filter_type_));
  return true;
}

void TopicLoad::Cleanup(Caller* admin) {
  // The HTTP subscriptions point at a sink that ends with this run; left subscribed,
  // the server would retry their deliveries for a day.
  for (const std::string& name : http_subscribed_) UnsubscribeFrom(admin, opt_, name);
  if (!opt_.delete_topic) return;
  if (!push_) {
    for (int i = 1; i <= opt_.queue_subscriptions; ++i) {
      UnsubscribeFrom(admin, opt_, SubscriptionQueueName(opt_, i));
    }
  }
  DeleteTopic(admin, opt_);
  if (!push_) {
    for (int i = 1; i <= opt_.queue_subscriptions; ++i) {
      CleanupQueue(admin, SubscriptionQueueOptions(opt_, i));
    }
  }
}

void TopicLoad::NoteDelivery(int64_t now_ns) {
  int64_t prev = last_delivery_ns_.load();
  while (prev < now_ns && !last_delivery_ns_.compare_exchange_weak(prev, now_ns)) {
  }
}

void TopicLoad::OnDelivered(Target* target, std::string_view body, int64_t now_ns,
                            RoleStats* stats, LatencyHistogram* latency) {
  std::optional<MessageStamp> stamp = ParseMessageBody(body);
  if (!stamp || stamp->run_id != run_id_) {
    ++stats->foreign;
    return;
  }
  ++target->deliveries;
  if (!target->seen.Mark(stamp->seq)) {
    ++target->duplicates;
    ++stats->duplicates;
    return;
  }
  ++target->unique;
  latency->Record(now_ns - stamp->sent_ns);
}

void TopicLoad::OnPush(const PushRequest& request, int64_t now_ns) {
  ++sink_stats_.messages;
  sink_stats_.last_message_ns = now_ns;
  NoteDelivery(now_ns);
  if (!request.message_id || request.message_id->empty()) ++sink_without_message_id_;
  Target* target = nullptr;
  if (request.path.substr(0, kSinkPathPrefix.size()) == kSinkPathPrefix) {
    std::optional<int64_t> i = ParseInt64(request.path.substr(kSinkPathPrefix.size()));
    if (i && *i >= 1 && *i <= static_cast<int64_t>(targets_.size())) {
      target = targets_[*i - 1].get();
    }
  }
  if (target == nullptr) {
    ++sink_stats_.foreign;
    return;
  }
  // SIMPLIFIED pushes carry the body as it was published; JSON ones inside msgBody.
  std::string_view body = request.body;
  Result<JsonValue> json(ErrorCode::kCannotParse);
  if (!body.empty() && body.front() == '{') {
    json = ParseJson(body);
    const JsonValue* msg = json.ok() && json->is_object() ? json->Find("msgBody") : nullptr;
    if (msg == nullptr || !msg->is_string()) {
      ++sink_stats_.foreign;
      return;
    }
    body = msg->as_string();
  }
  OnDelivered(target, body, now_ns, &sink_stats_, &sink_latency_);
}

bool TopicLoad::Finished() const {
  if (budget_.aborted()) return true;
  int64_t done = producers_->done_ns();
  if (done == 0) return false;
  uint64_t expected = producers_->Allocated() - producers_->refused();
  bool complete = std::all_of(targets_.begin(), targets_.end(),
                              [expected](const auto& t) { return t->unique.load() >= expected; });
  if (complete) return true;
  int64_t drain_ns = static_cast<int64_t>(opt_.drain_timeout_s * kNsPerSec);
  return SteadyNowNs() - std::max(last_delivery_ns_.load(), done) > drain_ns;
}

void TopicLoad::Consumer(int index, ConsumerResult* out) {
  ClientResult<Caller> caller = MakeCaller(opt_);
  if (!caller.ok()) {
    budget_.Abort();
    return;
  }
  // Consumers spread over the queues: several per queue, or several queues per
  // consumer when there are fewer consumers than queues.
  std::vector<Target*> mine;
  const size_t queues = targets_.size(), consumers = static_cast<size_t>(opt_.consumers);
  for (size_t q = 0; q < queues; ++q) {
    if (consumers >= queues ? q == index % queues : q % consumers == static_cast<size_t>(index)) {
      mine.push_back(targets_[q].get());
    }
  }
  const bool single = mine.size() == 1;
  size_t next = 0, empty_in_a_row = 0;
  while (!Finished()) {
    Target* target = mine[next];
    next = (next + 1) % mine.size();
    size_t n = ReceiveAndDelete(
        &caller.value(), target->name, opt_.receive_batch, single ? opt_.wait_s : 0, &budget_,
        &out->stats, [&](std::string_view body, int64_t now_ns) {
          OnDelivered(target, body, now_ns, &out->stats, &out->latency);
        });
    if (n > 0) {
      NoteDelivery(out->stats.last_message_ns);
      empty_in_a_row = 0;
    } else if (!single && ++empty_in_a_row >= mine.size()) {
      std::this_thread::sleep_for(kIdleRoundPause);
      empty_in_a_row = 0;
    }
  }
}

int TopicLoad::Run() {
  ClientResult<Caller> admin = MakeCaller(opt_);
  if (!admin.ok()) {
    std::fprintf(stderr, "cmq-bench: %s\n", admin.error().ToString().c_str());
    return 2;
  }
  if (!Setup(&admin.value())) {
    if (sink_) sink_->Stop();
    Cleanup(&admin.value());
    return 2;
  }
  const int n_consumers = push_ ? 0 : opt_.consumers;
  std::vector<ProducerResult> producers(opt_.producers);
  std::vector<ConsumerResult> consumers(n_consumers);
  std::fprintf(stderr,
               "cmq-bench: run %08x, mode %s, topic %s, %zu %s subscriptions, %d publishers, "
               "%d consumers, batch %d, %zu-byte messages\n",
               run_id_, ModeName(opt_.mode), opt_.topic.c_str(), targets_.size(),
               push_ ? "HTTP" : "queue", opt_.producers, n_consumers, opt_.batch, opt_.size);
  start_ns_ = SteadyNowNs();
  producers_->Start(start_ns_);
  std::vector<std::thread> threads;
  for (int i = 0; i < opt_.producers; ++i) {
    threads.emplace_back([this, i, &producers] { producers_->Run(i, &budget_, &producers[i]); });
  }
  for (int i = 0; i < n_consumers; ++i) {
    threads.emplace_back([this, i, &consumers] { Consumer(i, &consumers[i]); });
  }
  if (push_) {
    while (!Finished()) std::this_thread::sleep_for(kPushWatchInterval);
  }
  for (std::thread& t : threads) t.join();
  if (sink_) sink_->Stop();
  int64_t end_ns = SteadyNowNs();
  int exit_code = budget_.aborted() ? 2 : 0;
  Report(producers, consumers, end_ns, &exit_code);
  Cleanup(&admin.value());
  return exit_code;
}

void TopicLoad::Report(const std::vector<ProducerResult>& producers,
                       const std::vector<ConsumerResult>& consumers, int64_t end_ns,
                       int* exit_code) {
  RoleStats p, c;
  LatencyHistogram latency;
  for (const ProducerResult& r : producers) p.Merge(r.stats);
  if (push_) {
    c = sink_stats_;
    latency = sink_latency_;
  }
  for (const ConsumerResult& r : consumers) {
    c.Merge(r.stats);
    latency.Merge(r.latency);
  }
  // Rates are over the time the role was moving messages, not the idle drain at the end.
  int64_t p_ns = (p.last_message_ns ? p.last_message_ns : end_ns) - start_ns_;
  int64_t c_ns = (c.last_message_ns ? c.last_message_ns : end_ns) - start_ns_;
  uint64_t unique = 0;
  for (const auto& t : targets_) unique += t->unique.load();

  const uint64_t allocated = producers_->Allocated();
  const SendOutcomes outcomes = SendOutcomes::Merge(producers);
  const uint64_t expected = allocated - outcomes.refused.size();
  std::vector<Verification> verified(targets_.size());
  uint64_t missing = 0;
  // A run in which the server refused every publish (e.g. 6030: no subscription
  // accepts the tag or routing key) verified nothing, so it does not pass.
  const bool all_refused = allocated > 0 && expected == 0;
  if (opt_.verify) {
    for (size_t i = 0; i < targets_.size(); ++i) {
      verified[i] = VerifyReceived(targets_[i]->seen, allocated, outcomes);
      missing += verified[i].missing;
    }
    if ((missing > 0 || all_refused) && *exit_code == 0) *exit_code = 1;
  }
  const bool verified_ok = missing == 0 && !all_refused;
  const char* receivers = push_ ? "HTTP" : "queue";
  const char* latency_name = push_ ? "publish-to-push" : "publish-to-receive";

  if (opt_.json) {
    JsonWriter w;
    w.BeginObject();
    w.Field("mode", ModeName(opt_.mode));
    w.Field("run_id", std::to_string(run_id_));
    w.Field("topic", opt_.topic);
    w.Field("filter_type", filter_type_);
    w.Field("subscriptions", static_cast<int64_t>(targets_.size()));
    w.Field("batch", opt_.batch);
    w.Field("size", static_cast<int64_t>(opt_.size));
    w.Field("elapsed_ms", (end_ns - start_ns_) / 1000000);
    w.Field("aborted", budget_.aborted());
    w.Key("publishers").BeginObject();
    w.Field("threads", static_cast<int64_t>(producers.size()));
    w.Key("messages").Uint(p.messages);
    w.Key("requests").Uint(p.requests);
    w.Field("elapsed_ms", p_ns / 1000000);
    w.Field("msgs_per_s", static_cast<int64_t>(PerSecond(p.messages, p_ns)));
    w.Field("publishes_per_s", static_cast<int64_t>(PerSecond(p.requests, p_ns)));
    WriteErrors(p.errors, &w);
    w.EndObject();
    if (push_) {
      w.Key("sink").BeginObject();
      w.Field("url", sink_->Url(""));
      w.Field("format", opt_.push_format);
      w.Key("pushes").Uint(c.messages);
      w.Key("unique").Uint(unique);
      w.Key("duplicates").Uint(c.duplicates);
      w.Key("foreign").Uint(c.foreign);
      w.Key("malformed").Uint(sink_->malformed());
      w.Key("without_message_id").Uint(sink_without_message_id_);
      w.Key("connections").Uint(sink_->connections());
      w.Field("elapsed_ms", c_ns / 1000000);
      w.Field("pushes_per_s", static_cast<int64_t>(PerSecond(c.messages, c_ns)));
      w.EndObject();
    } else {
      WriteConsumerStats(c, consumers.size(), unique, c_ns, "deliveries", "deliveries_per_s",
                         &w);
    }
    WriteLatency(latency, &w);
    if (opt_.verify) {
      w.Key("verify").BeginObject();
      w.Key("expected").Uint(expected);
      w.Key("missing").Uint(missing);
      w.Key("duplicates").Uint(c.duplicates);
      w.Key("publish_refused").Uint(outcomes.refused.size());
      w.Key("publish_outcome_unknown").Uint(outcomes.uncertain.size());
      w.Key("per_subscription").BeginArray();
      for (size_t i = 0; i < targets_.size(); ++i) {
        const Target& t = *targets_[i];
        w.BeginObject();
        w.Field("name", t.name);
        w.Key("received").Uint(t.deliveries.load());
        w.Key("unique").Uint(t.unique.load());
        w.Key("duplicates").Uint(t.duplicates.load());
        w.Key("missing").Uint(verified[i].missing);
        w.Key("outcome_unknown_not_received").Uint(verified[i].uncertain_not_received);
        w.Key("missing_examples").BeginArray();
        for (uint64_t s : verified[i].missing_examples) w.Uint(s);
        w.EndArray();
        w.EndObject();
      }
      w.EndArray();
      w.Field("ok", verified_ok);
      w.EndObject();
    }
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
    return;
  }

  std::printf("cmq-bench  mode %s  topic %s (filterType %d)  %zu %s subscriptions  batch %d  "
              "size %zu B  elapsed %s s%s\n",
              ModeName(opt_.mode), opt_.topic.c_str(), filter_type_, targets_.size(), receivers,
              opt_.batch, opt_.size, Secs(end_ns - start_ns_).c_str(),
              budget_.aborted() ? "  (ABORTED)" : "");
  std::printf("publishers %zu threads  published %llu msgs in %llu requests  %s s  "
              "%.0f msgs/s  %.0f publishes/s\n",
              producers.size(), static_cast<unsigned long long>(p.messages),
              static_cast<unsigned long long>(p.requests), Secs(p_ns).c_str(),
              PerSecond(p.messages, p_ns), PerSecond(p.requests, p_ns));
  std::printf("           errors: %s\n", ErrorsText(p.errors).c_str());
  if (push_) {
    std::printf("sink       %s  %s  received %llu pushes on %llu connections (%llu unique, "
                "%llu duplicates, %llu foreign, %llu malformed, %llu without "
                "x-cmq-message-id)  %s s  %.0f pushes/s\n",
                sink_->Url("").c_str(), opt_.push_format.c_str(),
                static_cast<unsigned long long>(c.messages),
                static_cast<unsigned long long>(sink_->connections()),
                static_cast<unsigned long long>(unique),
                static_cast<unsigned long long>(c.duplicates),
                static_cast<unsigned long long>(c.foreign),
                static_cast<unsigned long long>(sink_->malformed()),
                static_cast<unsigned long long>(sink_without_message_id_), Secs(c_ns).c_str(),
                PerSecond(c.messages, c_ns));
  } else {
    std::printf("consumers  %zu threads on %zu queues  received %llu deliveries (%llu unique, "
                "%llu duplicates, %llu foreign)  %s s  %.0f deliveries/s\n",
                consumers.size(), targets_.size(), static_cast<unsigned long long>(c.messages),
                static_cast<unsigned long long>(unique),
                static_cast<unsigned long long>(c.duplicates),
                static_cast<unsigned long long>(c.foreign), Secs(c_ns).c_str(),
                PerSecond(unique, c_ns));
    std::printf("           %llu receive requests (%llu empty), %llu delete requests  "
                "%.0f req/s\n",
                static_cast<unsigned long long>(c.requests),
                static_cast<unsigned long long>(c.empty_receives),
                static_cast<unsigned long long>(c.delete_requests),
                PerSecond(c.requests + c.delete_requests, c_ns));
    std::printf("           errors: %s\n", ErrorsText(c.errors).c_str());
  }
  std::printf("latency    %s\n", LatencyText(latency_name, latency).c_str());
  if (!opt_.verify) return;
  std::printf("verify     %s: %llu messages expected on each of %zu subscriptions; missing "
              "%llu, duplicates %llu; publishes refused %zu, with unknown outcome %zu%s\n",
              verified_ok ? "OK" : "FAILED", static_cast<unsigned long long>(expected),
              targets_.size(), static_cast<unsigned long long>(missing),
              static_cast<unsigned long long>(c.duplicates), outcomes.refused.size(),
              outcomes.uncertain.size(), all_refused ? " (every publish was refused)" : "");
  for (size_t i = 0; i < targets_.size(); ++i) {
    const Target& t = *targets_[i];
    const Verification& v = verified[i];
    std::string examples;
    for (uint64_t s : v.missing_examples) examples.append(" ").append(std::to_string(s));
    std::printf("           %s: %llu unique, %llu duplicates, missing %llu%s%s\n", t.name.c_str(),
                static_cast<unsigned long long>(t.unique.load()),
                static_cast<unsigned long long>(t.duplicates.load()),
                static_cast<unsigned long long>(v.missing),
                examples.empty() ? "" : " (first:", examples.empty() ? "" : (examples + ")").c_str());
  }
}

}  // namespace

int RunTopicLoad(const BenchOptions& options) { return TopicLoad(options).Run(); }

}  // namespace cmq::bench
