// The env seam: the only place that touches files, fsync, the clock and threads.
// PosixEnv is the real one; MemEnv keeps files in memory and distinguishes synced
// from unsynced bytes; FaultEnv wraps another Env to fail chosen calls and to drop
// everything not yet synced, or a random subset of it (power loss). Storage and
// timer logic is tested through these without sleeps or real crashes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cmq::env {

// Wall-clock time in Unix milliseconds. The broker reads time only through this, so
// tests move a FakeClock instead of sleeping. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// The system's real-time clock.
Clock* SystemClock();

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1700000000000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }
  void Advance(int64_t delta_ms) { now_.fetch_add(delta_ms); }

 private:
  mutable std::atomic<int64_t> now_;
};

// A random-access file. Not thread-safe except that PRead may run concurrently with
// PWrite to a different range. All offsets are absolute.
class File {
 public:
  virtual ~File() = default;
  // Writes all of `data` at `offset` (loops over short writes; a short write that
  // cannot make progress is an error).
  virtual Status PWrite(uint64_t offset, std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `out` (resized to what was read; fewer
  // bytes only at end of file).
  virtual Status PRead(uint64_t offset, size_t n, std::string* out) const = 0;
  // fdatasync. On failure the caller must assume unsynced data is lost (fail-stop).
  virtual Status DataSync() = 0;
  // Reserve disk blocks for [offset, offset+len) (posix_fallocate). kDiskFull when the
  // device has no room.
  virtual Status Allocate(uint64_t offset, uint64_t len) = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() const = 0;
  // Writes zeros over [offset, offset+len), growing the file if needed, so that its
  // blocks hold written data rather than fallocated (unwritten) extents. Not synced.
  // This default writes through PWrite; PosixEnv bypasses the page cache (O_DIRECT)
  // where the file system allows.
  virtual Status WriteZeros(uint64_t offset, uint64_t len);
};

enum class OpenMode {
  kReadOnly,        // must exist
  kReadWrite,       // must exist
  kCreateOrOpen,    // read-write, created if missing
};

class Env {
 public:
  virtual ~Env() = default;
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Creates the directory and missing parents, and makes them durable: the parent of
  // each directory created (and of `path` itself) is fsynced, so a power cut right
  // after cannot take them away.
  virtual Status CreateDir(const std::string& path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual Result<std::vector<std::string>> ListDir(const std::string& path) = 0;
  // fsync of a directory, so that created/renamed/removed entries survive power loss.
  virtual Status SyncDir(const std::string& path) = 0;
  // Bytes available to an unprivileged writer on the file system holding `path`.
  virtual Result<uint64_t> FreeSpace(const std::string& path) = 0;
  // Takes an exclusive advisory lock on `path` (created if missing) for the life of
  // the process; fails if another process holds it.
  virtual Status LockFile(const std::string& path) = 0;
  virtual Clock* clock() = 0;
  // Starts a thread running `fn`. The returned handle joins on destruction.
  class Thread {
   public:
    virtual ~Thread() = default;
    virtual void Join() = 0;
  };
  virtual std::unique_ptr<Thread> StartThread(std::string name, std::function<void()> fn) = 0;
};

// The process-wide POSIX environment (real files, SystemClock, std::thread).
Env* PosixEnv();

// A fresh in-memory environment. Each file keeps a "synced" image (what survives
// DropUnsyncedData) and a "current" image. Uses `clock` (not owned).
std::unique_ptr<Env> NewMemEnv(Clock* clock);

}  // namespace cmq::env
