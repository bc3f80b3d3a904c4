// Fuzzes journal recovery: arbitrary bytes become one or two segment files in a MemEnv
// and Journal::Recover must either succeed or fail cleanly — never crash, hang or
// read out of bounds. When it succeeds, the recovered log must be usable: every record
// reads back through ReadAt, and a record appended afterwards survives a reopen.
//
// Input: byte 0 selects the mode.
//   bit 0: prefix each segment with a valid 16-byte header (else the bytes are raw)
//   bit 1: split the rest into two segments at a position taken from bytes 1-2
//   bit 2: "structured": the bytes are read as records (type, length, payload) and
//          framed correctly (so checksums match), then trailing bytes are appended raw
#include <cstdint>
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

std::string Frame(std::string_view input) {
  // Each record: type byte, length byte, payload; the rest is a raw tail.
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
  out.append(input);
  return out;
}

struct Recovered {
  RecordType type;
  std::string payload;
  Location loc;
};

Status RecoverAll(Journal* j, std::vector<Recovered>* out) {
  return j->Recover([out](RecordType t, std::string_view p, Location l) {
    if (OffsetOf(l) < format::kHeaderSize + kRecordOverhead) abort();
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
  for (size_t i = 0; i < segments.size(); ++i) {
    uint32_t n = static_cast<uint32_t>(i + 1);
    std::string contents = (mode & 4) ? Frame(segments[i]) : segments[i];
    if (mode & 1) contents = format::EncodeHeader(n) + contents;
    auto f = env->Open(dir + "/" + format::SegmentFileName(n), cmq::env::OpenMode::kCreateOrOpen);
    if (!f.ok() || !(*f)->PWrite(0, contents).ok()) abort();
  }

  JournalOptions options;
  options.dir = dir;
  options.segment_size = 4096;
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
  // The repaired log must recover again, with exactly one more record at the end.
  auto j = Journal::Open(env.get(), options);
  if (!j.ok()) abort();
  std::vector<Recovered> again;
  if (!RecoverAll(j->get(), &again).ok()) abort();
  if (again.size() != records.size() + 1) abort();
  for (size_t i = 0; i < records.size(); ++i) {
    if (again[i].payload != records[i].payload || again[i].loc != records[i].loc) abort();
  }
  if (again.back().type != 7 || again.back().payload != "appended-after-recovery") abort();
  return 0;
}
