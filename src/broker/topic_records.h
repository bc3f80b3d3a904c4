// The topic model's journal records (types 64..127): their structs and encoding.
//
// Same rules as records.h: the live path encodes a record, appends it and applies the
// struct; Replay decodes the payload and applies the same struct with the same code
// (broker_topic_apply.cc). Integers are varints (times in Unix ms), strings are
// length-prefixed.
//
// Outcomes that depend on queue state (a queue delivery succeeding, its queue
// position and msgId) are written into the record rather than recomputed on replay,
// like dead-letter moves: replay never has to guess.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/topic_types.h"
#include "broker/types.h"
#include "journal/record_log.h"

namespace cmq::broker {

class RecordReader;

enum TopicRecordKind : journal::RecordType {
  kRecCreateTopic = 64,
  kRecSetTopic = 65,
  kRecDeleteTopic = 66,
  kRecSubscribe = 67,
  kRecSetSubscription = 68,
  kRecUnsubscribe = 69,
  kRecPublish = 70,
  kRecQueueDelivery = 71,
  kRecPushOutcome = 72,
  kRecTopicRelocate = 73,
};

// The metadata of one topic, as created and as kept in snapshots.
struct TopicMeta {
  AccountId account = 0;
  uint64_t uid = 0;      // internal, never reused
  std::string topic_id;  // "topic-..."
  std::string name;      // original spelling
  int64_t create_ms = 0;
  int64_t modify_ms = 0;
  int max_msg_size = 65536;
  FilterType filter_type = FilterType::kTag;
  int retention_seconds = 86400;  // fixed when created
};

// The metadata of one subscription. spec.protocol, spec.endpoint and spec.name never
// change; the rest is replaced by SetSubscriptionRecord.
struct SubscriptionMeta {
  uint64_t topic_uid = 0;
  uint64_t uid = 0;             // internal, never reused
  std::string subscription_id;  // "subsc-..."
  int64_t create_ms = 0;
  int64_t modify_ms = 0;
  SubscriptionSpec spec;
};

struct CreateTopicRecord {
  int64_t time_ms = 0;
  TopicMeta meta;
};

struct SetTopicRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  int max_msg_size = 0;
};

struct DeleteTopicRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
};

struct SubscribeRecord {
  int64_t time_ms = 0;
  SubscriptionMeta meta;
};

// The complete new value of a subscription's changeable settings.
struct SetSubscriptionRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  NotifyStrategy notify_strategy = NotifyStrategy::kExponentialDecayRetry;
  ContentFormat content_format = ContentFormat::kJson;
  std::vector<std::string> filter_tags;
  std::vector<std::string> binding_keys;
};

struct UnsubscribeRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
};

// A queue message created by a delivery: where it went. Its body is the topic
// message's body (no copy).
struct QueuePlacement {
  uint64_t queue_uid = 0;  // 0: the attempt failed (queue missing or full)
  uint64_t pos = 0;
};

// One publish call: its messages (msgIds first_msg_id + i, bodies back to back after
// the header, as in SendRecord), the subscriptions that accept them (every message
// gets a delivery to each) and the first attempts at queue endpoints that succeeded.
// Those queue messages take msgIds first_msg_id + lengths.size() + j in order.
struct PublishRecord {
  uint64_t topic_uid = 0;
  int64_t time_ms = 0;
  uint64_t first_msg_id = 0;
  std::vector<std::string> tags;
  std::vector<uint64_t> subscriptions;  // uids, ascending
  struct Enqueued {
    uint32_t message = 0;  // index into the bodies
    uint64_t subscription = 0;
    QueuePlacement placement;
  };
  std::vector<Enqueued> enqueued;
  std::vector<uint32_t> lengths;
};

// Retries at queue endpoints made by one Tick. Successful attempts take msgIds
// first_queue_msg_id + j in order.
struct QueueDeliveryRecord {
  int64_t time_ms = 0;
  uint64_t first_queue_msg_id = 0;
  struct Attempt {
    uint64_t msg_id = 0;  // the topic message
    uint64_t subscription = 0;
    QueuePlacement placement;
  };
  std::vector<Attempt> attempts;
};

// The outcome of one HTTP push (CompletePush). `attempt` is the number of attempts
// made before this one; a record that does not fit the delivery's state is ignored.
// A failure says why in `error` (at most Broker::kMaxPushErrorChars), an optional tail
// that records written before it lack.
struct PushOutcomeRecord {
  int64_t time_ms = 0;
  uint64_t msg_id = 0;
  uint64_t subscription = 0;
  uint32_t attempt = 0;
  bool delivered = false;
  std::string error;
};

// A topic message with pending deliveries copied forward, with its body as the
// payload's tail, so that the segment of its publish record can be dropped: the
// message's whole remaining state, its tags and every pending delivery with its
// retry state (attempts made, next attempt). Replay recreates the message from it when
// the publish record was dropped, and otherwise only moves the body.
struct TopicRelocateRecord {
  uint64_t topic_uid = 0;
  int64_t time_ms = 0;
  uint64_t msg_id = 0;
  int64_t publish_ms = 0;
  std::vector<std::string> tags;
  struct Pending {
    uint64_t subscription = 0;
    int64_t next_ms = 0;
    uint32_t attempts = 0;
  };
  std::vector<Pending> deliveries;
};

std::string EncodeCreateTopic(const CreateTopicRecord& r);
std::string EncodeSetTopic(const SetTopicRecord& r);
std::string EncodeDeleteTopic(const DeleteTopicRecord& r);
std::string EncodeSubscribe(const SubscribeRecord& r);
std::string EncodeSetSubscription(const SetSubscriptionRecord& r);
std::string EncodeUnsubscribe(const UnsubscribeRecord& r);
std::string EncodePublishHeader(const PublishRecord& r);
std::string EncodeQueueDelivery(const QueueDeliveryRecord& r);
std::string EncodePushOutcome(const PushOutcomeRecord& r);
std::string EncodeTopicRelocateHeader(const TopicRelocateRecord& r);

// Decoders return false on any malformed input (never read out of bounds).
bool DecodeCreateTopic(std::string_view in, CreateTopicRecord* r);
bool DecodeSetTopic(std::string_view in, SetTopicRecord* r);
bool DecodeDeleteTopic(std::string_view in, DeleteTopicRecord* r);
bool DecodeSubscribe(std::string_view in, SubscribeRecord* r);
bool DecodeSetSubscription(std::string_view in, SetSubscriptionRecord* r);
bool DecodeUnsubscribe(std::string_view in, UnsubscribeRecord* r);
// `header_size` gets the offset of the first body; the bodies must fill the rest.
bool DecodePublish(std::string_view in, PublishRecord* r, size_t* header_size);
bool DecodeQueueDelivery(std::string_view in, QueueDeliveryRecord* r);
bool DecodePushOutcome(std::string_view in, PushOutcomeRecord* r);
// `header_size` gets the offset of the body, which is the rest of the payload.
bool DecodeTopicRelocate(std::string_view in, TopicRelocateRecord* r, size_t* header_size);

// Metadata encoding shared with the snapshot (records.cc).
void PutTopicMeta(std::string* out, const TopicMeta& m);
bool GetTopicMeta(RecordReader* r, TopicMeta* m);
void PutSubscriptionMeta(std::string* out, const SubscriptionMeta& m);
bool GetSubscriptionMeta(RecordReader* r, SubscriptionMeta* m);

}  // namespace cmq::broker
