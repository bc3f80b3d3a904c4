// PosixEnv: real files through file descriptors. Every error names the call, the path
// and (for data calls) the offset, plus strerror, so a failed startup or a fail-stop
// explains itself in the log.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "env/env.h"
#include "env/env_internal.h"

namespace cmq::env {
namespace {

using internal::ErrnoStatus;

std::string At(uint64_t offset) { return " at offset " + std::to_string(offset); }

class PosixFile : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFile() override { ::close(fd_); }

  Status PWrite(uint64_t offset, std::string_view data) override {
    const char* p = data.data();
    size_t left = data.size();
    uint64_t off = offset;
    while (left > 0) {
      ssize_t n = ::pwrite(fd_, p, left, static_cast<off_t>(off));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "pwrite", path_ + At(off));
      }
      if (n == 0) return Status(ErrorCode::kIoError, "pwrite " + path_ + At(off) + ": no progress");
      p += n;
      left -= static_cast<size_t>(n);
      off += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status PRead(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, out->data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        out->clear();
        return ErrnoStatus(err, "pread", path_ + At(offset + got));
      }
      if (r == 0) break;  // end of file
      got += static_cast<size_t>(r);
    }
    out->resize(got);
    return Status::Ok();
  }

  Status DataSync() override {
    if (::fdatasync(fd_) != 0) return ErrnoStatus(errno, "fdatasync", path_);
    return Status::Ok();
  }

  Status Allocate(uint64_t offset, uint64_t len) override {
    if (len == 0) return Status::Ok();
    int err = ::posix_fallocate(fd_, static_cast<off_t>(offset), static_cast<off_t>(len));
    if (err != 0) {
      return ErrnoStatus(err, "fallocate", path_ + At(offset) + " length " + std::to_string(len));
    }
    return Status::Ok();
  }

  // O_DIRECT from one zeroed, aligned buffer: the device is told to write the blocks
  // without the zeros passing through the page cache (a segment's worth of copying
  // and writeback saved). Falls back to buffered writes where O_DIRECT is refused
  // (tmpfs) or the range is not block-aligned.
  Status WriteZeros(uint64_t offset, uint64_t len) override {
    constexpr uint64_t kAlign = 4096;
    constexpr size_t kChunk = 1 << 20;
    // One zeroed buffer for the process, made once and never written again.
    static void* const buffer = [] {
      void* p = nullptr;
      if (::posix_memalign(&p, kAlign, kChunk) != 0) return static_cast<void*>(nullptr);
      std::memset(p, 0, kChunk);
      return p;
    }();
    if (buffer == nullptr || offset % kAlign != 0 || len % kAlign != 0) {
      return File::WriteZeros(offset, len);
    }
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_DIRECT) != 0) {
      return File::WriteZeros(offset, len);
    }
    Status s;
    uint64_t done = 0;
    while (done < len) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, len - done));
      ssize_t w = ::pwrite(fd_, buffer, n, static_cast<off_t>(offset + done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL) break;  // O_DIRECT refused after all: buffered below
      if (w < 0) {
        s = ErrnoStatus(errno, "pwrite (zeros)", path_ + At(offset + done));
        break;
      }
      if (w == 0 || static_cast<uint64_t>(w) % kAlign != 0) {
        s = Status(ErrorCode::kIoError,
                   "pwrite (zeros) " + path_ + At(offset + done) + ": short direct write");
        break;
      }
      done += static_cast<uint64_t>(w);
    }
    if (::fcntl(fd_, F_SETFL, flags) != 0 && s.ok()) {
      s = ErrnoStatus(errno, "fcntl(F_SETFL)", path_);
    }
    if (s.ok() && done < len) s = File::WriteZeros(offset + done, len - done);
    return s;
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus(errno, "ftruncate", path_ + " to " + std::to_string(size));
    }
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "fstat", path_);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixClock : public Clock {
 public:
  int64_t NowMs() const override {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  }
};

class PosixEnvImpl : public Env {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kReadOnly:
        flags |= O_RDONLY;
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case OpenMode::kCreateOrOpen:
        flags |= O_RDWR | O_CREAT;
        break;
    }
    int fd;
    do {
      fd = ::open(path.c_str(), flags, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus(errno, "open", path);
    return std::unique_ptr<File>(std::make_unique<PosixFile>(path, fd));
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return Status::Ok();
    if (errno == EISDIR && ::rmdir(path.c_str()) == 0) return Status::Ok();
    return ErrnoStatus(errno, "remove", path);
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus(errno, "rename " + from + " to", to);
    return Status::Ok();
  }

  // The parent of every directory created (and of `path` itself, which an earlier run
  // may have created just before a crash) is fsynced, so the new entries are durable.
  Status CreateDir(const std::string& path) override {
    std::string p = internal::NormalizePath(path);
    if (p.empty()) return Status(ErrorCode::kIoError, "mkdir: empty path");
    // Create each missing ancestor in turn, like mkdir -p.
    std::vector<std::string> created;
    size_t pos = 0;
    while (true) {
      pos = p.find('/', pos + 1);
      std::string prefix = p.substr(0, pos);
      if (!prefix.empty()) {
        if (::mkdir(prefix.c_str(), 0755) == 0) {
          created.push_back(prefix);
        } else if (errno != EEXIST) {
          return ErrnoStatus(errno, "mkdir", prefix);
        }
      }
      if (pos == std::string::npos) break;
    }
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", p);
    if (!S_ISDIR(st.st_mode))
      return Status(ErrorCode::kIoError, "mkdir " + p + ": not a directory");
    if (created.empty()) created.push_back(p);
    for (const std::string& dir : created) {
      std::string parent = internal::ParentDir(dir);
      CMQ_RETURN_IF_ERROR(SyncDir(parent.empty() ? "." : parent));
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& path) override {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return ErrnoStatus(errno, "opendir", path);
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return ErrnoStatus(err, "readdir", path);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "open directory", path);
    Status s;
    if (::fsync(fd) != 0) s = ErrnoStatus(errno, "fsync directory", path);
    ::close(fd);
    return s;
  }

  Result<uint64_t> FreeSpace(const std::string& path) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) return ErrnoStatus(errno, "statvfs", path);
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }

  Status LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "open lock file", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status(ErrorCode::kIoError, "lock " + path + ": held by another process");
      }
      return ErrnoStatus(err, "flock", path);
    }
    // The descriptor stays open for the life of the process: closing it would drop
    // the lock.
    std::lock_guard<std::mutex> lock(mu_);
    lock_fds_.insert(fd);
    return Status::Ok();
  }

  Clock* clock() override { return SystemClock(); }

  std::unique_ptr<Thread> StartThread(std::string name, std::function<void()> fn) override {
    return internal::StartStdThread(std::move(name), std::move(fn));
  }

 private:
  std::mutex mu_;
  std::set<int> lock_fds_;
};

}  // namespace

namespace internal {

Status ErrnoStatus(int err, const std::string& what, const std::string& path) {
  ErrorCode code = ErrorCode::kIoError;
  if (err == ENOSPC || err == EDQUOT) code = ErrorCode::kDiskFull;
  if (err == EMFILE || err == ENFILE) code = ErrorCode::kTooManyOpenFiles;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  const char* name = strerrorname_np(err);
  return Status(code, what + " " + path + ": " + std::strerror(err) + " (" +
                          (name != nullptr ? name : "errno " + std::to_string(err)) + ")");
}

}  // namespace internal

Clock* SystemClock() {
  static PosixClock* clock = new PosixClock();
  return clock;
}

Env* PosixEnv() {
  static PosixEnvImpl* env = new PosixEnvImpl();
  return env;
}

}  // namespace cmq::env
