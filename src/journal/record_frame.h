// How a record is framed in a log: u32 length of (type + payload), u32 masked CRC32C
// of type + payload, u8 type, payload (little endian; kRecordOverhead bytes of frame).
// The journal's segment files and the PostgreSQL log's segment rows hold records in
// this form, so a Location means the same in both.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "journal/record_log.h"

namespace cmq::journal {

// The 9-byte frame header of a record whose payload is the concatenation of `parts`.
void EncodeRecordHeader(RecordType type, std::span<const std::string_view> parts, char out[9]);

// Decodes the record framed at the start of `bytes`. On success fills `type`,
// `payload` (a view into `bytes`) and `size` (frame + payload) and returns an empty
// string; otherwise returns what is wrong (truncated, zero length, checksum
// mismatch, reserved type 0).
std::string DecodeRecord(std::string_view bytes, RecordType* type, std::string_view* payload,
                         size_t* size);

}  // namespace cmq::journal
