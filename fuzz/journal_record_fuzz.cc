// Fuzzes journal recovery: arbitrary bytes become one or two segment files in a MemEnv
// and Journal::Recover must either succeed or fail cleanly — never crash, hang or
// read out of bounds — with and without salvage. When it succeeds, the recovered log
// must be usable: every record reads back through ReadAt, a record appended afterwards
// survives a reopen, and (format 2) the reopen needs no salvage.
//
// Input: byte 0 selects the mode.
//   bit 0: prefix each segment with a valid header (format 2, or 1 with bit 3)
//   bit 1: split the rest into two segments at a position taken from bytes 1-2
//   bit 2: "structured": the bytes are read as batches of records (type, length,
//          payload) and framed correctly (so checksums match), then trailing bytes
//          are appended raw
//   bit 3: format 1 (headers of 16 bytes, records without batch headers)
//   bit 4: salvage
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/strings.h"
#include "env/env.h"
#include "journal/journal.h"
#include "journal/segment_format.h"

namespace {

using cmq::Status;
using namespace cmq::journal;

// Each record: type byte, length byte, payload; the rest is a raw tail. In format 2
// the records of a segment form one batch numbered `seq`, marked synced through
// `seq - 1`.
std::string Frame(std::string_view input, bool format1, uint64_t seq) {
  std::string out;
  while (input.size() >= 2) {
    uint8_t type = static_cast<uint8_t>(input[0]);
    size_t len = static_cast<uint8_t>(input[1]);
    if (type == 0 || len > input.size() - 2) break;
    std::string_view payload = input.substr(2, len);
    char header[kRecordOverhead];
    std::string_view parts[] = {payload};
    format::EncodeRecordHeader(type, parts, header);
    out.append(header, sizeof(header));
    out.append(payload);
    input.remove_prefix(2 + len);
  }
  if (!format1 && !out.empty()) {
    format::BatchHeader h;
    h.length = static_cast<uint32_t>(out.size());
    h.seq = seq;
    h.synced_through = seq - 1;
    char batch[format::kBatchHeaderSize];
    format::EncodeBatchHeader(h, batch);
    out.insert(0, batch, sizeof(batch));
  }
  out.append(input);
  return out;
}

std::string Header(uint32_t n, bool format1, uint32_t prev_end) {
  if (format1) {
    std::string h(format::kMagic, sizeof(format::kMagic));
    cmq::PutFixed32(&h, format::kVersion1);
    cmq::PutFixed32(&h, n);
    return h;
  }
  return format::EncodeHeader(format::SegmentHeader{format::kVersion, n, n, prev_end});
}

struct Recovered {
  RecordType type;
  std::string payload;
  Location loc;
};

Status RecoverAll(Journal* j, std::vector<Recovered>* out) {
  return j->Recover([out](RecordType t, std::string_view p, Location l) {
    if (OffsetOf(l) < format::kHeaderSizeV1 + kRecordOverhead) abort();
    out->push_back({t, std::string(p), l});
    return Status::Ok();
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string> segments;
  if ((mode & 2) && rest.size() >= 2) {
    size_t at =
        (static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8) % (rest.size() - 1);
    rest.remove_prefix(2);
    segments = {std::string(rest.substr(0, at)), std::string(rest.substr(at))};
  } else {
    segments = {std::string(rest)};
  }

  cmq::env::FakeClock clock;
  auto env = cmq::env::NewMemEnv(&clock);
  const std::string dir = "/j";
  if (!env->CreateDir(dir).ok()) abort();
  const bool format1 = (mode & 8) != 0;
  uint32_t prev_end = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    uint32_t n = static_cast<uint32_t>(i + 1);
    std::string contents = (mode & 4) ? Frame(segments[i], format1, n) : segments[i];
    if (mode & 1) contents = Header(n, format1, prev_end) + contents;
    prev_end = static_cast<uint32_t>(contents.size());
    auto f = env->Open(dir + "/" + format::SegmentFileName(n), cmq::env::OpenMode::kCreateOrOpen);
    if (!f.ok() || !(*f)->PWrite(0, contents).ok()) abort();
  }

  JournalOptions options;
  options.dir = dir;
  options.segment_size = 4096;
  options.salvage = (mode & 16) != 0;
  std::vector<Recovered> records;
  {
    auto j = Journal::Open(env.get(), options);
    if (!j.ok()) abort();
    Status s = RecoverAll(j->get(), &records);
    if (!s.ok()) return 0;  // a clean error is a fine answer to garbage
    std::string out;
    for (const Recovered& r : records) {
      if (!(*j)->ReadAt(r.loc, r.payload.size(), &out).ok() || out != r.payload) abort();
    }
    std::string_view parts[] = {"appended-after-recovery"};
    if (!(*j)->Append(7, parts).ok()) abort();
    if (!(*j)->Close().ok()) abort();
  }
  // The repaired log must recover again, with exactly one more record at the end;
  // after a salvage of format 2 damage without salvage (it marked what it skipped).
  // Format 1 damage cannot be marked and is skipped again.
  bool any_format1 = false;
  for (const std::string& s : segments) any_format1 |= s.find("CMQJRNL1") != std::string::npos;
  if (!format1 && !any_format1) options.salvage = false;
  auto j = Journal::Open(env.get(), options);
  if (!j.ok()) abort();
  std::vector<Recovered> again;
  if (Status st = RecoverAll(j->get(), &again); !st.ok()) {
    fprintf(stderr, "second recovery failed: %s\n", st.ToString().c_str());
    abort();
  }
  if (again.size() != records.size() + 1) abort();
  for (size_t i = 0; i < records.size(); ++i) {
    if (again[i].payload != records[i].payload || again[i].loc != records[i].loc) abort();
  }
  if (again.back().type != 7 || again.back().payload != "appended-after-recovery") abort();
  return 0;
}
