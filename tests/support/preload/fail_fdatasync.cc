// LD_PRELOAD library for black-box tests: fdatasync() fails with EIO, as on a dying
// disk, while the file named by $CMQ_FAIL_FDATASYNC_WHILE_EXISTS exists; otherwise it
// is the real call. A test starts cmqd with it, lets it work, then creates the file.
// Only fdatasync is replaced (fsync, used for directories, keeps working). Thread-safe.
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

extern "C" int fdatasync(int fd) {
  const char* flag = getenv("CMQ_FAIL_FDATASYNC_WHILE_EXISTS");
  if (flag != nullptr && access(flag, F_OK) == 0) {
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
