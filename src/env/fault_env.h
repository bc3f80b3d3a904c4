// FaultEnv: wraps an Env (normally a MemEnv) and injects failures, to turn power loss,
// fsync errors, short writes and full disks into unit tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "env/env.h"

namespace cmq::env {

class FaultEnv : public Env {
 public:
  // `base` is not owned and must outlive this.
  explicit FaultEnv(Env* base);
  ~FaultEnv() override;

  // Every DataSync (file or dir) from now on fails with kIoError while set.
  void SetFailSync(bool fail);
  // The next `n` PWrite calls write only the first half of their data, then fail.
  void FailNextWrites(int n);
  // Allocate and any PWrite that grows a file beyond its allocated size fail with
  // kDiskFull while set (an Allocate inside the file's current size needs no new
  // space and succeeds); FreeSpace reports 0.
  void SetDiskFull(bool full);
  // Simulates power loss: every file created through this env goes back to its last
  // synced content (files never synced disappear, and so do directory entries not
  // made durable by SyncDir). Open File objects become unusable (every call fails).
  // Only a MemEnv base can lose data; over another base this only invalidates files.
  void DropUnsyncedData();
  // Power loss after the device wrote back an arbitrary subset of the unsynced pages
  // (each `page_size`-aligned page kept or lost at random, from `seed`, never 0), as a
  // real power cut may. Otherwise like DropUnsyncedData.
  void DropSomeUnsyncedData(uint64_t seed, uint64_t page_size = 512);

  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  bool Exists(const std::string& path) override;
  Status Remove(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status CreateDir(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Result<uint64_t> FreeSpace(const std::string& path) override;
  Status LockFile(const std::string& path) override;
  Clock* clock() override;
  std::unique_ptr<Thread> StartThread(std::string name, std::function<void()> fn) override;

 private:
  struct State;
  std::shared_ptr<State> state_;
  Env* base_;
};

}  // namespace cmq::env
