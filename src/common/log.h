// Leveled logging to stderr, one line per event, as text or as JSON (log_format).
// Thread-safe (one fputs per line).
//
// Text:  2026-12-07T08:21:50.123Z WARN  message key=value key="quoted value"
// JSON:  {"time":"2026-12-07T08:21:50.123Z","level":"warn","message":"message","key":"value"}
//
// A line is a message and, where the call site has them, structured fields (LogEvent).
// Whatever a client sent may appear in a line: control characters are escaped in both
// formats, so no client can forge a line.
#pragma once

#include <concepts>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cmq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

// Messages below this level are dropped. Set once at startup.
inline LogLevel& MinLogLevel() {
  static LogLevel level = LogLevel::kInfo;
  return level;
}

// How lines are written. Set once at startup, before any thread starts.
inline LogFormat& OutputLogFormat() {
  static LogFormat format = LogFormat::kText;
  return format;
}

// Whether a line at `level` is written: guards the building of fields that cost
// something (debug lines on the request path).
inline bool LogEnabled(LogLevel level) { return level >= MinLogLevel(); }

// One structured field: a string (quoted in text when it has spaces, quotes, '=' or
// control characters) or an integer (a JSON number). Keys are plain ASCII chosen by
// the call site, never "time", "level" or "message".
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogField(std::string_view k, T v)
      : key(k), value(std::to_string(v)), number(true), integer(static_cast<int64_t>(v)) {}

  std::string_view key;
  std::string value;  // an integer's decimal text too
  bool number = false;
  int64_t integer = 0;  // when `number`
};

void LogMessage(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));
// A line with structured fields.
void LogEvent(LogLevel level, std::string_view message, std::initializer_list<LogField> fields);
void LogEvent(LogLevel level, std::string_view message, std::span<const LogField> fields);

// One complete line ('\n'-terminated) in `format`, at `unix_ms`: for the process log
// and for the access log (no level: `level` empty, and an empty message is left out).
std::string FormatLogLine(LogFormat format, int64_t unix_ms, std::optional<LogLevel> level,
                          std::string_view message, std::span<const LogField> fields);

// RFC 3339 in UTC with milliseconds: 2026-12-07T08:21:50.123Z.
std::string FormatUtcMs(int64_t unix_ms);

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

// LogMessage / LogEvent through `limit` (on the monotonic clock). A line let through
// after others were held back ends its message with "(N similar lines held back)".
void LogRateLimited(LogRateLimit& limit, LogLevel level, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
void LogEventRateLimited(LogRateLimit& limit, LogLevel level, std::string_view message,
                         std::initializer_list<LogField> fields);

// While alive, log lines go here instead of stderr, so that a test can check what was
// logged (levels below MinLogLevel() are still dropped). At most one at a time.
// Thread-safe: lines may come from any thread.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // The lines so far, each "LEVEL text" with the text as the text format writes it
  // (message, then fields), without timestamp or newline.
  std::vector<std::string> Lines() const;
  // How many captured lines contain `text`.
  size_t Count(std::string_view text) const;

 private:
  friend void EmitLogLine(LogLevel level, std::string_view message,
                          std::span<const LogField> fields);
  void Add(std::string line);

  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace cmq

#define CMQ_LOG_INFO(...) ::cmq::LogMessage(::cmq::LogLevel::kInfo, __VA_ARGS__)
#define CMQ_LOG_WARN(...) ::cmq::LogMessage(::cmq::LogLevel::kWarn, __VA_ARGS__)
#define CMQ_LOG_ERROR(...) ::cmq::LogMessage(::cmq::LogLevel::kError, __VA_ARGS__)
#define CMQ_LOG_DEBUG(...) ::cmq::LogMessage(::cmq::LogLevel::kDebug, __VA_ARGS__)
