#include "journal/record_frame.h"

#include "common/coding.h"
#include "common/strings.h"

namespace cmq::journal {

void EncodeRecordHeader(RecordType type, std::span<const std::string_view> parts, char out[9]) {
  char type_byte = static_cast<char>(type);
  uint32_t crc = Crc32c(std::string_view(&type_byte, 1));
  uint64_t length = 1;
  for (std::string_view p : parts) {
    crc = Crc32c(p, crc);
    length += p.size();
  }
  StoreFixed32(out, static_cast<uint32_t>(length));
  StoreFixed32(out + 4, MaskCrc(crc));
  out[8] = type_byte;
}

std::string DecodeRecord(std::string_view bytes, RecordType* type, std::string_view* payload,
                         size_t* size) {
  if (bytes.size() < kRecordOverhead) return "truncated record header";
  uint32_t length = DecodeFixed32(bytes.data());
  if (length == 0) return "record of length 0";
  if (length > bytes.size() - 8) {
    return "record length " + std::to_string(length) + " runs past its batch";
  }
  std::string_view body = bytes.substr(8, length);
  if (UnmaskCrc(DecodeFixed32(bytes.data() + 4)) != Crc32c(body)) {
    return "record checksum mismatch";
  }
  if (body[0] == 0) return "record of reserved type 0";
  *type = static_cast<RecordType>(body[0]);
  *payload = body.substr(1);
  *size = 8 + size_t{length};
  return "";
}

}  // namespace cmq::journal
