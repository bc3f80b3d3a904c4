// The topic apply functions and the delivery state they maintain. The live path calls
// them with the record it has just appended; Replay decodes stored records and calls
// the same ones. Like the queue ones, they first end the retention of topic messages
// that is over at the record's time, so the state never depends on when Tick ran.
#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "broker/broker_impl.h"
#include "broker/retry_policy.h"
#include "common/strings.h"

namespace cmq::broker {
namespace {

// Heaps are rebuilt once stale entries exceed the live ones by this much.
constexpr size_t kHeapSlack = 1024;

}  // namespace

// --- topics and subscriptions ----------------------------------------------------------

Topic* Broker::Impl::AddTopic(const TopicMeta& meta) {
  auto t = std::make_unique<Topic>(meta);
  Topic* raw = t.get();
  TopicAccount& a = topic_accounts[meta.account];
  a.by_name[AsciiLower(meta.name)] = meta.uid;
  a.in_order[meta.uid] = raw;
  topic_ids.insert(meta.topic_id);
  topics[meta.uid] = std::move(t);
  next_topic_uid = std::max(next_topic_uid, meta.uid + 1);
  return raw;
}

Subscription* Broker::Impl::AddSubscription(const SubscriptionMeta& meta) {
  Topic* t = TopicByUid(meta.topic_uid);
  if (t == nullptr) return nullptr;
  auto s = std::make_unique<Subscription>(meta);
  Subscription* raw = s.get();
  t->subscriptions[meta.uid] = raw;
  t->subscription_names[AsciiLower(meta.spec.name)] = meta.uid;
  subscription_ids.insert(meta.subscription_id);
  subscriptions[meta.uid] = std::move(s);
  next_subscription_uid = std::max(next_subscription_uid, meta.uid + 1);
  return raw;
}

Status Broker::Impl::ApplyCreateTopic(const CreateTopicRecord& r) {
  NoteTime(r.time_ms);
  if (TopicByUid(r.meta.uid) != nullptr) return Status::Ok();  // already in a snapshot
  if (FindTopic(r.meta.account, r.meta.name) != nullptr) {
    return Status(ErrorCode::kCorruption, "topic " + r.meta.name + " created twice");
  }
  TopicMeta meta = r.meta;
  meta.create_ms = meta.modify_ms = r.time_ms;
  AddTopic(meta);
  return Status::Ok();
}

void Broker::Impl::ApplySetTopic(const SetTopicRecord& r) {
  NoteTime(r.time_ms);
  Topic* t = TopicByUid(r.uid);
  if (t == nullptr) return;
  ExpireTopicTo(t, r.time_ms);
  t->meta.max_msg_size = r.max_msg_size;
  t->meta.modify_ms = r.time_ms;
}

void Broker::Impl::ApplyDeleteTopic(const DeleteTopicRecord& r) {
  NoteTime(r.time_ms);
  auto it = topics.find(r.uid);
  if (it == topics.end()) return;
  Topic* t = it->second.get();
  // The public call refuses while subscriptions exist; a replayed record is obeyed.
  while (!t->subscriptions.empty()) {
    ApplyUnsubscribe(UnsubscribeRecord{t->subscriptions.begin()->first, r.time_ms});
  }
  while (!t->messages.empty()) RemoveTopicMessage(t, t->messages.begin());
  auto acc = topic_accounts.find(t->meta.account);
  if (acc != topic_accounts.end()) {
    acc->second.by_name.erase(AsciiLower(t->meta.name));
    acc->second.in_order.erase(r.uid);
    if (acc->second.in_order.empty()) topic_accounts.erase(acc);
  }
  topic_ids.erase(t->meta.topic_id);
  topic_schedule.erase({t->scheduled, r.uid});
  topics.erase(it);
}

Status Broker::Impl::ApplySubscribe(const SubscribeRecord& r) {
  NoteTime(r.time_ms);
  if (SubscriptionByUid(r.meta.uid) != nullptr) return Status::Ok();  // in a snapshot
  Topic* t = TopicByUid(r.meta.topic_uid);
  if (t == nullptr) return Status::Ok();
  if (FindSubscription(*t, r.meta.spec.name) != nullptr) {
    return Status(ErrorCode::kCorruption, "subscription " + r.meta.spec.name + " created twice");
  }
  SubscriptionMeta meta = r.meta;
  meta.create_ms = meta.modify_ms = r.time_ms;
  AddSubscription(meta);
  return Status::Ok();
}

void Broker::Impl::ApplySetSubscription(const SetSubscriptionRecord& r) {
  NoteTime(r.time_ms);
  Subscription* s = SubscriptionByUid(r.uid);
  if (s == nullptr) return;
  SubscriptionSpec& spec = s->meta.spec;
  spec.notify_strategy = r.notify_strategy;
  spec.content_format = r.content_format;
  spec.filter_tags = r.filter_tags;
  spec.binding_keys = r.binding_keys;
  s->meta.modify_ms = r.time_ms;
}

void Broker::Impl::ApplyUnsubscribe(const UnsubscribeRecord& r) {
  NoteTime(r.time_ms);
  auto it = subscriptions.find(r.uid);
  if (it == subscriptions.end()) return;
  Subscription* s = it->second.get();
  if (Topic* t = TopicByUid(s->meta.topic_uid)) {
    ExpireTopicTo(t, r.time_ms);
    // Dropping its deliveries means visiting the topic's messages; unsubscribing is
    // rare, and no per-subscription index has to be kept up to date meanwhile.
    for (auto m = t->messages.begin(); m != t->messages.end() && s->pending > 0;) {
      auto next = std::next(m);
      if (m->second.Find(r.uid) != nullptr) {
        EndDelivery(DeliveryRef{t, s, &m->second, m->second.Find(r.uid)}, m->first);
      }
      m = next;
    }
    t->subscriptions.erase(r.uid);
    t->subscription_names.erase(AsciiLower(s->meta.spec.name));
  }
  subscription_ids.erase(s->meta.subscription_id);
  subscriptions.erase(it);  // its heap entries go stale
}

Status Broker::Impl::ApplyTopicSnapshot(const SnapshotRecord& r) {
  next_topic_uid = std::max(next_topic_uid, r.next_topic_uid);
  next_subscription_uid = std::max(next_subscription_uid, r.next_subscription_uid);
  for (const TopicMeta& m : r.topics) {
    if (Topic* t = TopicByUid(m.uid)) {
      t->meta.max_msg_size = m.max_msg_size;
      t->meta.modify_ms = m.modify_ms;
      continue;
    }
    if (FindTopic(m.account, m.name) != nullptr) {
      return Status(ErrorCode::kCorruption, "snapshot names topic " + m.name + " twice");
    }
    AddTopic(m);
  }
  for (const SubscriptionMeta& m : r.subscriptions) {
    if (Subscription* s = SubscriptionByUid(m.uid)) {
      SubscriptionSpec& spec = s->meta.spec;
      spec.notify_strategy = m.spec.notify_strategy;
      spec.content_format = m.spec.content_format;
      spec.filter_tags = m.spec.filter_tags;
      spec.binding_keys = m.spec.binding_keys;
      s->meta.modify_ms = m.modify_ms;
      continue;
    }
    const Topic* t = TopicByUid(m.topic_uid);
    if (t == nullptr || FindSubscription(*t, m.spec.name) != nullptr) {
      return Status(ErrorCode::kCorruption, "snapshot subscription " + m.spec.name);
    }
    AddSubscription(m);
  }
  return Status::Ok();
}

// --- messages and deliveries ----------------------------------------------------------------

Status Broker::Impl::PlaceQueueMessage(const QueuePlacement& p, uint64_t queue_msg_id,
                                       journal::Location body, uint32_t body_len, int64_t time,
                                       bool create) {
  if (p.queue_uid == 0) return Status::Ok();
  Queue* q = QueueByUid(p.queue_uid);
  if (q == nullptr) return Status::Ok();
  if (!PositionPlausible(*q, p.pos)) return Status(ErrorCode::kCorruption, "queue delivery");
  if (!create) {
    // The topic message's records were dropped with their segment: the queue message
    // was deleted or copied forward since (a relocate record recreates it), but its
    // position stays taken.
    q->meta().next_pos = std::max(q->meta().next_pos, p.pos + 1);
    return Status::Ok();
  }
  q->ExpireTo(time);
  MessageEntry e;
  e.msg_id = queue_msg_id;
  e.body = body;
  e.body_len = body_len;
  e.enqueue_ms = time;
  e.deadline_ms = time;
  e.state = MessageState::kActive;
  e.lsn = log->LastAppended();
  q->AddMessage(p.pos, e);
  ++q->traffic.sent;
  return Status::Ok();
}

Status Broker::Impl::ApplyPublish(const PublishRecord& r, journal::Location first_body) {
  NoteTime(r.time_ms);
  const size_t n = r.lengths.size();
  next_msg_id = std::max(next_msg_id, r.first_msg_id + n + r.enqueued.size());
  std::vector<journal::Location> bodies(n);
  journal::Location body = first_body;
  for (size_t i = 0; i < n; ++i) {
    bodies[i] = body;
    body += r.lengths[i];
  }
  // Queue messages exist on their own, whatever becomes of the topic.
  std::set<std::pair<uint32_t, uint64_t>> delivered;
  uint64_t queue_msg_id = r.first_msg_id + n;
  for (const auto& e : r.enqueued) {
    Status s = PlaceQueueMessage(e.placement, queue_msg_id++, bodies[e.message],
                                 r.lengths[e.message], r.time_ms, true);
    if (!s.ok()) return Corrupt("publish", first_body);
    delivered.emplace(e.message, e.subscription);
    if (Subscription* sub = SubscriptionByUid(e.subscription)) ++sub->traffic.delivered;
  }
  Topic* t = TopicByUid(r.topic_uid);
  if (t == nullptr) return Status::Ok();
  ExpireTopicTo(t, r.time_ms);
  t->traffic.published += static_cast<int64_t>(n);
  std::shared_ptr<const std::vector<std::string>> tags;
  if (!r.tags.empty()) tags = std::make_shared<const std::vector<std::string>>(r.tags);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t msg_id = r.first_msg_id + i;
    TopicMessage m;
    m.publish_ms = r.time_ms;
    m.body = bodies[i];
    m.body_len = r.lengths[i];
    m.tags = tags;
    std::vector<Subscription*> targets;
    for (uint64_t uid : r.subscriptions) {
      auto it = t->subscriptions.find(uid);
      if (it == t->subscriptions.end()) continue;
      Subscription* s = it->second;
      Delivery d;
      d.subscription = uid;
      d.next_ms = r.time_ms;
      if (s->meta.spec.protocol == Protocol::kQueue) {
        if (delivered.contains({static_cast<uint32_t>(i), uid})) continue;
        // The first attempt, made with the publish, failed.
        d.attempts = 1;
        auto next = NextAttempt(*t, *s, msg_id, r.time_ms, 1, r.time_ms);
        if (!next) continue;
        d.next_ms = *next;
      }
      m.deliveries.push_back(d);
      targets.push_back(s);
    }
    if (!m.deliveries.empty()) AddTopicMessage(t, msg_id, std::move(m), targets);
  }
  RescheduleTopic(t);
  return Status::Ok();
}

void Broker::Impl::AddTopicMessage(Topic* t, uint64_t msg_id, TopicMessage m,
                                   const std::vector<Subscription*>& targets) {
  usage.Add(m.body, m.body_len);
  const TopicMessage& stored = t->messages.emplace(msg_id, std::move(m)).first->second;
  for (size_t k = 0; k < targets.size(); ++k) {
    ++targets[k]->pending;
    if (stored.deliveries[k].WaitingRetry()) ++targets[k]->waiting_retry;
    ++pending_deliveries;
    ScheduleDelivery(*targets[k], msg_id, stored.deliveries[k].next_ms);
  }
}

Status Broker::Impl::ApplyTopicRelocate(const TopicRelocateRecord& r, journal::Location body,
                                        uint32_t body_len) {
  NoteTime(r.time_ms);
  next_msg_id = std::max(next_msg_id, r.msg_id + 1);
  Topic* t = TopicByUid(r.topic_uid);
  if (t == nullptr) return Status::Ok();
  ExpireTopicTo(t, r.time_ms);
  auto it = t->messages.find(r.msg_id);
  if (it != t->messages.end()) {
    TopicMessage& m = it->second;
    usage.Remove(m.body, m.body_len);
    m.body = body;
    usage.Add(m.body, m.body_len);
    return Status::Ok();
  }
  // The message's earlier records were in dropped segments: this record recreates it
  // with the deliveries still pending then (those of subscriptions still there).
  if (r.publish_ms + t->retention_ms() <= r.time_ms) return Status::Ok();
  TopicMessage m;
  m.publish_ms = r.publish_ms;
  m.body = body;
  m.body_len = body_len;
  if (!r.tags.empty()) m.tags = std::make_shared<const std::vector<std::string>>(r.tags);
  std::vector<Subscription*> targets;
  for (const auto& p : r.deliveries) {
    auto s = t->subscriptions.find(p.subscription);
    if (s == t->subscriptions.end() || m.Find(p.subscription) != nullptr) continue;
    Delivery& d = m.deliveries.emplace_back();
    d.subscription = p.subscription;
    d.next_ms = p.next_ms;
    d.attempts = p.attempts;
    targets.push_back(s->second);
  }
  if (m.deliveries.empty()) return Status::Ok();
  AddTopicMessage(t, r.msg_id, std::move(m), targets);
  RescheduleTopic(t);
  return Status::Ok();
}

Status Broker::Impl::ApplyQueueDelivery(const QueueDeliveryRecord& r) {
  NoteTime(r.time_ms);
  uint64_t queue_msg_id = r.first_queue_msg_id;
  for (const auto& a : r.attempts) {
    if (a.placement.queue_uid != 0) ++queue_msg_id;
  }
  next_msg_id = std::max(next_msg_id, queue_msg_id);
  queue_msg_id = r.first_queue_msg_id;
  for (const auto& a : r.attempts) {
    DeliveryRef ref = FindDelivery(a.msg_id, a.subscription, r.time_ms);
    if (a.placement.queue_uid == 0) {
      if (ref.delivery != nullptr) FailAttempt(ref, a.msg_id, r.time_ms);
      continue;
    }
    const bool create = ref.delivery != nullptr;
    Status s = PlaceQueueMessage(a.placement, queue_msg_id++, create ? ref.message->body : 0,
                                 create ? ref.message->body_len : 0, r.time_ms, create);
    if (!s.ok()) return s;
    if (create) {
      ++ref.subscription->traffic.delivered;
      EndDelivery(ref, a.msg_id);
    }
  }
  return Status::Ok();
}

void Broker::Impl::ApplyPushOutcome(const PushOutcomeRecord& r) {
  NoteTime(r.time_ms);
  if (!r.delivered) {
    Subscription* s = SubscriptionByUid(r.subscription);
    if (s != nullptr) {
      s->last_push_error = r.error;
      s->last_push_error_ms = r.time_ms;
    }
  }
  DeliveryRef ref = FindDelivery(r.msg_id, r.subscription, r.time_ms);
  if (ref.delivery == nullptr || ref.delivery->attempts != r.attempt) return;
  SubscriptionTraffic& traffic = ref.subscription->traffic;
  if (r.delivered) {
    ++traffic.push_successes;
    ++traffic.delivered;
    EndDelivery(ref, r.msg_id);
  } else {
    ++traffic.push_failures;
    FailAttempt(ref, r.msg_id, r.time_ms);
  }
}

void Broker::Impl::ExpireTopicTo(Topic* t, int64_t time) {
  bool changed = false;
  while (!t->messages.empty() &&
         t->messages.begin()->second.publish_ms + t->retention_ms() <= time) {
    RemoveTopicMessage(t, t->messages.begin());
    changed = true;
  }
  if (changed) RescheduleTopic(t);
}

Broker::Impl::DeliveryRef Broker::Impl::FindDelivery(uint64_t msg_id, uint64_t subscription,
                                                     int64_t time) {
  DeliveryRef ref;
  Subscription* s = SubscriptionByUid(subscription);
  Topic* t = s != nullptr ? TopicByUid(s->meta.topic_uid) : nullptr;
  if (t == nullptr) return ref;
  ExpireTopicTo(t, time);
  auto m = t->messages.find(msg_id);
  if (m == t->messages.end()) return ref;
  Delivery* d = m->second.Find(subscription);
  if (d == nullptr) return ref;
  return DeliveryRef{t, s, &m->second, d};
}

std::optional<int64_t> Broker::Impl::NextAttempt(const Topic& t, const Subscription& s,
                                                 uint64_t msg_id, int64_t publish_ms,
                                                 uint32_t attempts, int64_t time) const {
  auto delay = RetryDelayMs(s.meta.spec.notify_strategy, static_cast<int>(attempts), msg_id,
                            s.meta.uid, limits.topics);
  if (!delay) return std::nullopt;
  // No attempt can happen once the message has reached the topic retention.
  if (time + *delay >= publish_ms + t.retention_ms()) return std::nullopt;
  return time + *delay;
}

void Broker::Impl::EndDelivery(const DeliveryRef& ref, uint64_t msg_id) {
  Delivery* d = ref.delivery;
  if (d->push_id != 0) pushes.erase(d->push_id);
  --ref.subscription->pending;
  if (d->WaitingRetry()) --ref.subscription->waiting_retry;
  --pending_deliveries;
  std::vector<Delivery>& all = ref.message->deliveries;
  all.erase(all.begin() + (d - all.data()));
  if (all.empty()) {
    RemoveTopicMessage(ref.topic, ref.topic->messages.find(msg_id));
    RescheduleTopic(ref.topic);
  }
}

void Broker::Impl::FailAttempt(const DeliveryRef& ref, uint64_t msg_id, int64_t time) {
  Delivery* d = ref.delivery;
  const bool was_waiting = d->WaitingRetry();
  ++d->attempts;
  auto next = NextAttempt(*ref.topic, *ref.subscription, msg_id, ref.message->publish_ms,
                          d->attempts, time);
  if (!next) {
    // EndDelivery uncounts the delivery by what WaitingRetry() says now.
    if (!was_waiting && d->WaitingRetry()) ++ref.subscription->waiting_retry;
    EndDelivery(ref, msg_id);  // abandoned
    return;
  }
  if (d->push_id != 0) pushes.erase(d->push_id);
  d->push_id = 0;
  if (!was_waiting) ++ref.subscription->waiting_retry;
  d->next_ms = *next;
  ScheduleDelivery(*ref.subscription, msg_id, *next);
}

void Broker::Impl::RemoveTopicMessage(Topic* t, std::map<uint64_t, TopicMessage>::iterator it) {
  TopicMessage& m = it->second;
  for (const Delivery& d : m.deliveries) {
    if (d.push_id != 0) pushes.erase(d.push_id);
    auto s = t->subscriptions.find(d.subscription);
    if (s != t->subscriptions.end()) {
      --s->second->pending;
      if (d.WaitingRetry()) --s->second->waiting_retry;
    }
    --pending_deliveries;
  }
  usage.Remove(m.body, m.body_len);
  t->messages.erase(it);
}

void Broker::Impl::ScheduleDelivery(const Subscription& s, uint64_t msg_id, int64_t due) {
  DeliveryHeap& heap = s.meta.spec.protocol == Protocol::kQueue ? queue_due : http_due;
  heap.Push({due, msg_id, s.meta.uid});
  if (queue_due.size() + http_due.size() >
      2 * static_cast<size_t>(std::max<int64_t>(pending_deliveries, 0)) + kHeapSlack) {
    RebuildDeliveryHeaps();
  }
}

Broker::Impl::DeliveryRef Broker::Impl::DueDelivery(const DeliveryHeap::Entry& e, int64_t now) {
  DeliveryRef ref = FindDelivery(e.msg_id, e.subscription, now);
  if (ref.delivery == nullptr || ref.delivery->push_id != 0 || ref.delivery->next_ms != e.due) {
    return DeliveryRef{};
  }
  return ref;
}

void Broker::Impl::RebuildDeliveryHeaps() {
  queue_due.Clear();
  http_due.Clear();
  for (const auto& [topic_uid, t] : topics) {
    for (const auto& [msg_id, m] : t->messages) {
      for (const Delivery& d : m.deliveries) {
        auto s = t->subscriptions.find(d.subscription);
        if (d.push_id != 0 || s == t->subscriptions.end()) continue;
        (s->second->meta.spec.protocol == Protocol::kQueue ? queue_due : http_due)
            .Push({d.next_ms, msg_id, d.subscription});
      }
    }
  }
}

void Broker::Impl::PruneDeliveryHeaps(int64_t now) {
  for (DeliveryHeap* heap : {&queue_due, &http_due}) {
    while (!heap->empty() && DueDelivery(heap->Top(), now).delivery == nullptr) heap->Pop();
  }
}

void Broker::Impl::RescheduleTopic(Topic* t) {
  int64_t d =
      t->messages.empty() ? INT64_MAX : t->messages.begin()->second.publish_ms + t->retention_ms();
  if (d == t->scheduled) return;
  topic_schedule.erase({t->scheduled, t->meta.uid});
  t->scheduled = d;
  if (d != INT64_MAX) topic_schedule.emplace(d, t->meta.uid);
}

// --- replay -------------------------------------------------------------------------------

Status Broker::Impl::ReplayTopicRecord(journal::RecordType type, std::string_view payload,
                                       journal::Location loc) {
  switch (type) {
    case kRecCreateTopic: {
      CreateTopicRecord r;
      if (!DecodeCreateTopic(payload, &r)) return Corrupt("create-topic", loc);
      return ApplyCreateTopic(r);
    }
    case kRecSetTopic: {
      SetTopicRecord r;
      if (!DecodeSetTopic(payload, &r)) return Corrupt("set-topic", loc);
      ApplySetTopic(r);
      return Status::Ok();
    }
    case kRecDeleteTopic: {
      DeleteTopicRecord r;
      if (!DecodeDeleteTopic(payload, &r)) return Corrupt("delete-topic", loc);
      ApplyDeleteTopic(r);
      return Status::Ok();
    }
    case kRecSubscribe: {
      SubscribeRecord r;
      if (!DecodeSubscribe(payload, &r)) return Corrupt("subscribe", loc);
      return ApplySubscribe(r);
    }
    case kRecSetSubscription: {
      SetSubscriptionRecord r;
      if (!DecodeSetSubscription(payload, &r)) return Corrupt("set-subscription", loc);
      ApplySetSubscription(r);
      return Status::Ok();
    }
    case kRecUnsubscribe: {
      UnsubscribeRecord r;
      if (!DecodeUnsubscribe(payload, &r)) return Corrupt("unsubscribe", loc);
      ApplyUnsubscribe(r);
      return Status::Ok();
    }
    case kRecPublish: {
      PublishRecord r;
      size_t header = 0;
      if (!DecodePublish(payload, &r, &header)) return Corrupt("publish", loc);
      return ApplyPublish(r, loc + header);
    }
    case kRecQueueDelivery: {
      QueueDeliveryRecord r;
      if (!DecodeQueueDelivery(payload, &r)) return Corrupt("queue-delivery", loc);
      Status s = ApplyQueueDelivery(r);
      return s.ok() ? s : Corrupt("queue-delivery", loc);
    }
    case kRecPushOutcome: {
      PushOutcomeRecord r;
      if (!DecodePushOutcome(payload, &r)) return Corrupt("push-outcome", loc);
      ApplyPushOutcome(r);
      return Status::Ok();
    }
    case kRecTopicRelocate: {
      TopicRelocateRecord r;
      size_t header = 0;
      if (!DecodeTopicRelocate(payload, &r, &header)) return Corrupt("topic relocate", loc);
      return ApplyTopicRelocate(r, loc + header, static_cast<uint32_t>(payload.size() - header));
    }
    default:
      return Corrupt("unknown type " + std::to_string(type), loc);
  }
}

}  // namespace cmq::broker
