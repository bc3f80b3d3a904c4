// Space reclamation. The log drops the segments older than the first one holding a
// live body, up to a segment that starts with a snapshot of the metadata (nothing else
// in them is needed then; SnapshotPolicy decides which segments get one). The live
// messages of the oldest segments, queue and topic messages alike, are copied forward
// (a relocate record with their full state and body) when that frees much more than
// it copies (SegmentUsage::WorthEmptying), a bounded amount of work per Tick. The log
// performs a drop only once the records that replace the dropped segments are durable
// (RecordLog::DropSegmentsBefore).
//
// Nothing here waits for a timer: ReclaimDue() tells NextDeadlineMs() when there is
// work, which a send, receive or delete that rolled a segment or emptied the oldest
// live one creates, so the loop ticks at once.
#include <algorithm>

#include "broker/broker_impl.h"

namespace cmq::broker {
namespace {

constexpr int kScanPerTick = 4096;    // messages looked at per Tick
constexpr int kRelocatePerTick = 64;  // messages copied per Tick

}  // namespace

void Broker::Impl::SegmentPreamble(uint32_t segment, journal::RecordType* type,
                                   std::string* payload) {
  if (!snapshots.Due()) return;
  *type = kRecSnapshot;
  *payload = EncodeSnapshot(MakeSnapshot());
  snapshots.Offered(segment, payload->size());
}

uint32_t Broker::Impl::DropTarget() const {
  uint32_t current = log->CurrentSegment();
  auto first = usage.FirstLive();
  auto target = snapshots.LastAtOrBefore(first ? std::min(*first, current) : current);
  if (!target || *target <= std::max(drop_asked, log->OldestSegment())) return 0;
  return *target;
}

bool Broker::Impl::ReclaimDue() const {
  if (storage_failed || reclaim_stopped) return false;
  if (scan.active || DropTarget() != 0) return true;
  auto first = usage.FirstLive();
  uint32_t current = log->CurrentSegment();
  return first && *first < current && std::make_pair(*first, current) != scan_considered;
}

void Broker::Impl::DropDeadSegments() {
  if (reclaim_stopped) return;
  uint32_t target = DropTarget();
  if (target == 0) return;
  Status s = log->DropSegmentsBefore(target);
  if (!s.ok()) {
    // Only a failed log, or a broken promise about `target`, refuses a drop. Either way
    // no segment may go any more; what the log holds stays readable.
    if (s.error() == ErrorCode::kStorageFailed) storage_failed = true;
    reclaim_stopped = true;
    scan.active = false;
    return;
  }
  drop_asked = target;
  snapshots.ForgetBefore(target);
  usage.ForgetBefore(target);
}

bool Broker::Impl::StartScan() {
  auto first = usage.FirstLive();
  uint32_t current = log->CurrentSegment();
  if (!first || *first >= current) return false;
  // Once per (first live, current) pair: a scan that could not empty the segment (a
  // failed read or append) is tried again after the log has moved on.
  if (std::make_pair(*first, current) == scan_considered) return false;
  scan_considered = {*first, current};
  if (!usage.WorthEmptying(*first, current)) return false;
  scan = ReclaimScan{};
  scan.active = true;
  scan.segment = *first;
  for (const auto& [uid, q] : queues) scan.queue_uids.push_back(uid);
  for (const auto& [uid, t] : topics) scan.topic_uids.push_back(uid);
  std::sort(scan.queue_uids.begin(), scan.queue_uids.end());
  std::sort(scan.topic_uids.begin(), scan.topic_uids.end());
  return true;
}

bool Broker::Impl::Relocate(Queue* q, uint64_t pos, int64_t now) {
  const MessageEntry* e = q->Find(pos);
  std::string body;
  if (!log->ReadAt(e->body, e->body_len, &body).ok()) return false;
  RelocateRecord rec;
  rec.uid = q->meta().uid;
  rec.time_ms = now;
  rec.pos = pos;
  rec.msg_id = e->msg_id;
  rec.state = static_cast<uint8_t>(e->state);
  rec.enqueue_ms = e->enqueue_ms;
  rec.deadline_ms = e->deadline_ms;
  rec.first_dequeue_ms = e->first_dequeue_ms;
  rec.dequeue_count = e->dequeue_count;
  rec.generation = e->generation;
  std::string header = EncodeRelocateHeader(rec);
  std::string_view parts[] = {header, body};
  auto loc = Append(kRecRelocate, parts);
  if (!loc.ok()) return false;
  return ApplyRelocate(rec, *loc + header.size(), static_cast<uint32_t>(body.size())).ok();
}

bool Broker::Impl::RelocateTopicMessage(Topic* t, uint64_t msg_id, int64_t now) {
  const TopicMessage& m = t->messages.at(msg_id);
  std::string body;
  if (!log->ReadAt(m.body, m.body_len, &body).ok()) return false;
  TopicRelocateRecord rec;
  rec.topic_uid = t->meta.uid;
  rec.time_ms = now;
  rec.msg_id = msg_id;
  rec.publish_ms = m.publish_ms;
  if (m.tags) rec.tags = *m.tags;
  for (const Delivery& d : m.deliveries) {
    rec.deliveries.push_back({d.subscription, d.next_ms, d.attempts});
  }
  std::string header = EncodeTopicRelocateHeader(rec);
  std::string_view parts[] = {header, body};
  auto loc = Append(kRecTopicRelocate, parts);
  if (!loc.ok()) return false;
  return ApplyTopicRelocate(rec, *loc + header.size(), static_cast<uint32_t>(body.size())).ok();
}

void Broker::Impl::Reclaim(int64_t now) {
  if (storage_failed || reclaim_stopped) return;
  DropDeadSegments();
  if (reclaim_stopped || (!scan.active && !StartScan())) return;
  const size_t queue_count = scan.queue_uids.size();
  const size_t total = queue_count + scan.topic_uids.size();
  int looked = 0;
  int moved = 0;
  while (scan.next < total && looked < kScanPerTick && moved < kRelocatePerTick) {
    bool done = false;
    if (scan.next < queue_count) {
      Queue* q = QueueByUid(scan.queue_uids[scan.next]);
      // Copying a message that is past retention would only resurrect it.
      if (q != nullptr && scan.next_pos == 0) q->ExpireTo(now);
      auto p = q != nullptr ? q->table().NextLive(scan.next_pos) : std::nullopt;
      if (!p) {
        ++scan.next;
        scan.next_pos = 0;
        continue;
      }
      ++looked;
      scan.next_pos = *p + 1;
      const MessageEntry* e = q->Find(*p);
      if (e == nullptr || journal::SegmentOf(e->body) != scan.segment) continue;
      done = Relocate(q, *p, now);
    } else {
      Topic* t = TopicByUid(scan.topic_uids[scan.next - queue_count]);
      if (t != nullptr && scan.next_pos == 0) ExpireTopicTo(t, now);
      auto it = t != nullptr ? t->messages.lower_bound(scan.next_pos)
                             : std::map<uint64_t, TopicMessage>::iterator{};
      if (t == nullptr || it == t->messages.end()) {
        ++scan.next;
        scan.next_pos = 0;
        continue;
      }
      ++looked;
      scan.next_pos = it->first + 1;
      if (journal::SegmentOf(it->second.body) != scan.segment) continue;
      done = RelocateTopicMessage(t, it->first, now);
    }
    if (!done) {
      scan.next = total;  // give up this scan
      break;
    }
    ++moved;
  }
  if (scan.next >= total) scan.active = false;
  DropDeadSegments();
}

}  // namespace cmq::broker
