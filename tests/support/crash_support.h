// Shared pieces of the kill -9 tests: a client for the current server incarnation,
// a handle that tells client threads when the server came back on a new port, and a
// drain that reads a queue empty.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/caller.h"

namespace cmq::testing {

// A caller with the test server's credentials and a 20 s read timeout.
client::Caller ConnectCaller(const std::string& endpoint);

// Where client threads send their requests, shared by them: the endpoint of the
// server's current incarnation, or the endpoints of a cluster's nodes, any of which
// may answer (a thread starts on one and moves to the next after a failure).
class ServerHandle {
 public:
  struct View {
    std::vector<std::string> endpoints;  // never empty once set
    int generation = 0;                  // moves on with every Set/SetAll
  };

  void Set(std::string endpoint);
  void SetAll(std::vector<std::string> endpoints);
  // Blocks until the generation differs from `seen` or `stop` is set, or at most 1 s
  // (a network error need not mean a kill: a slow answer may have hit the read
  // timeout, and the caller then simply reconnects); returns what is current then.
  View WaitNewer(int seen, const std::atomic<bool>& stop);
  View Current();
  // Wakes waiters so they notice `stop`.
  void Wake();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  View view_;
};

class CmqdProcess;

// kill -9 and restart on the same data directory, then publish the new endpoint to
// the client threads. False (with the server's output logged) if it did not come up.
bool KillAndRestart(CmqdProcess& server, ServerHandle& handle);

// What one step of a client thread found.
enum class Step {
  kNext,        // go on with the next step
  kServerDown,  // this server cannot answer now (a network error; in a cluster, also a
                // retryable refusal): go on with the next endpoint, or, once every
                // endpoint failed in a row, wait for the next incarnation first
  kFailed,      // an unexpected error (already reported): this thread stops
};

// Counts acknowledged operations and lets the test wait for a number of them (at most
// 120 s: only a hung server takes that long).
class AckCounter {
 public:
  void Add(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    count_ += n;
    cv_.notify_all();
  }
  bool WaitFor(int64_t target) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(120), [&] { return count_ >= target; });
  }
  int64_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_ = 0;
};

// The step after a failed call: a server error is unexpected in these tests (reported
// here, kFailed); anything else means the server is down (kServerDown).
Step AfterFailure(const client::Error& error);

// The client threads of a kill -9 test. Each runs `step` in a loop on a caller for
// the server's current incarnation (or one of the cluster's nodes), reconnecting after
// kServerDown. The destructor stops and joins them, so a failed ASSERT in the test
// body never leaves a joinable thread behind.
class ClientThreads {
 public:
  using StepFn = std::function<Step(int id, client::Caller& caller)>;

  ClientThreads(ServerHandle& handle, int count, StepFn step);
  ~ClientThreads();
  ClientThreads(const ClientThreads&) = delete;
  ClientThreads& operator=(const ClientThreads&) = delete;

  // Asks every thread to stop after its current step and joins them.
  void Stop();
  // Number of threads that stopped with kFailed.
  int failed() const { return failed_.load(); }

 private:
  void Loop(int id);

  ServerHandle& handle_;
  StepFn step_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failed_{0};
  std::vector<std::thread> threads_;
};

// Receives and deletes everything until two consecutive 3 s long polls find nothing;
// returns body -> msgId. A message still invisible from an earlier receive (queues in
// these tests use visibilityTimeout=1) becomes visible within one poll.
std::map<std::string, std::string> DrainQueue(const std::string& endpoint,
                                              const std::string& queue);

}  // namespace cmq::testing
