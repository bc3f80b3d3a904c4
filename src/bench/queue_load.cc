#include "bench/queue_load.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/bench_message.h"
#include "bench/bench_setup.h"
#include "bench/latency_histogram.h"
#include "bench/load_parts.h"
#include "bench/report_format.h"
#include "bench/seq_tracker.h"
#include "common/json.h"
#include "common/strings.h"

namespace cmq::bench {
namespace {

using client::Caller;
using client::ClientResult;

constexpr int64_t kNsPerSec = 1000000000;

struct ConsumerResult {
  RoleStats stats;
  LatencyHistogram latency;
};

class QueueLoad {
 public:
  explicit QueueLoad(const BenchOptions& options)
      : opt_(options),
        run_id_(static_cast<uint32_t>(RandomUint64())),
        budget_(options.max_errors),
        producers_(options, run_id_, options.mode == Mode::kConsume ? 0 : options.producers,
                   "SendMessage", "BatchSendMessage", {{"queueName", options.queue}}) {}

  int Run();

 private:
  void Consumer(ConsumerResult* out);
  bool ConsumerShouldStop() const;
  // Records one received body.
  void OnReceived(std::string_view body, int64_t now_ns, ConsumerResult* out);
  SeqTracker* TrackerFor(uint32_t run_id);
  void Report(const std::vector<ProducerResult>& producers,
              const std::vector<ConsumerResult>& consumers, int64_t end_ns, int* exit_code);

  const BenchOptions& opt_;
  const uint32_t run_id_;
  ErrorBudget budget_;
  ProducerGroup producers_;
  int64_t start_ns_ = 0;
  std::atomic<uint64_t> unique_received_{0};
  std::atomic<int64_t> last_receive_ns_{0};

  SeqTracker own_run_;
  std::mutex runs_mu_;
  std::map<uint32_t, std::unique_ptr<SeqTracker>> other_runs_;  // consume mode
};

SeqTracker* QueueLoad::TrackerFor(uint32_t run_id) {
  if (run_id == run_id_) return &own_run_;
  std::lock_guard<std::mutex> lock(runs_mu_);
  std::unique_ptr<SeqTracker>& t = other_runs_[run_id];
  if (!t) t = std::make_unique<SeqTracker>();
  return t.get();
}

void QueueLoad::OnReceived(std::string_view body, int64_t now_ns, ConsumerResult* out) {
  std::optional<MessageStamp> stamp = ParseMessageBody(body);
  bool own = stamp && stamp->run_id == run_id_;
  // In mode both only this run's messages count; a consume-only run drains whatever
  // cmq-bench left in the queue.
  if (!stamp || (!own && opt_.mode == Mode::kBoth)) {
    ++out->stats.foreign;
    return;
  }
  if (!TrackerFor(stamp->run_id)->Mark(stamp->seq)) {
    ++out->stats.duplicates;
    return;
  }
  ++unique_received_;
  out->latency.Record(now_ns - stamp->sent_ns);
}

bool QueueLoad::ConsumerShouldStop() const {
  if (budget_.aborted()) return true;
  int64_t now = SteadyNowNs();
  int64_t drain_ns = static_cast<int64_t>(opt_.drain_timeout_s * kNsPerSec);
  int64_t last = last_receive_ns_.load();
  if (opt_.mode == Mode::kBoth) {
    int64_t done = producers_.done_ns();
    if (done == 0) return false;
    if (unique_received_.load() >= producers_.Allocated() - producers_.refused()) return true;
    return now - std::max(last, done) > drain_ns;
  }
  // Consume only.
  if (opt_.count > 0 && unique_received_.load() >= static_cast<uint64_t>(opt_.count)) return true;
  if (opt_.duration_s > 0) return now - start_ns_ >= static_cast<int64_t>(opt_.duration_s * kNsPerSec);
  return now - std::max(last, start_ns_) > drain_ns;
}

void QueueLoad::Consumer(ConsumerResult* out) {
  ClientResult<Caller> caller = MakeCaller(opt_);
  if (!caller.ok()) {
    budget_.Abort();
    return;
  }
  auto on_body = [this, out](std::string_view body, int64_t now) { OnReceived(body, now, out); };
  while (!ConsumerShouldStop()) {
    if (ReceiveAndDelete(&caller.value(), opt_.queue, opt_.batch, opt_.wait_s, &budget_,
                         &out->stats, on_body) == 0) {
      continue;
    }
    int64_t now = out->stats.last_message_ns;
    int64_t prev = last_receive_ns_.load();
    while (prev < now && !last_receive_ns_.compare_exchange_weak(prev, now)) {
    }
  }
}

int QueueLoad::Run() {
  ClientResult<Caller> admin = MakeCaller(opt_);
  if (!admin.ok()) {
    std::fprintf(stderr, "cmq-bench: %s\n", admin.error().ToString().c_str());
    return 2;
  }
  if (!PrepareQueue(&admin.value(), opt_)) return 2;

  int n_producers = opt_.mode == Mode::kConsume ? 0 : opt_.producers;
  int n_consumers = opt_.mode == Mode::kProduce ? 0 : opt_.consumers;
  std::vector<ProducerResult> producers(n_producers);
  std::vector<ConsumerResult> consumers(n_consumers);
  std::fprintf(stderr, "cmq-bench: run %08x, mode %s, %d producers, %d consumers, batch %d, %zu-byte messages\n",
               run_id_, ModeName(opt_.mode), n_producers, n_consumers, opt_.batch, opt_.size);
  start_ns_ = SteadyNowNs();
  producers_.Start(start_ns_);
  std::vector<std::thread> threads;
  for (int i = 0; i < n_producers; ++i) {
    threads.emplace_back([this, i, &producers] { producers_.Run(i, &budget_, &producers[i]); });
  }
  for (int i = 0; i < n_consumers; ++i) {
    threads.emplace_back([this, i, &consumers] { Consumer(&consumers[i]); });
  }
  for (std::thread& t : threads) t.join();
  int64_t end_ns = SteadyNowNs();
  int exit_code = budget_.aborted() ? 2 : 0;
  Report(producers, consumers, end_ns, &exit_code);
  CleanupQueue(&admin.value(), opt_);
  return exit_code;
}

void QueueLoad::Report(const std::vector<ProducerResult>& producers,
                       const std::vector<ConsumerResult>& consumers, int64_t end_ns,
                       int* exit_code) {
  RoleStats p, c;
  LatencyHistogram latency;
  for (const ProducerResult& r : producers) p.Merge(r.stats);
  for (const ConsumerResult& r : consumers) {
    c.Merge(r.stats);
    latency.Merge(r.latency);
  }
  // Rates are over the time the role was moving messages, not the idle drain at the end.
  int64_t p_ns = (p.last_message_ns ? p.last_message_ns : end_ns) - start_ns_;
  int64_t c_ns = (c.last_message_ns ? c.last_message_ns : end_ns) - start_ns_;
  uint64_t unique = unique_received_.load();

  // Verification: every sequence number handed out and not refused by the server must
  // have been received; those whose send outcome is unknown are reported apart.
  uint64_t allocated = producers_.Allocated();
  SendOutcomes outcomes = SendOutcomes::Merge(producers);
  Verification v;
  if (opt_.verify) {
    v = VerifyReceived(own_run_, allocated, outcomes);
    if (v.missing > 0 && *exit_code == 0) *exit_code = 1;
  }

  bool has_p = !producers.empty(), has_c = !consumers.empty();
  if (opt_.json) {
    JsonWriter w;
    w.BeginObject();
    w.Field("mode", ModeName(opt_.mode));
    w.Field("run_id", std::to_string(run_id_));
    w.Field("queue", opt_.queue);
    w.Field("batch", opt_.batch);
    w.Field("size", static_cast<int64_t>(opt_.size));
    w.Field("elapsed_ms", (end_ns - start_ns_) / 1000000);
    w.Field("aborted", budget_.aborted());
    if (has_p) {
      w.Key("producers").BeginObject();
      w.Field("threads", static_cast<int64_t>(producers.size()));
      w.Key("messages").Uint(p.messages);
      w.Key("requests").Uint(p.requests);
      w.Field("elapsed_ms", p_ns / 1000000);
      w.Field("msgs_per_s", static_cast<int64_t>(PerSecond(p.messages, p_ns)));
      w.Field("requests_per_s", static_cast<int64_t>(PerSecond(p.requests, p_ns)));
      WriteErrors(p.errors, &w);
      w.EndObject();
    }
    if (has_c) {
      WriteConsumerStats(c, consumers.size(), unique, c_ns, "messages", "msgs_per_s", &w);
      WriteLatency(latency, &w);
    }
    if (opt_.verify) {
      w.Key("verify").BeginObject();
      w.Key("expected").Uint(allocated - outcomes.refused.size());
      w.Key("received").Uint(unique);
      w.Key("missing").Uint(v.missing);
      w.Key("send_refused").Uint(outcomes.refused.size());
      w.Key("send_outcome_unknown").Uint(outcomes.uncertain.size());
      w.Key("send_outcome_unknown_not_received").Uint(v.uncertain_not_received);
      w.Key("duplicates").Uint(c.duplicates);
      w.Key("missing_examples").BeginArray();
      for (uint64_t s : v.missing_examples) w.Uint(s);
      w.EndArray();
      w.Field("ok", v.missing == 0);
      w.EndObject();
    }
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
    return;
  }

  std::printf("cmq-bench  mode %s  queue %s  batch %d  size %zu B  elapsed %s s%s\n",
              ModeName(opt_.mode), opt_.queue.c_str(), opt_.batch, opt_.size,
              Secs(end_ns - start_ns_).c_str(), budget_.aborted() ? "  (ABORTED)" : "");
  if (has_p) {
    std::printf("producers  %zu threads  sent %llu msgs in %llu requests  %.3f s  "
                "%.0f msgs/s  %.0f req/s\n",
                producers.size(), static_cast<unsigned long long>(p.messages),
                static_cast<unsigned long long>(p.requests), static_cast<double>(p_ns) / 1e9,
                PerSecond(p.messages, p_ns), PerSecond(p.requests, p_ns));
    std::printf("           errors: %s\n", ErrorsText(p.errors).c_str());
  }
  if (has_c) {
    std::printf("consumers  %zu threads  received %llu msgs (%llu unique, %llu duplicates, "
                "%llu foreign)  %.3f s  %.0f msgs/s\n",
                consumers.size(), static_cast<unsigned long long>(c.messages),
                static_cast<unsigned long long>(unique),
                static_cast<unsigned long long>(c.duplicates),
                static_cast<unsigned long long>(c.foreign), static_cast<double>(c_ns) / 1e9,
                PerSecond(unique, c_ns));
    std::printf("           %llu receive requests (%llu empty), %llu delete requests  "
                "%.0f req/s\n",
                static_cast<unsigned long long>(c.requests),
                static_cast<unsigned long long>(c.empty_receives),
                static_cast<unsigned long long>(c.delete_requests),
                PerSecond(c.requests + c.delete_requests, c_ns));
    std::printf("           errors: %s\n", ErrorsText(c.errors).c_str());
    std::printf("latency    %s\n", LatencyText("send-to-receive", latency).c_str());
    if (opt_.mode == Mode::kConsume) {
      std::printf("           (consume mode: latency includes the time messages waited in "
                  "the backlog)\n");
    }
  }
  if (opt_.verify) {
    std::printf("verify     %s: expected %llu, received %llu, missing %llu, duplicates %llu; "
                "sends refused %zu, sends with unknown outcome %zu (%llu of them not "
                "received)\n",
                v.missing == 0 ? "OK" : "FAILED",
                static_cast<unsigned long long>(allocated - outcomes.refused.size()),
                static_cast<unsigned long long>(unique), static_cast<unsigned long long>(v.missing),
                static_cast<unsigned long long>(c.duplicates), outcomes.refused.size(),
                outcomes.uncertain.size(),
                static_cast<unsigned long long>(v.uncertain_not_received));
    if (!v.missing_examples.empty()) {
      std::string list;
      for (uint64_t s : v.missing_examples) list.append(" ").append(std::to_string(s));
      std::printf("           first missing sequence numbers:%s\n", list.c_str());
    }
  }
}

}  // namespace

int RunQueueLoad(const BenchOptions& options) { return QueueLoad(options).Run(); }

}  // namespace cmq::bench
