#include "bench/load_parts.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "bench/bench_message.h"
#include "bench/bench_setup.h"
#include "bench/report_format.h"

namespace cmq::bench {

using client::Caller;
using client::ClientResult;
using client::Error;

namespace {
constexpr int64_t kNsPerSec = 1000000000;
}  // namespace

void WriteConsumerStats(const RoleStats& c, size_t threads, uint64_t unique, int64_t ns,
                        const char* messages_key, const char* rate_key, JsonWriter* w) {
  w->Key("consumers").BeginObject();
  w->Field("threads", static_cast<int64_t>(threads));
  w->Key(messages_key).Uint(c.messages);
  w->Key("unique").Uint(unique);
  w->Key("duplicates").Uint(c.duplicates);
  w->Key("foreign").Uint(c.foreign);
  w->Key("receive_requests").Uint(c.requests);
  w->Key("empty_receives").Uint(c.empty_receives);
  w->Key("delete_requests").Uint(c.delete_requests);
  w->Field("elapsed_ms", ns / 1000000);
  w->Field(rate_key, static_cast<int64_t>(PerSecond(unique, ns)));
  w->Field("requests_per_s", static_cast<int64_t>(PerSecond(c.requests + c.delete_requests, ns)));
  WriteErrors(c.errors, w);
  w->EndObject();
}

void RoleStats::Merge(const RoleStats& o) {
  messages += o.messages;
  requests += o.requests;
  delete_requests += o.delete_requests;
  empty_receives += o.empty_receives;
  duplicates += o.duplicates;
  foreign += o.foreign;
  last_message_ns = std::max(last_message_ns, o.last_message_ns);
  for (const auto& [k, v] : o.errors) errors[k] += v;
}

void ErrorBudget::Count(const Error& e, RoleStats* stats) {
  ++stats->errors[ErrorKey(e)];
  uint64_t n = ++total_;
  if (n == 1) std::fprintf(stderr, "cmq-bench: first error: %s\n", e.ToString().c_str());
  if (n >= static_cast<uint64_t>(max_errors_) && !aborted_.exchange(true)) {
    std::fprintf(stderr, "cmq-bench: %llu calls failed, aborting (last: %s)\n",
                 static_cast<unsigned long long>(n), e.ToString().c_str());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(e.is_server() ? 10 : 100));
}

ProducerGroup::ProducerGroup(const BenchOptions& options, uint32_t run_id, int threads,
                             std::string single_action, std::string batch_action,
                             ParamList target)
    : opt_(options),
      run_id_(run_id),
      threads_(threads),
      single_action_(std::move(single_action)),
      batch_action_(std::move(batch_action)),
      target_(std::move(target)) {}

void ProducerGroup::Start(int64_t start_ns) {
  start_ns_ = start_ns;
  running_ = threads_;
  if (threads_ == 0) done_ns_ = start_ns;
}

uint64_t ProducerGroup::Allocated() const {
  uint64_t n = next_seq_.load();
  return opt_.count > 0 ? std::min<uint64_t>(n, static_cast<uint64_t>(opt_.count)) : n;
}

void ProducerGroup::Run(int index, ErrorBudget* budget, ProducerResult* out) {
  ClientResult<Caller> caller = MakeCaller(opt_);
  if (!caller.ok()) budget->Abort();  // cannot happen: setup built one from the same options
  const int64_t interval_ns =
      opt_.rate > 0 ? static_cast<int64_t>(static_cast<double>(opt_.batch) * threads_ *
                                           kNsPerSec / opt_.rate)
                    : 0;
  int64_t next_ns = start_ns_ + interval_ns * index / threads_;
  const int64_t deadline_ns =
      opt_.duration_s > 0 ? start_ns_ + static_cast<int64_t>(opt_.duration_s * kNsPerSec) : 0;
  while (!budget->aborted()) {
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
    ParamList params = target_;
    for (uint64_t i = 0; i < n; ++i) {
      std::string body = MakeMessageBody({run_id_, first + i, now}, opt_.size);
      params.emplace_back(opt_.batch == 1 ? "msgBody" : "msgBody." + std::to_string(i + 1),
                          std::move(body));
    }
    ClientResult<JsonValue> r =
        caller->Call(opt_.batch == 1 ? single_action_ : batch_action_, std::move(params));
    ++out->stats.requests;
    if (r.ok()) {
      out->stats.messages += n;
      out->stats.last_message_ns = SteadyNowNs();
      continue;
    }
    std::vector<uint64_t>& lost = r.error().outcome_unknown() ? out->uncertain : out->refused;
    for (uint64_t i = 0; i < n; ++i) lost.push_back(first + i);
    if (!r.error().outcome_unknown()) refused_ += n;
    budget->Count(r.error(), &out->stats);
  }
  if (--running_ == 0) done_ns_ = SteadyNowNs();
}

size_t ReceiveAndDelete(Caller* caller, const std::string& queue, int batch, int wait_s,
                        ErrorBudget* budget, RoleStats* stats,
                        const std::function<void(std::string_view, int64_t)>& on_body) {
  const bool multi = batch > 1;
  ParamList params = {{"queueName", queue}, {"pollingWaitSeconds", std::to_string(wait_s)}};
  if (multi) params.emplace_back("numOfMsg", std::to_string(batch));
  ClientResult<JsonValue> r = caller->Call(multi ? "BatchReceiveMessage" : "ReceiveMessage",
                                           std::move(params), int64_t{wait_s} * 1000);
  ++stats->requests;
  if (!r.ok()) {
    if (r.error().is_no_message()) {
      ++stats->empty_receives;
    } else {
      budget->Count(r.error(), stats);
    }
    return 0;
  }
  int64_t now = SteadyNowNs();
  std::vector<std::string> handles;
  auto take = [&](const JsonValue& msg) {
    const JsonValue* body = msg.Find("msgBody");
    const JsonValue* handle = msg.Find("receiptHandle");
    if (body && body->is_string()) {
      ++stats->messages;
      on_body(body->as_string(), now);
    }
    if (handle && handle->is_string()) handles.push_back(handle->as_string());
  };
  if (multi) {
    const JsonValue* list = r->Find("msgInfoList");
    if (list && list->is_array()) {
      for (const JsonValue& m : list->items()) take(m);
    }
  } else {
    take(*r);
  }
  if (handles.empty()) {
    budget->Count(client::MakeError(client::ErrorKind::kBadResponse, "receive without messages"),
                  stats);
    return 0;
  }
  stats->last_message_ns = now;
  ParamList del = {{"queueName", queue}};
  if (multi) {
    for (size_t i = 0; i < handles.size(); ++i) {
      del.emplace_back("receiptHandle." + std::to_string(i + 1), handles[i]);
    }
  } else {
    del.emplace_back("receiptHandle", handles[0]);
  }
  ClientResult<JsonValue> d =
      caller->Call(multi ? "BatchDeleteMessage" : "DeleteMessage", std::move(del));
  ++stats->delete_requests;
  if (!d.ok()) budget->Count(d.error(), stats);
  return handles.size();
}

SendOutcomes SendOutcomes::Merge(const std::vector<ProducerResult>& producers) {
  SendOutcomes o;
  for (const ProducerResult& r : producers) {
    o.refused.insert(o.refused.end(), r.refused.begin(), r.refused.end());
    o.uncertain.insert(o.uncertain.end(), r.uncertain.begin(), r.uncertain.end());
  }
  std::sort(o.refused.begin(), o.refused.end());
  std::sort(o.uncertain.begin(), o.uncertain.end());
  return o;
}

Verification VerifyReceived(const SeqTracker& received, uint64_t allocated,
                            const SendOutcomes& outcomes) {
  Verification v;
  for (uint64_t seq = 0; seq < allocated; ++seq) {
    if (received.Contains(seq)) continue;
    if (std::binary_search(outcomes.refused.begin(), outcomes.refused.end(), seq)) continue;
    if (std::binary_search(outcomes.uncertain.begin(), outcomes.uncertain.end(), seq)) {
      ++v.uncertain_not_received;
      continue;
    }
    ++v.missing;
    if (v.missing_examples.size() < 10) v.missing_examples.push_back(seq);
  }
  return v;
}

}  // namespace cmq::bench
