#include "torture/power_cut_revert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "torture/power_cut_log.h"

namespace cmq::torture {
namespace {

namespace fs = std::filesystem;

Status IoError(const std::string& what, const std::string& path, const std::error_code& ec) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + ec.message());
}

Status ErrnoError(const std::string& what, const std::string& path) {
  return Status(ErrorCode::kIoError, what + " " + path + ": " + std::strerror(errno));
}

Result<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIoError, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ParentOf(const std::string& path) { return fs::path(path).parent_path().string(); }

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream ss(line);
  std::string field;
  while (std::getline(ss, field, '\t')) fields.push_back(field);
  return fields;
}

// An entry change of dirops.log whose directories were not all synced after it.
struct EntryChange {
  std::vector<std::string> fields;  // op, then its arguments
};

Result<std::vector<EntryChange>> UnsyncedEntryChanges(const std::string& undo_dir) {
  std::string path = undo_dir + "/" + undo::kDirOpsLog;
  if (!fs::exists(path)) return std::vector<EntryChange>{};
  auto text = ReadWhole(path);
  if (!text.ok()) return text.status();
  struct Pending {
    EntryChange change;
    std::set<std::string> dirs;  // not synced since
  };
  std::vector<Pending> pending;
  size_t pos = 0;
  while (true) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) break;  // a line cut by the kill: its change never ran
    std::vector<std::string> fields = SplitTabs(text->substr(pos, nl - pos));
    pos = nl + 1;
    if (fields.size() < 2) continue;
    if (fields[0] == undo::kDirSync) {
      for (Pending& p : pending) p.dirs.erase(fields[1]);
      continue;
    }
    Pending p{{fields}, {ParentOf(fields[1])}};
    if (fields[0] == undo::kRename && fields.size() >= 3) p.dirs.insert(ParentOf(fields[2]));
    pending.push_back(std::move(p));
  }
  std::vector<EntryChange> out;
  for (Pending& p : pending) {
    if (!p.dirs.empty()) out.push_back(std::move(p.change));
  }
  return out;
}

Status UndoEntryChange(const EntryChange& change, const std::string& undo_dir) {
  const std::vector<std::string>& f = change.fields;
  std::error_code ec;
  auto link_back = [&](const std::string& inode, const std::string& to) -> Status {
    std::string from = undo_dir + "/" + undo::kLinksDir + "/" + inode;
    fs::create_hard_link(from, to, ec);
    return ec ? IoError("restore (link " + from + ")", to, ec) : Status::Ok();
  };
  const std::string& op = f[0];
  const std::string& path = f[1];
  if (op == undo::kCreate) {
    if (fs::is_regular_file(fs::symlink_status(path))) fs::remove(path, ec);
  } else if (op == undo::kMkdir) {
    fs::remove_all(path, ec);
  } else if (op == undo::kRmdir) {
    fs::create_directory(path, ec);
  } else if (op == undo::kUnlink && f.size() >= 3) {
    if (!fs::exists(fs::symlink_status(path))) return link_back(f[2], path);
  } else if (op == undo::kRename && f.size() >= 4) {
    if (fs::exists(fs::symlink_status(f[2]))) fs::rename(f[2], path, ec);
    if (!ec && f[3] != "0") return link_back(f[3], f[2]);
  }
  return ec ? IoError("undo " + op + " of", path, ec) : Status::Ok();
}

// Every regular file under `root` and in links/, by inode.
std::map<ino_t, std::string> FilesByInode(const std::string& root, const std::string& undo_dir) {
  std::map<ino_t, std::string> files;
  auto add = [&](const fs::path& p) {
    struct stat st;
    if (lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode)) files.emplace(st.st_ino, p.string());
  };
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    add(it->path());
  }
  for (auto it = fs::directory_iterator(undo_dir + "/" + undo::kLinksDir, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    add(it->path());
  }
  return files;
}

struct SavedPage {
  uint32_t length = 0;
  std::string bytes;  // empty for a zero page
};

Status WriteAt(int fd, const std::string& path, uint64_t offset, const std::string& bytes) {
  if (bytes.empty()) return Status::Ok();
  ssize_t n = pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(bytes.size())) return ErrnoError("pwrite", path);
  return Status::Ok();
}

// Takes back the unsynced changes of one file, as `log` describes them.
Status RevertFile(const std::string& path, const std::string& log, CutMode mode,
                  std::mt19937_64& rng, PowerCutReport* report) {
  std::optional<uint64_t> synced_size;
  std::map<uint64_t, SavedPage> pages;
  size_t pos = 0;
  undo::Record r;
  while (undo::NextRecord(log, &pos, &r)) {
    if (r.kind == undo::Kind::kSize) {
      if (!synced_size) synced_size = r.value;
    } else {
      pages.emplace(r.value, SavedPage{r.length, std::string(r.bytes)});
    }
  }
  if (!synced_size && pages.empty()) return Status::Ok();
  ++report->files;
  auto coin = [&] { return mode == CutMode::kEverything || rng() % 2 == 0; };
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoError("stat", path);
  const uint64_t now_size = static_cast<uint64_t>(st.st_size);
  uint64_t size = now_size;
  if (synced_size && *synced_size != now_size && coin()) {
    size = *synced_size;
    if (truncate(path.c_str(), static_cast<off_t>(size)) != 0) return ErrnoError("truncate", path);
    ++report->sizes_reverted;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  Status s;
  for (const auto& [index, page] : pages) {
    uint64_t start = index * undo::kPageSize;
    if (start >= size) continue;
    // A page cut away by a truncation since the sync comes back with the size.
    if (start < now_size && !coin()) {
      ++report->pages_kept;
      continue;
    }
    uint64_t end = std::min(start + undo::kPageSize, size);
    std::string old = page.bytes.empty() ? std::string(page.length, '\0') : page.bytes;
    old.resize(end - start, '\0');  // beyond the old end of file: zeros
    s = WriteAt(fd, path, start, old);
    if (!s.ok()) break;
    ++report->pages_reverted;
  }
  close(fd);
  return s;
}

Status ResetUndoDir(const std::string& undo_dir) {
  std::error_code ec;
  fs::remove_all(undo_dir, ec);
  if (ec) return IoError("remove", undo_dir, ec);
  for (const char* sub : {undo::kFilesDir, undo::kLinksDir}) {
    fs::create_directories(undo_dir + "/" + sub, ec);
    if (ec) return IoError("create", undo_dir + "/" + sub, ec);
  }
  return Status::Ok();
}

}  // namespace

std::string PowerCutReport::ToString() const {
  std::string out = std::to_string(files) + " files: " + std::to_string(pages_reverted) +
                    " pages reverted, " + std::to_string(pages_kept) + " kept, " +
                    std::to_string(sizes_reverted) + " sizes reverted; " +
                    std::to_string(entries_undone) + " entry changes undone, " +
                    std::to_string(entries_kept) + " kept";
  for (size_t i = 0; i < undone.size(); ++i)
    out.append(i == 0 ? ": undone " : ", ").append(undone[i]);
  return out;
}

Result<std::vector<std::string>> PreparePowerCut(const std::string& library,
                                                 const std::string& root,
                                                 const std::string& undo_dir) {
  CMQ_RETURN_IF_ERROR(ResetUndoDir(undo_dir));
  const char* asan = getenv("ASAN_OPTIONS");
  std::string asan_options = asan != nullptr && *asan ? std::string(asan) + ":" : "";
  return std::vector<std::string>{
      "LD_PRELOAD=" + library,
      std::string(undo::kRootVariable) + "=" + root,
      std::string(undo::kUndoVariable) + "=" + undo_dir,
      "ASAN_OPTIONS=" + asan_options + "verify_asan_link_order=0",
  };
}

Status SimulatePowerCut(const std::string& root, const std::string& undo_dir, CutMode mode,
                        uint64_t seed, PowerCutReport* report) {
  *report = PowerCutReport{};
  std::mt19937_64 rng(seed);
  auto changes = UnsyncedEntryChanges(undo_dir);
  if (!changes.ok()) return changes.status();
  // File contents first, while every inode still has a name (removed ones in links/).
  std::map<ino_t, std::string> files = FilesByInode(root, undo_dir);
  std::error_code ec;
  for (auto it = fs::directory_iterator(undo_dir + "/" + undo::kFilesDir, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ino_t ino = std::strtoull(it->path().stem().c_str(), nullptr, 10);
    auto file = files.find(ino);
    if (file == files.end()) continue;  // removed for good
    auto log = ReadWhole(it->path().string());
    if (!log.ok()) return log.status();
    CMQ_RETURN_IF_ERROR(RevertFile(file->second, *log, mode, rng, report));
  }
  if (ec) return IoError("list", undo_dir, ec);
  // Then the entries, newest first; a real cut keeps a prefix of them at most.
  size_t kept = mode == CutMode::kEverything ? 0 : rng() % (changes->size() + 1);
  report->entries_kept = static_cast<int>(kept);
  for (size_t i = changes->size(); i > kept; --i) {
    CMQ_RETURN_IF_ERROR(UndoEntryChange((*changes)[i - 1], undo_dir));
    ++report->entries_undone;
    std::string what;
    for (const std::string& f : (*changes)[i - 1].fields)
      what.append(what.empty() ? "" : " ").append(f);
    report->undone.push_back(std::move(what));
  }
  return ResetUndoDir(undo_dir);
}

}  // namespace cmq::torture
