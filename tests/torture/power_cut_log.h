// The undo log of the simulated power cut: written by the LD_PRELOAD library inside
// cmqd (power_cut_preload.cc), read back by the driver's revert (power_cut_revert.cc).
//
// Layout of the undo directory (outside the data directory, on the same file system):
//   files/<inode>.undo  what a power cut could take back from one file: its size and
//                       the old bytes of every 4 KiB page written since its last
//                       fsync/fdatasync. Emptied by that sync.
//   links/<inode>       a hard link to a file that was unlinked or replaced by a
//                       rename, so that the entry can be put back.
//   dirops.log          every change of a directory entry, and every directory fsync,
//                       in order (one line each).
//
// Every record is appended with one write(): it must survive kill -9, not a power cut.
// A process killed inside that write() leaves a short last record, which readers
// ignore (the change it announced had not started).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cmq::torture::undo {

inline constexpr uint64_t kPageSize = 4096;

inline constexpr char kFilesDir[] = "files";
inline constexpr char kLinksDir[] = "links";
inline constexpr char kDirOpsLog[] = "dirops.log";

// Environment of the process the library is loaded into.
inline constexpr char kRootVariable[] = "CMQ_POWER_CUT_ROOT";  // the tree to watch
inline constexpr char kUndoVariable[] = "CMQ_POWER_CUT_UNDO";  // the undo directory

// Records of files/<inode>.undo: a kind byte, a u64 and a u32 (little endian), then
// for kPage `length` old bytes.
enum class Kind : char {
  kSize = 'S',      // value: the file's size at its last sync (first size change since)
  kPage = 'P',      // value: page index; length: old bytes that follow (0..kPageSize)
  kZeroPage = 'Z',  // value: page index; length: old bytes, all zero (none follow)
};
inline constexpr size_t kRecordHeader = 13;

struct Record {
  Kind kind;
  uint64_t value;
  uint32_t length;
  std::string_view bytes;  // kPage only
};

inline void AppendRecord(std::string* out, Kind kind, uint64_t value, std::string_view bytes,
                         uint32_t length) {
  out->push_back(static_cast<char>(kind));
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(length >> (8 * i)));
  out->append(bytes);
}

// Reads the record at `*pos` and advances; false at the end or at a short or unknown
// record (everything from there on is ignored).
inline bool NextRecord(std::string_view log, size_t* pos, Record* r) {
  if (log.size() - *pos < kRecordHeader) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(log.data() + *pos);
  r->kind = static_cast<Kind>(p[0]);
  r->value = 0;
  for (int i = 7; i >= 0; --i) r->value = (r->value << 8) | p[1 + i];
  r->length = 0;
  for (int i = 3; i >= 0; --i) r->length = (r->length << 8) | p[9 + i];
  size_t payload = r->kind == Kind::kPage ? r->length : 0;
  if (r->kind != Kind::kSize && r->kind != Kind::kPage && r->kind != Kind::kZeroPage) return false;
  if (r->length > kPageSize || log.size() - *pos - kRecordHeader < payload) return false;
  r->bytes = log.substr(*pos + kRecordHeader, payload);
  *pos += kRecordHeader + payload;
  return true;
}

// Lines of dirops.log: fields separated by tabs (paths holding a tab or a newline are
// not watched).
//   create <path>                     a file that did not exist before
//   mkdir <path>
//   rmdir <path>
//   unlink <path> <inode>             links/<inode> holds the file
//   rename <from> <to> <inode|0>      links/<inode> holds the file `to` replaced
//   dirsync <path>                    fsync of that directory returned
// An entry change is durable once every directory it touched (the parent of each path)
// was synced after it.
inline constexpr char kCreate[] = "create";
inline constexpr char kMkdir[] = "mkdir";
inline constexpr char kRmdir[] = "rmdir";
inline constexpr char kUnlink[] = "unlink";
inline constexpr char kRename[] = "rename";
inline constexpr char kDirSync[] = "dirsync";

}  // namespace cmq::torture::undo
