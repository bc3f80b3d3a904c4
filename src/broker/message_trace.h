// Message trace: what the records still held say about one message (docs/architecture.md,
// "Message trace"). The broker prepares a TraceJob on its thread (Broker::PrepareTrace);
// the job reads the log through a RecordCursor and decodes the records with the same
// decoders replay uses, on whatever thread runs it, touching nothing of the broker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/types.h"
#include "journal/record_log.h"

namespace cmq::broker {

// One named value of an event: a string or an integer.
struct TraceField {
  std::string name;
  std::string text;
  int64_t number = 0;
  bool is_number = false;
};

struct TraceEvent {
  int64_t time_ms = 0;
  // sent, received, deleted, deadLettered, moved, purged, rewound, expired, published,
  // delivered, deliveryFailed, pushed, pushFailed
  std::string event;
  std::vector<TraceField> fields;  // in the order they are shown
};

struct MessageTrace {
  std::string msg_id;
  // The record that created the message was read and nothing was skipped: the events
  // are the message's whole life so far.
  bool complete = false;
  std::vector<TraceEvent> events;  // in log order (times never go back)
};

// What the trace is about.
struct TraceSubject {
  bool topic = false;  // a topic message (topicName) rather than a queue's (queueName)
  std::string name;
};

// Names the scan may need, copied on the broker thread; records met in the scan
// (creations, snapshots) add the ones of queues, topics and subscriptions deleted since.
struct TraceNames {
  struct Queue {
    std::string name;
    int retention_seconds = 0;
  };
  struct Subscription {
    std::string name;
    std::string endpoint;
    bool queue = false;  // protocol queue (else http)
  };
  std::unordered_map<uint64_t, Queue> queues;
  std::unordered_map<uint64_t, std::string> topics;
  std::unordered_map<uint64_t, Subscription> subscriptions;
};

class TraceJob {
 public:
  // `subject_uid`: the queue or topic named (its uid); `now_ms`: broker time when the
  // trace was asked for (retention ends up to then show as `expired`).
  TraceJob(std::unique_ptr<journal::RecordCursor> cursor, TraceNames names, TraceSubject subject,
           uint64_t subject_uid, uint64_t msg_id, int64_t now_ms);
  ~TraceJob();

  // Reads the cursor to its end. Any thread; once. Errors: the cursor's (kCorruption,
  // kIoError, kStorageUnavailable).
  Result<MessageTrace> Run();

 private:
  std::unique_ptr<journal::RecordCursor> cursor_;
  TraceNames names_;
  TraceSubject subject_;
  uint64_t subject_uid_;
  uint64_t msg_id_;
  int64_t now_ms_;
};

// A ClientAddress as text: "10.0.0.7:51234", "[2001:db8::1]:443"; "" when not known.
std::string ClientAddressText(const ClientAddress& a);
// The reverse, for "ip:port" and "[ipv6]:port" (what the api sees); unknown otherwise.
ClientAddress ParseClientAddress(std::string_view text);

}  // namespace cmq::broker
