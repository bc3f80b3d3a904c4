#include "bench/admin_probe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_setup.h"
#include "bench/latency_histogram.h"
#include "client/endpoint.h"
#include "client/http_connection.h"

namespace cmq::bench {
namespace {

using client::ClientResult;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string QueueName(const BenchOptions& options, int i) {
  return options.queue + "-" + std::to_string(i);
}

// Runs `each(caller, i)` for i in 1..--queues on --producers threads, one Caller each.
// False (after printing why) if a thread could not connect or `each` failed.
template <typename Each>
bool ForEachQueue(const BenchOptions& options, const char* what, Each each) {
  std::atomic<int> next{1};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < options.producers; ++t) {
    threads.emplace_back([&] {
      ClientResult<client::Caller> caller = MakeCaller(options);
      if (!caller.ok()) {
        std::fprintf(stderr, "cmq-bench: %s\n", caller.error().ToString().c_str());
        failed = true;
        return;
      }
      for (int i = next++; i <= options.queues && !failed; i = next++) {
        std::string error = each(&*caller, i);
        if (!error.empty()) {
          std::fprintf(stderr, "cmq-bench: %s %s: %s\n", what, QueueName(options, i).c_str(),
                       error.c_str());
          failed = true;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return !failed;
}

// The samples of `family` in a Prometheus text answer.
int CountSamples(const std::string& text, const std::string& family) {
  int n = 0;
  for (size_t at = text.find("\n" + family + "{"); at != std::string::npos;
       at = text.find("\n" + family + "{", at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

int RunScrapeProbe(const BenchOptions& options) {
  ClientResult<client::Endpoint> admin = client::ParseEndpoint(options.admin);
  if (!admin.ok()) {
    std::fprintf(stderr, "cmq-bench: --admin: %s\n", admin.error().ToString().c_str());
    return 2;
  }
  if (admin->tls) {
    std::fprintf(stderr, "cmq-bench: --admin: https is not supported by the scrape probe\n");
    return 2;
  }
  int64_t start = NowNs();
  bool made = ForEachQueue(options, "preparing", [&](client::Caller* caller, int i) {
    ClientResult<JsonValue> r = caller->Call("CreateQueue", {{"queueName", QueueName(options, i)}});
    if (!r.ok() && r.error().code != 4460) return r.error().ToString();
    r = caller->Call("SendMessage", {{"queueName", QueueName(options, i)}, {"msgBody", "scrape"}});
    return r.ok() ? std::string() : r.error().ToString();
  });
  if (!made) return 2;
  std::printf("== %d queues with a message each, prepared in %.1f s\n", options.queues,
              static_cast<double>(NowNs() - start) / 1e9);

  client::HttpConnection connection(admin->host, admin->port, admin->authority);
  client::HttpRequest get;
  get.method = "GET";
  get.target = options.admin_path;
  LatencyHistogram times;
  std::string last;
  int status = 0;
  for (int i = 0; i < options.scrapes; ++i) {
    int64_t sent = NowNs();
    ClientResult<HttpResponse> r = connection.RoundTrip(get, options.timeout_ms);
    if (!r.ok()) {
      std::fprintf(stderr, "cmq-bench: GET %s: %s\n", options.admin_path.c_str(),
                   r.error().ToString().c_str());
      status = 1;
      break;
    }
    times.Record(NowNs() - sent);
    if (r->status != 200) {
      std::fprintf(stderr, "cmq-bench: GET %s answered %d %s\n", options.admin_path.c_str(),
                   r->status, r->reason.c_str());
      status = 1;
      break;
    }
    last = std::move(r->body);
  }
  if (times.count() > 0) {
    auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
    std::printf("== GET %s, %llu answers: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %zu bytes, "
                "%d queue series\n",
                options.admin_path.c_str(), static_cast<unsigned long long>(times.count()),
                ms(times.Percentile(0.5)), ms(times.Percentile(0.99)), ms(times.max()),
                last.size(), CountSamples(last, "cmq_queue_messages_sent_total"));
  }
  if (options.delete_queue) {
    bool deleted = ForEachQueue(options, "deleting", [&](client::Caller* caller, int i) {
      ClientResult<JsonValue> r = caller->Call("DeleteQueue", {{"queueName", QueueName(options, i)}});
      return r.ok() ? std::string() : r.error().ToString();
    });
    if (!deleted && status == 0) status = 2;
  }
  return status;
}

}  // namespace cmq::bench
