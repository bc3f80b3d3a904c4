// Replay and the apply functions. The live path calls the Apply* functions with the
// record it has just appended; Replay decodes stored records and calls the same ones.
// Apply functions first end the retention and rewind windows that are over at the
// record's time, so that state depends only on the records, never on when Tick ran.
#include <algorithm>
#include <string>

#include "broker/broker_impl.h"
#include "common/strings.h"

namespace cmq::broker {

Queue* Broker::Impl::AddQueue(const QueueMeta& meta) {
  auto q = std::make_unique<Queue>(meta, &usage, &totals);
  Queue* raw = q.get();
  Account& a = accounts[meta.account];
  a.by_name[AsciiLower(meta.name)] = meta.uid;
  a.in_order[meta.uid] = raw;
  queue_ids.insert(meta.queue_id);
  queues[meta.uid] = std::move(q);
  next_queue_uid = std::max(next_queue_uid, meta.uid + 1);
  return raw;
}

Status Broker::Impl::ApplySnapshot(const SnapshotRecord& r) {
  next_msg_id = std::max(next_msg_id, r.next_msg_id);
  next_queue_uid = std::max(next_queue_uid, r.next_queue_uid);
  NoteTime(r.now_ms);
  // Usually the state already matches (the snapshot starts each segment); after older
  // segments were dropped it is where the metadata comes from.
  for (const QueueMeta& m : r.queues) {
    if (Queue* q = QueueByUid(m.uid)) {
      q->meta().attributes = m.attributes;
      q->meta().modify_ms = m.modify_ms;
      q->meta().next_pos = std::max(q->meta().next_pos, m.next_pos);
      continue;
    }
    if (FindQueue(m.account, m.name) != nullptr) {
      return Status(ErrorCode::kCorruption, "snapshot names queue " + m.name + " twice");
    }
    AddQueue(m);
  }
  return ApplyTopicSnapshot(r);
}

Status Broker::Impl::ApplyCreate(const CreateQueueRecord& r) {
  NoteTime(r.time_ms);
  if (QueueByUid(r.meta.uid) != nullptr) return Status::Ok();  // already in a snapshot
  if (FindQueue(r.meta.account, r.meta.name) != nullptr) {
    return Status(ErrorCode::kCorruption, "queue " + r.meta.name + " created twice");
  }
  QueueMeta meta = r.meta;
  meta.create_ms = meta.modify_ms = r.time_ms;
  meta.next_pos = 0;
  AddQueue(meta);
  return Status::Ok();
}

void Broker::Impl::ApplySet(const SetQueueRecord& r) {
  NoteTime(r.time_ms);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return;
  q->ExpireTo(r.time_ms);
  q->SetAttributes(r.attributes, r.time_ms);
}

void Broker::Impl::ApplyDeleteQueue(const DeleteQueueRecord& r) {
  NoteTime(r.time_ms);
  auto it = queues.find(r.uid);
  if (it == queues.end()) return;
  Queue* q = it->second.get();
  auto acc = accounts.find(q->meta().account);
  if (acc != accounts.end()) {
    acc->second.by_name.erase(AsciiLower(q->meta().name));
    acc->second.in_order.erase(r.uid);
    if (acc->second.in_order.empty()) accounts.erase(acc);
  }
  queue_ids.erase(q->meta().queue_id);
  schedule.erase({q->scheduled, r.uid});
  queues.erase(it);  // releases its messages
}

Status Broker::Impl::ApplySend(const SendRecord& r, journal::Location first_body) {
  NoteTime(r.time_ms);
  next_msg_id = std::max(next_msg_id, r.first_msg_id + r.lengths.size());
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return Status::Ok();
  if (!PositionPlausible(*q, r.first_pos)) return Corrupt("send", first_body);
  q->ExpireTo(r.time_ms);
  journal::Location body = first_body;
  for (size_t i = 0; i < r.lengths.size(); ++i) {
    MessageEntry e;
    e.msg_id = r.first_msg_id + i;
    e.body = body;
    e.body_len = r.lengths[i];
    e.enqueue_ms = r.time_ms;
    e.deadline_ms = r.visible_ms;
    e.state = r.visible_ms > r.time_ms ? MessageState::kDelayed : MessageState::kActive;
    e.lsn = log->LastAppended();
    q->AddMessage(r.first_pos + i, e);
    body += r.lengths[i];
  }
  q->traffic.sent += static_cast<int64_t>(r.lengths.size());
  return Status::Ok();
}

void Broker::Impl::ApplyReceive(const ReceiveRecord& r) {
  NoteTime(r.time_ms);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return;
  q->ExpireTo(r.time_ms);
  for (uint64_t pos : r.positions) q->MarkReceived(pos, r.time_ms, r.visible_until_ms);
  q->traffic.received += static_cast<int64_t>(r.positions.size());
}

void Broker::Impl::ApplyDelete(const DeleteRecord& r) {
  NoteTime(r.time_ms);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return;
  q->ExpireTo(r.time_ms);
  for (uint64_t pos : r.positions) q->MarkDeleted(pos, r.time_ms);
  q->traffic.deleted += static_cast<int64_t>(r.positions.size());
}

void Broker::Impl::ApplyRewind(const RewindRecord& r) {
  NoteTime(r.time_ms);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return;
  q->ExpireTo(r.time_ms);
  q->Restore(r.start_s * 1000, log->LastAppended());
}

void Broker::Impl::ApplyPurge(const PurgeRecord& r) {
  NoteTime(r.time_ms);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return;
  q->ExpireTo(r.time_ms);
  q->traffic.deleted += q->DeleteAll(r.time_ms);
}

Status Broker::Impl::ApplyMove(const DeadLetterMoveRecord& r, bool dead_letter) {
  NoteTime(r.time_ms);
  Queue* src = QueueByUid(r.source_uid);
  Queue* dlq = QueueByUid(r.dlq_uid);
  if (src != nullptr) src->ExpireTo(r.time_ms);
  if (dlq != nullptr) dlq->ExpireTo(r.time_ms);
  for (const auto& m : r.moves) {
    MessageEntry* e = src != nullptr ? src->Find(m.source_pos) : nullptr;
    if (e != nullptr && dead_letter) ++src->traffic.dead_lettered;
    if (e == nullptr || dlq == nullptr) {
      if (e != nullptr) src->RemoveMessage(m.source_pos);
      if (dlq != nullptr && PositionPlausible(*dlq, m.dlq_pos)) {
        dlq->meta().next_pos = std::max(dlq->meta().next_pos, m.dlq_pos + 1);
      }
      continue;
    }
    if (!PositionPlausible(*dlq, m.dlq_pos))
      return Status(ErrorCode::kCorruption, "dead-letter move");
    // A fresh message of the DLQ that shares the body already in the journal.
    MessageEntry moved;
    moved.msg_id = e->msg_id;
    moved.body = e->body;
    moved.body_len = e->body_len;
    moved.enqueue_ms = r.time_ms;
    moved.state = MessageState::kActive;
    moved.lsn = log->LastAppended();
    src->RemoveMessage(m.source_pos);
    dlq->AddMessage(m.dlq_pos, moved);
  }
  return Status::Ok();
}

Status Broker::Impl::ApplyRelocate(const RelocateRecord& r, journal::Location body,
                                   uint32_t body_len) {
  NoteTime(r.time_ms);
  next_msg_id = std::max(next_msg_id, r.msg_id + 1);
  Queue* q = QueueByUid(r.uid);
  if (q == nullptr) return Status::Ok();
  q->ExpireTo(r.time_ms);
  if (q->Find(r.pos) != nullptr) {
    q->MoveBody(r.pos, body);
    return Status::Ok();
  }
  // The message's earlier records were in dropped segments: this record recreates it.
  if (r.state < static_cast<uint8_t>(MessageState::kDelayed) ||
      r.state > static_cast<uint8_t>(MessageState::kRewindable) || r.pos >= q->meta().next_pos) {
    return Status::Ok();
  }
  const QueueAttributes& a = q->attributes();
  if (r.enqueue_ms + static_cast<int64_t>(a.msg_retention_seconds) * 1000 <= r.time_ms) {
    return Status::Ok();
  }
  MessageEntry e;
  e.msg_id = r.msg_id;
  e.body = body;
  e.body_len = body_len;
  e.enqueue_ms = r.enqueue_ms;
  e.deadline_ms = r.deadline_ms;
  e.first_dequeue_ms = r.first_dequeue_ms;
  e.dequeue_count = r.dequeue_count;
  e.generation = r.generation;
  e.state = static_cast<MessageState>(r.state);
  e.lsn = log->LastAppended();
  q->AddMessage(r.pos, e);
  return Status::Ok();
}

Status Broker::Impl::ReplayRecord(journal::RecordType type, std::string_view payload,
                                  journal::Location loc) {
  usage.NoteWrite(loc, payload.size());
  snapshots.Replayed(type == kRecSnapshot, loc, payload.size());
  NoteSegment(loc, next_msg_id);
  switch (type) {
    case kRecSnapshot: {
      SnapshotRecord r;
      if (!DecodeSnapshot(payload, &r)) return Corrupt("snapshot", loc);
      return ApplySnapshot(r);
    }
    case kRecCreateQueue: {
      CreateQueueRecord r;
      if (!DecodeCreateQueue(payload, &r)) return Corrupt("create-queue", loc);
      return ApplyCreate(r);
    }
    case kRecSetQueue: {
      SetQueueRecord r;
      if (!DecodeSetQueue(payload, &r)) return Corrupt("set-queue", loc);
      ApplySet(r);
      return Status::Ok();
    }
    case kRecDeleteQueue: {
      DeleteQueueRecord r;
      if (!DecodeDeleteQueue(payload, &r)) return Corrupt("delete-queue", loc);
      ApplyDeleteQueue(r);
      return Status::Ok();
    }
    case kRecSend: {
      SendRecord r;
      size_t header = 0;
      if (!DecodeSend(payload, &r, &header)) return Corrupt("send", loc);
      return ApplySend(r, loc + header);
    }
    case kRecReceive: {
      ReceiveRecord r;
      if (!DecodeReceive(payload, &r)) return Corrupt("receive", loc);
      ApplyReceive(r);
      return Status::Ok();
    }
    case kRecDelete: {
      DeleteRecord r;
      if (!DecodeDelete(payload, &r)) return Corrupt("delete", loc);
      ApplyDelete(r);
      return Status::Ok();
    }
    case kRecRewind: {
      RewindRecord r;
      if (!DecodeRewind(payload, &r)) return Corrupt("rewind", loc);
      ApplyRewind(r);
      return Status::Ok();
    }
    case kRecPurge: {
      PurgeRecord r;
      if (!DecodePurge(payload, &r)) return Corrupt("purge", loc);
      ApplyPurge(r);
      return Status::Ok();
    }
    case kRecMoveTaskStart: {
      MoveTaskStartRecord r;
      if (!DecodeMoveTaskStart(payload, &r)) return Corrupt("move-task start", loc);
      ApplyMoveTaskStart(r, loc);
      return Status::Ok();
    }
    case kRecMoveTaskBatch: {
      MoveTaskBatchRecord r;
      if (!DecodeMoveTaskBatch(payload, &r)) return Corrupt("move-task batch", loc);
      return ApplyMoveTaskBatch(r);
    }
    case kRecMoveTaskEnd: {
      MoveTaskEndRecord r;
      if (!DecodeMoveTaskEnd(payload, &r)) return Corrupt("move-task end", loc);
      ApplyMoveTaskEnd(r);
      return Status::Ok();
    }
    case kRecDeadLetterMove: {
      DeadLetterMoveRecord r;
      if (!DecodeDeadLetterMove(payload, &r)) return Corrupt("dead-letter move", loc);
      return ApplyMove(r);
    }
    case kRecRelocate: {
      RelocateRecord r;
      size_t header = 0;
      if (!DecodeRelocate(payload, &r, &header)) return Corrupt("relocate", loc);
      return ApplyRelocate(r, loc + header, static_cast<uint32_t>(payload.size() - header));
    }
    default:
      if (type >= kRecCreateTopic && type <= 127) return ReplayTopicRecord(type, payload, loc);
      return Corrupt("unknown type " + std::to_string(type), loc);
  }
}

SnapshotRecord Broker::Impl::MakeSnapshot() const {
  SnapshotRecord s;
  s.next_msg_id = next_msg_id;
  s.next_queue_uid = next_queue_uid;
  s.now_ms = now_ms;
  s.queues.reserve(queues.size());
  for (const auto& [uid, q] : queues) s.queues.push_back(q->meta());
  std::sort(s.queues.begin(), s.queues.end(),
            [](const QueueMeta& a, const QueueMeta& b) { return a.uid < b.uid; });
  s.next_topic_uid = next_topic_uid;
  s.next_subscription_uid = next_subscription_uid;
  s.topics.reserve(topics.size());
  for (const auto& [uid, t] : topics) s.topics.push_back(t->meta);
  std::sort(s.topics.begin(), s.topics.end(),
            [](const TopicMeta& a, const TopicMeta& b) { return a.uid < b.uid; });
  s.subscriptions.reserve(subscriptions.size());
  for (const auto& [uid, sub] : subscriptions) s.subscriptions.push_back(sub->meta);
  std::sort(s.subscriptions.begin(), s.subscriptions.end(),
            [](const SubscriptionMeta& a, const SubscriptionMeta& b) { return a.uid < b.uid; });
  return s;
}

// --- Broker: recovery ------------------------------------------------------------------

Status Broker::Replay(journal::RecordType type, std::string_view payload, journal::Location loc) {
  return impl_->ReplayRecord(type, payload, loc);
}

void Broker::FinishRecovery() {
  Impl& m = *impl_;
  int64_t now = m.Now();
  for (auto& [uid, q] : m.queues) {
    q->RebuildIndexes();
    q->ExpireTo(now);
    m.Reschedule(q.get());
  }
  // Nothing is in flight after a restart: every pending delivery is due at its
  // recorded next-attempt time, HTTP ones that were in flight included.
  for (auto& [uid, t] : m.topics) m.ExpireTopicTo(t.get(), now);
  m.RebuildDeliveryHeaps();
  // Traffic counts what this process sees happen, not what it replayed.
  for (auto& [uid, q] : m.queues) q->traffic = QueueTraffic();
  for (auto& [uid, t] : m.topics) t->traffic = TopicTraffic();
  for (auto& [uid, s] : m.subscriptions) s->traffic = SubscriptionTraffic();
}

}  // namespace cmq::broker
