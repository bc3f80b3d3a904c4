// Timestamps as cmqctl shows and accepts them: ISO-8601 in UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cmqctl {

// "2026-11-24T10:00:00Z" for Unix seconds; "-" for 0 (CMQ's "never", e.g. minMsgTime of
// an empty queue or firstDequeueTime before any receive).
std::string FormatUnixTime(int64_t unix_seconds);

// Unix seconds from "YYYY-MM-DDTHH:MM:SS" followed by "Z" or "+HH:MM"/"-HH:MM" (also a
// space instead of 'T', and an optional fraction, which is dropped), or from a plain
// integer of Unix seconds. nullopt when malformed.
std::optional<int64_t> ParseTimestamp(std::string_view text);

// "1.2s", "45s", "3m05s", "2h10m" style duration for humans.
std::string FormatDuration(double seconds);

}  // namespace cmqctl
