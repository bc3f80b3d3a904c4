#include "http/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cmq::http {
namespace {

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Failures here mean the process is out of a kernel resource at startup; there is no
// caller that could recover, so say why and stop.
[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "cmq: EventLoop: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

}  // namespace

struct EventLoop::Impl {
  struct FdEntry {
    FdCallback cb;
    uint32_t generation;
    uint32_t events;
  };
  struct HeapItem {
    int64_t when_ns;
    TimerId id;
    // std heap functions build a max-heap; invert so the earliest timer is on top.
    bool operator<(const HeapItem& o) const {
      return when_ns != o.when_ns ? when_ns > o.when_ns : id > o.id;
    }
  };

  int epoll_fd = -1;
  int wake_fd = -1;
  std::atomic<bool> stop{false};
  std::atomic<std::thread::id> owner;

  std::mutex post_mu;
  std::vector<std::function<void()>> posted;  // guarded by post_mu
  std::vector<std::function<void()>> running_posted;

  std::vector<HeapItem> heap;
  std::unordered_map<TimerId, std::function<void()>> timer_fns;
  TimerId next_timer_id = 1;

  // Indexed by fd. Removed entries wait in `graveyard` until the end of the current
  // iteration, so a callback may remove its own fd (or another one) safely.
  std::vector<std::unique_ptr<FdEntry>> fds;
  std::vector<std::unique_ptr<FdEntry>> graveyard;
  uint32_t next_generation = 1;

  static uint64_t Key(int fd, uint32_t generation) {
    return (static_cast<uint64_t>(generation) << 32) | static_cast<uint32_t>(fd);
  }

  void DrainPosted() {
    uint64_t counter;
    while (read(wake_fd, &counter, sizeof(counter)) < 0 && errno == EINTR) {
    }
    {
      std::lock_guard<std::mutex> lock(post_mu);
      running_posted.swap(posted);
    }
    for (auto& fn : running_posted) fn();
    running_posted.clear();
  }

  void Wake() {
    uint64_t one = 1;
    while (write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }

  // Milliseconds until the earliest live timer, rounded up; -1 if none.
  int NextTimeoutMs() {
    while (!heap.empty() && !timer_fns.count(heap.front().id)) {
      std::pop_heap(heap.begin(), heap.end());
      heap.pop_back();
    }
    if (heap.empty()) return -1;
    int64_t delta = heap.front().when_ns - MonotonicNs();
    if (delta <= 0) return 0;
    int64_t ms = (delta + 999999) / 1000000;
    return static_cast<int>(std::min<int64_t>(ms, 1 << 30));
  }

  void RunDueTimers() {
    int64_t now = MonotonicNs();
    // Timers created by callbacks of this round wait for the next one, so a callback
    // re-arming itself with delay 0 cannot starve the loop.
    TimerId last_old = next_timer_id - 1;
    while (!heap.empty() && heap.front().when_ns <= now && heap.front().id <= last_old) {
      TimerId id = heap.front().id;
      std::pop_heap(heap.begin(), heap.end());
      heap.pop_back();
      auto it = timer_fns.find(id);
      if (it == timer_fns.end()) continue;  // cancelled
      std::function<void()> fn = std::move(it->second);
      timer_fns.erase(it);
      fn();
    }
  }

  // Cancelled timers stay in the heap until they reach the top; rebuild when they
  // dominate so a workload that re-arms far-future timers cannot grow it unbounded.
  void MaybeCompactHeap() {
    if (heap.size() < 64 || heap.size() < 2 * timer_fns.size()) return;
    std::erase_if(heap, [this](const HeapItem& h) { return !timer_fns.count(h.id); });
    std::make_heap(heap.begin(), heap.end());
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {
  impl_->owner.store(std::this_thread::get_id());
  impl_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (impl_->epoll_fd < 0) Die("epoll_create1");
  impl_->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->wake_fd < 0) Die("eventfd");
  Impl* impl = impl_.get();
  if (!AddFd(impl_->wake_fd, EPOLLIN, [impl](uint32_t) { impl->DrainPosted(); })) {
    Die("epoll_ctl(eventfd)");
  }
}

EventLoop::~EventLoop() {
  close(impl_->wake_fd);
  close(impl_->epoll_fd);
}

void EventLoop::Run() {
  Impl& s = *impl_;
  s.owner.store(std::this_thread::get_id());
  constexpr int kMaxEvents = 256;
  epoll_event events[kMaxEvents];
  while (!s.stop.load(std::memory_order_acquire)) {
    int n = epoll_wait(s.epoll_fd, events, kMaxEvents, s.NextTimeoutMs());
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      int fd = static_cast<int>(key & 0xffffffffu);
      uint32_t generation = static_cast<uint32_t>(key >> 32);
      if (fd < 0 || static_cast<size_t>(fd) >= s.fds.size()) continue;
      Impl::FdEntry* entry = s.fds[fd].get();
      // A stale event for an fd removed (and maybe reused) earlier in this round.
      if (entry == nullptr || entry->generation != generation) continue;
      entry->cb(events[i].events);
    }
    s.RunDueTimers();
    s.MaybeCompactHeap();
    s.graveyard.clear();
  }
  s.stop.store(false, std::memory_order_release);
}

void EventLoop::Stop() {
  impl_->stop.store(true, std::memory_order_release);
  impl_->Wake();
}

void EventLoop::Post(std::function<void()> fn) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(impl_->post_mu);
    was_empty = impl_->posted.empty();
    impl_->posted.push_back(std::move(fn));
  }
  // The loop swaps the whole queue out under the lock, so only the first post into an
  // empty queue needs to wake it.
  if (was_empty) impl_->Wake();
}

EventLoop::TimerId EventLoop::RunAfter(int64_t delay_ms, std::function<void()> fn) {
  Impl& s = *impl_;
  delay_ms = std::clamp<int64_t>(delay_ms, 0, int64_t{1} << 40);
  TimerId id = s.next_timer_id++;
  s.heap.push_back({MonotonicNs() + delay_ms * 1000000, id});
  std::push_heap(s.heap.begin(), s.heap.end());
  s.timer_fns.emplace(id, std::move(fn));
  return id;
}

void EventLoop::Cancel(TimerId id) { impl_->timer_fns.erase(id); }

bool EventLoop::AddFd(int fd, uint32_t events, FdCallback cb) {
  Impl& s = *impl_;
  if (fd < 0) return false;
  auto entry = std::make_unique<Impl::FdEntry>();
  entry->cb = std::move(cb);
  entry->generation = s.next_generation++;
  entry->events = events;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Impl::Key(fd, entry->generation);
  if (epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  if (static_cast<size_t>(fd) >= s.fds.size()) {
    s.fds.resize(std::max<size_t>(static_cast<size_t>(fd) + 1, s.fds.size() * 2));
  }
  if (s.fds[fd]) s.graveyard.push_back(std::move(s.fds[fd]));
  s.fds[fd] = std::move(entry);
  return true;
}

void EventLoop::ModifyFd(int fd, uint32_t events) {
  Impl& s = *impl_;
  if (fd < 0 || static_cast<size_t>(fd) >= s.fds.size() || !s.fds[fd]) return;
  Impl::FdEntry& entry = *s.fds[fd];
  if (entry.events == events) return;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Impl::Key(fd, entry.generation);
  if (epoll_ctl(s.epoll_fd, EPOLL_CTL_MOD, fd, &ev) == 0) entry.events = events;
}

void EventLoop::RemoveFd(int fd) {
  Impl& s = *impl_;
  if (fd < 0 || static_cast<size_t>(fd) >= s.fds.size() || !s.fds[fd]) return;
  epoll_ctl(s.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
  s.graveyard.push_back(std::move(s.fds[fd]));
}

bool EventLoop::InLoopThread() const {
  return impl_->owner.load() == std::this_thread::get_id();
}

}  // namespace cmq::http
