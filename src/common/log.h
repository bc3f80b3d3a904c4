// Minimal leveled logging to stderr, one line per event. Thread-safe (one fprintf).
#pragma once

#include <cstdarg>
#include <cstdio>

namespace cmq {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Messages below this level are dropped. Set once at startup.
inline LogLevel& MinLogLevel() {
  static LogLevel level = LogLevel::kInfo;
  return level;
}

void LogMessage(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace cmq

#define CMQ_LOG_INFO(...) ::cmq::LogMessage(::cmq::LogLevel::kInfo, __VA_ARGS__)
#define CMQ_LOG_WARN(...) ::cmq::LogMessage(::cmq::LogLevel::kWarn, __VA_ARGS__)
#define CMQ_LOG_ERROR(...) ::cmq::LogMessage(::cmq::LogLevel::kError, __VA_ARGS__)
#define CMQ_LOG_DEBUG(...) ::cmq::LogMessage(::cmq::LogLevel::kDebug, __VA_ARGS__)
