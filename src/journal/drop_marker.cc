#include "journal/drop_marker.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/strings.h"
#include "journal/segment_format.h"

namespace cmq::journal {
namespace {

constexpr std::string_view kMagic = "CMQDROP1";
constexpr size_t kMarkerSize = 16;

std::string MarkerPath(const std::string& dir) { return dir + "/DROP_BEFORE"; }

}  // namespace

Status WriteDropMarker(env::Env* env, const std::string& dir, uint32_t segment) {
  std::string bytes(kMagic);
  PutFixed32(&bytes, segment);
  PutFixed32(&bytes, MaskCrc(Crc32c(bytes)));
  const std::string tmp = MarkerPath(dir) + ".tmp";
  auto file = env->Open(tmp, env::OpenMode::kCreateOrOpen);
  if (!file.ok()) return file.status();
  CMQ_RETURN_IF_ERROR((*file)->Truncate(0));
  CMQ_RETURN_IF_ERROR((*file)->PWrite(0, bytes));
  CMQ_RETURN_IF_ERROR((*file)->DataSync());
  CMQ_RETURN_IF_ERROR(env->Rename(tmp, MarkerPath(dir)));
  return env->SyncDir(dir);
}

Status FinishInterruptedDrop(env::Env* env, const std::string& dir) {
  const std::string path = MarkerPath(dir);
  if (!env->Exists(path)) return Status::Ok();
  auto file = env->Open(path, env::OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  std::string bytes;
  CMQ_RETURN_IF_ERROR((*file)->PRead(0, kMarkerSize + 1, &bytes));
  const std::string_view view(bytes);
  const bool intact = view.size() == kMarkerSize && view.substr(0, kMagic.size()) == kMagic &&
                      UnmaskCrc(DecodeFixed32(view.data() + 12)) == Crc32c(view.substr(0, 12));
  if (!intact) return Status(ErrorCode::kCorruption, path + ": damaged drop marker");
  const uint32_t keep_from = DecodeFixed32(bytes.data() + 8);
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<uint32_t> doomed;
  for (const std::string& name : *names) {
    std::optional<uint32_t> n = format::ParseSegmentFileName(name);
    if (n && *n < keep_from) doomed.push_back(*n);
  }
  std::sort(doomed.begin(), doomed.end());
  for (uint32_t n : doomed) {
    CMQ_RETURN_IF_ERROR(env->Remove(dir + "/" + format::SegmentFileName(n)));
    CMQ_RETURN_IF_ERROR(env->SyncDir(dir));
  }
  return Status::Ok();
}

}  // namespace cmq::journal
