// What `cmqctl watch` shows for each sample: pure functions of the previous and the
// current sample, so the layouts are unit-tested without a server or a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "json_out.h"

namespace cmqctl {

struct QueueSample {
  int64_t unix_time = 0;  // wall clock, for display
  double seconds = 0;     // monotonic, for rates
  int64_t active = 0;
  int64_t inactive = 0;
  int64_t delayed = 0;
  int64_t rewindable = 0;
  int64_t min_msg_time = 0;
  // Totals since the server started serving the queue (msgSentTotal ...): only their
  // rates mean something. A total that went down means the server restarted.
  int64_t sent = 0;
  int64_t received = 0;
  int64_t deleted = 0;
};

struct SubscriptionSample {
  std::string name;
  std::string protocol;
  std::string endpoint;
  int64_t pending = 0;
};

struct TopicSample {
  int64_t unix_time = 0;
  double seconds = 0;
  int64_t pending = 0;  // topic msgCount
  std::vector<SubscriptionSample> subscriptions;
};

// `prev` is null for the first sample (changes show as 0). Terminal view: several
// lines (no trailing newline on each), redrawn in place every interval.
std::vector<std::string> QueueScreen(const std::string& name, double interval,
                                     const QueueSample* prev, const QueueSample& cur);
// One line per sample, for pipes and files.
std::string QueueLine(const std::string& name, const QueueSample* prev, const QueueSample& cur);
Json QueueSampleJson(const std::string& name, const QueueSample* prev, const QueueSample& cur);

std::vector<std::string> TopicScreen(const std::string& name, double interval,
                                     const TopicSample* prev, const TopicSample& cur);
std::string TopicLine(const std::string& name, const TopicSample* prev, const TopicSample& cur);
Json TopicSampleJson(const std::string& name, const TopicSample* prev, const TopicSample& cur);

// "+3", "-2", "0".
std::string SignedDelta(int64_t delta);

}  // namespace cmqctl
