// The body of every message cmq-bench sends: a fixed header naming the run, the
// sequence number and the send time, padded with printable ASCII to the wanted size.
//
//   "cmqb" RUN(8 hex) ":" SEQ(16 hex) ":" SENT_NS(16 hex) ":" padding
//
// SENT_NS is CLOCK_MONOTONIC (std::chrono::steady_clock) in nanoseconds, which is
// system-wide on Linux, so a consumer in another process on the same host can still
// compute send-to-receive latency.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cmq::bench {

constexpr size_t kMessageHeaderSize = 4 + 8 + 1 + 16 + 1 + 16 + 1;

struct MessageStamp {
  uint32_t run_id = 0;
  uint64_t seq = 0;
  int64_t sent_ns = 0;
};

// A body of exactly max(size, kMessageHeaderSize) bytes.
std::string MakeMessageBody(const MessageStamp& stamp, size_t size);
// nullopt if `body` does not start with a valid header (a message cmq-bench did not send).
std::optional<MessageStamp> ParseMessageBody(std::string_view body);

int64_t SteadyNowNs();

}  // namespace cmq::bench
