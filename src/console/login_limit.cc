#include "console/login_limit.h"

#include <iterator>

namespace cmq::console {

void LoginLimit::DropPassed(int64_t now_ms) {
  while (!windows_.empty() && now_ms - windows_.front().start_ms >= options_.window_ms) {
    by_address_.erase(windows_.front().address);
    windows_.pop_front();
  }
  if (untracked_.failures != 0 && now_ms - untracked_.start_ms >= options_.window_ms) {
    untracked_ = Window{};
  }
}

LoginLimit::Window* LoginLimit::Counting(std::string_view address) {
  auto it = by_address_.find(address);
  if (it != by_address_.end()) return &*it->second;
  if (by_address_.size() >= options_.max_addresses && untracked_.failures != 0) return &untracked_;
  return nullptr;
}

int64_t LoginLimit::RetryAfterMs(std::string_view address) {
  int64_t now = clock_->NowMs();
  DropPassed(now);
  const Window* w = Counting(address);
  if (w == nullptr || w->failures < options_.max_failures) return 0;
  return w->start_ms + options_.window_ms - now;
}

void LoginLimit::NoteFailure(std::string_view address) {
  int64_t now = clock_->NowMs();
  DropPassed(now);
  Window* w = Counting(address);
  if (w == nullptr) {
    if (by_address_.size() < options_.max_addresses) {
      windows_.push_back(Window{std::string(address), now, 0});
      auto last = std::prev(windows_.end());
      by_address_.emplace(last->address, last);
      w = &*last;
    } else {
      untracked_.start_ms = now;  // the shared window starts with its first failure
      w = &untracked_;
    }
  }
  ++w->failures;
}

}  // namespace cmq::console
