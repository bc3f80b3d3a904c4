// OffLoopRunner: runs work that must not stall the event loop (a message trace's scan
// of the log) on threads of its own, a few at a time, and each job's continuation back
// on the loop. It is ApiOptions::run_off_loop.
//
// Threads: Run and the continuations are on the loop thread; `work` runs on a thread
// started for it (env::Env::StartThread), joined on the loop once it has finished.
#pragma once

#include <functional>
#include <memory>

#include "env/env.h"

namespace cmq::server {

class OffLoopRunner {
 public:
  // `post` runs a function on the loop thread soon; it is called from the job's
  // thread (http::EventLoop::Post is thread-safe). `max_running` >= 1.
  OffLoopRunner(env::Env* env, std::function<void(std::function<void()>)> post, int max_running);
  // Waits for the jobs still running; their continuations are dropped.
  ~OffLoopRunner();
  OffLoopRunner(const OffLoopRunner&) = delete;
  OffLoopRunner& operator=(const OffLoopRunner&) = delete;

  // Starts `work` on a thread of its own and, once it returned, runs `then` on the
  // loop. False (and nothing runs) when `max_running` jobs have not finished yet.
  bool Run(std::function<void()> work, std::function<void()> then);

 private:
  struct State;
  env::Env* env_;
  std::function<void(std::function<void()>)> post_;
  int max_running_;
  std::shared_ptr<State> state_;
};

}  // namespace cmq::server
