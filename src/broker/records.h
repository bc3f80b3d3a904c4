// The broker's journal records: their types and payload encoding.
//
// Every change of queue state is one of these records. The live path encodes a
// record, appends it and applies the struct; recovery decodes the payload and applies
// the same struct with the same code (broker_apply.cc). Integers are varints (times
// in Unix ms), strings are length-prefixed (common/coding.h).
//
// Type numbers are stable on disk: 1..63 belong to queues, 64..127 to topics
// (topic_records.h). The snapshot (segment preamble) carries a format version;
// decoders read every version written so far (1: queues only; 2: also topics and
// subscriptions) and reject versions they do not know rather than guess.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/topic_records.h"
#include "broker/types.h"
#include "journal/record_log.h"

namespace cmq::broker {

enum RecordKind : journal::RecordType {
  kRecSnapshot = 1,
  kRecCreateQueue = 2,
  kRecSetQueue = 3,
  kRecDeleteQueue = 4,
  kRecSend = 5,
  kRecReceive = 6,
  kRecDelete = 7,
  kRecRewind = 8,
  kRecDeadLetterMove = 9,
  kRecRelocate = 10,
  kRecPurge = 11,
  kRecMoveTaskStart = 12,
  kRecMoveTaskBatch = 13,
  kRecMoveTaskEnd = 14,
};

inline constexpr uint32_t kSnapshotVersion = 2;

// The metadata of one queue, as created and as kept in snapshots.
struct QueueMeta {
  AccountId account = 0;
  uint64_t uid = 0;        // internal, never reused (receipt handles name it)
  std::string queue_id;    // "queue-..."
  std::string name;        // original spelling
  std::string handle_key;  // 16 random bytes keying the receipt-handle MAC
  int64_t create_ms = 0;
  int64_t modify_ms = 0;
  QueueAttributes attributes;
  uint64_t next_pos = 0;  // next queue position to assign
};

struct SnapshotRecord {
  uint32_t version = kSnapshotVersion;
  uint64_t next_msg_id = 1;
  uint64_t next_queue_uid = 1;
  int64_t now_ms = 0;
  std::vector<QueueMeta> queues;
  // Version 2.
  uint64_t next_topic_uid = 1;
  uint64_t next_subscription_uid = 1;
  std::vector<TopicMeta> topics;
  std::vector<SubscriptionMeta> subscriptions;
};

struct CreateQueueRecord {
  int64_t time_ms = 0;
  QueueMeta meta;  // next_pos unused
};

struct SetQueueRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  QueueAttributes attributes;  // the complete new value
};

struct DeleteQueueRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
};

// Payload = header, then the bodies back to back (so body i lies at payload offset
// header_size + sum of the earlier lengths).
struct SendRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;     // enqueue time
  int64_t visible_ms = 0;  // end of delay (== time_ms without delay)
  uint64_t first_pos = 0;
  uint64_t first_msg_id = 0;
  std::vector<uint32_t> lengths;
};

// `client` is an optional tail (since message trace): records written before it end
// after the positions and decode with an unknown client; one is written only when the
// client is known.
struct ReceiveRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  int64_t visible_until_ms = 0;
  std::vector<uint64_t> positions;
  ClientAddress client{};
};

struct DeleteRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  std::vector<uint64_t> positions;
};

struct RewindRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  int64_t start_s = 0;
};

struct DeadLetterMoveRecord {
  uint64_t source_uid = 0;
  uint64_t dlq_uid = 0;
  int64_t time_ms = 0;
  struct Move {
    uint64_t source_pos = 0;
    uint64_t dlq_pos = 0;
  };
  std::vector<Move> moves;
};

// PurgeQueue (a cmqd extension): every undeleted message of the queue at that time is
// deleted, as by DeleteMessage. The messages are not listed: replay meets exactly the
// messages the live path purged, since the record's place in the log orders it.
struct PurgeRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
};

// StartMessageMoveTask (a cmqd extension, redrive): task `task_id` moves the Active
// messages of `source_uid` below `up_to_pos` (those there when it started) to
// `target_uid`. The task's progress is the batches recorded under its id.
struct MoveTaskStartRecord {
  uint64_t task_id = 0;
  uint64_t source_uid = 0;
  uint64_t target_uid = 0;
  int64_t time_ms = 0;
  uint64_t up_to_pos = 0;
  int64_t to_move = 0;  // Active messages of the source when the task started
};

// One batch of a move task: applied like a dead-letter move (fresh Active messages of
// the target that share the bodies), not counted as dead-lettered.
struct MoveTaskBatchRecord {
  uint64_t task_id = 0;
  DeadLetterMoveRecord move;  // source_uid = the task's source, dlq_uid = its target
};

// A move task ended: COMPLETED (nothing older than its start is left to move) or
// FAILED (with why). Without it a restart would run an ended task again.
struct MoveTaskEndRecord {
  uint64_t task_id = 0;
  int64_t time_ms = 0;
  bool failed = false;
  std::string failure_reason;
};

// The full state of one message and (as the payload's tail) its body, copied forward
// so that the segment holding the original can be dropped.
struct RelocateRecord {
  uint64_t uid = 0;
  int64_t time_ms = 0;
  uint64_t pos = 0;
  uint64_t msg_id = 0;
  uint8_t state = 0;  // MessageState
  int64_t enqueue_ms = 0;
  int64_t deadline_ms = 0;
  int64_t first_dequeue_ms = 0;
  uint32_t dequeue_count = 0;
  uint32_t generation = 0;
};

std::string EncodeSnapshot(const SnapshotRecord& r);
std::string EncodeCreateQueue(const CreateQueueRecord& r);
std::string EncodeSetQueue(const SetQueueRecord& r);
std::string EncodeDeleteQueue(const DeleteQueueRecord& r);
std::string EncodeSendHeader(const SendRecord& r);
std::string EncodeReceive(const ReceiveRecord& r);
std::string EncodeDelete(const DeleteRecord& r);
std::string EncodeRewind(const RewindRecord& r);
std::string EncodeDeadLetterMove(const DeadLetterMoveRecord& r);
std::string EncodeRelocateHeader(const RelocateRecord& r);
std::string EncodePurge(const PurgeRecord& r);
std::string EncodeMoveTaskStart(const MoveTaskStartRecord& r);
std::string EncodeMoveTaskBatch(const MoveTaskBatchRecord& r);
std::string EncodeMoveTaskEnd(const MoveTaskEndRecord& r);

// Decoders return false on any malformed input (never read out of bounds).
bool DecodeSnapshot(std::string_view in, SnapshotRecord* r);
bool DecodeCreateQueue(std::string_view in, CreateQueueRecord* r);
bool DecodeSetQueue(std::string_view in, SetQueueRecord* r);
bool DecodeDeleteQueue(std::string_view in, DeleteQueueRecord* r);
// `header_size` gets the offset of the first body; the bodies must fill the rest.
bool DecodeSend(std::string_view in, SendRecord* r, size_t* header_size);
bool DecodeReceive(std::string_view in, ReceiveRecord* r);
bool DecodeDelete(std::string_view in, DeleteRecord* r);
bool DecodeRewind(std::string_view in, RewindRecord* r);
bool DecodeDeadLetterMove(std::string_view in, DeadLetterMoveRecord* r);
// `header_size` gets the offset of the body, which is the rest of the payload.
bool DecodeRelocate(std::string_view in, RelocateRecord* r, size_t* header_size);
bool DecodePurge(std::string_view in, PurgeRecord* r);
bool DecodeMoveTaskStart(std::string_view in, MoveTaskStartRecord* r);
bool DecodeMoveTaskBatch(std::string_view in, MoveTaskBatchRecord* r);
bool DecodeMoveTaskEnd(std::string_view in, MoveTaskEndRecord* r);

// Upper bound of a framed delete record for one message: the space reserved per held
// message so that deletes never need new disk space.
inline constexpr uint64_t kDeleteRecordReserve = 64;

}  // namespace cmq::broker
