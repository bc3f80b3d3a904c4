// MemEnv: files in memory with a model of what survives power loss.
//
// Each file keeps its current bytes and the bytes as of its last DataSync. The names
// are kept twice: the live namespace, and the durable namespace as of the last SyncDir
// of each directory. Power loss (internal::DropUnsyncedMemData, used by FaultEnv)
// rebuilds the live namespace from the durable one with every file at its synced
// image. So a file that was synced but whose directory was not disappears, and a file
// whose entry is durable but whose data was never synced comes back empty — as on a
// real file system after a crash. Directories are entries of their parent like files:
// durable once the parent is synced (CreateDir does that for the ones it creates), and
// a directory that is not durable takes everything inside it along. A power loss may
// also keep a random subset of the unsynced pages (a device writes back dirty pages in
// any order before the power goes), see PowerLoss.
//
// Errors mirror PosixEnv: opening a missing file is kNotFound, a missing parent
// directory fails the open. One mutex guards everything, so the env and its files are
// thread-safe.
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "env/env.h"
#include "env/env_internal.h"

namespace cmq::env {
namespace {

using internal::NormalizePath;
using internal::ParentDir;

struct Node {
  std::string current;
  std::string synced;
  // Byte range of `current` changed since the last DataSync (empty when lo >= hi), so
  // that syncing a large preallocated file copies only what changed.
  uint64_t dirty_lo = UINT64_MAX;
  uint64_t dirty_hi = 0;

  void MarkDirty(uint64_t lo, uint64_t hi) {
    dirty_lo = std::min(dirty_lo, lo);
    dirty_hi = std::max(dirty_hi, hi);
  }
  void Resize(uint64_t size) {
    uint64_t old = current.size();
    if (size == old) return;
    current.resize(size, '\0');
    MarkDirty(std::min(old, size), std::max(old, size));
  }
  void Sync() {
    synced.resize(current.size(), '\0');
    uint64_t hi = std::min<uint64_t>(dirty_hi, current.size());
    if (dirty_lo < hi)
      std::memcpy(synced.data() + dirty_lo, current.data() + dirty_lo, hi - dirty_lo);
    dirty_lo = UINT64_MAX;
    dirty_hi = 0;
  }
  // What survives a power loss: the synced image, with those dirty pages inside it that
  // `keep` picks taken from the current one. A size change not synced is lost.
  std::string Survivor(uint64_t page_size, const std::function<bool()>& keep) const {
    std::string out = synced;
    if (page_size == 0) return out;
    uint64_t hi = std::min<uint64_t>({dirty_hi, current.size(), out.size()});
    for (uint64_t page = dirty_lo / page_size * page_size; dirty_lo < hi && page < hi;
         page += page_size) {
      uint64_t n = std::min(page_size, hi - page);
      if (keep()) std::memcpy(out.data() + page, current.data() + page, n);
    }
    return out;
  }
};

// Files larger than this are refused (kDiskFull) instead of exhausting memory.
constexpr uint64_t kMaxFileSize = 16ull << 30;

Status CheckEnd(const std::string& path, uint64_t offset, uint64_t len) {
  if (offset > kMaxFileSize || len > kMaxFileSize - offset) {
    return Status(ErrorCode::kDiskFull, path + ": range at offset " + std::to_string(offset) +
                                            " length " + std::to_string(len) +
                                            " exceeds the memory file limit");
  }
  return Status::Ok();
}

struct MemState {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Node>> files;    // live names
  std::map<std::string, std::shared_ptr<Node>> durable;  // names as of SyncDir
  std::set<std::string> dirs;                            // live directories
  std::set<std::string> durable_dirs;                    // as of SyncDir of their parent
  std::set<std::string> locked;

  bool DirExists(const std::string& dir) const {
    return dir.empty() || dir == "/" || dirs.count(dir) > 0;
  }

  // The durable namespace of `dir` becomes its live one (files and subdirectories).
  void SyncDirLocked(const std::string& dir) {
    for (auto it = durable.begin(); it != durable.end();) {
      it = ParentDir(it->first) == dir ? durable.erase(it) : std::next(it);
    }
    for (const auto& [name, node] : files) {
      if (ParentDir(name) == dir) durable[name] = node;
    }
    for (auto it = durable_dirs.begin(); it != durable_dirs.end();) {
      it = ParentDir(*it) == dir ? durable_dirs.erase(it) : std::next(it);
    }
    for (const std::string& d : dirs) {
      if (ParentDir(d) == dir) durable_dirs.insert(d);
    }
  }
};

class MemFile : public File {
 public:
  MemFile(std::shared_ptr<MemState> state, std::shared_ptr<Node> node, std::string path,
          bool read_only)
      : state_(std::move(state)),
        node_(std::move(node)),
        path_(std::move(path)),
        read_only_(read_only) {}

  Status PWrite(uint64_t offset, std::string_view data) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CMQ_RETURN_IF_ERROR(CheckWritable("pwrite"));
    CMQ_RETURN_IF_ERROR(CheckEnd(path_, offset, data.size()));
    if (data.empty()) return Status::Ok();
    uint64_t end = offset + data.size();
    if (end > node_->current.size()) node_->Resize(end);
    std::memcpy(node_->current.data() + offset, data.data(), data.size());
    node_->MarkDirty(offset, end);
    return Status::Ok();
  }

  Status PRead(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    const std::string& c = node_->current;
    if (offset >= c.size()) {
      out->clear();
    } else {
      out->assign(c, offset, std::min<uint64_t>(n, c.size() - offset));
    }
    return Status::Ok();
  }

  Status DataSync() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    node_->Sync();
    return Status::Ok();
  }

  Status Allocate(uint64_t offset, uint64_t len) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CMQ_RETURN_IF_ERROR(CheckWritable("fallocate"));
    CMQ_RETURN_IF_ERROR(CheckEnd(path_, offset, len));
    // Like posix_fallocate: the file grows to cover the range, reading as zeros.
    if (offset + len > node_->current.size()) node_->Resize(offset + len);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    CMQ_RETURN_IF_ERROR(CheckWritable("ftruncate"));
    CMQ_RETURN_IF_ERROR(CheckEnd(path_, size, 0));
    node_->Resize(size);
    return Status::Ok();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return static_cast<uint64_t>(node_->current.size());
  }

 private:
  Status CheckWritable(const char* op) const {
    if (read_only_)
      return Status(ErrorCode::kIoError, std::string(op) + " " + path_ + ": opened read-only");
    return Status::Ok();
  }

  std::shared_ptr<MemState> state_;
  std::shared_ptr<Node> node_;
  const std::string path_;
  const bool read_only_;
};

class MemEnv : public Env {
 public:
  explicit MemEnv(Clock* clock) : state_(std::make_shared<MemState>()), clock_(clock) {}

  Result<std::unique_ptr<File>> Open(const std::string& raw_path, OpenMode mode) override {
    std::string path = NormalizePath(raw_path);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->dirs.count(path))
      return Status(ErrorCode::kIoError, "open " + path + ": is a directory");
    auto it = state_->files.find(path);
    if (it == state_->files.end()) {
      if (mode != OpenMode::kCreateOrOpen) {
        return Status(ErrorCode::kNotFound, "open " + path + ": No such file or directory");
      }
      if (path.empty() || !state_->DirExists(ParentDir(path))) {
        return Status(ErrorCode::kNotFound, "open " + path + ": No such file or directory");
      }
      it = state_->files.emplace(path, std::make_shared<Node>()).first;
    }
    return std::unique_ptr<File>(
        std::make_unique<MemFile>(state_, it->second, path, mode == OpenMode::kReadOnly));
  }

  bool Exists(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->files.count(path) > 0 || state_->dirs.count(path) > 0;
  }

  Status Remove(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->files.erase(path) > 0) return Status::Ok();
    if (state_->dirs.count(path)) {
      if (!ChildrenLocked(path).empty()) {
        return Status(ErrorCode::kIoError, "remove " + path + ": Directory not empty");
      }
      state_->dirs.erase(path);
      return Status::Ok();
    }
    return Status(ErrorCode::kNotFound, "remove " + path + ": No such file or directory");
  }

  Status Rename(const std::string& raw_from, const std::string& raw_to) override {
    std::string from = NormalizePath(raw_from);
    std::string to = NormalizePath(raw_to);
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->files.find(from);
    if (it == state_->files.end()) {
      return Status(ErrorCode::kNotFound,
                    "rename " + from + ": No such file (directories cannot be renamed in MemEnv)");
    }
    if (!state_->DirExists(ParentDir(to)) || state_->dirs.count(to)) {
      return Status(ErrorCode::kIoError, "rename " + from + " to " + to + ": bad destination");
    }
    std::shared_ptr<Node> node = it->second;
    state_->files.erase(it);
    state_->files[to] = std::move(node);
    return Status::Ok();
  }

  // Like PosixEnv: the parent of every directory created, and of `path` itself, is
  // synced, so what CreateDir made survives a power loss.
  Status CreateDir(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    if (path.empty()) return Status(ErrorCode::kIoError, "mkdir: empty path");
    std::lock_guard<std::mutex> lock(state_->mu);
    std::vector<std::string> missing;
    for (std::string p = path; !p.empty() && p != "/"; p = ParentDir(p)) {
      if (state_->files.count(p))
        return Status(ErrorCode::kIoError, "mkdir " + p + ": File exists");
      if (!state_->dirs.count(p)) missing.push_back(p);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) state_->dirs.insert(*it);
    for (const std::string& p : missing) state_->SyncDirLocked(ParentDir(p));
    if (missing.empty()) state_->SyncDirLocked(ParentDir(path));
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListDir(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->DirExists(path)) {
      return Status(ErrorCode::kNotFound, "opendir " + path + ": No such file or directory");
    }
    return ChildrenLocked(path);
  }

  Status SyncDir(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->DirExists(path)) {
      return Status(ErrorCode::kNotFound, "open directory " + path + ": No such file or directory");
    }
    state_->SyncDirLocked(path);
    return Status::Ok();
  }

  Result<uint64_t> FreeSpace(const std::string& path) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    uint64_t used = 0;
    for (const auto& [name, node] : state_->files) used += node->current.size();
    return kCapacity > used ? kCapacity - used : 0;
  }

  Status LockFile(const std::string& raw_path) override {
    std::string path = NormalizePath(raw_path);
    auto file = Open(path, OpenMode::kCreateOrOpen);
    if (!file.ok()) return file.status();
    std::lock_guard<std::mutex> lock(state_->mu);
    if (!state_->locked.insert(path).second) {
      return Status(ErrorCode::kIoError, "lock " + path + ": held by another process");
    }
    return Status::Ok();
  }

  Clock* clock() override { return clock_; }

  std::unique_ptr<Thread> StartThread(std::string name, std::function<void()> fn) override {
    return internal::StartStdThread(std::move(name), std::move(fn));
  }

  void DropUnsynced(const internal::PowerLoss& loss) {
    std::lock_guard<std::mutex> lock(state_->mu);
    std::mt19937_64 random(loss.seed);
    std::function<bool()> keep = [&random] { return (random() & 1) != 0; };
    uint64_t page_size = loss.seed == 0 ? 0 : std::max<uint64_t>(1, loss.page_size);
    // A directory survives if its entry and the entries of all its ancestors do.
    std::set<std::string> dirs;
    for (const std::string& d : state_->durable_dirs) {
      bool reachable = true;
      for (std::string p = ParentDir(d); reachable && !p.empty() && p != "/"; p = ParentDir(p)) {
        reachable = state_->durable_dirs.count(p) > 0;
      }
      if (reachable) dirs.insert(d);
    }
    // Fresh nodes, so that handles opened before the "crash" cannot touch the state
    // the "restarted" process sees.
    std::map<std::string, std::shared_ptr<Node>> survivors;
    for (const auto& [name, node] : state_->durable) {
      std::string parent = ParentDir(name);
      if (!parent.empty() && parent != "/" && !dirs.count(parent)) continue;
      auto fresh = std::make_shared<Node>();
      fresh->current = node->Survivor(page_size, keep);
      fresh->synced = fresh->current;
      survivors[name] = std::move(fresh);
    }
    state_->files = survivors;
    state_->durable = std::move(survivors);
    state_->dirs = dirs;
    state_->durable_dirs = std::move(dirs);
    state_->locked.clear();  // the process holding them is gone
  }

 private:
  static constexpr uint64_t kCapacity = 1ull << 40;

  std::vector<std::string> ChildrenLocked(const std::string& dir) const {
    std::vector<std::string> names;
    auto add = [&](const std::string& p) {
      if (ParentDir(p) != dir) return;
      size_t slash = p.rfind('/');
      names.push_back(slash == std::string::npos ? p : p.substr(slash + 1));
    };
    for (const auto& [name, node] : state_->files) add(name);
    for (const auto& d : state_->dirs) add(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::shared_ptr<MemState> state_;
  Clock* clock_;
};

}  // namespace

std::unique_ptr<Env> NewMemEnv(Clock* clock) { return std::make_unique<MemEnv>(clock); }

namespace internal {

bool DropUnsyncedMemData(Env* env, const PowerLoss& loss) {
  auto* mem = dynamic_cast<MemEnv*>(env);
  if (mem == nullptr) return false;
  mem->DropUnsynced(loss);
  return true;
}

}  // namespace internal
}  // namespace cmq::env
