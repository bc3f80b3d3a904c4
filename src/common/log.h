// Minimal leveled logging to stderr, one line per event. Thread-safe (one fputs).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cmq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped. Set once at startup.
inline LogLevel& MinLogLevel() {
  static LogLevel level = LogLevel::kInfo;
  return level;
}

void LogMessage(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Lets one line through per interval and counts the lines it holds back, for
// conditions that can repeat per request or per connection (a full disk, a
// connection limit) and must neither flood the log nor go unreported. Thread-safe.
class LogRateLimit {
 public:
  explicit LogRateLimit(int64_t interval_ms = 1000) : interval_ms_(interval_ms) {}
  LogRateLimit(const LogRateLimit&) = delete;
  LogRateLimit& operator=(const LogRateLimit&) = delete;

  // Whether a line may be logged at `now_ms` (monotonic milliseconds). If so,
  // `*held_back` is the number of lines refused since the last one let through.
  bool Allow(int64_t now_ms, uint64_t* held_back);

 private:
  const int64_t interval_ms_;
  std::mutex mu_;
  bool started_ = false;
  int64_t last_ms_ = 0;  // when the last line was let through
  uint64_t held_back_ = 0;
};

// LogMessage through `limit` (on the monotonic clock). A line let through after
// others were held back ends with "(N similar lines held back)".
void LogRateLimited(LogRateLimit& limit, LogLevel level, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

// While alive, log lines go here instead of stderr, so that a test can check what was
// logged (levels below MinLogLevel() are still dropped). At most one at a time.
// Thread-safe: lines may come from any thread.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The lines so far, each "LEVEL text" (no timestamp, no newline).
  std::vector<std::string> Lines() const;
  // How many captured lines contain `text`.
  size_t Count(std::string_view text) const;

 private:
  friend void EmitLogLine(LogLevel level, const char* body);
  void Add(std::string line);

  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace cmq

#define CMQ_LOG_INFO(...) ::cmq::LogMessage(::cmq::LogLevel::kInfo, __VA_ARGS__)
#define CMQ_LOG_WARN(...) ::cmq::LogMessage(::cmq::LogLevel::kWarn, __VA_ARGS__)
#define CMQ_LOG_ERROR(...) ::cmq::LogMessage(::cmq::LogLevel::kError, __VA_ARGS__)
#define CMQ_LOG_DEBUG(...) ::cmq::LogMessage(::cmq::LogLevel::kDebug, __VA_ARGS__)
