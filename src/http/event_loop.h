// EventLoop: one epoll thread that owns sockets, timers and everything that runs on
// it (the broker included). Other threads talk to it only through Post().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace cmq::http {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until Stop(). Must be called from the thread that will own the loop.
  void Run();
  // Thread-safe. Makes Run() return after the current iteration.
  void Stop();

  // Thread-safe: runs `fn` on the loop thread soon (FIFO).
  void Post(std::function<void()> fn);

  // Loop thread only. Runs `fn` once, `delay_ms` milliseconds from now (monotonic
  // clock, millisecond resolution, never early). Returns an id for Cancel.
  using TimerId = uint64_t;
  TimerId RunAfter(int64_t delay_ms, std::function<void()> fn);
  void Cancel(TimerId id);

  // Loop thread only. Watches `fd` (level-triggered). `events` are EPOLL* flags.
  // The callback receives the ready events. Returns false if the kernel refused to
  // watch the fd (e.g. out of memory); the callback is then dropped. After RemoveFd
  // the callback is never called again, even for events already collected, and it
  // may remove its own fd while running. The caller keeps owning (and closes) `fd`.
  using FdCallback = std::function<void(uint32_t events)>;
  bool AddFd(int fd, uint32_t events, FdCallback cb);
  void ModifyFd(int fd, uint32_t events);
  void RemoveFd(int fd);

  // True on the thread running Run(); before the first Run(), on the constructing one.
  bool InLoopThread() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cmq::http
