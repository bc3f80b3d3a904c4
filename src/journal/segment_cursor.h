// The Journal's RecordCursor (record_log.h): reads segment files the Journal already
// has open, so a segment reclaimed while a trace reads stays readable through its
// handle, and the Journal's own state is never touched off the broker thread.
// Internal to src/journal.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "env/env.h"
#include "journal/record_log.h"

namespace cmq::journal {

struct CursorSegment {
  uint32_t number = 0;
  std::shared_ptr<const env::File> file;
};

// `segments` in log order; the last one may still be written to by the Journal's
// writer: its scan ends at the first batch that does not check out (one being
// written), which is past everything durable when the cursor was opened. Damage in an
// earlier segment (which recovery accepted, e.g. skipped by salvage) ends that
// segment's scan and sets skipped_records().
std::unique_ptr<RecordCursor> NewSegmentCursor(std::vector<CursorSegment> segments);

}  // namespace cmq::journal
