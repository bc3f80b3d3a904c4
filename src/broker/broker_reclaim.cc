// Space reclamation. Segments older than the oldest one holding a live body are
// dropped, up to a segment that starts with a snapshot of the metadata (nothing else
// in them is needed then; SnapshotPolicy decides which segments get one). A sealed segment that is mostly dead but still holds a few live
// bodies is emptied by copying those messages forward (a relocate record with the
// message's full state and body), a bounded amount of work per Tick. The log performs
// a drop only once the copies are durable (RecordLog::DropSegmentsBefore).
#include <algorithm>

#include "broker/broker_impl.h"

namespace cmq::broker {
namespace {

constexpr int kScanPerTick = 4096;    // messages looked at per Tick
constexpr int kRelocatePerTick = 64;  // messages copied per Tick
constexpr int64_t kRescanDelayMs = 1000;

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

void Broker::Impl::Reclaim(int64_t now) {
  if (storage_failed || reclaim_stopped) return;
  DropDeadSegments();
  if (storage_failed || reclaim_stopped) return;
  if (!scan.active) {
    auto first = usage.FirstLive();
    if (!first || *first >= log->CurrentSegment() || !usage.IsSparse(*first)) return;
    // Topic messages are not copied forward (they end within the topic retention):
    // while one holds the segment, copying its queue messages would not free it.
    if (topic_usage.LiveCount(*first) > 0) return;
    if (now < scan.finished_ms + kRescanDelayMs) return;
    scan = ReclaimScan{};
    scan.active = true;
    scan.segment = *first;
    for (const auto& [uid, q] : queues) scan.uids.push_back(uid);
    std::sort(scan.uids.begin(), scan.uids.end());
  }
  int looked = 0;
  int moved = 0;
  while (scan.next_queue < scan.uids.size() && looked < kScanPerTick && moved < kRelocatePerTick) {
    Queue* q = QueueByUid(scan.uids[scan.next_queue]);
    // Copying a message that is past retention would only resurrect it.
    if (q != nullptr && scan.next_pos == 0) q->ExpireTo(now);
    auto p = q != nullptr ? q->table().NextLive(scan.next_pos) : std::nullopt;
    if (!p) {
      ++scan.next_queue;
      scan.next_pos = 0;
      continue;
    }
    ++looked;
    scan.next_pos = *p + 1;
    const MessageEntry* e = q->Find(*p);
    if (e == nullptr || journal::SegmentOf(e->body) != scan.segment) continue;
    if (!Relocate(q, *p, now)) {
      scan.next_queue = scan.uids.size();  // give up this round
      break;
    }
    ++moved;
  }
  if (scan.next_queue >= scan.uids.size()) {
    scan.active = false;
    scan.finished_ms = now;
  }
  DropDeadSegments();
}

}  // namespace cmq::broker
