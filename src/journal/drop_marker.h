// The drop marker: the durable intent of a drop that removes more than one segment.
//
// A drop removes segments oldest first, so a crash in its middle would leave a log
// that starts with a segment the broker never meant to keep, one that need not begin
// with a preamble. Before it removes two or more segments the journal therefore
// writes "<dir>/DROP_BEFORE" naming the first segment to keep (to a temporary name,
// synced, renamed, directory synced), and recovery first finishes the drop a marker
// names. The marker stays afterwards: the next multi-segment drop replaces it, and a
// marker whose segments are all gone asks for nothing. Segment numbers only grow, so
// an old marker never names a segment that is still wanted.
//
// Format: magic "CMQDROP1", u32 segment, u32 masked CRC32C of the 12 bytes before
// (integers little endian).
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "env/env.h"

namespace cmq::journal {

// Makes "<dir>/DROP_BEFORE" name `segment`, durably.
Status WriteDropMarker(env::Env* env, const std::string& dir, uint32_t segment);

// Removes every segment file of `dir` numbered below the segment a marker names,
// oldest first, each removal durable before the next. OK when there is no marker;
// kCorruption (naming the file) when the marker is damaged.
Status FinishInterruptedDrop(env::Env* env, const std::string& dir);

}  // namespace cmq::journal
