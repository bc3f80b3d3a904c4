#include "server/off_loop_runner.h"

#include <cstdint>
#include <map>
#include <utility>

namespace cmq::server {

// Loop-thread state, shared with the continuations posted from the jobs' threads so
// that one arriving after the runner is gone finds `alive` false.
struct OffLoopRunner::State {
  bool alive = true;
  uint64_t next_id = 1;
  std::map<uint64_t, std::unique_ptr<env::Env::Thread>> threads;  // running or finishing
};

OffLoopRunner::OffLoopRunner(env::Env* env, std::function<void(std::function<void()>)> post,
                             int max_running)
    : env_(env),
      post_(std::move(post)),
      max_running_(max_running),
      state_(std::make_shared<State>()) {}

OffLoopRunner::~OffLoopRunner() {
  state_->alive = false;
  for (auto& [id, thread] : state_->threads) thread->Join();
  state_->threads.clear();
}

bool OffLoopRunner::Run(std::function<void()> work, std::function<void()> then) {
  if (static_cast<int>(state_->threads.size()) >= max_running_) return false;
  const uint64_t id = state_->next_id++;
  // The thread is in `threads` before its continuation can run: both happen on the
  // loop thread, the continuation only after this call returned.
  state_->threads[id] = env_->StartThread(
      "cmq-off-loop", [state = state_, post = post_, id, work = std::move(work),
                       then = std::move(then)]() mutable {
        work();
        post([state, id, then = std::move(then)] {
          if (!state->alive) return;
          auto it = state->threads.find(id);
          if (it != state->threads.end()) {
            it->second->Join();  // its function has returned: this is immediate
            state->threads.erase(it);
          }
          then();
        });
      });
  return true;
}

}  // namespace cmq::server
