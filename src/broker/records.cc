#include "broker/records.h"

#include <algorithm>

#include "broker/record_coding.h"

namespace cmq::broker {
namespace {

using Reader = RecordReader;

void PutAttributes(std::string* out, const QueueAttributes& a) {
  PutI64(out, a.max_msg_heap_num);
  PutI64(out, a.polling_wait_seconds);
  PutI64(out, a.visibility_timeout);
  PutI64(out, a.max_msg_size);
  PutI64(out, a.msg_retention_seconds);
  PutI64(out, a.rewind_seconds);
  if (a.dead_letter_policy) {
    const DeadLetterPolicy& p = *a.dead_letter_policy;
    PutVarint64(out, 1);
    PutLengthPrefixed(out, p.queue_name);
    PutI64(out, p.policy);
    PutI64(out, p.max_receive_count);
    PutI64(out, p.max_time_to_live);
  } else {
    PutVarint64(out, 0);
  }
}

bool GetAttributes(Reader* r, QueueAttributes* a) {
  uint64_t has_policy = 0;
  if (!(r->I64(&a->max_msg_heap_num) && r->Int(&a->polling_wait_seconds) &&
        r->Int(&a->visibility_timeout) && r->Int(&a->max_msg_size) &&
        r->Int(&a->msg_retention_seconds) && r->Int(&a->rewind_seconds) && r->U64(&has_policy))) {
    return false;
  }
  if (has_policy > 1) return false;
  a->dead_letter_policy.reset();
  if (has_policy == 1) {
    DeadLetterPolicy p;
    if (!(r->Str(&p.queue_name) && r->Int(&p.policy) && r->Int(&p.max_receive_count) &&
          r->Int(&p.max_time_to_live))) {
      return false;
    }
    a->dead_letter_policy = std::move(p);
  }
  return true;
}

void PutMeta(std::string* out, const QueueMeta& m) {
  PutVarint64(out, m.account);
  PutVarint64(out, m.uid);
  PutLengthPrefixed(out, m.queue_id);
  PutLengthPrefixed(out, m.name);
  PutLengthPrefixed(out, m.handle_key);
  PutI64(out, m.create_ms);
  PutI64(out, m.modify_ms);
  PutAttributes(out, m.attributes);
  PutVarint64(out, m.next_pos);
}

bool GetMeta(Reader* r, QueueMeta* m) {
  return r->U64(&m->account) && r->U64(&m->uid) && r->Str(&m->queue_id) && r->Str(&m->name) &&
         r->Str(&m->handle_key) && r->I64(&m->create_ms) && r->I64(&m->modify_ms) &&
         GetAttributes(r, &m->attributes) && r->U64(&m->next_pos);
}

void PutPositions(std::string* out, const std::vector<uint64_t>& positions) {
  PutVarint64(out, positions.size());
  for (uint64_t p : positions) PutVarint64(out, p);
}

bool GetPositions(Reader* r, std::vector<uint64_t>* positions) {
  uint64_t n;
  if (!r->Count(&n)) return false;
  positions->resize(n);
  for (auto& p : *positions) {
    if (!r->U64(&p)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeSnapshot(const SnapshotRecord& r) {
  std::string out;
  PutVarint64(&out, r.version);
  PutVarint64(&out, r.next_msg_id);
  PutVarint64(&out, r.next_queue_uid);
  PutI64(&out, r.now_ms);
  PutVarint64(&out, r.queues.size());
  for (const auto& q : r.queues) PutMeta(&out, q);
  PutVarint64(&out, r.next_topic_uid);
  PutVarint64(&out, r.next_subscription_uid);
  PutVarint64(&out, r.topics.size());
  for (const auto& t : r.topics) PutTopicMeta(&out, t);
  PutVarint64(&out, r.subscriptions.size());
  for (const auto& sub : r.subscriptions) PutSubscriptionMeta(&out, sub);
  return out;
}

bool DecodeSnapshot(std::string_view in, SnapshotRecord* r) {
  Reader d(in);
  uint64_t n;
  if (!(d.U32(&r->version) && (r->version == 1 || r->version == kSnapshotVersion) &&
        d.U64(&r->next_msg_id) && d.U64(&r->next_queue_uid) && d.I64(&r->now_ms) && d.Count(&n))) {
    return false;
  }
  r->queues.resize(n);
  for (auto& q : r->queues) {
    if (!GetMeta(&d, &q)) return false;
  }
  if (r->version == 1) return d.done();  // written before topics existed
  if (!(d.U64(&r->next_topic_uid) && d.U64(&r->next_subscription_uid) && d.Count(&n))) {
    return false;
  }
  r->topics.resize(n);
  for (auto& t : r->topics) {
    if (!GetTopicMeta(&d, &t)) return false;
  }
  if (!d.Count(&n)) return false;
  r->subscriptions.resize(n);
  for (auto& sub : r->subscriptions) {
    if (!GetSubscriptionMeta(&d, &sub)) return false;
  }
  return d.done();
}

std::string EncodeCreateQueue(const CreateQueueRecord& r) {
  std::string out;
  PutI64(&out, r.time_ms);
  PutMeta(&out, r.meta);
  return out;
}

bool DecodeCreateQueue(std::string_view in, CreateQueueRecord* r) {
  Reader d(in);
  return d.I64(&r->time_ms) && GetMeta(&d, &r->meta) && d.done();
}

std::string EncodeSetQueue(const SetQueueRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutAttributes(&out, r.attributes);
  return out;
}

bool DecodeSetQueue(std::string_view in, SetQueueRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && GetAttributes(&d, &r->attributes) && d.done();
}

std::string EncodeDeleteQueue(const DeleteQueueRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  return out;
}

bool DecodeDeleteQueue(std::string_view in, DeleteQueueRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.done();
}

std::string EncodeSendHeader(const SendRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutI64(&out, r.visible_ms);
  PutVarint64(&out, r.first_pos);
  PutVarint64(&out, r.first_msg_id);
  PutVarint64(&out, r.lengths.size());
  for (uint32_t len : r.lengths) PutVarint64(&out, len);
  return out;
}

bool DecodeSend(std::string_view in, SendRecord* r, size_t* header_size) {
  Reader d(in);
  uint64_t n;
  if (!(d.U64(&r->uid) && d.I64(&r->time_ms) && d.I64(&r->visible_ms) && d.U64(&r->first_pos) &&
        d.U64(&r->first_msg_id) && d.Count(&n))) {
    return false;
  }
  r->lengths.resize(n);
  uint64_t total = 0;
  for (auto& len : r->lengths) {
    if (!d.U32(&len)) return false;
    total += len;
  }
  *header_size = d.consumed();
  return total == in.size() - *header_size;
}

std::string EncodeReceive(const ReceiveRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutI64(&out, r.visible_until_ms);
  PutPositions(&out, r.positions);
  if (r.client.len != 0) {
    PutLengthPrefixed(&out, std::string_view(reinterpret_cast<const char*>(r.client.bytes.data()),
                                             r.client.len));
    PutVarint64(&out, r.client.port);
  }
  return out;
}

bool DecodeReceive(std::string_view in, ReceiveRecord* r) {
  Reader d(in);
  if (!(d.U64(&r->uid) && d.I64(&r->time_ms) && d.I64(&r->visible_until_ms) &&
        GetPositions(&d, &r->positions))) {
    return false;
  }
  r->client = ClientAddress{};
  if (d.done()) return true;  // written before receive records named their client
  std::string address;
  uint32_t port = 0;
  if (!(d.Str(&address) && (address.size() == 4 || address.size() == 16) && d.U32(&port) &&
        port <= 0xffff)) {
    return false;
  }
  std::copy(address.begin(), address.end(), r->client.bytes.begin());
  r->client.len = static_cast<uint8_t>(address.size());
  r->client.port = static_cast<uint16_t>(port);
  return d.done();
}

std::string EncodeDelete(const DeleteRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutPositions(&out, r.positions);
  return out;
}

bool DecodeDelete(std::string_view in, DeleteRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && GetPositions(&d, &r->positions) && d.done();
}

std::string EncodeRewind(const RewindRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutI64(&out, r.start_s);
  return out;
}

bool DecodeRewind(std::string_view in, RewindRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.I64(&r->start_s) && d.done();
}

std::string EncodePurge(const PurgeRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  return out;
}

bool DecodePurge(std::string_view in, PurgeRecord* r) {
  Reader d(in);
  return d.U64(&r->uid) && d.I64(&r->time_ms) && d.done();
}

std::string EncodeMoveTaskStart(const MoveTaskStartRecord& r) {
  std::string out;
  PutVarint64(&out, r.task_id);
  PutVarint64(&out, r.source_uid);
  PutVarint64(&out, r.target_uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.up_to_pos);
  PutI64(&out, r.to_move);
  return out;
}

bool DecodeMoveTaskStart(std::string_view in, MoveTaskStartRecord* r) {
  Reader d(in);
  return d.U64(&r->task_id) && d.U64(&r->source_uid) && d.U64(&r->target_uid) &&
         d.I64(&r->time_ms) && d.U64(&r->up_to_pos) && d.I64(&r->to_move) && d.done();
}

std::string EncodeMoveTaskBatch(const MoveTaskBatchRecord& r) {
  std::string out;
  PutVarint64(&out, r.task_id);
  out += EncodeDeadLetterMove(r.move);
  return out;
}

bool DecodeMoveTaskBatch(std::string_view in, MoveTaskBatchRecord* r) {
  Reader d(in);
  if (!d.U64(&r->task_id)) return false;
  return DecodeDeadLetterMove(in.substr(d.consumed()), &r->move);
}

std::string EncodeMoveTaskEnd(const MoveTaskEndRecord& r) {
  std::string out;
  PutVarint64(&out, r.task_id);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.failed ? 1 : 0);
  PutLengthPrefixed(&out, r.failure_reason);
  return out;
}

bool DecodeMoveTaskEnd(std::string_view in, MoveTaskEndRecord* r) {
  Reader d(in);
  uint64_t failed = 0;
  if (!(d.U64(&r->task_id) && d.I64(&r->time_ms) && d.U64(&failed) && failed <= 1 &&
        d.Str(&r->failure_reason) && d.done())) {
    return false;
  }
  r->failed = failed == 1;
  return true;
}

std::string EncodeDeadLetterMove(const DeadLetterMoveRecord& r) {
  std::string out;
  PutVarint64(&out, r.source_uid);
  PutVarint64(&out, r.dlq_uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.moves.size());
  for (const auto& m : r.moves) {
    PutVarint64(&out, m.source_pos);
    PutVarint64(&out, m.dlq_pos);
  }
  return out;
}

bool DecodeDeadLetterMove(std::string_view in, DeadLetterMoveRecord* r) {
  Reader d(in);
  uint64_t n;
  if (!(d.U64(&r->source_uid) && d.U64(&r->dlq_uid) && d.I64(&r->time_ms) && d.Count(&n))) {
    return false;
  }
  r->moves.resize(n);
  for (auto& m : r->moves) {
    if (!(d.U64(&m.source_pos) && d.U64(&m.dlq_pos))) return false;
  }
  return d.done();
}

std::string EncodeRelocateHeader(const RelocateRecord& r) {
  std::string out;
  PutVarint64(&out, r.uid);
  PutI64(&out, r.time_ms);
  PutVarint64(&out, r.pos);
  PutVarint64(&out, r.msg_id);
  PutVarint64(&out, r.state);
  PutI64(&out, r.enqueue_ms);
  PutI64(&out, r.deadline_ms);
  PutI64(&out, r.first_dequeue_ms);
  PutVarint64(&out, r.dequeue_count);
  PutVarint64(&out, r.generation);
  return out;
}

bool DecodeRelocate(std::string_view in, RelocateRecord* r, size_t* header_size) {
  Reader d(in);
  if (!(d.U64(&r->uid) && d.I64(&r->time_ms) && d.U64(&r->pos) && d.U64(&r->msg_id) &&
        d.U8(&r->state) && d.I64(&r->enqueue_ms) && d.I64(&r->deadline_ms) &&
        d.I64(&r->first_dequeue_ms) && d.U32(&r->dequeue_count) && d.U32(&r->generation))) {
    return false;
  }
  *header_size = d.consumed();
  return true;
}

}  // namespace cmq::broker
