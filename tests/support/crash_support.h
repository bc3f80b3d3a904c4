// Shared pieces of the kill -9 tests: a client for the current server incarnation,
// a handle that tells client threads when the server came back on a new port, and a
// drain that reads a queue empty.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "client/caller.h"

namespace cmq::testing {

// A caller with the test server's credentials and a 20 s read timeout.
client::Caller ConnectCaller(const std::string& endpoint);

// The endpoint of the server's current incarnation, shared by client threads.
class ServerHandle {
 public:
  void Set(std::string endpoint);
  // Blocks (at most 60 s) until the generation differs from `seen` or `stop` is set;
  // returns the endpoint and generation then current.
  std::pair<std::string, int> WaitNewer(int seen, const std::atomic<bool>& stop);
  std::pair<std::string, int> Current();
  // Wakes waiters so they notice `stop`.
  void Wake();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string endpoint_;
  int generation_ = 0;
};

// Receives and deletes everything until two consecutive 3 s long polls find nothing;
// returns body -> msgId. A message still invisible from an earlier receive (queues in
// these tests use visibilityTimeout=1) becomes visible within one poll.
std::map<std::string, std::string> DrainQueue(const std::string& endpoint,
                                              const std::string& queue);

}  // namespace cmq::testing
