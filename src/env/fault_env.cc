#include "env/fault_env.h"

#include "env/env_internal.h"

namespace cmq::env {

namespace {

// The switches shared by a FaultEnv and the files it opened (which outlive nothing
// but may be used from other threads, hence atomics).
struct FaultState {
  std::atomic<bool> fail_sync{false};
  std::atomic<int> fail_writes{0};
  std::atomic<bool> disk_full{false};
  // Bumped by DropUnsyncedData; files opened in an older epoch are dead.
  std::atomic<uint64_t> epoch{0};

  // Consumes one injected short write, if any is left.
  bool TakeWriteFailure() {
    int n = fail_writes.load();
    while (n > 0) {
      if (fail_writes.compare_exchange_weak(n, n - 1)) return true;
    }
    return false;
  }
};

class FaultFile : public File {
 public:
  FaultFile(std::unique_ptr<File> base, std::shared_ptr<FaultState> state, std::string path)
      : base_(std::move(base)),
        state_(std::move(state)),
        path_(std::move(path)),
        epoch_(state_->epoch.load()) {}

  Status PWrite(uint64_t offset, std::string_view data) override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    if (state_->disk_full.load()) {
      auto size = base_->Size();
      if (!size.ok()) return size.status();
      if (offset + data.size() > *size) {
        return Status(ErrorCode::kDiskFull, "pwrite " + path_ + " at offset " +
                                                std::to_string(offset) + ": injected disk full");
      }
    }
    if (state_->TakeWriteFailure()) {
      CMQ_RETURN_IF_ERROR(base_->PWrite(offset, data.substr(0, data.size() / 2)));
      return Status(ErrorCode::kIoError, "pwrite " + path_ + " at offset " +
                                             std::to_string(offset) + ": injected short write");
    }
    return base_->PWrite(offset, data);
  }

  Status PRead(uint64_t offset, size_t n, std::string* out) const override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    return base_->PRead(offset, n, out);
  }

  Status DataSync() override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    if (state_->fail_sync.load()) {
      return Status(ErrorCode::kIoError, "fdatasync " + path_ + ": injected failure");
    }
    return base_->DataSync();
  }

  Status Allocate(uint64_t offset, uint64_t len) override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    if (state_->disk_full.load()) {
      auto size = base_->Size();
      if (!size.ok()) return size.status();
      if (offset + len > *size) {
        return Status(ErrorCode::kDiskFull, "fallocate " + path_ + ": injected disk full");
      }
    }
    return base_->Allocate(offset, len);
  }

  Status Truncate(uint64_t size) override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    return base_->Truncate(size);
  }

  Result<uint64_t> Size() const override {
    CMQ_RETURN_IF_ERROR(CheckAlive());
    return base_->Size();
  }

 private:
  Status CheckAlive() const {
    if (state_->epoch.load() != epoch_) {
      return Status(ErrorCode::kIoError, path_ + ": file handle lost in simulated power loss");
    }
    return Status::Ok();
  }

  std::unique_ptr<File> base_;
  std::shared_ptr<FaultState> state_;
  const std::string path_;
  const uint64_t epoch_;
};

}  // namespace

struct FaultEnv::State : FaultState {};

FaultEnv::FaultEnv(Env* base) : state_(std::make_shared<State>()), base_(base) {}
FaultEnv::~FaultEnv() = default;

void FaultEnv::SetFailSync(bool fail) { state_->fail_sync.store(fail); }
void FaultEnv::FailNextWrites(int n) { state_->fail_writes.store(n); }
void FaultEnv::SetDiskFull(bool full) { state_->disk_full.store(full); }

void FaultEnv::DropUnsyncedData() {
  state_->epoch.fetch_add(1);
  internal::DropUnsyncedMemData(base_);
}

void FaultEnv::DropSomeUnsyncedData(uint64_t seed, uint64_t page_size) {
  state_->epoch.fetch_add(1);
  internal::DropUnsyncedMemData(base_, {seed == 0 ? 1 : seed, page_size});
}

Result<std::unique_ptr<File>> FaultEnv::Open(const std::string& path, OpenMode mode) {
  auto file = base_->Open(path, mode);
  if (!file.ok()) return file.status();
  return std::unique_ptr<File>(std::make_unique<FaultFile>(std::move(*file), state_, path));
}

bool FaultEnv::Exists(const std::string& path) { return base_->Exists(path); }
Status FaultEnv::Remove(const std::string& path) { return base_->Remove(path); }
Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  return base_->Rename(from, to);
}
Status FaultEnv::CreateDir(const std::string& path) { return base_->CreateDir(path); }
Result<std::vector<std::string>> FaultEnv::ListDir(const std::string& path) {
  return base_->ListDir(path);
}

Status FaultEnv::SyncDir(const std::string& path) {
  if (state_->fail_sync.load()) {
    return Status(ErrorCode::kIoError, "fsync directory " + path + ": injected failure");
  }
  return base_->SyncDir(path);
}

Result<uint64_t> FaultEnv::FreeSpace(const std::string& path) {
  if (state_->disk_full.load()) return uint64_t{0};
  return base_->FreeSpace(path);
}

Status FaultEnv::LockFile(const std::string& path) { return base_->LockFile(path); }
Clock* FaultEnv::clock() { return base_->clock(); }
std::unique_ptr<Env::Thread> FaultEnv::StartThread(std::string name, std::function<void()> fn) {
  return base_->StartThread(std::move(name), std::move(fn));
}

}  // namespace cmq::env
