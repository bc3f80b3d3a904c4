// LD_PRELOAD library for black-box tests: fdatasync() fails with EIO, as on a dying
// disk, while the file named by $CMQ_FAIL_FDATASYNC_WHILE_EXISTS exists; and
// posix_fallocate() fails with ENOSPC, as on a full disk, while the file named by
// $CMQ_FAIL_FALLOCATE_WHILE_EXISTS exists; otherwise each is the real call. A test
// starts cmqd with it, lets it work, then creates the file. Only these two are
// replaced (fsync, used for directories, keeps working). Thread-safe.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

bool FlagExists(const char* variable) {
  const char* flag = getenv(variable);
  return flag != nullptr && access(flag, F_OK) == 0;
}

}  // namespace

// Returns the error, as posix_fallocate does (errno is not set). Both names, whichever
// one cmqd was built to call.
extern "C" int posix_fallocate(int fd, off_t offset, off_t len) {
  if (FlagExists("CMQ_FAIL_FALLOCATE_WHILE_EXISTS")) return ENOSPC;
  using Fallocate = int (*)(int, off_t, off_t);
  static const Fallocate real = reinterpret_cast<Fallocate>(dlsym(RTLD_NEXT, "posix_fallocate"));
  if (real == nullptr) return ENOSYS;
  return real(fd, offset, len);
}

extern "C" int posix_fallocate64(int fd, off64_t offset, off64_t len) {
  if (FlagExists("CMQ_FAIL_FALLOCATE_WHILE_EXISTS")) return ENOSPC;
  using Fallocate = int (*)(int, off64_t, off64_t);
  static const Fallocate real = reinterpret_cast<Fallocate>(dlsym(RTLD_NEXT, "posix_fallocate64"));
  if (real == nullptr) return ENOSYS;
  return real(fd, offset, len);
}

extern "C" int fdatasync(int fd) {
  if (FlagExists("CMQ_FAIL_FDATASYNC_WHILE_EXISTS")) {
    errno = EIO;
    return -1;
  }
  using Fdatasync = int (*)(int);
  static const Fdatasync real = reinterpret_cast<Fdatasync>(dlsym(RTLD_NEXT, "fdatasync"));
  if (real == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return real(fd);
}
