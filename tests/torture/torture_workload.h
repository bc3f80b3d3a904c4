// The clients of one torture data directory: producers that send and publish (single
// and batch, bodies from a few bytes to 10 KB, some delayed) and consumers that
// receive (short and long polls) and delete promptly, late or never, all reporting
// to the Model. Built on crash_support's ClientThreads, so they ride through kill -9
// and restarts by themselves.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "client/caller.h"
#include "support/crash_support.h"
#include "torture/torture_model.h"

namespace cmq::torture {

// A number in [lo, hi], uniformly.
int Between(std::mt19937_64& rng, int lo, int hi);

struct QueueSpec {
  std::string name;
  int visibility_seconds = 1;
  bool consumed = true;     // false: only the final drain reads it (its messages pin
                            // old segments, so reclamation must copy them forward)
  bool subscribed = false;  // receives the topic's publishes (and no direct sends)
};

struct WorkloadSpec {
  std::vector<QueueSpec> queues;
  std::string topic;
  std::string id_prefix;  // unique per data directory; no ':'
  uint64_t seed = 0;
  int producers = 2;
  int consumers = 2;
  // Several cmqd nodes share the queues (the distributed mode): a 6000 answer (a node
  // that does not serve the partition now, storage unavailable, a commit whose
  // outcome is unknown) is retryable on another node, and a "maybe" for the model.
  // Elsewhere a 6000 is a failure.
  bool cluster = false;
};

// The workload of one data directory: a topic, queues with visibility timeouts of 1 to
// 3 s (one never consumed until the end, one fed by the topic), the clients' seed.
WorkloadSpec DrawWorkload(std::mt19937_64& rng, std::string id_prefix);

// Keeps the clients' requests apart from the driver's look at a fresh incarnation,
// and numbers the incarnations, so that every answer is known to come from one.
class IncarnationGate {
 public:
  // Held while one request is issued and answered.
  class Ticket {
   public:
    Ticket(IncarnationGate* gate, int incarnation) : gate_(gate), incarnation_(incarnation) {}
    ~Ticket() { gate_->Leave(); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    int incarnation() const { return incarnation_; }

   private:
    IncarnationGate* gate_;
    int incarnation_;
  };

  // Blocks while the gate is closed.
  std::unique_ptr<Ticket> Enter();
  // Waits until no ticket is held, keeps new ones out and starts the next incarnation.
  void Close();
  void Open();
  int incarnation() const;

 private:
  void Leave();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int holders_ = 0;
  int incarnation_ = 0;
};

// CreateQueue for each queue (long retention, its visibility timeout), CreateTopic and
// a queue subscription for each subscribed queue. Errors are reported as failures.
bool SetUpQueues(const std::string& endpoint, const WorkloadSpec& spec);

class Workload {
 public:
  // Starts the client threads against `handle`'s current endpoints.
  Workload(WorkloadSpec spec, Model* model, IncarnationGate* gate, testing::ServerHandle* handle);
  ~Workload();  // Stop()

  void Stop();
  // Acknowledged sends, publishes and deletes so far.
  int64_t acked() const { return acked_.load(); }
  // Threads that stopped on an unexpected server error (already reported).
  int failed() const { return threads_ ? threads_->failed() : 0; }

 private:
  struct Received {
    std::string queue;
    std::string id;
    std::string receipt_handle;
  };
  struct Thread {
    std::mt19937_64 rng;
    int64_t next_id = 0;
    std::vector<Received> late;  // to delete some steps later
  };

  // The step after a failed call.
  testing::Step AfterFailure(const client::Error& error) const;
  testing::Step Produce(Thread& t, client::Caller& caller);
  testing::Step Consume(Thread& t, client::Caller& caller);
  // Deletes messages of one queue.
  testing::Step Delete(client::Caller& caller, const std::vector<Received>& messages);

  const WorkloadSpec spec_;
  Model* const model_;
  IncarnationGate* const gate_;
  std::vector<Thread> state_;
  std::atomic<int64_t> acked_{0};
  std::unique_ptr<testing::ClientThreads> threads_;
};

// Receives and deletes everything in the queues, through `model`, until they report no
// message left (a bounded wait: messages in flight come back after their visibility
// timeout). False, with a failure reported, if that does not happen. `endpoints`: the
// server, or the nodes of a cluster (spec.cluster), taken in turn while they answer
// 6000 or nothing.
bool DrainAll(const std::vector<std::string>& endpoints, const WorkloadSpec& spec, Model* model,
              int incarnation);

// The number of messages each queue holds now against the model's range; a failure
// for each that is outside it (or cannot be read). `endpoints` as for DrainAll.
void CheckCounts(const std::vector<std::string>& endpoints, const WorkloadSpec& spec, Model* model);

}  // namespace cmq::torture
