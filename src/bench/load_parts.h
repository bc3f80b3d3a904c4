// The parts every cmq-bench load mode shares: per-thread tallies, the error budget,
// the paced producer loop (SendMessage or PublishMessage), one receive-and-delete round
// on a queue, and the check that every sequence number sent arrived.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_options.h"
#include "bench/seq_tracker.h"
#include "client/caller.h"
#include "common/form.h"
#include "common/json.h"

namespace cmq::bench {

// What one producer or consumer thread did. Owned by its thread until the report.
struct RoleStats {
  uint64_t messages = 0;        // sent and acknowledged / received (duplicates included)
  uint64_t requests = 0;        // send, publish or receive calls
  uint64_t delete_requests = 0;
  uint64_t empty_receives = 0;  // 7000 no message
  uint64_t duplicates = 0;
  uint64_t foreign = 0;         // not a message of this run (left over from another)
  int64_t last_message_ns = 0;  // when the last message was sent or received
  std::map<std::string, uint64_t> errors;  // by ErrorKey

  void Merge(const RoleStats& o);
};

// The JSON member "consumers": {...} of a report. `messages_key` and `rate_key` name
// the count and its rate: "messages"/"msgs_per_s" for queues, "deliveries"/
// "deliveries_per_s" for topic subscriptions.
void WriteConsumerStats(const RoleStats& c, size_t threads, uint64_t unique, int64_t ns,
                        const char* messages_key, const char* rate_key, JsonWriter* w);

struct ProducerResult {
  RoleStats stats;
  std::vector<uint64_t> refused;    // the server refused them: never stored
  std::vector<uint64_t> uncertain;  // transport failure: stored or not, unknown
};

// Failed calls of all threads of a run. Thread-safe.
class ErrorBudget {
 public:
  explicit ErrorBudget(int64_t max_errors) : max_errors_(max_errors) {}

  // Tallies `e` in `stats`, prints the first error of the run, aborts the run once
  // max_errors calls failed, and sleeps a little (10 ms after a server error, 100 ms
  // after a transport error) so that a dead or overloaded server is not hammered.
  void Count(const client::Error& e, RoleStats* stats);
  void Abort() { aborted_ = true; }
  bool aborted() const { return aborted_.load(std::memory_order_relaxed); }

 private:
  const int64_t max_errors_;
  std::atomic<uint64_t> total_{0};
  std::atomic<bool> aborted_{false};
};

// The producer threads of one run: they hand out sequence numbers in batches, pace
// themselves to --rate, stop at --count or --duration, and stamp every body with the
// run id, sequence number and send time (bench_message.h). Thread-safe.
class ProducerGroup {
 public:
  // `single_action` carries one body as msgBody, `batch_action` (used when --batch > 1)
  // bodies as msgBody.1..N; `target` are the other parameters of every call
  // (queueName, or topicName with msgTag.1 / routingKey).
  ProducerGroup(const BenchOptions& options, uint32_t run_id, int threads,
                std::string single_action, std::string batch_action, ParamList target);

  // Call once before the threads start; rates and --duration count from `start_ns`.
  void Start(int64_t start_ns);
  // The body of producer thread `index` (0 .. threads-1).
  void Run(int index, ErrorBudget* budget, ProducerResult* out);

  // Sequence numbers handed out (each one was sent, refused or is uncertain).
  uint64_t Allocated() const;
  // Messages the server refused (never stored).
  uint64_t refused() const { return refused_.load(); }
  // When the last producer finished; 0 while any runs.
  int64_t done_ns() const { return done_ns_.load(); }

 private:
  const BenchOptions& opt_;
  const uint32_t run_id_;
  const int threads_;
  const std::string single_action_;
  const std::string batch_action_;
  const ParamList target_;
  int64_t start_ns_ = 0;
  std::atomic<uint64_t> next_seq_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<int> running_{0};
  std::atomic<int64_t> done_ns_{0};
};

// One ReceiveMessage (batch == 1) or BatchReceiveMessage (numOfMsg = batch), waiting up
// to wait_s, then one (Batch)DeleteMessage for what came back. Calls
// `on_body(body, received_ns)` for each message. Tallies requests, messages, empty
// receives, deletes and failures in `stats` (failures through `budget`). Returns the
// number of messages received (0 for "no message" and for errors).
size_t ReceiveAndDelete(client::Caller* caller, const std::string& queue, int batch, int wait_s,
                        ErrorBudget* budget, RoleStats* stats,
                        const std::function<void(std::string_view, int64_t)>& on_body);

// The sequence numbers the producers could not confirm, sorted.
struct SendOutcomes {
  std::vector<uint64_t> refused;
  std::vector<uint64_t> uncertain;

  static SendOutcomes Merge(const std::vector<ProducerResult>& producers);
};

struct Verification {
  uint64_t missing = 0;                 // sent, not refused, never received
  uint64_t uncertain_not_received = 0;  // outcome unknown and not received: not "missing"
  std::vector<uint64_t> missing_examples;  // the first ten missing
};

// Checks that every sequence number below `allocated` that was not refused is in
// `received`.
Verification VerifyReceived(const SeqTracker& received, uint64_t allocated,
                            const SendOutcomes& outcomes);

}  // namespace cmq::bench
