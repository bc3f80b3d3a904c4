#include "common/log.h"

#include <ctime>
#include <string>

#include "common/json.h"

namespace cmq {
namespace {

constexpr const char* kLevelNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
constexpr const char* kJsonLevelNames[] = {"debug", "info", "warn", "error"};

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

int64_t RealtimeMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool IsControl(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Appends `text` with control characters escaped (\n, \r, \t, \xHH), and quotes and
// backslashes too when `quoted`.
void AppendEscaped(std::string_view text, bool quoted, std::string* out) {
  for (char c : text) {
    if (c == '\n') {
      *out += "\\n";
    } else if (c == '\r') {
      *out += "\\r";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (IsControl(c)) {
      char hex[8];
      snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
      *out += hex;
    } else if (quoted && (c == '"' || c == '\\')) {
      *out += '\\';
      *out += c;
    } else {
      *out += c;
    }
  }
}

// A text value goes bare unless it could be misread: empty, or with a space, quote,
// '=', backslash or control character.
bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || IsControl(c)) return true;
  }
  return false;
}

// The text format's body: the message, then " key=value" per field.
void AppendTextBody(std::string_view message, std::span<const LogField> fields, std::string* out) {
  AppendEscaped(message, false, out);
  for (const LogField& f : fields) {
    if (!out->empty() && out->back() != ' ') *out += ' ';
    out->append(f.key);
    *out += '=';
    if (f.number || !NeedsQuotes(f.value)) {
      AppendEscaped(f.value, false, out);
    } else {
      *out += '"';
      AppendEscaped(f.value, true, out);
      *out += '"';
    }
  }
}

}  // namespace

std::string FormatUtcMs(int64_t unix_ms) {
  time_t seconds = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&seconds, &tm);
  char text[64];
  snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           static_cast<int>(unix_ms % 1000));
  return text;
}

std::string FormatLogLine(LogFormat format, int64_t unix_ms, std::optional<LogLevel> level,
                          std::string_view message, std::span<const LogField> fields) {
  if (format == LogFormat::kJson) {
    JsonWriter w;
    w.BeginObject();
    w.Field("time", FormatUtcMs(unix_ms));
    if (level) w.Field("level", kJsonLevelNames[static_cast<int>(*level)]);
    if (level || !message.empty()) w.Field("message", message);
    for (const LogField& f : fields) {
      if (f.number) {
        w.Key(f.key).Int(f.integer);
      } else {
        w.Field(f.key, f.value);
      }
    }
    w.EndObject();
    return w.Take() + "\n";
  }
  std::string line = FormatUtcMs(unix_ms);
  line += ' ';
  if (level) {
    char name[8];
    snprintf(name, sizeof(name), "%-5s ", kLevelNames[static_cast<int>(*level)]);
    line += name;
  }
  std::string body;
  AppendTextBody(message, fields, &body);
  line += body;
  line += '\n';
  return line;
}

void EmitLogLine(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  {
    std::lock_guard<std::mutex> lock(CaptureMutex());
    if (g_capture != nullptr) {
      std::string line = std::string(kLevelNames[static_cast<int>(level)]) + " ";
      AppendTextBody(message, fields, &line);
      g_capture->Add(std::move(line));
      return;
    }
  }
  std::string line = FormatLogLine(OutputLogFormat(), RealtimeMs(), level, message, fields);
  fputs(line.c_str(), stderr);
}

void LogMessage(LogLevel level, const char* format, ...) {
  if (!LogEnabled(level)) return;
  char body[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof(body), format, args);
  va_end(args);
  EmitLogLine(level, body, {});
}

void LogEvent(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  LogEvent(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void LogEvent(LogLevel level, std::string_view message, std::span<const LogField> fields) {
  if (!LogEnabled(level)) return;
  EmitLogLine(level, message, fields);
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

namespace {

// Whether `limit` lets a line through now; `message` gets the count of those held back.
bool AllowRateLimited(LogRateLimit& limit, LogLevel level, std::string* message) {
  if (!LogEnabled(level)) return false;
  uint64_t held_back = 0;
  if (!limit.Allow(MonotonicMs(), &held_back)) return false;
  if (held_back != 0) {
    message->append(" (").append(std::to_string(held_back)).append(" similar lines held back)");
  }
  return true;
}

}  // namespace

void LogRateLimited(LogRateLimit& limit, LogLevel level, const char* format, ...) {
  std::string message;
  if (!AllowRateLimited(limit, level, &message)) return;
  char body[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof(body), format, args);
  va_end(args);
  message.insert(0, body);
  EmitLogLine(level, message, {});
}

void LogEventRateLimited(LogRateLimit& limit, LogLevel level, std::string_view message,
                         std::initializer_list<LogField> fields) {
  std::string held_back;
  if (!AllowRateLimited(limit, level, &held_back)) return;
  EmitLogLine(level, std::string(message) + held_back,
              std::span<const LogField>(fields.begin(), fields.size()));
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
