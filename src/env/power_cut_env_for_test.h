// Test-only: a FaultEnv that cuts the power at a chosen step. Every call that changes
// what is on disk or makes it durable (a file write, zero fill, allocation,
// truncation, fdatasync, directory sync, remove, rename) is one step. After CutAfter(n)
// the (n+1)-th such call never happens: at that moment everything not yet made durable
// is dropped (FaultEnv::DropUnsyncedData) and that call and every later one fail,
// until Restore(). Running a scenario once for every n cuts the power at every step
// of it in turn. FailRemoves() makes removals fail while the power stays on.
//
// Thread-safe: steps of different threads (a journal's writer and the loop) are
// serialised, so that none can complete after the cut.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "env/fault_env.h"

namespace cmq::env::testing {

class PowerCutEnv : public FaultEnv {
 public:
  explicit PowerCutEnv(Env* base) : FaultEnv(base) {}

  // The power goes out instead of the (n+1)-th step from now.
  void CutAfter(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = steps_ + n;
  }
  // Power back on (steps are counted on, and no cut is armed).
  void Restore() {
    std::lock_guard<std::mutex> lock(mu_);
    cut_ = false;
    limit_ = kNever;
  }
  bool cut() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cut_;
  }
  // While set, Remove fails with an I/O error.
  void FailRemoves(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_removes_ = fail;
  }
  // Steps taken so far (cut or not).
  int64_t steps() const {
    std::lock_guard<std::mutex> lock(mu_);
    return steps_;
  }

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    auto file = FaultEnv::Open(path, mode);
    if (!file.ok()) return file.status();
    return std::unique_ptr<File>(std::make_unique<CutFile>(this, std::move(*file)));
  }
  Status Remove(const std::string& path) override {
    return Step([&] {
      if (fail_removes_) {
        return Status(ErrorCode::kIoError, "remove " + path + ": injected failure");
      }
      return FaultEnv::Remove(path);
    });
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return Step([&] { return FaultEnv::Rename(from, to); });
  }
  Status SyncDir(const std::string& path) override {
    return Step([&] { return FaultEnv::SyncDir(path); });
  }

 private:
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  template <typename F>
  Status Step(F&& step) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cut_ && steps_++ == limit_) {
      cut_ = true;
      DropUnsyncedData();
    }
    if (cut_) return Status(ErrorCode::kIoError, "power cut");
    return step();
  }

  class CutFile : public File {
   public:
    CutFile(PowerCutEnv* env, std::unique_ptr<File> base) : env_(env), base_(std::move(base)) {}
    Status PWrite(uint64_t o, std::string_view d) override {
      return env_->Step([&] { return base_->PWrite(o, d); });
    }
    Status PRead(uint64_t o, size_t n, std::string* out) const override {
      return base_->PRead(o, n, out);
    }
    Status DataSync() override {
      return env_->Step([&] { return base_->DataSync(); });
    }
    Status Allocate(uint64_t o, uint64_t n) override {
      return env_->Step([&] { return base_->Allocate(o, n); });
    }
    Status Truncate(uint64_t n) override {
      return env_->Step([&] { return base_->Truncate(n); });
    }
    Result<uint64_t> Size() const override { return base_->Size(); }
    Status WriteZeros(uint64_t o, uint64_t n) override {
      return env_->Step([&] { return base_->WriteZeros(o, n); });
    }

   private:
    PowerCutEnv* env_;
    std::unique_ptr<File> base_;
  };

  mutable std::mutex mu_;
  int64_t steps_ = 0;
  int64_t limit_ = kNever;
  bool cut_ = false;
  bool fail_removes_ = false;
};

}  // namespace cmq::env::testing
