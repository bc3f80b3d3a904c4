// Pieces shared by the Env implementations of this directory. Not part of env.h's
// public surface: only src/env/*.cc include this.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "env/env.h"

namespace cmq::env::internal {

// A std::thread named `name` (truncated to the 15 characters Linux allows) that joins
// when the handle is destroyed. Used by PosixEnv and MemEnv alike: tests run real
// threads, only files and time are simulated.
std::unique_ptr<Env::Thread> StartStdThread(std::string name, std::function<void()> fn);

// What a simulated power loss keeps of the data written since the last DataSync.
struct PowerLoss {
  // 0: nothing. Otherwise every unsynced page (`page_size` bytes, aligned) keeps either
  // its new or its synced content, chosen at random by a generator seeded with this:
  // a device writes dirty pages back in any order, so a crash may leave any subset.
  uint64_t seed = 0;
  uint64_t page_size = 512;
};

// Power loss for a MemEnv (NewMemEnv): every file returns to its last synced image
// (plus the pages `loss` keeps), directory entries not made durable by SyncDir
// disappear, and files opened before keep working on their (now detached) contents.
// Returns false, doing nothing, if `env` is not a MemEnv.
bool DropUnsyncedMemData(Env* env, const PowerLoss& loss = {});

// The Status of a failed system call `what` on `path`: kDiskFull for ENOSPC/EDQUOT,
// kTooManyOpenFiles for EMFILE/ENFILE (descriptors, not disk space, ran out),
// kNotFound for ENOENT, else kIoError. The detail names the call, the path, the
// error's text and its symbolic name, e.g. "open /d/x: Too many open files (EMFILE)".
Status ErrnoStatus(int err, const std::string& what, const std::string& path);

// "a/b/c" -> "a/b"; "/x" -> "/"; "x" -> "". Trailing slashes are ignored.
std::string ParentDir(const std::string& path);
// Drops trailing slashes (but keeps a lone "/").
std::string NormalizePath(const std::string& path);

}  // namespace cmq::env::internal
