// The driver's side of the simulated power cut: starts a process with the undo-log
// library (power_cut_preload.cc) loaded, and after kill -9 takes back whatever that
// process and its predecessors on the same tree had not made durable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace cmq::torture {

// What the power cut takes. A real one persists an arbitrary subset of the pages
// written since the last sync, so kSomePages is the harder and more realistic case.
enum class CutMode {
  kEverything,  // every unsynced write, size change and directory-entry change
  kSomePages,   // per file a random subset of the unsynced pages, the size change or
                // not; the entry changes after a random prefix of them
};

struct PowerCutReport {
  int files = 0;           // files with unsynced changes
  int pages_reverted = 0;  // 4 KiB pages given their old bytes back
  int pages_kept = 0;      // unsynced pages the cut let persist
  int sizes_reverted = 0;
  int entries_undone = 0;  // creations, unlinks, renames, mkdirs taken back
  int entries_kept = 0;
  std::vector<std::string> undone;  // each entry change taken back: "op path..."
  std::string ToString() const;
};

// Creates an empty `undo_dir` (which must be on the file system of `root`, for hard
// links) and returns the "NAME=VALUE" entries that load `library` into a child and
// make it record the changes under `root` (absolute, no symbolic links) there.
// ASAN_OPTIONS keeps this process's value plus verify_asan_link_order=0, since an
// LD_PRELOAD library comes before the ASan runtime of an instrumented child.
Result<std::vector<std::string>> PreparePowerCut(const std::string& library,
                                                 const std::string& root,
                                                 const std::string& undo_dir);

// Call after every process that had the library loaded on `root` was killed with
// SIGKILL. Turns `root` into a state a power cut at that moment could have left (a
// deterministic function of `seed`), then empties `undo_dir`, so that what is on disk
// now counts as durable. Errors: kIoError (file and cause named).
Status SimulatePowerCut(const std::string& root, const std::string& undo_dir, CutMode mode,
                        uint64_t seed, PowerCutReport* report);

}  // namespace cmq::torture
