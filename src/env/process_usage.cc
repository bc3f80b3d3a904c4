#include "env/process_usage.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "env/env_internal.h"

namespace cmq::env {

Result<ProcessUsage> ReadProcessUsage() {
  ProcessUsage usage;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return internal::ErrnoStatus(errno, "getrusage", "self");
  usage.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;

  FILE* statm = fopen("/proc/self/statm", "re");
  if (statm == nullptr) return internal::ErrnoStatus(errno, "fopen", "/proc/self/statm");
  unsigned long long pages = 0, resident = 0;
  int fields = fscanf(statm, "%llu %llu", &pages, &resident);
  fclose(statm);
  if (fields != 2) return Status(ErrorCode::kIoError, "/proc/self/statm: unexpected content");
  usage.resident_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return internal::ErrnoStatus(errno, "opendir", "/proc/self/fd");
  int64_t entries = 0;
  while (dirent* e = readdir(fds)) {
    if (e->d_name[0] != '.') ++entries;
  }
  closedir(fds);
  usage.open_fds = entries - 1;  // the directory stream's own descriptor

  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) {
    return internal::ErrnoStatus(errno, "getrlimit", "RLIMIT_NOFILE");
  }
  usage.max_fds =
      files.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(files.rlim_cur);
  return usage;
}

}  // namespace cmq::env
