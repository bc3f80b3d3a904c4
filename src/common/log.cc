#include "common/log.h"

#include <ctime>
#include <string>

namespace cmq {

void LogMessage(LogLevel level, const char* format, ...) {
  if (level < MinLogLevel()) return;
  static const char* const kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
           kNames[static_cast<int>(level)]);
  char body[2048];
  va_list args;
  va_start(args, format);
  vsnprintf(body, sizeof(body), format, args);
  va_end(args);
  std::string line = std::string(prefix) + body + "\n";
  fputs(line.c_str(), stderr);
}

}  // namespace cmq
