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
#include "bench/seq_tracker.h"
#include "common/json.h"
#include "common/strings.h"

namespace cmq::bench {
namespace {

using client::Caller;
using client::ClientResult;
using client::Error;

constexpr int64_t kNsPerSec = 1000000000;

struct RoleStats {
  uint64_t messages = 0;        // sent and acknowledged / received (duplicates included)
  uint64_t requests = 0;        // send or receive calls
  uint64_t delete_requests = 0;
  uint64_t empty_receives = 0;  // 7000 no message
  uint64_t duplicates = 0;
  uint64_t foreign = 0;         // not a message of this run (left over from another)
  int64_t last_message_ns = 0;  // when the last message was sent or received
  std::map<std::string, uint64_t> errors;

  void Merge(const RoleStats& o) {
    messages += o.messages;
    requests += o.requests;
    delete_requests += o.delete_requests;
    empty_receives += o.empty_receives;
    duplicates += o.duplicates;
    foreign += o.foreign;
    last_message_ns = std::max(last_message_ns, o.last_message_ns);
    for (const auto& [k, v] : o.errors) errors[k] += v;
  }
};

struct ProducerResult {
  RoleStats stats;
  std::vector<uint64_t> failed;     // the server refused them: never stored
  std::vector<uint64_t> uncertain;  // transport failure: stored or not, unknown
};

struct ConsumerResult {
  RoleStats stats;
  LatencyHistogram latency;
};

class QueueLoad {
 public:
  explicit QueueLoad(const BenchOptions& options)
      : opt_(options), run_id_(static_cast<uint32_t>(RandomUint64())) {}

  int Run();

 private:
  void Producer(int index, ProducerResult* out);
  void Consumer(ConsumerResult* out);
  bool ConsumerShouldStop() const;
  void CountError(const Error& e, RoleStats* stats);
  // Records one received body; true if it is a message of this run seen for the first time.
  void OnReceived(std::string_view body, int64_t now_ns, ConsumerResult* out);
  SeqTracker* TrackerFor(uint32_t run_id);
  uint64_t Allocated() const {
    uint64_t n = next_seq_.load();
    return opt_.count > 0 ? std::min<uint64_t>(n, static_cast<uint64_t>(opt_.count)) : n;
  }
  void Report(const std::vector<ProducerResult>& producers,
              const std::vector<ConsumerResult>& consumers, int64_t end_ns, int* exit_code);

  const BenchOptions& opt_;
  const uint32_t run_id_;
  int64_t start_ns_ = 0;
  std::atomic<uint64_t> next_seq_{0};
  std::atomic<uint64_t> send_failed_{0};
  std::atomic<int> producers_running_{0};
  std::atomic<int64_t> producers_done_ns_{0};  // 0 while producers run
  std::atomic<uint64_t> unique_received_{0};
  std::atomic<int64_t> last_receive_ns_{0};
  std::atomic<uint64_t> total_errors_{0};
  std::atomic<bool> abort_{false};

  SeqTracker own_run_;
  std::mutex runs_mu_;
  std::map<uint32_t, std::unique_ptr<SeqTracker>> other_runs_;  // consume mode
};

void QueueLoad::CountError(const Error& e, RoleStats* stats) {
  ++stats->errors[ErrorKey(e)];
  uint64_t n = ++total_errors_;
  if (n == 1) std::fprintf(stderr, "cmq-bench: first error: %s\n", e.ToString().c_str());
  if (n >= static_cast<uint64_t>(opt_.max_errors) && !abort_.exchange(true)) {
    std::fprintf(stderr, "cmq-bench: %llu calls failed, aborting (last: %s)\n",
                 static_cast<unsigned long long>(n), e.ToString().c_str());
  }
  // Back off a little so that a dead or overloaded server is not hammered in a loop.
  std::this_thread::sleep_for(std::chrono::milliseconds(e.is_server() ? 10 : 100));
}

void QueueLoad::Producer(int index, ProducerResult* out) {
  ClientResult<Caller> caller = MakeCaller(opt_);
  if (!caller.ok()) abort_ = true;  // cannot happen: Run() built one from the same options
  const int64_t interval_ns =
      opt_.rate > 0 ? static_cast<int64_t>(static_cast<double>(opt_.batch) * opt_.producers *
                                           kNsPerSec / opt_.rate)
                    : 0;
  int64_t next_ns = start_ns_ + interval_ns * index / opt_.producers;
  const int64_t deadline_ns =
      opt_.duration_s > 0 ? start_ns_ + static_cast<int64_t>(opt_.duration_s * kNsPerSec) : 0;
  std::vector<uint64_t> seqs;
  while (!abort_.load(std::memory_order_relaxed)) {
    if (interval_ns > 0) {
      int64_t now = SteadyNowNs();
      if (next_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(next_ns - now));
      next_ns += interval_ns;
    }
    if (deadline_ns > 0 && SteadyNowNs() >= deadline_ns) break;
    uint64_t first = next_seq_.fetch_add(opt_.batch);
    uint64_t n = static_cast<uint64_t>(opt_.batch);
    if (opt_.count > 0) {
      if (first >= static_cast<uint64_t>(opt_.count)) break;
      n = std::min<uint64_t>(n, static_cast<uint64_t>(opt_.count) - first);
    }
    int64_t now = SteadyNowNs();
    ParamList params = {{"queueName", opt_.queue}};
    for (uint64_t i = 0; i < n; ++i) {
      std::string body = MakeMessageBody({run_id_, first + i, now}, opt_.size);
      params.emplace_back(opt_.batch == 1 ? "msgBody" : "msgBody." + std::to_string(i + 1),
                          std::move(body));
    }
    ClientResult<JsonValue> r =
        caller->Call(opt_.batch == 1 ? "SendMessage" : "BatchSendMessage", std::move(params));
    ++out->stats.requests;
    if (r.ok()) {
      out->stats.messages += n;
      out->stats.last_message_ns = SteadyNowNs();
      continue;
    }
    std::vector<uint64_t>& lost = r.error().outcome_unknown() ? out->uncertain : out->failed;
    for (uint64_t i = 0; i < n; ++i) lost.push_back(first + i);
    if (!r.error().outcome_unknown()) send_failed_ += n;
    CountError(r.error(), &out->stats);
  }
  if (--producers_running_ == 0) producers_done_ns_ = SteadyNowNs();
}

SeqTracker* QueueLoad::TrackerFor(uint32_t run_id) {
  if (run_id == run_id_) return &own_run_;
  std::lock_guard<std::mutex> lock(runs_mu_);
  std::unique_ptr<SeqTracker>& t = other_runs_[run_id];
  if (!t) t = std::make_unique<SeqTracker>();
  return t.get();
}

void QueueLoad::OnReceived(std::string_view body, int64_t now_ns, ConsumerResult* out) {
  ++out->stats.messages;
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
  if (abort_.load()) return true;
  int64_t now = SteadyNowNs();
  int64_t drain_ns = static_cast<int64_t>(opt_.drain_timeout_s * kNsPerSec);
  int64_t last = last_receive_ns_.load();
  if (opt_.mode == Mode::kBoth) {
    int64_t done = producers_done_ns_.load();
    if (done == 0) return false;
    if (unique_received_.load() >= Allocated() - send_failed_.load()) return true;
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
    abort_ = true;
    return;
  }
  const bool batch = opt_.batch > 1;
  const int64_t wait_ms = int64_t{opt_.wait_s} * 1000;
  std::vector<std::string> handles;
  while (!ConsumerShouldStop()) {
    ParamList params = {{"queueName", opt_.queue},
                        {"pollingWaitSeconds", std::to_string(opt_.wait_s)}};
    if (batch) params.emplace_back("numOfMsg", std::to_string(opt_.batch));
    ClientResult<JsonValue> r =
        caller->Call(batch ? "BatchReceiveMessage" : "ReceiveMessage", std::move(params), wait_ms);
    ++out->stats.requests;
    if (!r.ok()) {
      if (r.error().is_no_message()) {
        ++out->stats.empty_receives;
      } else {
        CountError(r.error(), &out->stats);
      }
      continue;
    }
    int64_t now = SteadyNowNs();
    handles.clear();
    auto take = [&](const JsonValue& msg) {
      const JsonValue* body = msg.Find("msgBody");
      const JsonValue* handle = msg.Find("receiptHandle");
      if (body && body->is_string()) OnReceived(body->as_string(), now, out);
      if (handle && handle->is_string()) handles.push_back(handle->as_string());
    };
    if (batch) {
      const JsonValue* list = r->Find("msgInfoList");
      if (list && list->is_array()) {
        for (const JsonValue& m : list->items()) take(m);
      }
    } else {
      take(*r);
    }
    if (handles.empty()) {
      Error e = client::MakeError(client::ErrorKind::kBadResponse, "receive without messages");
      CountError(e, &out->stats);
      continue;
    }
    out->stats.last_message_ns = now;
    int64_t prev = last_receive_ns_.load();
    while (prev < now && !last_receive_ns_.compare_exchange_weak(prev, now)) {
    }
    ParamList del = {{"queueName", opt_.queue}};
    if (batch) {
      for (size_t i = 0; i < handles.size(); ++i) {
        del.emplace_back("receiptHandle." + std::to_string(i + 1), handles[i]);
      }
    } else {
      del.emplace_back("receiptHandle", handles[0]);
    }
    ClientResult<JsonValue> d =
        caller->Call(batch ? "BatchDeleteMessage" : "DeleteMessage", std::move(del));
    ++out->stats.delete_requests;
    if (!d.ok()) CountError(d.error(), &out->stats);
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
  producers_running_ = n_producers;
  std::fprintf(stderr, "cmq-bench: run %08x, mode %s, %d producers, %d consumers, batch %d, %zu-byte messages\n",
               run_id_, ModeName(opt_.mode), n_producers, n_consumers, opt_.batch, opt_.size);
  start_ns_ = SteadyNowNs();
  if (n_producers == 0) producers_done_ns_ = start_ns_;
  std::vector<std::thread> threads;
  for (int i = 0; i < n_producers; ++i) {
    threads.emplace_back([this, i, &producers] { Producer(i, &producers[i]); });
  }
  for (int i = 0; i < n_consumers; ++i) {
    threads.emplace_back([this, i, &consumers] { Consumer(&consumers[i]); });
  }
  for (std::thread& t : threads) t.join();
  int64_t end_ns = SteadyNowNs();
  int exit_code = abort_.load() ? 2 : 0;
  Report(producers, consumers, end_ns, &exit_code);
  CleanupQueue(&admin.value(), opt_);
  return exit_code;
}

double PerSecond(uint64_t n, int64_t ns) {
  return ns > 0 ? static_cast<double>(n) * kNsPerSec / static_cast<double>(ns) : 0;
}

std::string Secs(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string Ms(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

void WriteErrors(const std::map<std::string, uint64_t>& errors, JsonWriter* w) {
  w->Key("errors").BeginObject();
  for (const auto& [k, v] : errors) w->Key(k).Uint(v);
  w->EndObject();
}

std::string ErrorsText(const std::map<std::string, uint64_t>& errors) {
  if (errors.empty()) return "none";
  std::string out;
  for (const auto& [k, v] : errors) {
    if (!out.empty()) out += ", ";
    out += k + ": " + std::to_string(v);
  }
  return out;
}

void QueueLoad::Report(const std::vector<ProducerResult>& producers,
                       const std::vector<ConsumerResult>& consumers, int64_t end_ns,
                       int* exit_code) {
  RoleStats p, c;
  LatencyHistogram latency;
  std::vector<uint64_t> failed, uncertain;
  for (const ProducerResult& r : producers) {
    p.Merge(r.stats);
    failed.insert(failed.end(), r.failed.begin(), r.failed.end());
    uncertain.insert(uncertain.end(), r.uncertain.begin(), r.uncertain.end());
  }
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
  uint64_t allocated = Allocated();
  uint64_t missing = 0, uncertain_lost = 0;
  std::vector<uint64_t> missing_examples;
  if (opt_.verify) {
    std::sort(failed.begin(), failed.end());
    std::sort(uncertain.begin(), uncertain.end());
    for (uint64_t seq = 0; seq < allocated; ++seq) {
      if (own_run_.Contains(seq)) continue;
      if (std::binary_search(failed.begin(), failed.end(), seq)) continue;
      if (std::binary_search(uncertain.begin(), uncertain.end(), seq)) {
        ++uncertain_lost;
        continue;
      }
      ++missing;
      if (missing_examples.size() < 10) missing_examples.push_back(seq);
    }
    if (missing > 0 && *exit_code == 0) *exit_code = 1;
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
    w.Field("aborted", abort_.load());
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
      w.Key("consumers").BeginObject();
      w.Field("threads", static_cast<int64_t>(consumers.size()));
      w.Key("messages").Uint(c.messages);
      w.Key("unique").Uint(unique);
      w.Key("duplicates").Uint(c.duplicates);
      w.Key("foreign").Uint(c.foreign);
      w.Key("receive_requests").Uint(c.requests);
      w.Key("empty_receives").Uint(c.empty_receives);
      w.Key("delete_requests").Uint(c.delete_requests);
      w.Field("elapsed_ms", c_ns / 1000000);
      w.Field("msgs_per_s", static_cast<int64_t>(PerSecond(unique, c_ns)));
      w.Field("requests_per_s",
              static_cast<int64_t>(PerSecond(c.requests + c.delete_requests, c_ns)));
      WriteErrors(c.errors, &w);
      w.EndObject();
      w.Key("latency_us").BeginObject();
      w.Key("count").Uint(latency.count());
      w.Field("min", latency.min() / 1000);
      w.Field("mean", latency.mean() / 1000);
      w.Field("p50", latency.Percentile(0.5) / 1000);
      w.Field("p99", latency.Percentile(0.99) / 1000);
      w.Field("p999", latency.Percentile(0.999) / 1000);
      w.Field("max", latency.max() / 1000);
      w.EndObject();
    }
    if (opt_.verify) {
      w.Key("verify").BeginObject();
      w.Key("expected").Uint(allocated - failed.size());
      w.Key("received").Uint(unique);
      w.Key("missing").Uint(missing);
      w.Key("send_refused").Uint(failed.size());
      w.Key("send_outcome_unknown").Uint(uncertain.size());
      w.Key("send_outcome_unknown_not_received").Uint(uncertain_lost);
      w.Key("duplicates").Uint(c.duplicates);
      w.Key("missing_examples").BeginArray();
      for (uint64_t s : missing_examples) w.Uint(s);
      w.EndArray();
      w.Field("ok", missing == 0);
      w.EndObject();
    }
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
    return;
  }

  std::printf("cmq-bench  mode %s  queue %s  batch %d  size %zu B  elapsed %s s%s\n",
              ModeName(opt_.mode), opt_.queue.c_str(), opt_.batch, opt_.size,
              Secs(end_ns - start_ns_).c_str(), abort_.load() ? "  (ABORTED)" : "");
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
    std::printf("latency    send-to-receive ms (%llu samples): p50 %s  p99 %s  p99.9 %s  "
                "max %s  mean %s\n",
                static_cast<unsigned long long>(latency.count()),
                Ms(latency.Percentile(0.5)).c_str(), Ms(latency.Percentile(0.99)).c_str(),
                Ms(latency.Percentile(0.999)).c_str(), Ms(latency.max()).c_str(),
                Ms(latency.mean()).c_str());
    if (opt_.mode == Mode::kConsume) {
      std::printf("           (consume mode: latency includes the time messages waited in "
                  "the backlog)\n");
    }
  }
  if (opt_.verify) {
    std::printf("verify     %s: expected %llu, received %llu, missing %llu, duplicates %llu; "
                "sends refused %zu, sends with unknown outcome %zu (%llu of them not "
                "received)\n",
                missing == 0 ? "OK" : "FAILED",
                static_cast<unsigned long long>(allocated - failed.size()),
                static_cast<unsigned long long>(unique), static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(c.duplicates), failed.size(), uncertain.size(),
                static_cast<unsigned long long>(uncertain_lost));
    if (!missing_examples.empty()) {
      std::string list;
      for (uint64_t s : missing_examples) list += " " + std::to_string(s);
      std::printf("           first missing sequence numbers:%s\n", list.c_str());
    }
  }
}

}  // namespace

int RunQueueLoad(const BenchOptions& options) { return QueueLoad(options).Run(); }

}  // namespace cmq::bench
