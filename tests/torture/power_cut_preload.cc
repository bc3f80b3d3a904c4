// libcmq_power_cut.so: loaded into cmqd with LD_PRELOAD, it records in an undo log
// (power_cut_log.h) every change under CMQ_POWER_CUT_ROOT that is not durable yet, so
// that after kill -9 the driver can take those changes back as a power cut would
// (power_cut_revert.h).
//
// The durability model is the strict POSIX one: a file's bytes and size are durable
// once fsync/fdatasync of that file returned; a directory entry (creation, unlink,
// rename, mkdir, rmdir) once fsync of its directory returned. The first time a page is
// dirtied after a sync its old bytes are saved; a sync forgets them.
//
// What it sees: open/openat/creat (and their 64 variants), close, write, pwrite,
// writev, pwritev, fsync, fdatasync, ftruncate, truncate, fallocate, posix_fallocate,
// unlink, unlinkat, rmdir, mkdir, mkdirat, rename, renameat, renameat2: every call
// src/env/posix_env.cc makes (O_DIRECT writes are pwrite too). What it does not see:
// descriptors made by dup/fcntl, mmap writes, link/symlink, sync/syncfs, calls made
// inside libc itself. Not for production; loaded only by the torture tests.
//
// Thread-safe: a file's undo state is locked across the change and its real call, and
// across a sync and the forgetting, so a sync never forgets a change it did not cover;
// entry changes and directory syncs are serialised by one mutex the same way.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "torture/power_cut_log.h"

namespace {

using namespace cmq::torture::undo;  // NOLINT: the format's names are this file's vocabulary

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}
// The real (next) definition of `name`, looked up once.
#define REAL(name)                                         \
  ([] {                                                    \
    static const auto fn = Next<decltype(&::name)>(#name); \
    return fn;                                             \
  }())

// ---- configuration and paths ----

std::string Normalize(const std::string& path) {
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    std::string part = path.substr(pos, slash - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = slash + 1;
  }
  std::string out;
  for (const std::string& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string ParentOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

struct Config {
  bool active = false;
  std::string root;    // watched tree
  std::string parent;  // its parent: only its fsyncs matter (they make `root` durable)
  std::string undo;
};

const Config& Conf() {
  static const Config* config = [] {
    auto* c = new Config;
    const char* root = getenv(kRootVariable);
    const char* undo = getenv(kUndoVariable);
    if (root != nullptr && undo != nullptr && root[0] == '/' && undo[0] == '/') {
      c->active = true;
      c->root = Normalize(root);
      c->parent = ParentOf(c->root);
      c->undo = Normalize(undo);
    }
    return c;
  }();
  return *config;
}

std::string AbsolutePath(int dirfd, const char* path) {
  if (path == nullptr) return "";
  if (path[0] == '/') return Normalize(path);
  char base[PATH_MAX];
  if (dirfd == AT_FDCWD) {
    if (getcwd(base, sizeof(base)) == nullptr) return "";
  } else {
    std::string link = "/proc/self/fd/" + std::to_string(dirfd);
    ssize_t n = readlink(link.c_str(), base, sizeof(base) - 1);
    if (n <= 0) return "";
    base[n] = '\0';
  }
  return Normalize(std::string(base) + "/" + path);
}

bool Loggable(const std::string& path) { return path.find_first_of("\t\n") == std::string::npos; }

// Entry changes are logged for the root and everything below it.
bool UnderRoot(const std::string& path) {
  const Config& c = Conf();
  if (!c.active || path.empty() || !Loggable(path)) return false;
  return path == c.root || path.compare(0, c.root.size() + 1, c.root + "/") == 0;
}

// ---- small I/O helpers that bypass the interposed functions ----

// An undo log that misses a change would make the revert call that change durable:
// the process stops instead, loudly.
[[noreturn]] void Die(const std::string& what) {
  std::string line = "power cut library: " + what + ": " + strerror(errno) + "\n";
  (void)!REAL(write)(2, line.data(), line.size());
  abort();
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = REAL(write)(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("cannot append to an undo log");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

int OpenReal(const std::string& path, int flags, mode_t mode = 0644) {
  return REAL(open)(path.c_str(), flags | O_CLOEXEC, mode);
}

std::optional<struct stat> StatPath(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return std::nullopt;
  return st;
}

uint64_t FileSize(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

std::string LinkPath(ino_t ino) {
  return Conf().undo + "/" + kLinksDir + "/" + std::to_string(ino);
}
std::string UndoPath(ino_t ino) {
  return Conf().undo + "/" + kFilesDir + "/" + std::to_string(ino) + ".undo";
}

// ---- tracked descriptors ----

struct OpenFile {
  ino_t ino = 0;
  bool dir = false;
  std::string path;
};

struct Descriptors {
  std::mutex mu;
  std::unordered_map<int, OpenFile> files;
  // Lets the write() of a socket skip the mutex.
  static constexpr int kFast = 1 << 16;
  std::atomic<bool> maybe[kFast] = {};
};

Descriptors& Fds() {
  static Descriptors* fds = new Descriptors;
  return *fds;
}

void Track(int fd, const std::string& path) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return;
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return;
  Descriptors& d = Fds();
  std::lock_guard<std::mutex> lock(d.mu);
  d.files[fd] = OpenFile{st.st_ino, S_ISDIR(st.st_mode), path};
  if (fd < Descriptors::kFast) d.maybe[fd].store(true);
}

void Untrack(int fd) {
  Descriptors& d = Fds();
  if (fd >= 0 && fd < Descriptors::kFast && !d.maybe[fd].load()) return;
  std::lock_guard<std::mutex> lock(d.mu);
  d.files.erase(fd);
  if (fd >= 0 && fd < Descriptors::kFast) d.maybe[fd].store(false);
}

std::optional<OpenFile> Lookup(int fd) {
  if (!Conf().active || fd < 0) return std::nullopt;
  Descriptors& d = Fds();
  if (fd < Descriptors::kFast && !d.maybe[fd].load()) return std::nullopt;
  std::lock_guard<std::mutex> lock(d.mu);
  auto it = d.files.find(fd);
  if (it == d.files.end()) return std::nullopt;
  return it->second;
}

// ---- per-file undo state ----

struct FileUndo {
  std::mutex mu;
  int log_fd = -1;
  bool size_saved = false;
  std::unordered_set<uint64_t> pages;  // saved since the last sync
};

struct Inodes {
  std::mutex mu;
  std::unordered_map<ino_t, std::unique_ptr<FileUndo>> files;
};

Inodes& AllInodes() {
  static Inodes* inodes = new Inodes;
  return *inodes;
}

// What an earlier incarnation recorded for this file still stands (no sync since).
void LoadExisting(FileUndo* f, const std::string& path) {
  int fd = OpenReal(path, O_RDONLY);
  if (fd < 0) return;
  std::string log(FileSize(fd), '\0');
  ssize_t got = pread(fd, log.data(), log.size(), 0);
  REAL(close)(fd);
  log.resize(got > 0 ? static_cast<size_t>(got) : 0);
  size_t pos = 0;
  Record r;
  while (NextRecord(log, &pos, &r)) {
    if (r.kind == Kind::kSize) {
      f->size_saved = true;
    } else {
      f->pages.insert(r.value);
    }
  }
}

FileUndo* UndoFor(ino_t ino) {
  Inodes& all = AllInodes();
  std::lock_guard<std::mutex> lock(all.mu);
  std::unique_ptr<FileUndo>& f = all.files[ino];
  if (!f) f = std::make_unique<FileUndo>();
  if (f->log_fd < 0) {  // new, or forgotten (its inode may have been reused since)
    std::string path = UndoPath(ino);
    LoadExisting(f.get(), path);
    f->log_fd = OpenReal(path, O_WRONLY | O_CREAT | O_APPEND);
    if (f->log_fd < 0) Die("cannot open " + path);
  }
  return f.get();
}

// A file that no longer has a name that could come back: its records are dropped.
void ForgetInode(ino_t ino) {
  Inodes& all = AllInodes();
  std::lock_guard<std::mutex> lock(all.mu);
  auto it = all.files.find(ino);
  if (it != all.files.end()) {
    std::lock_guard<std::mutex> file_lock(it->second->mu);
    if (it->second->log_fd >= 0) REAL(close)(it->second->log_fd);
    it->second->log_fd = -1;
    // The entry stays (a Change may still point at it); UndoFor starts it afresh.
    it->second->pages.clear();
    it->second->size_saved = false;
  }
  REAL(unlink)(UndoPath(ino).c_str());
  REAL(unlink)(LinkPath(ino).c_str());
}

// One modifying call on a descriptor: holds the file's undo state locked until the
// call returned, saves what the call may overwrite before it runs.
class Change {
 public:
  explicit Change(int fd) : fd_(fd) {
    std::optional<OpenFile> file = Lookup(fd);
    if (!file || file->dir) return;
    undo_ = UndoFor(file->ino);
    lock_ = std::unique_lock<std::mutex>(undo_->mu);
  }
  bool watched() const { return undo_ != nullptr; }

  void SaveSize() {
    if (undo_->size_saved) return;
    AppendRecord(&log_, Kind::kSize, FileSize(fd_), {}, 0);
    undo_->size_saved = true;
  }

  // Saves the old bytes of every page of [begin, end) not saved since the last sync.
  void SavePages(uint64_t begin, uint64_t end) {
    if (begin >= end) return;
    uint64_t size = FileSize(fd_);
    int rfd = fd_;
    int flags = fcntl(fd_, F_GETFL);
    bool own = flags < 0 || (flags & O_ACCMODE) == O_WRONLY || (flags & O_DIRECT) != 0;
    if (own) rfd = OpenReal("/proc/self/fd/" + std::to_string(fd_), O_RDONLY);
    if (rfd < 0) Die("cannot read the old bytes of descriptor " + std::to_string(fd_));
    std::string page(kPageSize, '\0');
    for (uint64_t p = begin / kPageSize; p <= (end - 1) / kPageSize; ++p) {
      if (!undo_->pages.insert(p).second) continue;
      uint64_t start = p * kPageSize;
      uint64_t want = start < size ? std::min(kPageSize, size - start) : 0;
      ssize_t got = want > 0 ? pread(rfd, page.data(), want, start) : 0;
      if (got < 0) Die("cannot read the old bytes of descriptor " + std::to_string(fd_));
      uint32_t n = got > 0 ? static_cast<uint32_t>(got) : 0;
      std::string_view old(page.data(), n);
      if (old.find_first_not_of('\0') == std::string_view::npos) {
        AppendRecord(&log_, Kind::kZeroPage, p, {}, n);
      } else {
        AppendRecord(&log_, Kind::kPage, p, old, n);
      }
    }
    if (own) REAL(close)(rfd);
  }

  // The size may grow to `end`.
  void SaveGrowth(uint64_t end) {
    if (end > FileSize(fd_)) SaveSize();
  }

  // A write of `len` bytes at `offset`.
  void SaveWrite(uint64_t offset, uint64_t len) {
    if (len == 0) return;
    SaveGrowth(offset + len);
    SavePages(offset, offset + len);
  }

  // The size may drop to `size`: everything beyond goes.
  void SaveShrink(uint64_t size) {
    SaveSize();
    SavePages(size, FileSize(fd_));
  }

  // The sync returned: nothing recorded so far can be lost any more.
  void Forget() {
    log_.clear();
    undo_->pages.clear();
    undo_->size_saved = false;
    // Safe to ignore a failure: the log then holds more than the truth, so the revert
    // takes back synced data, which the checks report as a loss (never hides one).
    (void)REAL(ftruncate)(undo_->log_fd, 0);
  }

  // Appends what was saved to the undo log; must happen before the change itself.
  void Commit() {
    if (undo_ != nullptr && !log_.empty()) WriteAll(undo_->log_fd, log_);
    log_.clear();
  }

 private:
  int fd_;
  FileUndo* undo_ = nullptr;
  std::unique_lock<std::mutex> lock_;
  std::string log_;
};

// Calls `real` between the saving and the unlocking; keeps errno of the real call.
template <typename Save, typename Call>
auto Changing(int fd, Save save, Call call) {
  Change change(fd);
  if (change.watched()) {
    int saved_errno = errno;
    save(change);
    change.Commit();
    errno = saved_errno;
  }
  return call();
}

// ---- directory entries ----

struct DirOps {
  std::mutex mu;
  int log_fd = -1;
  // Unlinked or replaced files kept in links/, by the directory whose sync ends them.
  std::vector<std::pair<std::string, ino_t>> removed;
};

DirOps& Dirs() {
  static DirOps* d = new DirOps;
  return *d;
}

// Caller holds Dirs().mu.
void LogDirOp(std::initializer_list<std::string> fields) {
  DirOps& d = Dirs();
  if (d.log_fd < 0) {
    d.log_fd = OpenReal(Conf().undo + "/" + kDirOpsLog, O_WRONLY | O_CREAT | O_APPEND);
    if (d.log_fd < 0) Die("cannot open " + Conf().undo + "/" + kDirOpsLog);
  }
  std::string line;
  for (const std::string& f : fields) line += (line.empty() ? "" : "\t") + f;
  WriteAll(d.log_fd, line + "\n");
}

// Caller holds Dirs().mu. Keeps the file at `path` reachable under links/; its inode.
ino_t KeepForUndo(const std::string& path) {
  std::optional<struct stat> st = StatPath(path);
  if (!st || !S_ISREG(st->st_mode)) return 0;
  if (REAL(link)(path.c_str(), LinkPath(st->st_ino).c_str()) != 0 && errno != EEXIST) return 0;
  Dirs().removed.emplace_back(ParentOf(path), st->st_ino);
  return st->st_ino;
}

// Caller holds Dirs().mu. A sync of `dir` made its removals final.
void DropRemoved(const std::string& dir) {
  std::vector<std::pair<std::string, ino_t>>& removed = Dirs().removed;
  for (auto it = removed.begin(); it != removed.end();) {
    if (it->first == dir) {
      ForgetInode(it->second);
      it = removed.erase(it);
    } else {
      ++it;
    }
  }
}

int SyncDescriptor(int fd, int (*real)(int)) {
  std::optional<OpenFile> file = Lookup(fd);
  if (!file) return real(fd);
  if (file->dir) {
    std::lock_guard<std::mutex> lock(Dirs().mu);
    int r = real(fd);
    int saved_errno = errno;
    if (r == 0) {
      LogDirOp({kDirSync, file->path});
      DropRemoved(file->path);
    }
    errno = saved_errno;
    return r;
  }
  Change change(fd);
  int r = real(fd);
  if (r == 0 && change.watched()) {
    int saved_errno = errno;
    change.Forget();
    errno = saved_errno;
  }
  return r;
}

// Caller holds Dirs().mu. An open with O_CREAT or O_TRUNC of `path` is about to run.
void BeforeOpen(const std::string& path, int flags) {
  if (!StatPath(path)) {
    if ((flags & O_CREAT) != 0) LogDirOp({kCreate, path});
    return;
  }
  if ((flags & O_TRUNC) == 0) return;
  int existing = OpenReal(path, O_RDONLY);
  Track(existing, path);
  {
    Change change(existing);
    if (change.watched()) {
      change.SaveShrink(0);
      change.Commit();
    }
  }
  Untrack(existing);
  REAL(close)(existing);
}

template <typename Call>
int OpenWith(int dirfd, const char* path, int flags, Call call) {
  if (!Conf().active) return call();
  std::string abs = AbsolutePath(dirfd, path);
  bool under = UnderRoot(abs);
  if (!under && abs != Conf().parent) return call();
  int fd;
  {
    std::unique_lock<std::mutex> lock(Dirs().mu, std::defer_lock);
    if (under && (flags & (O_CREAT | O_TRUNC)) != 0) {
      lock.lock();
      BeforeOpen(abs, flags);
    }
    fd = call();
  }
  int saved_errno = errno;
  if (fd >= 0) Track(fd, abs);
  errno = saved_errno;
  return fd;
}

enum class Entry { kMkdir, kRmdir, kUnlink };

template <typename Call>
int EntryChange(const std::string& abs, Entry entry, Call call) {
  if (!UnderRoot(abs)) return call();
  std::lock_guard<std::mutex> lock(Dirs().mu);
  std::optional<struct stat> st = StatPath(abs);
  if (entry == Entry::kMkdir && !st) LogDirOp({kMkdir, abs});
  if (st && S_ISDIR(st->st_mode) && entry != Entry::kMkdir) LogDirOp({kRmdir, abs});
  if (st && !S_ISDIR(st->st_mode) && entry == Entry::kUnlink) {
    if (ino_t ino = KeepForUndo(abs); ino != 0) LogDirOp({kUnlink, abs, std::to_string(ino)});
  }
  return call();
}

template <typename Call>
int RenameWith(const std::string& from, const std::string& to, Call call) {
  if (!UnderRoot(from) && !UnderRoot(to)) return call();
  std::lock_guard<std::mutex> lock(Dirs().mu);
  ino_t replaced = StatPath(to) ? KeepForUndo(to) : 0;
  LogDirOp({kRename, from, to, std::to_string(replaced)});
  return call();
}

mode_t ModeArg(int flags, va_list args) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<mode_t>(va_arg(args, int)) : 0;
}

uint64_t IovLength(const struct iovec* iov, int count) {
  uint64_t n = 0;
  for (int i = 0; i < count; ++i) n += iov[i].iov_len;
  return n;
}

// Where a write() on `fd` lands.
uint64_t CurrentOffset(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_APPEND) != 0) return FileSize(fd);
  off_t pos = lseek(fd, 0, SEEK_CUR);
  return pos < 0 ? 0 : static_cast<uint64_t>(pos);
}

void SaveAllocate(Change& c, int mode, uint64_t offset, uint64_t len) {
  if ((mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) != 0) {
    c.SaveShrink(offset);  // everything from `offset` on moves
    return;
  }
  if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0)
    c.SavePages(offset, offset + len);
  if ((mode & FALLOC_FL_KEEP_SIZE) == 0) c.SaveGrowth(offset + len);
}

}  // namespace

extern "C" {

// ---- opening and closing ----

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenWith(AT_FDCWD, path, flags, [&] { return REAL(open)(path, flags, mode); });
}

int open64(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenWith(AT_FDCWD, path, flags, [&] { return REAL(open64)(path, flags, mode); });
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenWith(dirfd, path, flags, [&] { return REAL(openat)(dirfd, path, flags, mode); });
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeArg(flags, args);
  va_end(args);
  return OpenWith(dirfd, path, flags, [&] { return REAL(openat64)(dirfd, path, flags, mode); });
}

int creat(const char* path, mode_t mode) { return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode); }

int creat64(const char* path, mode_t mode) {
  return open64(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int close(int fd) {
  Untrack(fd);
  return REAL(close)(fd);
}

// ---- data ----

ssize_t write(int fd, const void* buf, size_t n) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(CurrentOffset(fd), n); },
      [&] { return REAL(write)(fd, buf, n); });
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t offset) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(static_cast<uint64_t>(offset), n); },
      [&] { return REAL(pwrite)(fd, buf, n, offset); });
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off64_t offset) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(static_cast<uint64_t>(offset), n); },
      [&] { return REAL(pwrite64)(fd, buf, n, offset); });
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(CurrentOffset(fd), IovLength(iov, count)); },
      [&] { return REAL(writev)(fd, iov, count); });
}

ssize_t pwritev(int fd, const struct iovec* iov, int count, off_t offset) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(static_cast<uint64_t>(offset), IovLength(iov, count)); },
      [&] { return REAL(pwritev)(fd, iov, count, offset); });
}

ssize_t pwritev64(int fd, const struct iovec* iov, int count, off64_t offset) {
  return Changing(
      fd, [&](Change& c) { c.SaveWrite(static_cast<uint64_t>(offset), IovLength(iov, count)); },
      [&] { return REAL(pwritev64)(fd, iov, count, offset); });
}

ssize_t pwritev2(int fd, const struct iovec* iov, int count, off_t offset, int flags) {
  return Changing(
      fd,
      [&](Change& c) {
        uint64_t at = offset == -1 ? CurrentOffset(fd) : static_cast<uint64_t>(offset);
        c.SaveWrite(at, IovLength(iov, count));
      },
      [&] { return REAL(pwritev2)(fd, iov, count, offset, flags); });
}

int ftruncate(int fd, off_t length) {
  return Changing(
      fd, [&](Change& c) { c.SaveShrink(static_cast<uint64_t>(length)); },
      [&] { return REAL(ftruncate)(fd, length); });
}

int ftruncate64(int fd, off64_t length) {
  return Changing(
      fd, [&](Change& c) { c.SaveShrink(static_cast<uint64_t>(length)); },
      [&] { return REAL(ftruncate64)(fd, length); });
}

int truncate(const char* path, off_t length) {
  if (!UnderRoot(AbsolutePath(AT_FDCWD, path))) return REAL(truncate)(path, length);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = ftruncate(fd, length);
  int saved_errno = errno;
  close(fd);
  errno = saved_errno;
  return r;
}

int fallocate(int fd, int mode, off_t offset, off_t len) {
  return Changing(
      fd, [&](Change& c) { SaveAllocate(c, mode, offset, len); },
      [&] { return REAL(fallocate)(fd, mode, offset, len); });
}

int fallocate64(int fd, int mode, off64_t offset, off64_t len) {
  return Changing(
      fd, [&](Change& c) { SaveAllocate(c, mode, offset, len); },
      [&] { return REAL(fallocate64)(fd, mode, offset, len); });
}

int posix_fallocate(int fd, off_t offset, off_t len) {
  return Changing(
      fd, [&](Change& c) { SaveAllocate(c, 0, offset, len); },
      [&] { return REAL(posix_fallocate)(fd, offset, len); });
}

int posix_fallocate64(int fd, off64_t offset, off64_t len) {
  return Changing(
      fd, [&](Change& c) { SaveAllocate(c, 0, offset, len); },
      [&] { return REAL(posix_fallocate64)(fd, offset, len); });
}

int fsync(int fd) { return SyncDescriptor(fd, REAL(fsync)); }

int fdatasync(int fd) { return SyncDescriptor(fd, REAL(fdatasync)); }

// ---- directory entries ----

int mkdir(const char* path, mode_t mode) {
  return EntryChange(AbsolutePath(AT_FDCWD, path), Entry::kMkdir,
                     [&] { return REAL(mkdir)(path, mode); });
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  return EntryChange(AbsolutePath(dirfd, path), Entry::kMkdir,
                     [&] { return REAL(mkdirat)(dirfd, path, mode); });
}

int rmdir(const char* path) {
  return EntryChange(AbsolutePath(AT_FDCWD, path), Entry::kRmdir,
                     [&] { return REAL(rmdir)(path); });
}

int unlink(const char* path) {
  return EntryChange(AbsolutePath(AT_FDCWD, path), Entry::kUnlink,
                     [&] { return REAL(unlink)(path); });
}

int unlinkat(int dirfd, const char* path, int flags) {
  return EntryChange(AbsolutePath(dirfd, path),
                     (flags & AT_REMOVEDIR) != 0 ? Entry::kRmdir : Entry::kUnlink,
                     [&] { return REAL(unlinkat)(dirfd, path, flags); });
}

int rename(const char* from, const char* to) {
  return RenameWith(AbsolutePath(AT_FDCWD, from), AbsolutePath(AT_FDCWD, to),
                    [&] { return REAL(rename)(from, to); });
}

int renameat(int fromfd, const char* from, int tofd, const char* to) {
  return RenameWith(AbsolutePath(fromfd, from), AbsolutePath(tofd, to),
                    [&] { return REAL(renameat)(fromfd, from, tofd, to); });
}

int renameat2(int fromfd, const char* from, int tofd, const char* to, unsigned int flags) {
  return RenameWith(AbsolutePath(fromfd, from), AbsolutePath(tofd, to),
                    [&] { return REAL(renameat2)(fromfd, from, tofd, to, flags); });
}

}  // extern "C"
