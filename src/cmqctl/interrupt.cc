#include "interrupt.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "exit_codes.h"

namespace cmqctl {
namespace {

volatile sig_atomic_t g_interrupted = 0;
std::atomic<bool> g_exit_now{false};
std::atomic<const char*> g_what{nullptr};
std::atomic<const uint64_t*> g_counter{nullptr};

void WriteAll(const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

// Async-signal-safe: only write(2), _exit(2) and plain arithmetic.
void OnSignal(int) {
  g_interrupted = 1;
  if (!g_exit_now.load()) return;
  char buf[96];
  size_t len = 0;
  auto append = [&](const char* s) {
    while (*s != '\0' && len < sizeof(buf) - 2) buf[len++] = *s++;
  };
  append("\ncmqctl: interrupted");
  const char* what = g_what.load();
  const uint64_t* counter = g_counter.load();
  if (what != nullptr && counter != nullptr) {
    char digits[24];
    size_t nd = 0;
    uint64_t v = *counter;
    do {
      digits[nd++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0 && nd < sizeof(digits));
    append(" (");
    while (nd > 0 && len < sizeof(buf) - 2) buf[len++] = digits[--nd];
    append(" ");
    append(what);
    append(")");
  }
  buf[len++] = '\n';
  WriteAll(buf, len);
  _exit(kExitInterrupted);
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: sleeps return early
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  g_interrupted = 0;
}

bool Interrupted() { return g_interrupted != 0; }

bool SleepUnlessInterrupted(double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!Interrupted()) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return true;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    ::nanosleep(&ts, nullptr);  // EINTR on a signal: the loop re-checks the flag
  }
  return false;
}

ExitOnInterrupt::ExitOnInterrupt(const char* what, const uint64_t* counter) {
  g_what.store(what);
  g_counter.store(counter);
  g_exit_now.store(true);
  // A signal that arrived just before the scope opened must not be lost.
  if (Interrupted()) OnSignal(SIGINT);
}

ExitOnInterrupt::~ExitOnInterrupt() { g_exit_now.store(false); }

}  // namespace cmqctl
