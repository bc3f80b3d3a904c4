#include "common/log.h"

#include <ctime>
#include <string>

namespace cmq {
namespace {

constexpr const char* kLevelNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};

// The capture in force, if any; guarded by CaptureMutex() so that a line never
// reaches a capture being destroyed.
LogCapture* g_capture = nullptr;

std::mutex& CaptureMutex() {
  static std::mutex mu;
  return mu;
}

int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

void EmitLogLine(LogLevel level, const char* body) {
  const char* name = kLevelNames[static_cast<int>(level)];
  {
    std::lock_guard<std::mutex> lock(CaptureMutex());
    if (g_capture != nullptr) {
      g_capture->Add(std::string(name) + " " + body);
      return;
    }
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, name);
  std::string line = std::string(prefix) + body + "\n";
  fputs(line.c_str(), stderr);
}

void LogMessage(LogLevel level, const char* format, ...) {
  if (level < MinLogLevel()) return;
  char body[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof(body), format, args);
  va_end(args);
  EmitLogLine(level, body);
}

bool LogRateLimit::Allow(int64_t now_ms, uint64_t* held_back) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ && now_ms - last_ms_ < interval_ms_) {
    ++held_back_;
    return false;
  }
  started_ = true;
  last_ms_ = now_ms;
  *held_back = held_back_;
  held_back_ = 0;
  return true;
}

void LogRateLimited(LogRateLimit& limit, LogLevel level, const char* format, ...) {
  if (level < MinLogLevel()) return;
  uint64_t held_back = 0;
  if (!limit.Allow(MonotonicMs(), &held_back)) return;
  char body[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof(body), format, args);
  va_end(args);
  if (held_back == 0) {
    EmitLogLine(level, body);
    return;
  }
  std::string line =
      std::string(body) + " (" + std::to_string(held_back) + " similar lines held back)";
  EmitLogLine(level, line.c_str());
}

LogCapture::LogCapture() {
  std::lock_guard<std::mutex> lock(CaptureMutex());
  g_capture = this;
}

LogCapture::~LogCapture() {
  std::lock_guard<std::mutex> lock(CaptureMutex());
  g_capture = nullptr;
}

void LogCapture::Add(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  lines_.push_back(std::move(line));
}

std::vector<std::string> LogCapture::Lines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lines_;
}

size_t LogCapture::Count(std::string_view text) const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const std::string& line : lines_) n += line.find(text) != std::string::npos;
  return n;
}

}  // namespace cmq
