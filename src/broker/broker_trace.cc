// Message trace, the broker's part: where a msgId's life begins in the log, and the job
// that reads it (message_trace.h) prepared on the broker's thread.
#include <memory>
#include <optional>
#include <utility>

#include "broker/broker_impl.h"
#include "common/strings.h"

namespace cmq::broker {

void Broker::Impl::NoteSegment(journal::Location loc, uint64_t msg_id_before) {
  const uint32_t segment = journal::SegmentOf(loc);
  if (!segment_msg_ids.empty() && segment_msg_ids.rbegin()->first >= segment) return;
  segment_msg_ids.emplace(segment, msg_id_before);
  const uint32_t oldest = log->OldestSegment();
  while (segment_msg_ids.size() > 1 && segment_msg_ids.begin()->first < oldest) {
    segment_msg_ids.erase(segment_msg_ids.begin());
  }
}

uint32_t Broker::Impl::TraceStart(uint64_t msg_id) const {
  // msgIds are given out in log order and every event of a message follows the record
  // that created it: the last segment that began below `msg_id` holds that record, or
  // a later one does.
  for (auto it = segment_msg_ids.rbegin(); it != segment_msg_ids.rend(); ++it) {
    if (it->second <= msg_id) return it->first;
  }
  return 0;
}

void Broker::PrepareTrace(AccountId account, const TraceSubject& subject, std::string_view msg_id,
                          Done<std::shared_ptr<TraceJob>> done) {
  Impl& m = *impl_;
  uint64_t subject_uid = 0;
  if (subject.topic) {
    const Topic* t = m.FindTopic(account, subject.name);
    if (t == nullptr) return done(Status(ErrorCode::kTopicNotExist));
    subject_uid = t->meta.uid;
  } else {
    const Queue* q = m.FindQueue(account, subject.name);
    if (q == nullptr) return done(Status(ErrorCode::kQueueNotExist));
    subject_uid = q->meta().uid;
  }
  std::optional<uint64_t> id = ParseUint64(msg_id);
  if (!id || *id == 0 || *id >= m.next_msg_id) return done(Status(ErrorCode::kMsgIdInvalid));

  TraceNames names;
  if (auto a = m.accounts.find(account); a != m.accounts.end()) {
    for (const auto& [uid, q] : a->second.in_order) {
      names.queues[uid] = {q->meta().name, q->attributes().msg_retention_seconds};
    }
  }
  if (auto a = m.topic_accounts.find(account); a != m.topic_accounts.end()) {
    for (const auto& [uid, t] : a->second.in_order) {
      names.topics[uid] = t->meta.name;
      for (const auto& [sub_uid, s] : t->subscriptions) {
        names.subscriptions[sub_uid] = {s->meta.spec.name, s->meta.spec.endpoint,
                                        s->meta.spec.protocol == Protocol::kQueue};
      }
    }
  }
  journal::RecordLog* log = m.log;
  auto open = [log, from = m.TraceStart(*id), names = std::move(names), subject, subject_uid,
               id = *id, now = m.Now(), done = std::move(done)](const Status& durable) mutable {
    if (!durable.ok()) return done(durable);
    auto cursor = log->OpenCursor(from);
    if (!cursor.ok()) return done(cursor.status());
    done(std::make_shared<TraceJob>(std::move(*cursor), std::move(names), std::move(subject),
                                    subject_uid, id, now));
  };
  // The trace shows what clients were told: everything appended so far, durable.
  log->WhenDurable(log->LastAppended(), std::move(open));
}

}  // namespace cmq::broker
