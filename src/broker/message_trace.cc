#include "broker/message_trace.h"

#include <algorithm>
#include <utility>

#include "broker/message_table.h"
#include "broker/records.h"
#include "broker/topic_records.h"
#include "common/ip_address.h"

namespace cmq::broker {
namespace {

TraceField Text(std::string name, std::string text) {
  return TraceField{std::move(name), std::move(text), 0, false};
}
TraceField Number(std::string name, int64_t n) { return TraceField{std::move(name), "", n, true}; }

// Follows one msgId through the records, in log order.
class Follower {
 public:
  Follower(TraceNames* names, const TraceSubject& subject, uint64_t subject_uid, uint64_t msg_id)
      : names_(*names), subject_(subject), subject_uid_(subject_uid), id_(msg_id) {}

  void Take(journal::RecordType type, std::string_view payload) {
    switch (type) {
      case kRecSnapshot: return Snapshot(payload);
      case kRecCreateQueue: return CreateQueue(payload);
      case kRecSetQueue: return SetQueue(payload);
      case kRecDeleteQueue: return DeleteQueue(payload);
      case kRecSend: return Send(payload);
      case kRecReceive: return Receive(payload);
      case kRecDelete: return Delete(payload);
      case kRecRewind: return Rewind(payload);
      case kRecDeadLetterMove: return DeadLetterMove(payload);
      case kRecRelocate: return Relocate(payload);
      case kRecPurge: return Purge(payload);
      case kRecMoveTaskBatch: return MoveTaskBatch(payload);
      case kRecCreateTopic: return CreateTopic(payload);
      case kRecSubscribe: return Subscribe(payload);
      case kRecPublish: return Publish(payload);
      case kRecQueueDelivery: return QueueDelivery(payload);
      case kRecPushOutcome: return PushOutcome(payload);
      case kRecTopicRelocate: return TopicRelocate(payload);
      default: return;  // records that never concern one message's life
    }
  }

  // Ends the trace at `now_ms`: retention that ended meanwhile shows as `expired`.
  MessageTrace Finish(int64_t now_ms, bool skipped) {
    for (Tracked& t : tracked_) {
      if (!t.alive) continue;
      auto q = names_.queues.find(t.uid);
      if (q == names_.queues.end() || q->second.retention_seconds <= 0) continue;
      int64_t end = t.enqueue_ms + static_cast<int64_t>(q->second.retention_seconds) * 1000;
      if (end > now_ms) continue;
      t.alive = false;
      Add(end, "expired", {Text("queueName", QueueName(t.uid))});
    }
    MessageTrace trace;
    trace.msg_id = std::to_string(id_);
    // A queue message is shown only if its life touched the queue named (so another
    // account's message with that msgId shows nothing); a topic message only if it was
    // published to the topic named.
    bool touched = subject_.topic ? topic_seen_
                                  : std::any_of(tracked_.begin(), tracked_.end(),
                                                [&](const Tracked& t) { return t.uid == subject_uid_; });
    if (!touched) return trace;
    trace.complete = created_ && !skipped;
    std::stable_sort(events_.begin(), events_.end(),
                     [](const TraceEvent& a, const TraceEvent& b) { return a.time_ms < b.time_ms; });
    trace.events = std::move(events_);
    return trace;
  }

 private:
  // A queue message of this msgId: (queue, position). Dead-letter moves and move tasks
  // continue it under a new one.
  struct Tracked {
    uint64_t uid = 0;
    uint64_t pos = 0;
    bool alive = true;        // not deleted, moved on, purged, expired
    bool rewindable = false;  // deleted or purged: a rewind may bring it back
    int64_t enqueue_ms = 0;
    int64_t dequeue_count = 0;
  };

  Tracked* Find(uint64_t uid, uint64_t pos) {
    for (Tracked& t : tracked_) {
      if (t.uid == uid && t.pos == pos) return &t;
    }
    return nullptr;
  }
  Tracked* FindAlive(uint64_t uid, uint64_t pos) {
    Tracked* t = Find(uid, pos);
    return t != nullptr && t->alive ? t : nullptr;
  }
  bool Ours() const { return !subject_.topic; }

  std::string QueueName(uint64_t uid) const {
    auto it = names_.queues.find(uid);
    return it == names_.queues.end() ? std::string() : it->second.name;
  }
  std::string TopicName(uint64_t uid) const {
    auto it = names_.topics.find(uid);
    return it == names_.topics.end() ? std::string() : it->second;
  }
  const TraceNames::Subscription* Sub(uint64_t uid) const {
    auto it = names_.subscriptions.find(uid);
    return it == names_.subscriptions.end() ? nullptr : &it->second;
  }
  std::string SubName(uint64_t uid) const {
    const TraceNames::Subscription* s = Sub(uid);
    return s == nullptr ? std::string() : s->name;
  }

  void Add(int64_t time_ms, std::string event, std::vector<TraceField> fields) {
    events_.push_back(TraceEvent{time_ms, std::move(event), std::move(fields)});
  }

  void Track(uint64_t uid, uint64_t pos, int64_t enqueue_ms) {
    tracked_.push_back(Tracked{uid, pos, true, false, enqueue_ms, 0});
  }

  // --- names --------------------------------------------------------------------------
  void NoteQueue(const QueueMeta& m) {
    names_.queues.try_emplace(m.uid, TraceNames::Queue{m.name, m.attributes.msg_retention_seconds});
  }
  void NoteSubscription(const SubscriptionMeta& m) {
    names_.subscriptions.try_emplace(
        m.uid, TraceNames::Subscription{m.spec.name, m.spec.endpoint,
                                        m.spec.protocol == Protocol::kQueue});
  }
  void Snapshot(std::string_view payload) {
    SnapshotRecord r;
    if (!DecodeSnapshot(payload, &r)) return;
    for (const auto& q : r.queues) NoteQueue(q);
    for (const auto& t : r.topics) names_.topics.try_emplace(t.uid, t.name);
    for (const auto& s : r.subscriptions) NoteSubscription(s);
  }
  void CreateQueue(std::string_view payload) {
    CreateQueueRecord r;
    if (DecodeCreateQueue(payload, &r)) NoteQueue(r.meta);
  }
  void SetQueue(std::string_view payload) {
    SetQueueRecord r;
    if (!DecodeSetQueue(payload, &r)) return;
    auto it = names_.queues.find(r.uid);
    if (it != names_.queues.end()) it->second.retention_seconds = r.attributes.msg_retention_seconds;
  }
  void CreateTopic(std::string_view payload) {
    CreateTopicRecord r;
    if (DecodeCreateTopic(payload, &r)) names_.topics.try_emplace(r.meta.uid, r.meta.name);
  }
  void Subscribe(std::string_view payload) {
    SubscribeRecord r;
    if (DecodeSubscribe(payload, &r)) NoteSubscription(r.meta);
  }

  // --- queue messages -------------------------------------------------------------------
  void DeleteQueue(std::string_view payload) {
    DeleteQueueRecord r;
    if (!DecodeDeleteQueue(payload, &r)) return;
    for (Tracked& t : tracked_) {
      if (t.uid != r.uid || !t.alive) continue;
      t.alive = t.rewindable = false;
      Add(r.time_ms, "queueDeleted", {Text("queueName", QueueName(t.uid))});
    }
  }
  void Send(std::string_view payload) {
    SendRecord r;
    size_t header = 0;
    if (!Ours() || !DecodeSend(payload, &r, &header)) return;
    if (id_ < r.first_msg_id || id_ - r.first_msg_id >= r.lengths.size()) return;
    created_ = true;
    Track(r.uid, r.first_pos + (id_ - r.first_msg_id), r.time_ms);
    std::vector<TraceField> fields = {Text("queueName", QueueName(r.uid))};
    if (r.visible_ms > r.time_ms) fields.push_back(Number("visibleTime", r.visible_ms));
    Add(r.time_ms, "sent", std::move(fields));
  }
  void Receive(std::string_view payload) {
    ReceiveRecord r;
    if (tracked_.empty() || !DecodeReceive(payload, &r)) return;
    for (uint64_t pos : r.positions) {
      Tracked* t = FindAlive(r.uid, pos);
      if (t == nullptr) continue;
      ++t->dequeue_count;
      Add(r.time_ms, "received",
          {Text("queueName", QueueName(r.uid)), Text("clientAddress", ClientAddressText(r.client)),
           Number("dequeueCount", t->dequeue_count), Number("nextVisibleTime", r.visible_until_ms)});
    }
  }
  void Delete(std::string_view payload) {
    DeleteRecord r;
    if (tracked_.empty() || !DecodeDelete(payload, &r)) return;
    for (uint64_t pos : r.positions) {
      Tracked* t = FindAlive(r.uid, pos);
      if (t == nullptr) continue;
      t->alive = false;
      t->rewindable = true;
      Add(r.time_ms, "deleted", {Text("queueName", QueueName(r.uid))});
    }
  }
  void Purge(std::string_view payload) {
    PurgeRecord r;
    if (tracked_.empty() || !DecodePurge(payload, &r)) return;
    for (Tracked& t : tracked_) {
      if (t.uid != r.uid || !t.alive) continue;
      t.alive = false;
      t.rewindable = true;
      Add(r.time_ms, "purged", {Text("queueName", QueueName(t.uid))});
    }
  }
  void Rewind(std::string_view payload) {
    RewindRecord r;
    if (tracked_.empty() || !DecodeRewind(payload, &r)) return;
    for (Tracked& t : tracked_) {
      if (t.uid != r.uid || !t.rewindable || t.enqueue_ms < r.start_s * 1000) continue;
      t.alive = true;
      t.rewindable = false;
      Add(r.time_ms, "rewound", {Text("queueName", QueueName(t.uid))});
    }
  }
  // A dead-letter move or a move task's batch: the message goes on in the target.
  void Moves(const DeadLetterMoveRecord& r, const char* event, std::vector<TraceField> extra) {
    for (const auto& m : r.moves) {
      Tracked* t = FindAlive(r.source_uid, m.source_pos);
      if (t == nullptr) continue;
      t->alive = false;
      std::vector<TraceField> fields = {Text("queueName", QueueName(r.source_uid))};
      for (const TraceField& f : extra) fields.push_back(f);
      Add(r.time_ms, event, std::move(fields));
      if (r.dlq_uid != 0) Track(r.dlq_uid, m.dlq_pos, r.time_ms);
    }
  }
  void DeadLetterMove(std::string_view payload) {
    DeadLetterMoveRecord r;
    if (tracked_.empty() || !DecodeDeadLetterMove(payload, &r)) return;
    Moves(r, "deadLettered", {Text("deadLetterQueue", QueueName(r.dlq_uid))});
  }
  void MoveTaskBatch(std::string_view payload) {
    MoveTaskBatchRecord r;
    if (tracked_.empty() || !DecodeMoveTaskBatch(payload, &r)) return;
    Moves(r.move, "moved",
          {Text("destinationQueue", QueueName(r.move.dlq_uid)),
           Text("taskHandle", "move-" + std::to_string(r.task_id))});
  }
  // The message's full state, copied forward: it starts the trace when the record that
  // created the message is no longer held.
  void Relocate(std::string_view payload) {
    RelocateRecord r;
    size_t header = 0;
    if (!Ours() || !DecodeRelocate(payload, &r, &header) || r.msg_id != id_) return;
    if (Find(r.uid, r.pos) != nullptr) return;
    const auto state = static_cast<MessageState>(r.state);
    Tracked t{r.uid, r.pos, state != MessageState::kGone && state != MessageState::kRewindable,
              state == MessageState::kRewindable, r.enqueue_ms, r.dequeue_count};
    tracked_.push_back(t);
  }

  // --- topic messages -------------------------------------------------------------------
  void Publish(std::string_view payload) {
    PublishRecord r;
    size_t header = 0;
    if (!DecodePublish(payload, &r, &header)) return;
    const uint64_t n = r.lengths.size();
    if (id_ < r.first_msg_id || id_ >= r.first_msg_id + n + r.enqueued.size()) return;
    if (id_ >= r.first_msg_id + n) {
      // A queue message this publish delivered.
      const auto& e = r.enqueued[id_ - r.first_msg_id - n];
      if (!Ours() || e.placement.queue_uid == 0) return;
      created_ = true;
      Track(e.placement.queue_uid, e.placement.pos, r.time_ms);
      Add(r.time_ms, "sent",
          {Text("queueName", QueueName(e.placement.queue_uid)),
           Text("topicName", TopicName(r.topic_uid)),
           Text("subscriptionName", SubName(e.subscription)),
           Text("topicMsgId", std::to_string(r.first_msg_id + e.message))});
      return;
    }
    if (!subject_.topic || r.topic_uid != subject_uid_) return;
    const uint32_t index = static_cast<uint32_t>(id_ - r.first_msg_id);
    created_ = topic_seen_ = true;
    std::string tags;
    for (const auto& tag : r.tags) tags += (tags.empty() ? "" : ",") + tag;
    Add(r.time_ms, "published", {Text("topicName", TopicName(r.topic_uid)), Text("tags", tags)});
    std::vector<uint64_t> attempted;
    for (size_t j = 0; j < r.enqueued.size(); ++j) {
      const auto& e = r.enqueued[j];
      if (e.message != index) continue;
      attempted.push_back(e.subscription);
      Delivered(r.time_ms, e.subscription, e.placement, r.first_msg_id + n + j);
    }
    for (uint64_t sub : r.subscriptions) {
      const TraceNames::Subscription* s = Sub(sub);
      if (s == nullptr || !s->queue ||
          std::find(attempted.begin(), attempted.end(), sub) != attempted.end()) {
        continue;
      }
      Delivered(r.time_ms, sub, QueuePlacement{}, 0);
    }
  }
  void Delivered(int64_t time_ms, uint64_t sub, const QueuePlacement& placement,
                 uint64_t queue_msg_id) {
    std::vector<TraceField> fields = {Text("subscriptionName", SubName(sub))};
    if (placement.queue_uid == 0) {
      const TraceNames::Subscription* s = Sub(sub);
      fields.push_back(Text("queueName", s == nullptr ? "" : s->endpoint));
      fields.push_back(Text("error", "queue missing or full"));
      return Add(time_ms, "deliveryFailed", std::move(fields));
    }
    fields.push_back(Text("queueName", QueueName(placement.queue_uid)));
    fields.push_back(Text("queueMsgId", std::to_string(queue_msg_id)));
    Add(time_ms, "delivered", std::move(fields));
  }
  void QueueDelivery(std::string_view payload) {
    QueueDeliveryRecord r;
    if (!DecodeQueueDelivery(payload, &r)) return;
    uint64_t queue_msg_id = r.first_queue_msg_id;
    for (const auto& a : r.attempts) {
      const uint64_t this_id = a.placement.queue_uid != 0 ? queue_msg_id++ : 0;
      if (topic_seen_ && a.msg_id == id_) Delivered(r.time_ms, a.subscription, a.placement, this_id);
      if (Ours() && this_id == id_) {
        created_ = true;
        Track(a.placement.queue_uid, a.placement.pos, r.time_ms);
        Add(r.time_ms, "sent",
            {Text("queueName", QueueName(a.placement.queue_uid)),
             Text("subscriptionName", SubName(a.subscription)),
             Text("topicMsgId", std::to_string(a.msg_id))});
      }
    }
  }
  void PushOutcome(std::string_view payload) {
    PushOutcomeRecord r;
    if (!topic_seen_ || !DecodePushOutcome(payload, &r) || r.msg_id != id_) return;
    const TraceNames::Subscription* s = Sub(r.subscription);
    std::vector<TraceField> fields = {Text("subscriptionName", s == nullptr ? "" : s->name),
                                      Text("endpoint", s == nullptr ? "" : s->endpoint),
                                      Number("attempt", static_cast<int64_t>(r.attempt) + 1)};
    if (!r.delivered) fields.push_back(Text("error", r.error));
    Add(r.time_ms, r.delivered ? "pushed" : "pushFailed", std::move(fields));
  }
  void TopicRelocate(std::string_view payload) {
    TopicRelocateRecord r;
    size_t header = 0;
    if (!subject_.topic || !DecodeTopicRelocate(payload, &r, &header)) return;
    if (r.msg_id == id_ && r.topic_uid == subject_uid_) topic_seen_ = true;
  }

  TraceNames& names_;
  const TraceSubject& subject_;
  const uint64_t subject_uid_;
  const uint64_t id_;
  std::vector<Tracked> tracked_;
  std::vector<TraceEvent> events_;
  bool created_ = false;     // the send or publish that created it was read
  bool topic_seen_ = false;  // a topic message of the topic named
};

}  // namespace

TraceJob::TraceJob(std::unique_ptr<journal::RecordCursor> cursor, TraceNames names,
                   TraceSubject subject, uint64_t subject_uid, uint64_t msg_id, int64_t now_ms)
    : cursor_(std::move(cursor)),
      names_(std::move(names)),
      subject_(std::move(subject)),
      subject_uid_(subject_uid),
      msg_id_(msg_id),
      now_ms_(now_ms) {}

TraceJob::~TraceJob() = default;

Result<MessageTrace> TraceJob::Run() {
  Follower follower(&names_, subject_, subject_uid_, msg_id_);
  while (true) {
    journal::RecordType type = 0;
    std::string_view payload;
    journal::Location location = 0;
    Result<bool> more = cursor_->Next(&type, &payload, &location);
    if (!more.ok()) return more.status();
    if (!*more) break;
    follower.Take(type, payload);
  }
  return follower.Finish(now_ms_, cursor_->skipped_records());
}

std::string ClientAddressText(const ClientAddress& a) {
  if (a.len != 4 && a.len != 16) return "";
  IpAddress ip = a.len == 4 ? IpAddress::V4((uint32_t{a.bytes[0]} << 24) |
                                            (uint32_t{a.bytes[1]} << 16) |
                                            (uint32_t{a.bytes[2]} << 8) | uint32_t{a.bytes[3]})
                            : IpAddress::V6(a.bytes);
  return IpEndpoint{ip, a.port}.ToString();
}

ClientAddress ParseClientAddress(std::string_view text) {
  std::optional<IpEndpoint> e = IpEndpoint::Parse(text);
  if (!e) return {};
  ClientAddress a;
  a.len = e->address.is_v4() ? 4 : 16;
  std::copy(e->address.bytes().begin(), e->address.bytes().begin() + a.len, a.bytes.begin());
  a.port = e->port;
  return a;
}

}  // namespace cmq::broker
